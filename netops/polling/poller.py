"""One poll cycle: poll a group of devices with bounded concurrency, store the samples, then (unless a
coordinator does it for several shards) analyse: status, root cause, incidents (``analysis.py``).

The SNMP I/O is the driver's (``SampleSource``); a device that fails is a sample with ``ok=False``, and even a
driver bug on one device becomes an ``internal`` error sample, never an exception that stops the cycle.
Starts are spread over ``spread_s`` so a big group does not send its packets in one burst.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from math import inf
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from netops.clock import CLOCK_STEP_S, StepWatch
from netops.errors import NotFoundError
from netops.events import EventBus
from netops.inventory.models import Device, Inventory, Lifecycle, Role
from netops.inventory.topology import Topology
from netops.polling.analysis import NO_ANALYSIS, analyse_session, analyse_store, publish_changes
from netops.polling.incidents import IncidentChange, follow_clock_step
from netops.polling.model import SNMP_SILENT_DETAIL, SNMP_SILENT_HTTP_DETAIL, DeviceSample
from netops.polling.rootcause import Analysis, links_down_from_interfaces
from netops.polling.store import record_samples
from netops.polling.tracker import StatusTracker
from netops.secrets import SecretStore
from netops.store.db import Store
from netops.store.schema import PollDevice

log = logging.getLogger(__name__)

SHADOW_SLACK_S = 1.0  # a device in front's failed run ending this long before one behind it began explains it


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


async def ssh_answers(host: str, port: int, wait_s: float) -> str | None:
    """The SSH identification line (``SSH-2.0-...``) the server at ``host:port`` sends first, or None: a TCP
    connect and one line read within ``wait_s``, no login. A dead router behind a live carrier port may accept
    the connection and never send the line (the lab does so for a device that does not answer): only the line
    counts."""
    return await _first_line(host, port, wait_s, b"", "SSH-")


async def http_answers(host: str, port: int, wait_s: float) -> str | None:
    """The status line (``HTTP/1.1 401 Unauthorized``) the HTTP server at ``host:port`` answers a ``HEAD /``
    with, or None: a TCP connect, one request without credentials, one line read within ``wait_s``. Any status
    counts (a codec's status API asks for credentials: a 401 is a live codec); a dead codec behind a live port
    may accept the connection and never answer (the lab does so): only the line counts."""
    request = f"HEAD / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("ascii")
    return await _first_line(host, port, wait_s, request, "HTTP/")


async def _first_line(host: str, port: int, wait_s: float, send: bytes, prefix: str) -> str | None:
    """Connect, send ``send`` (if any), read one line within ``wait_s``: that line (80 characters at most) when
    it starts with ``prefix``, else None."""
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(wait_s):
            reader, writer = await asyncio.open_connection(host, port)
            if send:
                writer.write(send)
                await writer.drain()
            line = await reader.readline()
    except (OSError, TimeoutError, ValueError):
        return None
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    text = line.decode("ascii", "replace").strip()
    return text[:80] if text.startswith(prefix) else None


@dataclass(slots=True)
class _Recheck:
    """The liveness check of a device silent from timeouts (rate-limited: ``Poller.recheck_cycles``)."""

    due_at: float  # not asked again before this
    gap_s: float  # the wait after the next check that finds nothing (doubles, up to the cap)
    seen: bool = False  # the last check got an answer (a second one in a row makes the device unmanaged)


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
    device down (the threshold still counts two failed polls). 0 turns it off.

    A device that answers and shows an interface newly oper-down (admin-up; it was not at its previous poll)
    has the device at that link's far end polled at once in the same cycle, once; one failed poll then makes
    it silent (the neighbour's observation backs it, as a linkDown trap does: ``_cycle``'s ``behind_too``).

    ``ssh_probe_s``: a device with a CLI credential whose poll times out is asked for its SSH identification
    line (``ssh_answers``, at most that long): if it sends one, the device lives and SNMP is what fails (a
    wrong v2c community gives plain timeouts), so the sample becomes ``snmp-silent``, a management failure:
    ``unmanaged`` with "SNMP silent, device answers on SSH", never an outage. A codec or the MCU (no SSH) is
    asked on its HTTP status API instead (``http_answers`` on the inventory's ``http_port``: "SNMP silent,
    device answers on its status API"). Only while the path in front of the device answers (a device behind a
    failing router cannot be told from a dead one, and is not asked). 0 turns it off. With the confirming poll
    the check runs during its delay, on the first failure.

    A device already silent from timeouts (dead, cut off) is checked again too, rate-limited: after each check
    that gets nothing the next waits twice as long, from one poll interval up to ``recheck_cycles`` intervals
    (4: a dead device costs one connect every 4th cycle, 2-4 minutes with the shipped intervals, and one back
    with SNMP broken is found within about 5 cycles). Coming back, a
    device's SSH may answer before its SNMP: it becomes ``snmp-silent`` only when two checks in a row (the
    second one poll interval after the first) get an answer.

    Credentials superseded while a poll was in flight: a poll that fails after the secrets file changed since
    it started (its key may be the old one) is asked again at once with the credentials resolved anew, and
    only that answer counts; a sample older than the newest one the tracker has for a device (cycles overlap)
    is not stored, so it cannot overwrite a newer verdict (``snmp-silent``) with its plain timeout.

    Clocks: what is stored and shown is wall-clock time (``polled_at``, the incidents' stamps); what is measured
    or ordered runs on the monotonic clock: samples are ordered by ``polled_mono``, the flap window, cycle
    durations, recheck delays and incident hold-downs are monotonic, and a step of the wall clock (NTP, a VM
    resumed; compared with the monotonic clock at each analysis) moves the open incidents' stamps and the
    polled state's (devices' last poll, answer, exposure and flap changes, interfaces' and neighbours' updates)
    with it before the cycle is stored, and a sample polled before the step is stored on the clock after it, so
    durations stay real time and every stored stamp compared is of one clock (``incidents.follow_clock_step``;
    a counter interval whose wall and monotonic lengths differ is dropped, ``counters.clock_stepped``)."""

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
        confirm_delay_s: float = 1.0,
        ssh_probe_s: float = 1.0,
        recheck_cycles: int = 4,
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
        self.ssh_probe_s = ssh_probe_s
        self.recheck_cycles = recheck_cycles
        self._rechecks: dict[str, _Recheck] = {}
        self._down_seen: dict[str, frozenset[str]] = {}  # device -> interfaces admin-up, oper-down last time
        self.secrets = secrets
        self._secrets_seen = secrets.generation if secrets is not None else 0
        self._restored = False
        self._holds: dict[int, float] = {}  # incident id -> monotonic time its hold-down began
        self._clock = StepWatch()
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[CycleResult]] = (
            set()
        )  # cycles in flight, cancelled when the service stops

    async def _ask(self, device: Device, once: bool) -> DeviceSample:
        seen = self._secrets_seen
        sample = await self._ask_once(device, once)
        if sample.ok or self.secrets is None:
            return sample
        self._refresh_credentials()
        if self._secrets_seen == seen:
            return sample
        log.info("%s: poll failed with credentials superseded since it started: asked again", device.id)
        return await self._ask_once(device, once)

    async def _ask_once(self, device: Device, once: bool) -> DeviceSample:
        t0, m0 = time.time(), time.monotonic()
        try:
            sample = await (self.source.poll(device, retries=0) if once else self.source.poll(device))
        except Exception as exc:  # a driver bug on one device must not stop the cycle
            log.exception("poll of %s failed inside the driver", device.id)
            return DeviceSample(
                device=device.id,
                polled_at=t0,
                duration_s=time.monotonic() - m0,
                ok=False,
                error="internal",
                detail=f"{exc.__class__.__name__}: {exc}",
                polled_mono=m0,
            )
        return dataclasses.replace(sample, polled_mono=m0)

    def _follow_clock_step(self, session: Session, step: float) -> None:
        if step:
            moved = follow_clock_step(session, step)
            log.warning(
                "the wall clock stepped %+.1f s: the stamps of %d open incident(s) and of the polled state "
                "moved with it",
                step,
                moved,
            )

    def _confirms(self, device: str) -> bool:
        """Whether a failed poll of ``device`` now is worth asking again in this cycle: it would be the
        first failure of a run that the threshold needs more than one of."""
        if self.confirm_delay_s <= 0 or self.threshold < 2:
            return False
        track = self.tracker.tracks.get(device)
        return (track.failures if track is not None else 0) + 1 < self.threshold

    async def _one(
        self,
        device: Device,
        sem: asyncio.Semaphore,
        delay: float,
        once: bool = False,
        on_first_failure: Callable[[Device], None] | None = None,
        interval_s: float = 60.0,
    ) -> tuple[DeviceSample, ...]:
        """The device's samples in this cycle: its poll and, when that failed first, the confirming one (one
        request: the first poll had the profile's retries). ``on_first_failure`` is called before the
        confirming poll (the cycle then polls the neighbours in front of the device too: see ``_cycle``); the
        liveness check (SSH banner, status API) runs meanwhile."""
        if delay > 0:
            await asyncio.sleep(delay)
        async with sem:
            first = await self._ask(device, once)
        if first.ok or once or not self._confirms(device.id):
            return (self._mark_silent(first, await self._liveness(device, first, once, interval_s)),)
        if on_first_failure is not None:
            on_first_failure(device)
        check = asyncio.create_task(self._liveness(device, first, False, interval_s))
        try:
            await asyncio.sleep(self.confirm_delay_s)
            async with sem:
                again = await self._ask(device, True)
            answer = await check
        finally:
            check.cancel()
        return (first, self._mark_silent(again, answer))

    @staticmethod
    def _mark_silent(sample: DeviceSample, answer: tuple[str, str] | None) -> DeviceSample:
        """A timed-out sample of a device that answered its liveness check becomes ``snmp-silent``."""
        if answer is None or sample.ok or sample.error != "timeout":
            return sample
        what, banner = answer
        return dataclasses.replace(
            sample, error="snmp-silent", detail=f"{what} ({banner}); SNMP: {sample.detail}"
        )

    def _front_failing(self, device: Device) -> bool:
        """A device on the path in front of ``device`` (towards the centre) fails its polls."""
        try:
            path = self.topology().upstream_path(device.id)
        except NotFoundError:  # not in the inventory any more (reloaded)
            return False
        for hop in path:
            track = self.tracker.tracks.get(hop.device)
            if hop.device != device.id and track is not None and track.failures > 0:
                return True
        return False

    async def _liveness(
        self, device: Device, sample: DeviceSample, corroborated: bool, interval_s: float
    ) -> tuple[str, str] | None:
        """(what, banner) when a device whose poll timed out shows it lives: its SSH banner, or a codec's or
        the MCU's status API answering (see the class). None: not asked, or no answer."""
        by_http = device.role in (Role.CODEC, Role.MCU)
        if (
            sample.ok
            or sample.error != "timeout"
            or corroborated  # a neighbour saw the link towards it go down: not a credentials problem
            or self.ssh_probe_s <= 0
            or (device.credential is None and not by_http)
            or self._front_failing(device)
        ):
            return None
        track = self.tracker.tracks.get(device.id)
        silent = track is not None and track.silent and not track.management
        now = time.monotonic()
        recheck = self._rechecks.get(device.id)
        if not silent:
            self._rechecks.pop(device.id, None)
        elif recheck is not None and now < recheck.due_at:
            return None  # silent from timeouts: rate-limited
        if by_http:
            what, banner = (
                SNMP_SILENT_HTTP_DETAIL,
                await http_answers(str(device.address), device.http_port, self.ssh_probe_s),
            )
        else:
            what, banner = (
                SNMP_SILENT_DETAIL,
                await ssh_answers(str(device.address), device.ssh_port, self.ssh_probe_s),
            )
        if not silent:
            return None if banner is None else (what, banner)
        seen_before = recheck is not None and recheck.seen
        if banner is None:
            cap = self.recheck_cycles * interval_s
            gap = interval_s if recheck is None else min(max(recheck.gap_s, interval_s) * 2, cap)
            self._rechecks[device.id] = _Recheck(now + gap - interval_s / 2, gap)  # half: start jitter
            return None
        # an answer: asked again one interval later; the second answer in a row counts
        self._rechecks[device.id] = _Recheck(now + interval_s * 0.5, interval_s, seen=True)
        if not seen_before:
            log.info("%s: silent, but answers on %s: asked again next cycle", device.id, what)
            return None
        return (what, banner)

    async def run_cycle(
        self,
        devices: Sequence[Device],
        *,
        job: str = "manual",
        interval_s: float = 60.0,
        spread_s: float = 0.0,
        corroborated: frozenset[str] = frozenset(),
        on_done: Callable[[DeviceSample], None] | None = None,
    ) -> CycleResult:
        """Poll ``devices`` once, store, analyse. ``corroborated``: devices a neighbour reported cut off (traps,
        syslog): asked once, without the profile's retries, and one failed poll makes them silent
        (``StatusTracker.observe``). ``on_done`` is called in the loop with each device's last sample as soon
        as it is polled (progress of ``netops poll once``)."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            return await self._cycle(
                devices,
                job=job,
                interval_s=interval_s,
                spread_s=spread_s,
                corroborated=corroborated,
                on_done=on_done,
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
        self.tracker.offset = time.time() - time.monotonic()  # stored change times are wall-clock stamps
        with self.store.session() as session:
            for row in session.scalars(select(PollDevice)):
                self.tracker.restore(
                    row.device, row.failures or 0, row.error, row.detail, row.transitions or []
                )
        self._shadow(list(self.tracker.tracks), self.topology())

    def _shadow(self, devices: Iterable[str], topo: Topology) -> None:
        """Failed runs of ``devices`` that a device in front of them failing during the run explains are not
        their own changes (``StatusTracker.shadow``, ``shadow_ended``): a device cut off behind a dying router
        does not count towards flapping. Asked after every cycle's observations (the device in front may be
        seen failing in a later cycle than the device behind it, or have come back before the device behind
        it is seen failing: cycles overlap) and once after a restart."""
        tracker = self.tracker
        for device in devices:
            track = tracker.tracks.get(device)
            if track is None or device not in topo.inventory.devices:
                continue
            if track.answered is False and not track.shadowed:
                low = -inf if track.run_began is None else track.run_began
                high = inf  # failing still
            elif track.ended is not None:
                low, high = track.ended
            else:
                continue
            try:
                path = topo.upstream_path(device)
            except NotFoundError:
                continue
            low -= SHADOW_SLACK_S  # a poll's start is not the moment the device in front failed
            if any(tracker.failed_between(hop.device, low, high) for hop in path if hop.device != device):
                if track.answered is False:
                    tracker.shadow(device)
                else:
                    tracker.shadow_ended(device)

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
        on_done: Callable[[DeviceSample], None] | None = None,
    ) -> CycleResult:
        if not self._restored:
            async with self._lock:
                await asyncio.to_thread(self.restore)
        self._refresh_credentials()
        started, started_mono = time.time(), time.monotonic()
        sem = asyncio.Semaphore(self.concurrency)
        step = spread_s / len(devices) if devices and spread_s > 0 else 0.0

        topo_now = self.topology()
        in_cycle = {d.id for d in devices}
        extra: dict[str, asyncio.Task[tuple[DeviceSample, ...]]] = {}

        def front_too(device: Device) -> None:
            """A device failed its first poll and is being confirmed: poll the neighbours in front of it
            (towards the centre) that this cycle does not, once, at the same time. Otherwise it could be
            confirmed silent while the router in front of it, dead too but in another group, still counts as
            answering from its last poll, and it would be taken for a cause (a hung device) instead of
            unreachable behind it: a neighbour that fails is then pending (or confirmed), and decides. A
            neighbour in this cycle whose poll already ended is asked again too (it may have answered just
            before the failure: a county router polled OK, then its codec failing)."""
            inv = topo_now.inventory
            front = [h.device for h in topo_now.upstream_path(device.id) if h.device != device.id]
            for link in inv.links_of(device.id):
                n = link.other(device.id).device
                if n in inv.devices and device.id not in {h.device for h in topo_now.upstream_path(n)}:
                    front.append(n)  # not behind the device (behind it, its silence follows the device's)
            for n in front:
                # a neighbour of this cycle that is still to be polled will be; one already polled is asked
                # again: its answer may predate the failure (starts are spread over the interval)
                if (n in in_cycle and n not in finished) or n in extra or n not in pollable_now:
                    continue
                extra[n] = asyncio.create_task(
                    self._one(inv.devices[n], sem, 0.0, on_first_failure=front_too, interval_s=interval_s)
                )

        pollable_now = {d.id for d in pollable(topo_now.inventory)}

        finished: set[str] = set()  # devices of this cycle whose poll has ended
        seen_down: set[str] = set()  # far ends of links a neighbour's poll saw go down in this cycle

        def behind_too(sample: DeviceSample) -> None:
            """A device that answers sees a link go down since its previous poll (an interface admin-up, now
            oper-down): the device at the far end is polled at once, one request, and one failed poll makes
            it silent (the neighbour's observation stands for the further polls the threshold waits for),
            as a linkDown trap does (``netops.ingest``). Polling only, a dead router is then seen at the
            first poll of either end, not only at its own."""
            if not sample.ok:
                return
            now_down = frozenset(sample.down_interfaces())
            before = self._down_seen.get(sample.device)
            self._down_seen[sample.device] = now_down
            if before is None or not now_down - before:
                return
            inv = topo_now.inventory
            for link_id in links_down_from_interfaces(topo_now, {sample.device: now_down - before}):
                n = inv.links[link_id].other(sample.device).device
                if n in extra or n not in pollable_now or n in corroborated:
                    continue
                seen_down.add(n)
                extra[n] = asyncio.create_task(
                    self._one(inv.devices[n], sem, 0.0, True, interval_s=interval_s)
                )

        async def one(device: Device, delay: float) -> tuple[DeviceSample, ...]:
            got = await self._one(
                device,
                sem,
                delay,
                device.id in corroborated,
                on_first_failure=front_too,
                interval_s=interval_s,
            )
            finished.add(device.id)
            behind_too(got[-1])
            if on_done is not None:
                on_done(got[-1])
            return got

        try:
            asked = list(await asyncio.gather(*(one(d, i * step) for i, d in enumerate(devices))))
            awaited: set[str] = set()
            while len(awaited) < len(extra):  # a neighbour that fails first may add its own neighbours
                names = [n for n in extra if n not in awaited]
                awaited.update(names)
                asked += await asyncio.gather(*(extra[n] for n in names))
        except BaseException:  # cancelled (the service stops): so are the neighbours' polls
            for task in extra.values():
                task.cancel()
            raise
        newest: dict[str, DeviceSample] = {}  # stored: the newest answer of each device
        for each in asked:
            if each[-1].device not in newest or _order(each[-1]) >= _order(newest[each[-1].device]):
                newest[each[-1].device] = each[-1]
        samples = list(newest.values())
        async with self._lock:  # cycles of different groups may finish together
            topo = self.topology()
            self.tracker.offset = time.time() - time.monotonic()  # the tracker runs on the monotonic clock
            for each in asked:
                for s in each:  # a confirming poll counts as a further poll for the threshold
                    backed = s.device in corroborated or (s.device in seen_down and s.error == "timeout")
                    self.tracker.observe(
                        s.device,
                        s.ok,
                        _order(s),
                        s.error,
                        s.detail,
                        corroborated=backed,
                        confirming=s is not each[0],
                    )
            self._shadow({each[-1].device for each in asked}, topo)
            # a sample older than the newest observed (another cycle polled the device later) is not stored
            fresh = [
                s
                for s in samples
                if (t := self.tracker.tracks.get(s.device)) is None
                or t.observed_at is None
                or _order(s) >= t.observed_at
            ]
            self.tracker.forget(set(topo.inventory.devices))
            ended_mono = time.monotonic()
            duration = ended_mono - started_mono
            analysis, changes = await asyncio.to_thread(
                self._store_cycle, topo, job, fresh, started, duration, interval_s, ended_mono
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
        ended_mono: float,
    ) -> tuple[Analysis, list[IncidentChange]]:
        """One transaction: the samples, then (in one process) the analysis over the whole store.

        A step of the wall clock is followed first (the stored stamps move with it), and a sample whose
        ``polled_at`` was read before the step is stored on the wall clock as it reads now (its monotonic
        start plus the clocks' present offset), so the stamps the store compares (a device's last answer and
        an incident's opening, a poll and an exposure, the two ends of a link, a counter interval) are all
        of one clock."""
        with self.store.session() as session:
            if self.analyse:
                self._follow_clock_step(session, self._clock.step())
            offset = time.time() - time.monotonic()
            samples = [
                dataclasses.replace(s, polled_at=s.polled_mono + offset)
                if s.polled_mono is not None and abs(s.polled_at - (s.polled_mono + offset)) > CLOCK_STEP_S
                else s
                for s in samples
            ]
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
            # the analysis is of the moment the polls ended (as before), on the wall clock as it reads now
            now = time.time() - (time.monotonic() - ended_mono)
            return analyse_session(session, topo, self.threshold, now, self.holddown_s, self._holds)

    async def analyse_now(self) -> Analysis:
        """The analysis step on its own (the coordinator's ``analyse`` job): read what every shard stored,
        write statuses and incidents, publish the incident changes."""
        async with self._lock:
            analysis, changes = await asyncio.to_thread(
                analyse_store,
                self.store,
                self.topology(),
                self.threshold,
                None,
                self.holddown_s,
                self._holds,
                self._clock.step(),
            )
        publish_changes(changes, self.bus)
        return analysis


def _order(sample: DeviceSample) -> float:
    """Where a sample stands among a device's samples: the monotonic time its poll started (the poller's);
    ``polled_at`` only for a sample made elsewhere."""
    return sample.polled_at if sample.polled_mono is None else sample.polled_mono
