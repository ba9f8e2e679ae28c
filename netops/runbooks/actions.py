"""What runbook steps do to the world: read a device (SNMP, CLI show, UDP probe, SIP OPTIONS, polled status),
send read-only commands, post a webhook, and push configuration through a pluggable ``ConfigPusher``.

Sits under ``engine.py`` and over the drivers: SNMP through ``SnmpSource``, probes through
``netops.drivers.probes``, CLI through netmiko in a thread (blocking). Results are plain dicts (JSON for the
store, attributes for Jinja expressions). Device failures raise ``DeviceError``; the engine records them as the
step's error. The change engine is not imported: whoever builds the engine passes a ``ConfigPusher``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any, Protocol

import httpx
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoBaseException
from paramiko.ssh_exception import SSHException  # type: ignore[import-untyped]

from netops.drivers.names import canonical
from netops.drivers.probes import probe_path, sip_options
from netops.drivers.snmp.source import SnmpSource
from netops.errors import AuthenticationFailed, DeviceError, DeviceUnreachable, NetopsError
from netops.inventory.models import Device, Inventory
from netops.polling.queries import device_rows
from netops.runbooks import facts
from netops.secrets import SecretStore
from netops.store.db import Store

ANY_PROMPT = r"(<[^<>\n]+>|\[[^\[\]\n]+\]|[\w.\-]+(\([\w\-]+\))?[#>])\s*$"


@dataclass(frozen=True, slots=True)
class PushRequest:
    """One configuration change a runbook asks for (lines already rendered; ``secrets``: values to mask)."""

    run_id: str
    step: str
    device: str
    lines: list[str]
    confirm_s: float
    dry_run: bool
    secrets: list[str] = field(default_factory=list)
    freeze_override: str | None = None  # the approved reason to push to a device the conference freeze covers


class PushState(StrEnum):
    """What became of a ``config_push`` (the change engine's device outcomes, plus the runbook's own)."""

    CONFIRMED = "confirmed"
    UNCHANGED = "unchanged"
    PLANNED = "planned"  # dry run: the diff only
    REVERTED = "reverted"
    REJECTED = "rejected"
    FAILED = "failed"
    REFUSED = "refused"  # not touched: the conference freeze, or a lock
    ROLLED_BACK = "rolled-back"
    SKIPPED = "skipped"
    UNKNOWN = "unknown"  # the answer was lost: read at the next contact
    HALF = "half"  # part of the change stays: converged at the next contact


@dataclass(frozen=True, slots=True)
class PushOutcome:
    ok: bool
    outcome: PushState
    change_id: str | None = None
    diff: str | None = None
    detail: str | None = None


class ConfigPusher(Protocol):
    """The change engine as runbooks see it: a confirmed-commit push (or, dry, its diff) and a rollback."""

    async def push(self, request: PushRequest) -> PushOutcome: ...

    async def rollback(self, change_id: str, device: str) -> PushOutcome: ...


class Mailer(Protocol):
    async def send(self, to: list[str], subject: str, body: str) -> None: ...


@dataclass
class Tools:
    """What steps need from the service: the inventory (current), secrets, SNMP, the store, plug-ins."""

    inventory: Callable[[], Inventory]
    secrets: SecretStore
    snmp: SnmpSource
    store: Store | None  # None in dry runs: then a `status` check cannot be made
    pusher: ConfigPusher | None = None
    mailer: Mailer | None = None
    cli_timeout_s: float = 20.0
    probe_count: int = 10
    rate_interval_s: float = 1.0  # between the two SNMP reads of a ``rate`` check

    def device(self, ident: str) -> Device:
        return self.inventory().device(ident)


# -- reading ------------------------------------------------------------------------------------------


async def read(
    tools: Tools, via: str, device_id: str, command: str | None = None, interface: str | None = None
) -> dict[str, Any]:
    """One observation of a device, as the ``result`` of a check."""
    dev = tools.device(device_id)
    if via == "snmp":
        sample = await tools.snmp.poll(dev)
        name = partial(canonical, dev.platform)  # ifName ``Gi0/0`` as the inventory spells it
        return {
            "ok": sample.ok, "error": sample.error, "detail": sample.detail, "cpu_ratio": sample.cpu_ratio,
            "memory_ratio": sample.memory_ratio, "ups_on_battery": sample.ups_on_battery,
            "ups_minutes": sample.ups_minutes_remaining, "down": [name(n) for n in sample.down_interfaces()],
            # positive views (a port missing from ``down`` may be admin down, or not read at all):
            "up": [name(i.name) for i in sample.interfaces if i.oper_up and i.admin_up],
            "neighbors_up": [n.peer for n in sample.neighbors if n.up],
            "interfaces": {name(i.name): {"oper_up": i.oper_up, "admin_up": i.admin_up, "in_octets": i.in_octets,
                                    "out_octets": i.out_octets, "in_errors": i.in_errors} for i in sample.interfaces},
            "neighbors": [asdict(n) for n in sample.neighbors],
        }  # fmt: skip
    if via == "cli":
        outputs = await run_commands(tools, dev, [command or ""])
        return {"output": outputs[0]}
    if via == "probe":
        if dev.probe_port is None:
            raise DeviceError(dev.id, "has no probe_port in the inventory")
        res = await probe_path(str(dev.address), dev.probe_port, count=tools.probe_count, interval_s=0.01)
        return {"loss_ratio": res.loss_ratio, "rtt_p50_ms": res.rtt_p50_ms, "jitter_ms": res.jitter_ms,
                "received": res.received, "sent": res.sent}  # fmt: skip
    if via == "sip":
        try:
            sip = await sip_options(str(dev.address), dev.sip_port or 5060, timeout_s=2.0, device=dev.id)
        except DeviceUnreachable as exc:
            return {"ok": False, "status": None, "error": str(exc)}
        return {"ok": sip.ok, "status": sip.status, "rtt_ms": sip.rtt_ms}
    if via == "precheck":
        return await facts.read_precheck(tools, dev.id)
    if via == "rate":
        return await facts.read_rate(tools, dev.id, interface or "", tools.rate_interval_s)
    if via == "status":
        if tools.store is None:
            raise NetopsError("a status check reads the polling store, which a dry run does not open")
        row = device_rows(tools.store).get(dev.id)
        if row is None:
            return {"status": "unknown", "polled_at": None}
        return {"status": row.status, "polled_at": row.polled_at, "cpu_ratio": row.cpu_ratio,
                "ups_on_battery": row.ups_on_battery, "ups_minutes": row.ups_minutes}  # fmt: skip
    raise NetopsError(f"unknown check via {via!r}")


def _cli_session(tools: Tools, dev: Device) -> BaseConnection:
    kind = dev.platform.netmiko_device_type
    if kind is None or dev.credential is None:
        raise DeviceError(dev.id, f"has no CLI (platform {dev.platform.value})")
    cred = tools.inventory().credentials[dev.credential]
    password = tools.secrets.get(cred.password)
    try:
        conn: BaseConnection = ConnectHandler(
            device_type=kind, host=str(dev.address), port=dev.ssh_port, username=cred.username,
            password=password, conn_timeout=tools.cli_timeout_s / 2, auth_timeout=tools.cli_timeout_s / 2,
            banner_timeout=tools.cli_timeout_s / 2,
        )  # fmt: skip
    except NetmikoAuthenticationException as exc:
        raise AuthenticationFailed(dev.id, "the device refused the credentials") from exc
    except (NetmikoBaseException, SSHException, OSError) as exc:
        raise DeviceUnreachable(
            dev.id, f"SSH to {dev.address}:{dev.ssh_port} failed: {exc.__class__.__name__}"
        ) from exc
    return conn


def _commands_blocking(tools: Tools, dev: Device, commands: list[str]) -> list[str]:
    conn = _cli_session(tools, dev)
    try:
        prompt = rf"{re.escape(conn.base_prompt)}[^\n]*[>#\]]\s*$"
        return [
            str(conn.send_command(c, expect_string=prompt, read_timeout=tools.cli_timeout_s))
            for c in commands
        ]
    except (NetmikoBaseException, SSHException, OSError) as exc:
        raise DeviceUnreachable(dev.id, f"command failed: {exc.__class__.__name__}") from exc
    finally:
        try:
            conn.write_channel("end\nexit\n" if dev.platform.value == "cisco_ios" else "return\nquit\n")
            deadline = time.monotonic() + 2
            while not getattr(conn.remote_conn, "closed", True) and time.monotonic() < deadline:
                time.sleep(0.01)
        except OSError:
            pass
        conn.disconnect()


async def run_commands(tools: Tools, dev: Device, commands: list[str]) -> list[str]:
    """Send read-only commands over SSH (netmiko in a worker thread); one output per command."""
    return await asyncio.to_thread(_commands_blocking, tools, dev, commands)


# -- telling ------------------------------------------------------------------------------------------


async def post_webhook(url: str, payload: dict[str, Any], timeout_s: float) -> int:
    """POST the JSON payload; returns the status code. Network errors raise ``NetopsError``."""
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.post(url, json=payload)
    except httpx.HTTPError as exc:
        raise NetopsError(f"webhook {url} failed: {exc.__class__.__name__}") from exc
    if response.status_code >= 300:
        raise NetopsError(f"webhook {url} answered {response.status_code}")
    return response.status_code
