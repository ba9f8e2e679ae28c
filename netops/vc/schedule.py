"""APScheduler jobs for the prechecks: T-60, T-15, T-5 and a live round every 30 s during each conference.

``schedule_prechecks(scheduler, runtime)`` adds or refreshes one date job per future precheck time
(``vc-precheck-<conf>-t60|t15|t5``) and one interval job per conference not yet over (``vc-live-<conf>``),
removes the jobs of conferences that are gone, and keeps itself current with a refresh job
(``vc-schedule``, every 60 s) so conferences added through the API get their jobs. Times come from the
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
from netops.runtime import Runtime
from netops.secrets import SecretStore
from netops.vc import store as vcstore
from netops.vc.conferences import Conference
from netops.vc.precheck import OFFSETS_S, Clock, Prechecker, RoundReport

log = logging.getLogger(__name__)

LIVE_INTERVAL_S = 30.0
REFRESH_JOB = "vc-schedule"
REFRESH_INTERVAL_S = 60.0
JOB_PREFIXES = ("vc-precheck-", "vc-live-")


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
    runtime: Runtime, conf_id: str, kind: str, secrets: SecretStore | None = None, clock: Clock = time.time
) -> RoundReport | None:
    """The job function: one round of ``conf_id``; a conference deleted meanwhile is skipped (logged)."""
    try:
        conf = vcstore.get_conference(runtime.store, Path(runtime.inventory.directory), conf_id)
        return await prechecker(runtime, secrets, clock).run(conf, kind)
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
        scheduler.add_job(_refresh(scheduler, runtime, clock, secrets), "interval", seconds=REFRESH_INTERVAL_S,
                          id=REFRESH_JOB, name="refresh the precheck jobs", replace_existing=True)  # fmt: skip
    return wanted


def _refresh(
    scheduler: Any, runtime: Runtime, clock: Clock, secrets: SecretStore | None
) -> Callable[[], None]:
    def refresh() -> None:
        schedule_prechecks(scheduler, runtime, clock, secrets, refresh=False)

    return refresh
