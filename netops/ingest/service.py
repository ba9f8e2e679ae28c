"""The receivers inside ``netops serve``: bind the configured addresses, hand state events to the targeted
poll, close everything at stop. Off unless ``NETOPS_TRAP_LISTEN`` / ``NETOPS_SYSLOG_LISTEN`` are set.

``NETOPS_TRAP_LISTEN=127.0.0.1:1162`` binds UDP for traps and informs; ``NETOPS_SYSLOG_LISTEN=HOST:PORT``
binds UDP and TCP (RFC 6587) syslog on the same port. A bind failure stops the service at start with a
``SettingsError`` naming the address (a receiver that silently does not listen would hide every trap).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from netops.errors import SettingsError
from netops.ingest.events import STATE_EVENTS, DeviceEvent, EventKind
from netops.ingest.receiver import (
    DeviceDirectory,
    Intake,
    SyslogProtocol,
    TrapProtocol,
    serve_syslog_tcp,
)
from netops.ingest.trigger import TargetedPoll, reported_link
from netops.ingest.usm import ReceiverEngine
from netops.inventory.models import Inventory
from netops.inventory.topology import Topology
from netops.polling.poller import Poller
from netops.secrets import SecretStore

log = logging.getLogger(__name__)
RECOVERY_EVENTS = frozenset(
    {EventKind.LINK_UP, EventKind.NEIGHBOR_UP, EventKind.COLD_START, EventKind.WARM_START}
)


def parse_listen(value: str, what: str) -> tuple[str, int]:
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"{what}: expected HOST:PORT (e.g. 127.0.0.1:1162), found {value!r}")
    return host, int(port)


class IngestService:
    def __init__(
        self,
        inventory: Callable[[], Inventory],
        secrets: SecretStore,
        poller: Poller,
        *,
        trap_listen: str | None,
        syslog_listen: str | None,
        threshold: int = 2,
        interval_s: float = 30.0,
        debounce_s: float = 0.3,
        rate: float = 200.0,
        holddown_s: float = 0.0,
        topology: Callable[[], Topology] | None = None,
    ) -> None:
        self.trap_listen = parse_listen(trap_listen, "NETOPS_TRAP_LISTEN") if trap_listen else None
        self.syslog_listen = parse_listen(syslog_listen, "NETOPS_SYSLOG_LISTEN") if syslog_listen else None
        host, port = self.trap_listen or ("0.0.0.0", 162)
        self.engine = ReceiverEngine.for_address(host, port)
        self.trigger = TargetedPoll(
            poller,
            inventory,
            topology=topology,
            debounce_s=debounce_s,
            threshold=threshold,
            interval_s=interval_s,
        )
        self.intake = Intake(DeviceDirectory(inventory, secrets), self.engine, self.on_event, rate=rate)
        self.holddown_s = holddown_s
        self.inventory = inventory
        self._closers: list[Callable[[], object]] = []
        self._later: dict[str, asyncio.TimerHandle] = {}  # device -> its pending post-hold-down poll
        self.addresses: dict[str, tuple[str, int]] = {}

    @property
    def enabled(self) -> bool:
        return self.trap_listen is not None or self.syslog_listen is not None

    def on_event(self, event: DeviceEvent) -> None:
        """A state event polls around its device now; a recovery (up, start) polls again once the hold-down
        has passed, so the incident resolves then instead of at the next scheduled poll."""
        if event.notice.kind not in STATE_EVENTS:
            return
        link = reported_link(self.inventory(), event.device, event.notice)
        down = event.notice.kind in (EventKind.LINK_DOWN, EventKind.NEIGHBOR_DOWN)
        self.trigger.request(
            event.device,
            link_down=link.id if link is not None and down else None,
            link_up=link.id if link is not None and not down else None,
        )
        if event.notice.kind in RECOVERY_EVENTS:
            self._later[event.device] = asyncio.get_running_loop().call_later(
                self.holddown_s + 1.0, self._again, event.device
            )

    def _again(self, device: str) -> None:
        self._later.pop(device, None)
        self.trigger.request(device)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            if self.trap_listen is not None:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: TrapProtocol(self.intake), local_addr=self.trap_listen
                )
                self._closers.append(transport.close)
                self.addresses["trap"] = transport.get_extra_info("sockname")[:2]
            if self.syslog_listen is not None:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: SyslogProtocol(self.intake), local_addr=self.syslog_listen
                )
                self._closers.append(transport.close)
                self.addresses["syslog-udp"] = transport.get_extra_info("sockname")[:2]
                server = await asyncio.start_server(
                    lambda r, w: serve_syslog_tcp(self.intake, r, w),
                    host=self.syslog_listen[0],
                    port=self.syslog_listen[1],
                    reuse_address=True,
                )
                self._closers.append(server.close)
                self.addresses["syslog-tcp"] = server.sockets[0].getsockname()[:2]
        except OSError as exc:
            await self.stop()
            raise SettingsError(f"trap/syslog receiver cannot bind: {exc.strerror or exc}") from exc
        for name, (host, port) in self.addresses.items():
            log.info("ingest: %s receiver on %s:%d", name, host, port)

    async def stop(self) -> None:
        for handle in self._later.values():
            handle.cancel()
        self._later.clear()
        for close in reversed(self._closers):
            close()
        self._closers.clear()
        await self.trigger.stop()
