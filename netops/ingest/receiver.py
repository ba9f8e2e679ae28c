"""The listening sockets: SNMP notifications over UDP, syslog over UDP and TCP (RFC 6587 framing).

Every datagram goes through the same cheap-first checks, each counted (``IngestCounts``) and none able to
stop the receiver:

1. the source address must be an inventory device's management address (else ``unknown-source``);
2. the device's budget must not be spent (``rate`` datagrams per second per device, burst ``2 x rate``;
   else ``overload``): one flooding or spoofed source cannot starve the others;
3. it must decode: SNMP checked against the device's community / v3 user (``traps.decode``; else
   ``parse-error`` or ``auth``), syslog with a valid ``<PRI>`` (``syslog.parse``; else ``parse-error``).

What decodes becomes a ``DeviceEvent`` for ``sink`` (``service.py`` hands state events to the targeted
poll). Informs and v3 discovery get their answer from the same socket.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, ip_address
from typing import cast

from netops.drivers.snmp.fast_usm import V3Credentials
from netops.errors import SecretError
from netops.ingest import syslog, traps
from netops.ingest.events import Channel, DeviceEvent, Notice
from netops.ingest.traps import TrapCredentials, TrapError
from netops.ingest.usm import ReceiverEngine
from netops.inventory.models import Device, Inventory
from netops.secrets import SecretStore
from netops.snmp.usm import UsmError

log = logging.getLogger(__name__)
MAX_TCP_FRAME = syslog.MAX_MESSAGE
MAX_TCP_CONNECTIONS = 256  # syslog over TCP: more at once are refused (counted as overload)


@dataclass(slots=True)
class IngestCounts:
    """Counters by (channel, ...): what ``metrics.py`` exports."""

    received: Counter[str] = field(default_factory=Counter)  # channel
    dropped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (channel, reason)
    events: Counter[tuple[str, str]] = field(default_factory=Counter)  # (channel, event kind)
    responses: Counter[str] = field(default_factory=Counter)  # channel: informs answered, reports sent


class DeviceDirectory:
    """Source address -> device, and a device's notification credentials; rebuilt when the inventory object
    or the secrets file changes."""

    def __init__(self, inventory: Callable[[], Inventory], secrets: SecretStore) -> None:
        self.inventory = inventory
        self.secrets = secrets
        self._inv: Inventory | None = None
        self._by_address: dict[IPv4Address, Device] = {}
        self._creds: dict[str, TrapCredentials | None] = {}
        self._generation = -1

    def _refresh(self) -> None:
        inv = self.inventory()
        if inv is not self._inv:
            self._inv = inv
            self._by_address = {d.address: d for d in inv.devices.values()}
            self._creds.clear()
        if self.secrets.generation != self._generation:
            self._generation = self.secrets.generation
            self._creds.clear()

    def device(self, host: str) -> Device | None:
        self._refresh()
        try:
            address = ip_address(host)
        except ValueError:
            return None
        return self._by_address.get(address) if isinstance(address, IPv4Address) else None

    def credentials(self, device: Device) -> TrapCredentials | None:
        """None when the device has no usable SNMP profile (its notifications count as ``auth`` drops)."""
        self._refresh()
        profile_id = device.snmp_profile
        if profile_id is None:
            return None
        if profile_id in self._creds:
            return self._creds[profile_id]
        assert self._inv is not None
        profile = self._inv.snmp_profiles.get(profile_id)
        creds: TrapCredentials | None = None
        try:
            if profile is not None and profile.version == "2c" and profile.community is not None:
                creds = TrapCredentials(community=self.secrets.get(profile.community).encode())
            elif profile is not None and profile.user is not None:
                creds = TrapCredentials(
                    v3=V3Credentials(
                        profile.user,
                        profile.auth_protocol,
                        self.secrets.get(profile.auth_key) if profile.auth_key else None,
                        profile.priv_protocol,
                        self.secrets.get(profile.priv_key) if profile.priv_key else None,
                    )
                )
        except (SecretError, UsmError, ValueError) as exc:
            log.warning("SNMP profile %s: cannot check notifications: %s", profile_id, exc)
        self._creds[profile_id] = creds
        return creds


class Budget:
    """A token bucket per source: ``rate`` datagrams per second, bursts up to ``2 x rate``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, source: str, now: float) -> bool:
        tokens, last = self._buckets.get(source, (2 * self.rate, now))
        tokens = min(2 * self.rate, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[source] = (tokens, now)
            return False
        self._buckets[source] = (tokens - 1.0, now)
        return True


class Intake:
    """The checks every datagram goes through, shared by the trap and syslog sockets."""

    def __init__(
        self,
        directory: DeviceDirectory,
        engine: ReceiverEngine,
        sink: Callable[[DeviceEvent], None],
        rate: float = 200.0,
    ) -> None:
        self.directory = directory
        self.engine = engine
        self.sink = sink
        self.counts = IngestCounts()
        self.budget = Budget(rate)
        self.tcp_connections = 0

    def _admit(self, channel: Channel, host: str) -> Device | None:
        self.counts.received[channel] += 1
        device = self.directory.device(host)
        if device is None:
            self.counts.dropped[(channel, "unknown-source")] += 1
            return None
        if not self.budget.take(device.id, time.monotonic()):
            self.counts.dropped[(channel, "overload")] += 1
            return None
        return device

    def _deliver(self, channel: Channel, device: Device, notice: Notice) -> None:
        self.counts.events[(channel, notice.kind)] += 1
        try:
            self.sink(DeviceEvent(device.id, channel, notice, time.time()))
        except Exception:  # the consumer's fault must not stop the receiver
            log.exception("ingest sink failed on an event from %s", device.id)

    def trap(self, data: bytes, host: str) -> bytes | None:
        """One notification datagram; returns what to send back (inform Response, v3 Report) or None."""
        device = self._admit(Channel.TRAP, host)
        if device is None:
            return None
        creds = self.directory.credentials(device)
        if creds is None:
            self.counts.dropped[(Channel.TRAP, "auth")] += 1
            return None
        try:
            trap = traps.decode(data, creds, self.engine)
        except TrapError as exc:
            self.counts.dropped[(Channel.TRAP, "auth" if exc.reason == "auth" else "parse-error")] += 1
            log.debug("trap from %s (%s) dropped: %s", device.id, host, exc)
            return None
        except Exception:  # a codec bug on one datagram: counted, logged, the receiver goes on
            self.counts.dropped[(Channel.TRAP, "parse-error")] += 1
            log.exception("trap from %s (%s) could not be decoded", device.id, host)
            return None
        if trap.notice is not None:
            self._deliver(Channel.TRAP, device, trap.notice)
        if trap.response is not None:
            self.counts.responses[Channel.TRAP] += 1
        return trap.response

    def syslog(self, data: bytes, host: str) -> None:
        device = self._admit(Channel.SYSLOG, host)
        if device is None:
            return
        try:
            _, notice = syslog.parse(data)
        except syslog.SyslogError as exc:
            self.counts.dropped[(Channel.SYSLOG, "parse-error")] += 1
            log.debug("syslog from %s (%s) dropped: %s", device.id, host, exc)
            return
        except Exception:
            self.counts.dropped[(Channel.SYSLOG, "parse-error")] += 1
            log.exception("syslog from %s (%s) could not be parsed", device.id, host)
            return
        self._deliver(Channel.SYSLOG, device, notice)


class TrapProtocol(asyncio.DatagramProtocol):
    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        answer = self.intake.trap(data, str(addr[0]))
        if answer is not None and self.transport is not None:
            self.transport.sendto(answer, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("trap socket error: %s", exc)


class SyslogProtocol(asyncio.DatagramProtocol):
    def __init__(self, intake: Intake) -> None:
        self.intake = intake

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self.intake.syslog(data, str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        log.debug("syslog socket error: %s", exc)


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """One RFC 6587 frame: octet-counted (``LEN SP MSG``) or newline-terminated. None at the end."""
    first = await reader.read(1)
    if not first:
        return None
    if first.isdigit():
        digits = first
        while len(digits) < 6:
            ch = await reader.readexactly(1)
            if ch == b" ":
                size = int(digits)
                if size > MAX_TCP_FRAME:
                    raise ValueError(f"frame of {size} octets is too long")
                return await reader.readexactly(size)
            if not ch.isdigit():
                return digits + ch + await reader.readuntil(b"\n")
            digits += ch
        raise ValueError("bad octet count")
    line = first + await reader.readuntil(b"\n")
    return line


async def serve_syslog_tcp(
    intake: Intake, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    peer = writer.get_extra_info("peername")
    host = str(peer[0]) if peer else ""
    intake.tcp_connections += 1
    try:
        if intake.tcp_connections > MAX_TCP_CONNECTIONS:
            intake.counts.received[Channel.SYSLOG] += 1
            intake.counts.dropped[(Channel.SYSLOG, "overload")] += 1
            return
        if intake.directory.device(host) is None:
            intake.counts.received[Channel.SYSLOG] += 1
            intake.counts.dropped[(Channel.SYSLOG, "unknown-source")] += 1
            return
        while True:
            frame = await read_frame(reader)
            if frame is None:
                return
            intake.syslog(frame, host)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, ConnectionError):
        intake.counts.dropped[(Channel.SYSLOG, "parse-error")] += 1
    finally:
        intake.tcp_connections -= 1
        writer.close()
