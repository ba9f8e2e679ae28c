"""The lab's devices report their state changes the way real ones do: SNMP notifications and syslog messages
to configured collectors (``netops lab up --trap-collector HOST:PORT --syslog-collector HOST:PORT``).

Subscribes to ``LabWorld`` (``LabEvent``: link up/down, neighbour up/down, cold/warm start) and, per device
(routers and switches; codecs and MCUs send nothing), sends from the device's own management address:

- a trap (v2c with the profile's community, or v3 authPriv/authNoPriv with the profile's user, the device's
  own engine id and its uptime as engine time): coldStart, warmStart, linkDown/linkUp (ifIndex, ifAdminStatus,
  ifOperStatus, ifDescr), ospfNbrStateChange (ospfNbrState Full/Down), BGP4-MIB established/backward;
- a syslog message (UDP, RFC 3164 framing) in the platform's own format: Huawei VRP ``%%01IFNET/4/LINK_STATE``
  and ``%%01OSPF/4/NBR_CHANGE_E``, H3C Comware ``%%10IFNET/3/PHY_UPDOWN`` and ``%%10OSPF/5/OSPF_NBR_CHG``,
  Cisco IOS ``%LINK-3-UPDOWN``, ``%LINEPROTO-5-UPDOWN`` and ``%OSPF-5-ADJCHG``.

The event arrives inside ``LabWorld.recompute`` (the lab's loop thread); sending is a non-blocking ``sendto``
on one UDP socket per device. A send that fails is counted, never raised into the lab.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from netops.drivers.snmp.fast_usm import V3Credentials
from netops.inventory.models import Device, Platform
from netops.lab.snmp.platforms import PLATFORMS, long_name
from netops.lab.state import LabEvent, LabEventKind, LabWorld
from netops.secrets import SecretStore
from netops.snmp.ber import (
    INTEGER,
    IP_ADDRESS,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    TIMETICKS,
    Oid,
    encode_oid,
    encode_value,
    tlv,
)
from netops.snmp.message import (
    FLAG_PRIV,
    TRAP_V2,
    V2C,
    encode_community,
    encode_pdu,
    encode_scoped_pdu,
    encode_v3,
    encode_varbind,
)
from netops.snmp.usm import engine_id_for

log = logging.getLogger(__name__)

SYS_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
_TRAPS: dict[LabEventKind, Oid] = {
    LabEventKind.COLD_START: (1, 3, 6, 1, 6, 3, 1, 1, 5, 1),
    LabEventKind.WARM_START: (1, 3, 6, 1, 6, 3, 1, 1, 5, 2),
    LabEventKind.LINK_DOWN: (1, 3, 6, 1, 6, 3, 1, 1, 5, 3),
    LabEventKind.LINK_UP: (1, 3, 6, 1, 6, 3, 1, 1, 5, 4),
}
OSPF_NBR_STATE_CHANGE: Oid = (1, 3, 6, 1, 2, 1, 14, 16, 2, 2)
OSPF_ROUTER_ID: Oid = (1, 3, 6, 1, 2, 1, 14, 1, 1, 0)
OSPF_NBR = (1, 3, 6, 1, 2, 1, 14, 10, 1)  # .1 ipaddr .2 addressless .3 rtrid .6 state, index .<ip>.0
BGP_ESTABLISHED: Oid = (1, 3, 6, 1, 2, 1, 15, 0, 1)
BGP_BACKWARD: Oid = (1, 3, 6, 1, 2, 1, 15, 0, 2)
BGP_PEER_STATE = (1, 3, 6, 1, 2, 1, 15, 3, 1, 2)
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
Collector = tuple[str, int]


def parse_collector(value: str | None) -> Collector | None:
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"collector: expected HOST:PORT, found {value!r}")
    return host, int(port)


# --- syslog texts, per platform --------------------------------------------------------------------------
def _months(now: float) -> tuple[time.struct_time, str]:
    t = time.localtime(now)
    return t, time.strftime("%b", t) + f" {t.tm_mday:2d}"


def syslog_lines(device: Device, event: LabEvent, seq: int, now: float) -> list[tuple[int, str]]:
    """(severity, message after the <PRI>) lines a device of this platform logs for ``event``."""
    platform = device.platform
    host = device.id
    t, md = _months(now)
    hms = time.strftime("%H:%M:%S", t)
    ms = int(now * 1000) % 1000
    up = event.kind in (LabEventKind.LINK_UP, LabEventKind.NEIGHBOR_UP)
    link = event.kind in (LabEventKind.LINK_UP, LabEventKind.LINK_DOWN)
    ospf = event.kind in (LabEventKind.NEIGHBOR_UP, LabEventKind.NEIGHBOR_DOWN) and event.protocol == "ospf"
    if platform in (Platform.HUAWEI_VRP8, Platform.HUAWEI_VRP5):
        head = f"{md} {t.tm_year} {hms} {host} "
        itf = long_name(platform.vendor, event.interface)
        if link:
            state = "UP" if up else "DOWN"
            return [
                (
                    4,
                    f"{head}%%01IFNET/4/LINK_STATE(l)[{seq}]:The line protocol IP on the interface {itf} "
                    f"has entered the {state} state.",
                )
            ]
        if ospf:
            prev, cur, why = ("Loading", "Full", "LoadingDone") if up else ("Full", "Down", "KillNbr")
            return [
                (
                    4,
                    f"{head}%%01OSPF/4/NBR_CHANGE_E(l)[{seq}]:Neighbor changes event: neighbor status changed. "
                    f"(ProcessId=1, NeighborAddress={event.peer_address}, NeighborEvent={why}, "
                    f"NeighborPreviousState={prev}, NeighborCurrentState={cur})",
                )
            ]
        return []
    if platform is Platform.H3C_COMWARE7:
        head = f"{md} {hms}:{ms:03d} {t.tm_year} {host} "
        itf = long_name(platform.vendor, event.interface)
        if link:
            state = "up" if up else "down"
            return [
                (
                    3,
                    f"{head}%%10IFNET/3/PHY_UPDOWN: Physical state on the interface {itf} changed to {state}.",
                ),
                (
                    5,
                    f"{head}%%10IFNET/5/LINK_UPDOWN: Line protocol state on the interface {itf} changed to "
                    f"{state}.",
                ),
            ]
        if ospf:
            prev, cur = ("LOADING", "FULL") if up else ("FULL", "DOWN")
            return [
                (
                    5,
                    f"{head}%%10OSPF/5/OSPF_NBR_CHG: OSPF 1 Neighbor {event.peer_address}({itf}) changed from "
                    f"{prev} to {cur}.",
                )
            ]
        return []
    if platform is Platform.CISCO_IOS:
        head = f"{seq}: {host}: *{md} {hms}.{ms:03d}: "
        itf = long_name(platform.vendor, event.interface)
        if link:
            state = "up" if up else "down"
            return [
                (3, f"{head}%LINK-3-UPDOWN: Interface {itf}, changed state to {state}"),
                (5, f"{head}%LINEPROTO-5-UPDOWN: Line protocol on Interface {itf}, changed state to {state}"),
            ]
        if ospf:
            change = (
                "from LOADING to FULL, Loading Done"
                if up
                else ("from FULL to DOWN, Neighbor Down: Interface down or detached")
            )
            return [(5, f"{head}%OSPF-5-ADJCHG: Process 1, Nbr {event.peer_address} on {itf} {change}")]
    return []


# --- SNMP notifications ----------------------------------------------------------------------------------
def _vb(oid: Oid, tag: int, value: Any) -> bytes:
    return encode_varbind(encode_oid(oid), encode_value(tag, value))


def _ip(text: str) -> bytes:
    return bytes(int(p) for p in text.split("."))


def trap_varbinds(device: Device, event: LabEvent, uptime_s: float) -> bytes | None:
    """The varbinds of the notification for ``event`` (None: nothing to send for it)."""
    ticks = int(uptime_s * 100) % 2**32
    head = _vb(SYS_UPTIME, TIMETICKS, ticks)
    oid = _TRAPS.get(event.kind)
    if oid is not None:
        body = _vb(SNMP_TRAP_OID, OBJECT_IDENTIFIER, oid)
        if event.kind in (LabEventKind.LINK_DOWN, LabEventKind.LINK_UP) and event.if_index:
            i = event.if_index
            oper = 1 if event.kind is LabEventKind.LINK_UP else 2
            body += _vb((*IF_ENTRY, 1, i), INTEGER, i) + _vb((*IF_ENTRY, 7, i), INTEGER, 1)
            body += _vb((*IF_ENTRY, 8, i), INTEGER, oper)
            descr = long_name(device.platform.vendor, event.interface).encode()
            body += _vb((*IF_ENTRY, 2, i), OCTET_STRING, descr)
        return head + body
    up = event.kind is LabEventKind.NEIGHBOR_UP
    if event.kind in (LabEventKind.NEIGHBOR_UP, LabEventKind.NEIGHBOR_DOWN) and event.peer_address:
        peer = _ip(event.peer_address)
        ip_index = tuple(peer)
        if event.protocol == "bgp":
            return (
                head
                + _vb(SNMP_TRAP_OID, OBJECT_IDENTIFIER, BGP_ESTABLISHED if up else BGP_BACKWARD)
                + _vb((*BGP_PEER_STATE, *ip_index), INTEGER, 6 if up else 1)
            )
        index = (*ip_index, 0)
        return (
            head
            + _vb(SNMP_TRAP_OID, OBJECT_IDENTIFIER, OSPF_NBR_STATE_CHANGE)
            + _vb(OSPF_ROUTER_ID, IP_ADDRESS, _ip(str(device.address)))
            + _vb((*OSPF_NBR, 1, *index), IP_ADDRESS, peer)
            + _vb((*OSPF_NBR, 2, *index), INTEGER, 0)
            + _vb((*OSPF_NBR, 3, *index), IP_ADDRESS, peer)
            + _vb((*OSPF_NBR, 6, *index), INTEGER, 8 if up else 1)
        )
    return None


def v3_trap(
    creds: V3Credentials, engine_id: bytes, boots: int, etime: int, request_id: int, varbinds: bytes
) -> bytes:
    """An SNMPv3 trap from the authoritative engine ``engine_id`` (the device), signed/encrypted per profile."""
    user = creds.localized(engine_id)
    flags = creds.flags  # a trap is unconfirmed: never reportable (RFC 3412 6.4)
    scoped = encode_scoped_pdu(engine_id, b"", encode_pdu(TRAP_V2, request_id, 0, 0, varbinds))
    priv_params = b""
    if user is not None and flags & FLAG_PRIV:
        priv_params = os.urandom(8)
        scoped = tlv(OCTET_STRING, user.encrypt(scoped, boots, etime, priv_params))
    auth_len = user.auth_len if user is not None else 0
    message, offset = encode_v3(
        request_id, 65507, flags, engine_id, boots, etime, creds.user.encode(), auth_len, priv_params, scoped
    )
    if user is None:
        return message
    return message[:offset] + user.sign(message) + message[offset + auth_len :]


class Emitter:
    """Sends each device's traps and syslog to the collectors; ``close`` unsubscribes and closes sockets."""

    def __init__(
        self,
        world: LabWorld,
        secrets: SecretStore,
        *,
        trap_collector: Collector | None = None,
        syslog_collector: Collector | None = None,
    ) -> None:
        self.world = world
        self.secrets = secrets
        self.trap_collector = trap_collector
        self.syslog_collector = syslog_collector
        self.sent: Counter[str] = Counter()  # "trap", "syslog", "error"
        self._sockets: dict[str, socket.socket] = {}
        self._creds: dict[str, tuple[bytes | None, V3Credentials | None]] = {}
        self._ids = itertools.count(int.from_bytes(os.urandom(2), "big"))
        self._unsubscribe: Callable[[], None] | None = world.subscribe(self.on_event)

    def counters(self) -> dict[str, int]:
        return dict(self.sent)

    def _socket(self, device: Device) -> socket.socket:
        sock = self._sockets.get(device.id)
        if sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setblocking(False)
            sock.bind((str(device.address), 0))  # sent from the device's own address, as a router does
            self._sockets[device.id] = sock
        return sock

    def _credentials(self, device: Device) -> tuple[bytes | None, V3Credentials | None]:
        creds = self._creds.get(device.id)
        if creds is None:
            profile = self.world.inventory.snmp_profiles.get(device.snmp_profile or "")
            creds = (None, None)
            if profile is not None and profile.version == "2c" and profile.community is not None:
                creds = (self.secrets.get(profile.community).encode(), None)
            elif profile is not None and profile.user is not None:
                creds = (
                    None,
                    V3Credentials(
                        profile.user,
                        profile.auth_protocol,
                        self.secrets.get(profile.auth_key) if profile.auth_key else None,
                        profile.priv_protocol,
                        self.secrets.get(profile.priv_key) if profile.priv_key else None,
                    ),
                )
            self._creds[device.id] = creds
        return creds

    def _send(self, what: str, device: Device, data: bytes, to: Collector) -> None:
        try:
            self._socket(device).sendto(data, to)
            self.sent[what] += 1
        except OSError as exc:  # buffer full, collector address unreachable: a lost datagram, as on a WAN
            self.sent["error"] += 1
            log.debug("%s from %s to %s:%d not sent: %s", what, device.id, *to, exc)

    def trap(self, device: Device, event: LabEvent) -> bytes | None:
        """The notification datagram ``device`` sends for ``event`` (None: none)."""
        state = self.world.devices[device.id]
        now = time.time()
        varbinds = trap_varbinds(device, event, state.uptime_s(now))
        if varbinds is None:
            return None
        community, v3 = self._credentials(device)
        request_id = next(self._ids) % 2**31
        if community is not None:
            return encode_community(V2C, community, encode_pdu(TRAP_V2, request_id, 0, 0, varbinds))
        if v3 is not None:
            engine_id = engine_id_for(device.id, PLATFORMS[device.platform].enterprise)
            return v3_trap(v3, engine_id, 1, int(state.uptime_s(now)) % 2**31, request_id, varbinds)
        return None

    def on_event(self, event: LabEvent) -> None:
        device = self.world.inventory.devices.get(event.device)
        if device is None or not device.platform.has_cli:
            return
        if self.trap_collector is not None:
            data = self.trap(device, event)
            if data is not None:
                self._send("trap", device, data, self.trap_collector)
        if self.syslog_collector is not None:
            now = time.time()
            for severity, line in syslog_lines(device, event, self.sent["syslog"] + 1, now):
                pri = 23 * 8 + severity  # facility local7, as the three platforms default to
                self._send("syslog", device, f"<{pri}>{line}".encode(), self.syslog_collector)

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()
