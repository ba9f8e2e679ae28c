"""From events to polls: a trap or message about a device asks for an immediate, targeted poll of the devices
whose state it may have changed; polling confirms (a trap alone never opens or closes an incident).

Targets of an event on device D: D, its link neighbours, every device of D's site and of the sites below it
(a prefecture router's linkDown may have cut off its counties) and every device of each neighbour's site.

Debounced: requests gather for ``debounce_s`` and run as one poll cycle (job ``event``), so a burst of 50
traps is one poll; requests that arrive while a cycle runs make one more cycle after it. A device that fails
its poll is polled again (``threshold`` polls in all, ``retry_s`` apart) so the hysteresis the analysis
needs (``NETOPS_POLL_THRESHOLD`` consecutive failures) is reached in seconds instead of poll intervals.

A linkDown (or adjacency-down) reported by D about its link to P corroborates the silence of P and of every
device the reported links cut off together (the topology's what-if over the links reported in one burst):
they are silent after one failed poll (``Poller.run_cycle(corroborated=...)``), the neighbours' reports being
the second observation. Polling still decides: a device that answers is never called down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from netops.drivers.names import same
from netops.ingest.events import EventKind, Notice
from netops.inventory.models import Inventory, Link
from netops.inventory.topology import Topology
from netops.polling.poller import Poller, pollable

log = logging.getLogger(__name__)
EVENT_JOB = "event"


@dataclass(slots=True)
class TriggerCounts:
    requests: int = 0  # events that asked for a poll
    cycles: int = 0  # targeted poll cycles run (a debounced burst is one)
    devices: int = 0  # device polls in those cycles (retries included)


def targets(inventory: Inventory, device: str) -> set[str]:
    """The devices an event on ``device`` asks to poll (see the module docstring)."""
    dev = inventory.devices.get(device)
    if dev is None:
        return set()
    sites = {dev.site, *(s.id for s in inventory.descendants(dev.site))}
    out = {device}
    for link in inventory.links_of(device):
        peer = link.other(device).device
        out.add(peer)
        if peer in inventory.devices:
            sites.add(inventory.devices[peer].site)
    for site in sites:
        out.update(d.id for d in inventory.devices_at(site))
    return out


LINK_EVENTS = frozenset(
    {EventKind.LINK_DOWN, EventKind.NEIGHBOR_DOWN, EventKind.LINK_UP, EventKind.NEIGHBOR_UP}
)
REPORT_TTL_S = 300.0  # a link reported down and never reported up again is forgotten after this


def reported_link(inventory: Inventory, device: str, notice: Notice) -> Link | None:
    """The link ``notice`` (a link or neighbour down/up from ``device``) is about: by interface name (any
    spelling of the platform), by ifIndex as a fallback, or by the neighbour's address."""
    dev = inventory.devices.get(device)
    if dev is None or notice.kind not in LINK_EVENTS:
        return None
    name = notice.interface
    if not name and 0 < notice.if_index <= len(dev.interfaces):
        name = dev.interfaces[notice.if_index - 1].name
    for link in inventory.links_of(device):
        mine = link.a if link.a.device == device else link.b
        if name and same(dev.platform, mine.interface, name):
            return link
    if notice.neighbor:
        for link in inventory.links_of(device):
            peer = inventory.devices.get(link.other(device).device)
            if peer is not None and str(peer.address) == notice.neighbor:
                return link
    return None


def cut_off(topology: Topology, reports: set[tuple[str, str]]) -> frozenset[str]:
    """Devices whose silence the reported links corroborate: the far end of each (reporter, link), and every
    device those links cut off together."""
    links = {link for _, link in reports if link in topology.inventory.links}
    if not links:
        return frozenset()
    peers = {
        topology.inventory.links[link].other(reporter).device for reporter, link in reports if link in links
    }
    return frozenset(peers | set(topology.impact(topology.failure(links)).lost_devices))


class TargetedPoll:
    def __init__(
        self,
        poller: Poller,
        inventory: Callable[[], Inventory],
        *,
        topology: Callable[[], Topology] | None = None,
        debounce_s: float = 0.3,
        threshold: int = 2,
        retry_s: float = 0.5,
        interval_s: float = 30.0,
    ) -> None:
        self.poller = poller
        self.inventory = inventory
        self._topology = topology
        self._topology_of: tuple[Inventory, Topology] | None = None
        self.debounce_s = debounce_s
        self.threshold = threshold
        self.retry_s = retry_s
        self.interval_s = interval_s
        self.counts = TriggerCounts()
        self._pending: set[str] = set()
        # (reporting device, link it reported down) -> when; kept until reported up (or REPORT_TTL_S), so a
        # primary and a backup reported down seconds apart are seen cutting off together
        self._reports: dict[tuple[str, str], float] = {}
        self._task: asyncio.Task[None] | None = None

    def topology(self) -> Topology:
        if self._topology is not None:
            return self._topology()
        inv = self.inventory()
        if self._topology_of is None or self._topology_of[0] is not inv:
            self._topology_of = (inv, Topology(inv))
        return self._topology_of[1]

    def request(self, device: str, link_down: str | None = None, link_up: str | None = None) -> None:
        """Ask for a poll around ``device`` soon (call from the event loop's thread); ``link_down``: the link
        ``device`` reported down (what the links reported down cut off is corroborated); ``link_up``: a link
        reported up again (forgotten)."""
        self.counts.requests += 1
        self._pending.add(device)
        now = time.monotonic()
        if link_down is not None:
            self._reports[(device, link_down)] = now
        if link_up is not None:
            for key in [k for k in self._reports if k[1] == link_up]:
                del self._reports[key]
        for key in [k for k, at in self._reports.items() if now - at > REPORT_TTL_S]:
            del self._reports[key]
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ingest-targeted-poll")

    async def _run(self) -> None:
        while self._pending:
            await asyncio.sleep(self.debounce_s)
            asked, self._pending = self._pending, set()
            try:
                await self._poll(asked, cut_off(self.topology(), set(self._reports)))
            except Exception:  # a failed targeted poll must not stop the next ones; the schedule goes on
                log.exception("targeted poll after events from %s failed", ", ".join(sorted(asked)[:5]))

    async def _poll(self, asked: set[str], corroborated: frozenset[str] = frozenset()) -> None:
        inv = self.inventory()
        wanted: set[str] = set()
        for device in asked:
            wanted |= targets(inv, device)
        devices = [d for d in pollable(inv) if d.id in wanted]
        for attempt in range(self.threshold):
            if not devices:
                return
            if attempt:
                await asyncio.sleep(self.retry_s)
            self.counts.cycles += 1
            self.counts.devices += len(devices)
            result = await self.poller.run_cycle(
                devices, job=EVENT_JOB, interval_s=self.interval_s, corroborated=corroborated
            )
            failed = {s.device for s in result.failed}
            devices = [d for d in devices if d.id in failed and d.id not in corroborated]

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._pending.clear()
        self._reports.clear()
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
