"""One poll cycle: poll a group of devices with bounded concurrency, then status, root cause, store, incidents.

The SNMP I/O is the driver's (``SampleSource``); a device that fails is a sample with ``ok=False``, and even a
driver bug on one device becomes an ``internal`` error sample, never an exception that stops the cycle.
Starts are spread over ``spread_s`` so a big group does not send its packets in one burst.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from netops.events import Event, EventBus
from netops.inventory.models import Device, Inventory, Lifecycle
from netops.inventory.topology import Topology
from netops.polling.model import DeviceSample
from netops.polling.rootcause import Analysis, analyse, links_down_from_interfaces
from netops.polling.store import IncidentChange, record_cycle
from netops.polling.tracker import StatusTracker
from netops.store.db import Store

log = logging.getLogger(__name__)


class SampleSource(Protocol):
    """What the poller needs from the SNMP driver."""

    async def poll(self, device: Device) -> DeviceSample: ...


@dataclass(frozen=True, slots=True)
class CycleResult:
    job: str
    started_at: float
    duration_s: float
    samples: tuple[DeviceSample, ...]
    analysis: Analysis
    changes: tuple[IncidentChange, ...]

    @property
    def failed(self) -> list[DeviceSample]:
        return [s for s in self.samples if not s.ok]


def pollable(inventory: Inventory) -> list[Device]:
    """Active devices on active sites that have an SNMP profile."""
    return [
        d
        for d in inventory.active_devices()
        if d.snmp_profile is not None and inventory.sites[d.site].status is Lifecycle.ACTIVE
    ]


class Poller:
    """Holds what lives across cycles: the hysteresis tracker and the last interface observations."""

    def __init__(
        self,
        store: Store,
        source: SampleSource,
        topology: Callable[[], Topology],
        *,
        concurrency: int = 64,
        threshold: int = 2,
        bus: EventBus | None = None,
    ) -> None:
        self.store = store
        self.source = source
        self.topology = topology
        self.concurrency = concurrency
        self.tracker = StatusTracker(threshold=threshold)
        self.down_interfaces: dict[str, list[str]] = {}
        self.bus = bus
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[CycleResult]] = (
            set()
        )  # cycles in flight, cancelled when the service stops

    async def _one(self, device: Device, sem: asyncio.Semaphore, delay: float) -> DeviceSample:
        if delay > 0:
            await asyncio.sleep(delay)
        async with sem:
            t0 = time.time()
            try:
                return await self.source.poll(device)
            except Exception as exc:  # a driver bug on one device must not stop the cycle
                log.exception("poll of %s failed inside the driver", device.id)
                return DeviceSample(
                    device=device.id,
                    polled_at=t0,
                    duration_s=time.time() - t0,
                    ok=False,
                    error="internal",
                    detail=f"{exc.__class__.__name__}: {exc}",
                )

    async def run_cycle(
        self,
        devices: Sequence[Device],
        *,
        job: str = "manual",
        interval_s: float = 60.0,
        spread_s: float = 0.0,
    ) -> CycleResult:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            return await self._cycle(devices, job=job, interval_s=interval_s, spread_s=spread_s)
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def stop(self) -> None:
        """Cancel the cycles in flight (their results are not stored) and wait for them to end."""
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            log.info("stopping: %d poll cycle(s) cancelled, their results are not stored", len(tasks))
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _cycle(
        self, devices: Sequence[Device], *, job: str, interval_s: float, spread_s: float
    ) -> CycleResult:
        started = time.time()
        sem = asyncio.Semaphore(self.concurrency)
        step = spread_s / len(devices) if devices and spread_s > 0 else 0.0
        samples = await asyncio.gather(*(self._one(d, sem, i * step) for i, d in enumerate(devices)))
        async with self._lock:  # cycles of different groups may finish together
            topo = self.topology()
            now = time.time()
            for s in samples:
                self.tracker.observe(s.device, s.ok, s.polled_at, s.error)
                if s.ok:
                    self.down_interfaces[s.device] = s.down_interfaces()
                elif self.tracker.tracks[s.device].silent:
                    self.down_interfaces.pop(
                        s.device, None
                    )  # a silent device tells nothing of its interfaces
            self.tracker.forget(set(topo.inventory.devices))
            down_links = links_down_from_interfaces(topo, self.down_interfaces)
            analysis = analyse(topo, self.tracker.silent() & set(topo.inventory.devices), down_links)
            duration = now - started
            changes = await asyncio.to_thread(
                record_cycle,
                self.store,
                job=job,
                samples=samples,
                tracker=self.tracker,
                analysis=analysis,
                started_at=started,
                duration_s=duration,
                interval_s=interval_s,
            )
        if duration > interval_s:
            log.warning(
                "poll cycle %s took %.1f s, longer than its %.0f s interval", job, duration, interval_s
            )
        for change in changes:
            log.warning("incident %d %s: %s", change.incident_id, change.change, change.summary)
        if self.bus is not None:
            for change in changes:
                self.bus.publish(
                    Event(
                        f"incident.{change.change}",
                        str(change.incident_id),
                        {"key": change.key, "summary": change.summary},
                    )
                )
        return CycleResult(job, started, duration, tuple(samples), analysis, tuple(changes))
