"""Helpers for the lab SNMP agent tests: a lab running in a background thread (so blocking clients such as
net-snmp's tools can talk to it), net-snmp invocation and output parsing, pysnmp value normalisation.

Every address is in 127.67.0.0/16; agents listen on UDP port 16161.

Requests wait ``ANSWER_S`` by default: an agent that answers is never taken for a silent one because a loaded
machine (the agents share this process with the test) was slow to schedule it; it costs nothing when the answer
comes. Tests of silence (wrong credentials that snmpd drops, a device down) pass their own short timeout.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Callable
from typing import Any, TypeVar

from netops.inventory.models import Inventory
from netops.lab.snmp import SnmpLab, start_snmp
from netops.lab.state import LabWorld
from netops.lab.testing import LoopThread
from netops.secrets import SecretStore
from netops.snmp.ber import OCTET_STRING, tlv
from netops.snmp.message import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    GET,
    Pdu,
    V3Message,
    decode_message,
    decode_scoped_pdu,
    decode_v3,
    encode_community,
    encode_request,
    encode_scoped_pdu,
    encode_v3,
    message_version,
)
from netops.snmp.message import (
    V2C as SNMP_V2C,
)
from netops.snmp.usm import make_user

T = TypeVar("T")

ANSWER_S = 10.0  # how long a request waits for an agent that should answer
PORT = 16161
COMMUNITY = "snmp-test-c0mmunity"
AUTH = "auth-passphrase-1"
PRIV = "priv-passphrase-2"
V3_SHA = f"-v3 -l authPriv -u netops-ro -a SHA -A {AUTH} -x AES -X {PRIV}".split()
V3_SHA256 = f"-v3 -l authPriv -u netops-sha2 -a SHA-256 -A {AUTH} -x AES -X {PRIV}".split()
V2C_ARGS = ["-v2c", "-c", COMMUNITY]


class LabThread:
    """A lab whose agents run in their own event loop in a background thread."""

    def __init__(self, world: LabWorld, secrets: SecretStore) -> None:
        self.world = world
        self.loop_thread = LoopThread("snmp-lab")
        self.loop = self.loop_thread.loop
        self.snmp: SnmpLab = self.run(start_snmp(world, secrets))

    def run(self, coro: Any) -> Any:
        return self.loop_thread.run(coro)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in the lab's loop thread (where the agents read the state) and return its result."""
        return self.loop_thread.call(fn)

    def close(self) -> None:
        self.run(self.snmp.close())
        self.loop_thread.stop()


def target(inventory: Inventory, device: str) -> str:
    return f"{inventory.device(device).address}:{PORT}"


def netsnmp(tool: str, *args: str, timeout: float = ANSWER_S) -> subprocess.CompletedProcess[str]:
    """Run a net-snmp tool with numeric output and no MIB files."""
    cmd = [
        tool,
        "-m",
        "",
        "-M",
        "/dev/null",
        "-On",
        "-Oe",
        "-Ox",
        "-t",
        str(timeout),
        "-r",
        "0",
        *args,
    ]
    env = {**os.environ, "MIBS": "", "SNMPCONFPATH": "/dev/null"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env, check=False)


_LINE = re.compile(r"^(\.\d+(?:\.\d+)*) = ", re.M)


def parse_netsnmp(output: str) -> dict[str, tuple[str, Any]]:
    """``.1.3... = TYPE: value`` lines (values may span lines) as {oid: (type, value)} with Python values."""
    result: dict[str, tuple[str, Any]] = {}
    matches = list(_LINE.finditer(output))
    for m, nxt in zip(matches, [*matches[1:], None], strict=True):
        text = output[m.end() : nxt.start() if nxt else len(output)].strip()
        result[m.group(1).lstrip(".")] = _netsnmp_value(text)
    return result


def _netsnmp_value(text: str) -> tuple[str, Any]:
    if text.startswith("No Such Object"):
        return "noSuchObject", None
    if text.startswith("No Such Instance"):
        return "noSuchInstance", None
    if text.startswith("No more variables"):
        return "endOfMibView", None
    if text == '""':
        return "OCTET STRING", b""
    kind, _, value = text.partition(": ")
    if kind == "Timeticks":  # "(181487069) 21 days, 0:07:50.69"
        return kind, int(value.split(")")[0].lstrip("("))
    if kind in ("INTEGER", "Counter32", "Gauge32", "Counter64"):
        return kind, int(value)
    if kind in ("Hex-STRING", "STRING"):
        return "OCTET STRING", bytes.fromhex(
            value.replace("\n", " ")
        ) if kind == "Hex-STRING" else value.encode()
    if kind == "OID":
        return kind, value.lstrip(".")
    if kind == "IpAddress":
        return kind, value
    raise AssertionError(f"unexpected net-snmp value {text!r}")


PYSNMP_KINDS = {
    "Integer32": "INTEGER",
    "Integer": "INTEGER",
    "Counter32": "Counter32",
    "Gauge32": "Gauge32",
    "Unsigned32": "Gauge32",
    "TimeTicks": "Timeticks",
    "Counter64": "Counter64",
    "OctetString": "OCTET STRING",
    "ObjectIdentifier": "OID",
    "ObjectName": "OID",
    "IpAddress": "IpAddress",
    "EndOfMibView": "endOfMibView",
    "NoSuchObject": "noSuchObject",
    "NoSuchInstance": "noSuchInstance",
}


def pysnmp_value(value: Any) -> tuple[str, Any]:
    """A pysnmp value in the same (type, Python value) shape as ``parse_netsnmp``."""
    kind = PYSNMP_KINDS[type(value).__name__]
    if kind in ("INTEGER", "Counter32", "Gauge32", "Timeticks", "Counter64"):
        return kind, int(value)
    if kind == "OCTET STRING":
        return kind, bytes(value)
    if kind == "OID":
        return kind, str(value)
    if kind == "IpAddress":
        return kind, ".".join(str(b) for b in bytes(value))
    return kind, None


def exchange(host: str, data: bytes, timeout: float = ANSWER_S, port: int = PORT) -> bytes | None:
    """Send one datagram to an agent and return its answer, or None on timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(timeout)
        sock.sendto(data, (host, port))
        try:
            return sock.recv(70000)
        except TimeoutError:
            return None


def v2c(host: str, pdu: Pdu, community: str = COMMUNITY, timeout: float = ANSWER_S) -> Pdu | None:
    """A raw v2c exchange with our own codec (for requests real clients refuse to send)."""
    reply = exchange(host, encode_community(SNMP_V2C, community.encode(), encode_request(pdu)), timeout)
    return None if reply is None else decode_message(reply).pdu


class V3Client:
    """A minimal SNMPv3 authPriv client built on the lab's own USM, for what net-snmp/pysnmp cannot be told to
    do (a small msgMaxSize, a stale engine time). Key derivation is checked against RFC 3414 and pysnmp."""

    def __init__(self, host: str, user: str, auth_protocol: str, timeout: float = ANSWER_S) -> None:
        self.host, self.user, self.auth_protocol, self.timeout = host, user, auth_protocol, timeout
        scoped = encode_scoped_pdu(b"", b"", encode_request(Pdu(GET, 1)))
        probe, _ = encode_v3(1, 65507, FLAG_REPORTABLE, b"", 0, 0, b"", 0, b"", scoped)
        reply = exchange(host, probe, timeout)
        assert reply is not None, "no discovery report"
        _, pos, end = message_version(reply)
        report = decode_v3(reply, pos, end)
        self.engine_id, self.boots, self.time = report.engine_id, report.engine_boots, report.engine_time
        self.discovery = decode_scoped_pdu(report.scoped).pdu
        self.usm = make_user(user, self.engine_id, auth_protocol, AUTH, "aes", PRIV)

    def request(
        self, pdu: Pdu, max_size: int = 65507, boots: int | None = None, etime: int | None = None
    ) -> tuple[V3Message, Pdu | None]:
        """Send ``pdu`` authPriv; returns the answer's header and its (decrypted) PDU."""
        boots = self.boots if boots is None else boots
        etime = self.time if etime is None else etime
        salt = os.urandom(8)
        scoped = encode_scoped_pdu(self.engine_id, b"", encode_request(pdu))
        data = tlv(OCTET_STRING, self.usm.encrypt(scoped, boots, etime, salt))
        flags = FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE
        message, offset = encode_v3(
            7,
            max_size,
            flags,
            self.engine_id,
            boots,
            etime,
            self.user.encode(),
            self.usm.auth_len,
            salt,
            data,
        )
        message = message[:offset] + self.usm.sign(message) + message[offset + self.usm.auth_len :]
        reply = exchange(self.host, message, self.timeout)
        assert reply is not None, "no answer"
        _, pos, end = message_version(reply)
        head = decode_v3(reply, pos, end)
        if head.flags & FLAG_AUTH:
            assert self.usm.verify(reply, head.auth_offset, head.auth_params)
        plain = head.scoped
        if head.flags & FLAG_PRIV:
            plain = self.usm.decrypt(head.scoped, head.engine_boots, head.engine_time, head.priv_params)
        return head, decode_scoped_pdu(plain).pdu
