"""APScheduler jobs for the prechecks: T-60, T-15, T-5 and a live round every 30 s during each conference.

``schedule_prechecks(scheduler, runtime)`` adds or refreshes one date job per future precheck time
(``vc-precheck-<conf>-t60|t15|t5``) and one interval job per conference not yet over (``vc-live-<conf>``),
removes the jobs of conferences that are gone, and keeps itself current with a refresh job
(``vc-schedule``, every 60 s) so conferences added through the API get their jobs. It also follows the
network (``follow_network``): an incident opened, updated or resolved on the event bus whose cause lies on a
room's path re-checks those rooms of every conference in its readiness window (T-60 to its end) at once, as an
``event`` round (job ``vc-event-<conf>``), instead of at the next scheduled round. Times come from the
injectable clock; job functions build a ``Prechecker`` from the runtime at run time, so an inventory
reload is picked up.
"""

from __future__ import annotations

import logging
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
from netops.vc.conferences import Conference, resolve_rooms
from netops.vc.pollchecks import path_backups
from netops.vc.precheck import OFFSETS_S, Clock, Prechecker, RoundReport

log = logging.getLogger(__name__)

LIVE_INTERVAL_S = 30.0
REFRESH_JOB = "vc-schedule"
REFRESH_INTERVAL_S = 60.0
JOB_PREFIXES = ("vc-precheck-", "vc-live-")
EVENT_PREFIX = "vc-event-"
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
) -> RoundReport | None:
    """The job function: one round of ``conf_id`` (of the rooms ``rooms()`` hands over, when given); a
    conference deleted meanwhile is skipped (logged)."""
    try:
        conf = vcstore.get_conference(runtime.store, Path(runtime.inventory.directory), conf_id)
        chosen = rooms() if rooms is not None else None
        if chosen is not None and not chosen:
            return None
        return await prechecker(runtime, secrets, clock).run(conf, kind, chosen)
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
) -> list[str]:
    """Add/refresh the jobs of every conference; returns the ids of the precheck jobs now scheduled."""
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
                              id=jid, name=f"precheck {conf.id} {kind}", replace_existing=True)  # fmt: skip
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
    if refresh and scheduler.get_job(REFRESH_JOB) is None:
        follow_network(scheduler, runtime, clock, secrets)
        scheduler.add_job(_refresh(scheduler, runtime, clock, secrets), "interval", seconds=REFRESH_INTERVAL_S,
                          id=REFRESH_JOB, name="refresh the precheck jobs", replace_existing=True)  # fmt: skip
    return wanted


def _refresh(
    scheduler: Any, runtime: Runtime, clock: Clock, secrets: SecretStore | None
) -> Callable[[], None]:
    def refresh() -> None:
        schedule_prechecks(scheduler, runtime, clock, secrets, refresh=False)

    return refresh


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


def follow_network(
    scheduler: Any, runtime: Runtime, clock: Clock = time.time, secrets: SecretStore | None = None
) -> Callable[[], None]:
    """Re-check at once the rooms an incident's cause touches (opened, grown, changed or resolved), for every
    conference from T-60 to its end. Rooms of events that arrive before the round runs join it (one pending
    set per conference). Returns the function that unsubscribes."""
    pending: dict[str, set[str]] = {}

    def take(conf_id: str) -> Callable[[], set[str]]:
        return lambda: pending.pop(conf_id, set())

    def on_incident(event: Event) -> None:
        cause = {str(c) for c in event.data.get("cause") or []}
        if not cause:
            return
        now = clock()
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
            if not hit:
                continue
            log.info("%s #%s touches %d room(s) of %s: re-checking them now", event.kind, event.subject,
                     len(hit), conf.id)  # fmt: skip
            pending.setdefault(conf.id, set()).update(hit)
            scheduler.add_job(run_round, DateTrigger(run_date=_when(now)),
                              args=[runtime, conf.id, "event", secrets, clock, take(conf.id)],
                              id=f"{EVENT_PREFIX}{conf.id}", name=f"event check {conf.id}",
                              replace_existing=True, misfire_grace_time=None)  # fmt: skip

    undo = [runtime.bus.subscribe(kind, on_incident) for kind in INCIDENT_EVENTS]

    def unsubscribe() -> None:
        for u in undo:
            u()

    return unsubscribe
