"""One poll cycle: poll a group of devices with bounded concurrency, store the samples, then (unless a
coordinator does it for several shards) analyse: status, root cause, incidents (``analysis.py``).

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

from sqlalchemy import select

from netops.events import EventBus
from netops.inventory.models import Device, Inventory, Lifecycle
from netops.inventory.topology import Topology
from netops.polling.analysis import NO_ANALYSIS, analyse_session, analyse_store, publish_changes
from netops.polling.incidents import IncidentChange
from netops.polling.model import DeviceSample
from netops.polling.rootcause import Analysis
from netops.polling.store import record_samples
from netops.polling.tracker import StatusTracker
from netops.secrets import SecretStore
from netops.store.db import Store
from netops.store.schema import PollDevice

log = logging.getLogger(__name__)


class SampleSource(Protocol):
    """What the poller needs from the SNMP driver."""

    async def poll(self, device: Device, *, retries: int | None = None) -> DeviceSample: ...


@dataclass(frozen=True, slots=True)
class CycleResult:
    job: str
    started_at: float
    duration_s: float
    samples: tuple[DeviceSample, ...]
    analysis: Analysis  # NO_ANALYSIS (empty) when ``analysed`` is False: a shard leaves it to the coordinator
    changes: tuple[IncidentChange, ...]
    analysed: bool = True

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
    """Holds what lives across cycles: the hysteresis tracker (consecutive failures, flapping) of the devices
    this process polls, restored from the store before the first cycle (a restart changes nothing). With
    ``analyse=False`` (a shard that is not the coordinator) a cycle only stores.

    ``holddown_s``: how long an incident's cause must be gone before it resolves. ``flap_changes`` answered
    <-> failed changes within ``flap_window_s`` make a device flapping. ``secrets``: when its file changes,
    the source's resolved credentials are dropped before the next cycle (a rotated key needs no restart).

    ``confirm_delay_s``: a device whose poll fails in a cycle, one failure short of the threshold, is asked
    once more ``confirm_delay_s`` later in the same cycle (one more poll, with the profile's timeout and
    retries: what the next cycle's poll would have cost) instead of waiting for the next cycle: a dead device
    is confirmed within about one interval plus a few seconds, while one lost reply still never makes a
    device down (the threshold still counts two failed polls). 0 turns it off."""

    def __init__(
        self,
        store: Store,
        source: SampleSource,
        topology: Callable[[], Topology],
        *,
        concurrency: int = 64,
        threshold: int = 2,
        bus: EventBus | None = None,
        analyse: bool = True,
        holddown_s: float = 0.0,
        flap_changes: int = 4,
        flap_window_s: float = 900.0,
        secrets: SecretStore | None = None,
        confirm_delay_s: float = 2.0,
    ) -> None:
        if confirm_delay_s < 0:
            raise ValueError("confirm_delay_s: expected 0 (off) or more seconds")
        self.store = store
        self.source = source
        self.topology = topology
        self.concurrency = concurrency
        self.threshold = threshold
        self.tracker = StatusTracker(threshold, flap_window_s=flap_window_s, flap_changes=flap_changes)
        self.bus = bus
        self.analyse = analyse
        self.holddown_s = holddown_s
        self.confirm_delay_s = confirm_delay_s
        self.secrets = secrets
        self._secrets_seen = secrets.generation if secrets is not None else 0
        self._restored = False
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[CycleResult]] = (
            set()
        )  # cycles in flight, cancelled when the service stops

    async def _ask(self, device: Device, once: bool) -> DeviceSample:
        t0 = time.time()
        try:
            return await (self.source.poll(device, retries=0) if once else self.source.poll(device))
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

    def _confirms(self, device: str) -> bool:
        """Whether a failed poll of ``device`` now is worth asking again in this cycle: it would be the
        first failure of a run that the threshold needs more than one of."""
        if self.confirm_delay_s <= 0 or self.threshold < 2:
            return False
        track = self.tracker.tracks.get(device)
        return (track.failures if track is not None else 0) + 1 < self.threshold

    async def _one(
        self, device: Device, sem: asyncio.Semaphore, delay: float, once: bool = False
    ) -> tuple[DeviceSample, ...]:
        """The device's samples in this cycle: its poll and, when that failed first, the confirming one."""
        if delay > 0:
            await asyncio.sleep(delay)
        async with sem:
            first = await self._ask(device, once)
        if first.ok or once or not self._confirms(device.id):
            return (first,)
        await asyncio.sleep(self.confirm_delay_s)
        async with sem:
            return (first, await self._ask(device, False))

    async def run_cycle(
        self,
        devices: Sequence[Device],
        *,
        job: str = "manual",
        interval_s: float = 60.0,
        spread_s: float = 0.0,
        corroborated: frozenset[str] = frozenset(),
    ) -> CycleResult:
        """Poll ``devices`` once, store, analyse. ``corroborated``: devices a neighbour reported cut off (traps,
        syslog): asked once, without the profile's retries, and one failed poll makes them silent
        (``StatusTracker.observe``)."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            return await self._cycle(
                devices, job=job, interval_s=interval_s, spread_s=spread_s, corroborated=corroborated
            )
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

    def restore(self) -> None:
        """Put the hysteresis and flapping state the store kept back into the tracker (once)."""
        if self._restored:
            return
        self._restored = True
        with self.store.session() as session:
            for row in session.scalars(select(PollDevice)):
                self.tracker.restore(
                    row.device, row.failures or 0, row.error, row.detail, row.transitions or []
                )

    def _refresh_credentials(self) -> None:
        if self.secrets is None:
            return
        self.secrets.refresh()
        if self.secrets.generation != self._secrets_seen:
            self._secrets_seen = self.secrets.generation
            forget = getattr(self.source, "forget_credentials", None)
            if callable(forget):
                log.info("secrets file changed: credentials are resolved again")
                forget()

    async def _cycle(
        self,
        devices: Sequence[Device],
        *,
        job: str,
        interval_s: float,
        spread_s: float,
        corroborated: frozenset[str] = frozenset(),
    ) -> CycleResult:
        if not self._restored:
            async with self._lock:
                await asyncio.to_thread(self.restore)
        self._refresh_credentials()
        started = time.time()
        sem = asyncio.Semaphore(self.concurrency)
        step = spread_s / len(devices) if devices and spread_s > 0 else 0.0
        asked = await asyncio.gather(
            *(self._one(d, sem, i * step, d.id in corroborated) for i, d in enumerate(devices))
        )
        samples = [each[-1] for each in asked]  # stored: the newest answer of each device
        async with self._lock:  # cycles of different groups may finish together
            topo = self.topology()
            for each in asked:
                for s in each:  # a confirming poll counts as a further poll for the threshold
                    self.tracker.observe(
                        s.device, s.ok, s.polled_at, s.error, s.detail, corroborated=s.device in corroborated
                    )
            self.tracker.forget(set(topo.inventory.devices))
            duration = time.time() - started
            analysis, changes = await asyncio.to_thread(
                self._store_cycle, topo, job, samples, started, duration, interval_s
            )
        if duration > interval_s:
            log.warning(
                "poll cycle %s took %.1f s, longer than its %.0f s interval", job, duration, interval_s
            )
        publish_changes(changes, self.bus)
        return CycleResult(
            job, started, duration, tuple(samples), analysis, tuple(changes), analysed=self.analyse
        )

    def _store_cycle(
        self,
        topo: Topology,
        job: str,
        samples: Sequence[DeviceSample],
        started: float,
        duration: float,
        interval_s: float,
    ) -> tuple[Analysis, list[IncidentChange]]:
        """One transaction: the samples, then (in one process) the analysis over the whole store."""
        with self.store.session() as session:
            record_samples(
                session,
                job=job,
                samples=samples,
                tracker=self.tracker,
                started_at=started,
                duration_s=duration,
                interval_s=interval_s,
            )
            if not self.analyse:
                return NO_ANALYSIS, []
            return analyse_session(session, topo, self.threshold, started + duration, self.holddown_s)

    async def analyse_now(self) -> Analysis:
        """The analysis step on its own (the coordinator's ``analyse`` job): read what every shard stored,
        write statuses and incidents, publish the incident changes."""
        async with self._lock:
            analysis, changes = await asyncio.to_thread(
                analyse_store, self.store, self.topology(), self.threshold, None, self.holddown_s
            )
        publish_changes(changes, self.bus)
        return analysis
