"""APScheduler jobs for the prechecks: T-60, T-15, T-5 and a live round every 30 s during each conference.

``schedule_prechecks(scheduler, runtime)`` adds or refreshes one date job per future precheck time
(``vc-precheck-<conf>-t60|t15|t5``) and one interval job per conference not yet over (``vc-live-<conf>``),
removes the jobs of conferences that are gone, and keeps itself current with a refresh job
(``vc-schedule``, every 60 s) so conferences added through the API get their jobs. It also follows the
network (``follow_network``): an incident opened, updated or resolved on the event bus whose cause lies on a
room's path re-checks those rooms of every conference in its readiness window (T-60 to its end) at once, as an
``event`` round (job ``vc-event-<conf>``, one round at a time per conference: events during a round get the
next), instead of at the next scheduled round; and a room a round found bad once before the conference (a
critical network check, "bad round 1 of 2") gets its second round ``RETRY_S`` later (job ``vc-retry-<conf>``),
not at the next scheduled round. Times come from the
injectable clock; job functions build a ``Prechecker`` from the runtime at run time, so an inventory
reload is picked up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from netops.errors import NetopsError, NotFoundError
from netops.events import Event
from netops.inventory.models import Room
from netops.inventory.topology import Topology
from netops.runtime import Runtime
from netops.secrets import SecretStore
from netops.vc import store as vcstore
from netops.vc.checks import Check
from netops.vc.conferences import Conference, resolve_rooms
from netops.vc.pollchecks import path_backups
from netops.vc.precheck import OFFSETS_S, Clock, Prechecker, RoundReport
from netops.vc.rule import unconfirmed

log = logging.getLogger(__name__)

LIVE_INTERVAL_S = 30.0
REFRESH_JOB = "vc-schedule"
REFRESH_INTERVAL_S = 60.0
JOB_PREFIXES = ("vc-precheck-", "vc-live-")
EVENT_PREFIX = "vc-event-"
RETRY_PREFIX = "vc-retry-"
# the second round of a room bad once before the conference: the live rounds' pace (the retry interval of a
# check in a soft state, as Nagios and Icinga keep one), long enough that one stray burst of loss is not seen
# twice, and a poll cycle (NETOPS_POLL_FAST_S, 30 s) for polling to confirm an outage on the path
RETRY_S = LIVE_INTERVAL_S
INCIDENT_EVENTS = ("incident.opened", "incident.updated", "incident.resolved")


def job_id(conf: str, kind: str) -> str:
    return f"vc-live-{conf}" if kind == "live" else f"vc-precheck-{conf}-{kind}"


def precheck_times(conf: Conference) -> dict[str, float]:
    """When each scheduled round of ``conf`` is due (unix seconds)."""
    return {kind: conf.start_at - offset for kind, offset in OFFSETS_S.items()}


def _when(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def prechecker(runtime: Runtime, secrets: SecretStore | None = None, clock: Clock = time.time) -> Prechecker:
    return Prechecker(
        runtime.inventory, runtime.topology, runtime.store, secrets or SecretStore(), runtime.bus, clock=clock
    )


async def run_round(
    runtime: Runtime,
    conf_id: str,
    kind: str,
    secrets: SecretStore | None = None,
    clock: Clock = time.time,
    rooms: Callable[[], set[str]] | None = None,
    then: Callable[[Conference, RoundReport], None] | None = None,
) -> RoundReport | None:
    """The job function: one round of ``conf_id`` (of the rooms ``rooms()`` hands over, when given), then
    ``then(conf, report)``; a conference deleted meanwhile is skipped (logged)."""
    try:
        conf = vcstore.get_conference(runtime.store, Path(runtime.inventory.directory), conf_id)
        chosen = rooms() if rooms is not None else None
        if chosen is not None and not chosen:
            return None
        report = await prechecker(runtime, secrets, clock).run(conf, kind, chosen)
        if then is not None:
            then(conf, report)
        return report
    except NotFoundError:
        log.warning("precheck %s %s skipped: the conference no longer exists", conf_id, kind)
    except NetopsError as exc:
        log.error("precheck %s %s failed: %s", conf_id, kind, exc)
    return None


def schedule_prechecks(
    scheduler: Any,
    runtime: Runtime,
    clock: Clock = time.time,
    secrets: SecretStore | None = None,
    *,
    refresh: bool = True,
    retry_s: float | None = RETRY_S,
    follower: Follower | None = None,
) -> list[str]:
    """Add/refresh the jobs of every conference; returns the ids of the precheck jobs now scheduled. The first
    call (``refresh``, no ``vc-schedule`` job yet) also follows the network (``follow_network``; ``retry_s``
    None: no retry rounds); later calls hand its ``Follower`` to the scheduled rounds (their retries)."""
    refresher = scheduler.get_job(REFRESH_JOB)
    if follower is None and refresher is not None:
        follower = refresher.kwargs.get("follower")  # the one the first call started
    elif follower is None and refresh:
        follower = follow_network(scheduler, runtime, clock, secrets, retry_s)
    then = follower.after_round if follower is not None else None
    now = clock()
    try:
        conferences = vcstore.list_conferences(runtime.store, Path(runtime.inventory.directory))
    except NetopsError as exc:  # a broken conference file must not stop the scheduler
        log.error("cannot schedule prechecks: %s", exc)
        return []
    wanted: list[str] = []
    for conf in conferences:
        for kind, at in precheck_times(conf).items():
            if at <= now:
                continue
            jid = job_id(conf.id, kind)
            scheduler.add_job(run_round, DateTrigger(run_date=_when(at)), args=[runtime, conf.id, kind, secrets, clock],
                              kwargs={"then": then}, id=jid, name=f"precheck {conf.id} {kind}",
                              replace_existing=True)  # fmt: skip
            wanted.append(jid)
        if conf.end_at > now:
            jid = job_id(conf.id, "live")
            trigger = IntervalTrigger(
                seconds=LIVE_INTERVAL_S,
                start_date=_when(conf.start_at),
                end_date=_when(conf.end_at),
            )
            existing = scheduler.get_job(jid)
            if existing is None or str(existing.trigger) != str(trigger):
                scheduler.add_job(run_round, trigger, args=[runtime, conf.id, "live", secrets, clock], id=jid,
                                  name=f"live check {conf.id}", replace_existing=True)  # fmt: skip
            wanted.append(jid)
    keep = set(wanted)
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_PREFIXES) and job.id not in keep:
            scheduler.remove_job(job.id)
    if refresh and refresher is None:
        scheduler.add_job(schedule_prechecks, "interval", seconds=REFRESH_INTERVAL_S,
                          args=[scheduler, runtime, clock, secrets],
                          kwargs={"refresh": False, "follower": follower}, id=REFRESH_JOB,
                          name="refresh the precheck jobs", replace_existing=True)  # fmt: skip
    return wanted


def rooms_on_path(topology: Topology, rooms: list[Room], cause: set[str]) -> set[str]:
    """The rooms whose path to the centre (and the MCU there) a cause touches: a device or link of the path,
    a backup link that protects it, or the room's own codec."""
    hit: set[str] = set()
    for room in rooms:
        if room.codec not in topology.inventory.devices:
            continue
        path = {x for h in topology.upstream_path(room.codec) for x in (h.device, h.link) if x}
        path |= {lk.id for lk, _ in path_backups(topology, room)}
        if room.codec in cause or path & cause:
            hit.add(room.id)
    return hit


class Follower:
    """The ``event`` rounds of every conference: the rooms an incident's cause touches, at once, and the rooms a
    round found bad once before the conference, ``retry_s`` later (``follow_network``).

    One round at a time per conference (job ``vc-event-<conf>``): the rooms of events that arrive while it runs
    wait in ``pending`` and get the next round of the same job, which reads polling's state after the event's
    incident was stored. (A second date job with the same id while one runs would be skipped by APScheduler's
    ``max_instances=1``, and those rooms never re-checked; two rounds of one conference at once would race on
    the rooms' streaks.)"""

    def __init__(
        self,
        scheduler: Any,
        runtime: Runtime,
        clock: Clock = time.time,
        secrets: SecretStore | None = None,
        retry_s: float | None = RETRY_S,
    ) -> None:
        self.scheduler = scheduler
        self.runtime = runtime
        self.clock = clock
        self.secrets = secrets
        self.retry_s = retry_s
        self._pending: dict[str, set[str]] = {}  # conference -> rooms for its next event round
        self._busy: set[str] = set()  # conferences whose event job is scheduled or running
        self._retry: dict[str, set[str]] = {}  # conference -> rooms for its retry
        self._lock = threading.Lock()  # the bus may publish from another thread
        self._undo: list[Callable[[], None]] = []

    def follow(self) -> None:
        self._undo = [self.runtime.bus.subscribe(kind, self.on_incident) for kind in INCIDENT_EVENTS]

    def unsubscribe(self) -> None:
        for undo in self._undo:
            undo()
        self._undo = []

    def on_incident(self, event: Event) -> None:
        cause = {str(c) for c in event.data.get("cause") or []}
        if not cause:
            return
        now = self.clock()
        runtime = self.runtime
        try:
            conferences = vcstore.list_conferences(runtime.store, Path(runtime.inventory.directory))
        except NetopsError as exc:
            log.error("cannot follow %s %s: %s", event.kind, event.subject, exc)
            return
        for conf in conferences:
            if not conf.start_at - OFFSETS_S["t60"] <= now <= conf.end_at:
                continue
            try:
                hit = rooms_on_path(runtime.topology, resolve_rooms(conf, runtime.inventory), cause)
            except NetopsError as exc:
                log.error("cannot follow %s for %s: %s", event.kind, conf.id, exc)
                continue
            if hit:
                log.info("%s #%s touches %d room(s) of %s: re-checking them now", event.kind, event.subject,
                         len(hit), conf.id)  # fmt: skip
                self.recheck(conf.id, hit)

    def recheck(self, conf_id: str, rooms: set[str]) -> None:
        """An ``event`` round of ``rooms`` now, or right after the one of ``conf_id`` in flight."""
        with self._lock:
            self._pending.setdefault(conf_id, set()).update(rooms)
            if conf_id in self._busy:
                return
            self._busy.add(conf_id)
        try:
            # max_instances 2: the job ending releases ``_busy`` just before APScheduler counts it as ended;
            # ``_busy`` alone keeps it to one round at a time
            self.scheduler.add_job(self._rounds, DateTrigger(run_date=_when(self.clock())), args=[conf_id],
                                   id=f"{EVENT_PREFIX}{conf_id}", name=f"event check {conf_id}",
                                   replace_existing=True, misfire_grace_time=None, max_instances=2)  # fmt: skip
        except Exception:
            with self._lock:
                self._busy.discard(conf_id)
            raise

    async def _rounds(self, conf_id: str) -> None:
        """The job: rounds of ``conf_id`` until no room waits."""
        try:
            while True:
                with self._lock:
                    rooms = self._pending.pop(conf_id, set())
                    if not rooms:
                        self._busy.discard(conf_id)
                        return
                await run_round(self.runtime, conf_id, "event", self.secrets, self.clock, rooms.copy,
                                then=self.after_round)  # fmt: skip
        except BaseException:
            with self._lock:
                self._busy.discard(conf_id)
            raise

    def after_round(self, conf: Conference, report: RoundReport) -> None:
        """Rooms whose critical network check was bad for the first time (AMBER, "bad round 1 of 2") before the
        conference starts are checked again ``retry_s`` later (job ``vc-retry-<conf>``): the second round the
        rule waits for comes then, not at the next scheduled round up to 45 minutes later. During the
        conference the live round (every 30 s) is that second round."""
        if self.retry_s is None or self.clock() >= conf.start_at:
            return
        rooms = {r.room for r in report.rooms if unconfirmed(r.checks, r.streaks)}
        if not rooms:
            return
        with self._lock:
            waiting = conf.id in self._retry
            self._retry.setdefault(conf.id, set()).update(rooms)
        if waiting:
            return  # the retry already planned takes them too
        log.info("precheck %s %s: %s bad once: checked again in %.0f s", conf.id, report.kind,
                 ", ".join(sorted(rooms)), self.retry_s)  # fmt: skip
        at = _when(self.clock() + self.retry_s)
        self.scheduler.add_job(self._retry_due, DateTrigger(run_date=at), args=[conf.id],
                               id=f"{RETRY_PREFIX}{conf.id}", name=f"retry check {conf.id}",
                               replace_existing=True, misfire_grace_time=None)  # fmt: skip

    async def _retry_due(self, conf_id: str) -> None:
        """The retry job (on the event loop, as the rounds): the rooms still bad once get an event round."""
        with self._lock:
            rooms = self._retry.pop(conf_id, set())
        try:
            states = vcstore.room_states(self.runtime.store, conf_id)
        except NetopsError as exc:
            log.error("cannot retry %s: %s", conf_id, exc)
            return
        still = {
            r
            for r in rooms
            if r in states
            and unconfirmed([Check.from_dict(c) for c in states[r].checks], states[r].streaks or {})
        }
        if still:
            self.recheck(conf_id, still)


def follow_network(
    scheduler: Any,
    runtime: Runtime,
    clock: Clock = time.time,
    secrets: SecretStore | None = None,
    retry_s: float | None = RETRY_S,
) -> Follower:
    """Re-check at once the rooms an incident's cause touches (opened, grown, changed or resolved), for every
    conference from T-60 to its end, and again ``retry_s`` later the rooms a round found bad once before the
    start (``Follower``). ``Follower.unsubscribe()`` stops following."""
    follower = Follower(scheduler, runtime, clock, secrets, retry_s)
    follower.follow()
    return follower
