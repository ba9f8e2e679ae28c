"""APScheduler wiring: one ``AsyncIOScheduler`` per service, jobs with stable ids, ``max_instances=1`` and
``coalesce`` so an overrunning job never piles up (an overrun shows as ``netops_poll_cycle_overrun``).

| job id | every | what |
| --- | --- | --- |
| `inventory-reload` | 30 s | reload the inventory when its files change |
| `poll-uplinks` | `NETOPS_POLL_FAST_S` (30 s) | SNMP health of the centre and the prefectures' routers |
| `poll-access` | `NETOPS_POLL_NORMAL_S` (60 s) | SNMP health of everything else |
| `analyse` | `NETOPS_POLL_FAST_S` | shard 1 of several only: root cause, statuses, incidents from the shared store |
| `config-backup` | `NETOPS_BACKUP_INTERVAL_S` (6 h; first at +60 s) | back up running configurations |
| `runbook-launch` | 15 s | start runbook runs approved from the CLI (added by the app) |
| `service-checks` | `NETOPS_SERVICE_CHECK_S` (60 s) | e-government services from the centre and the routers |
| `report-monthly` | 1st of the month, 02:00 UTC+8 | last month's assessment report into `<state dir>/reports/` |
| `vc-schedule` | 60 s | (re)plan conference prechecks: `vc-precheck-<conf>-t60/t15/t5`, `vc-live-<conf>` (docs/vc.md) |
| `vc-event-<conf>` | on an incident touching the conference's rooms (T-60 to its end) | re-check those rooms at once |
| `vc-retry-<conf>` | 30 s after a room's first bad network round before the start | its second round (docs/vc.md) |

With ``NETOPS_SHARD=K/N`` the poll jobs poll only shard K's devices (``polling/shards.py``), and only the
coordinator (shard 1) gets `analyse`, `config-backup` and `vc-schedule` (docs/scaling.md).

**Steps of the wall clock** (NTP stepping a wrong clock, a VM resumed, a DST mistake): APScheduler 3 keeps run
times in wall-clock time and sleeps on the event loop's monotonic clock. After a step back of N seconds every
interval job would wait N seconds more (a 10-minute step stopped polling for 10 minutes); after a step forward
each job's due run is late by N seconds (past ``misfire_grace_time``: skipped and logged as missed).
``ClockSteppingScheduler`` compares the wall clock with the monotonic clock each time it looks for due jobs (at
least every ``CLOCK_WATCH_S``) and moves the next run of every interval job by the step, so they keep their pace
in real time; interval jobs have no misfire grace (a run already submitted when the clock steps forward runs,
once, instead of being dropped as "missed"); cron and date jobs (the monthly report, conference prechecks) are
anchored to the wall clock and stay where they are. Tested by the scenarios s50-s53 (the service's clock is
stepped with libfaketime: tests/scenarios/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.interval import IntervalTrigger

from netops.changes.backup import backup_job
from netops.clock import StepWatch
from netops.polling.jobs import poll_groups
from netops.report.job import schedule_monthly_report
from netops.runtime import Runtime
from netops.services.jobs import schedule_service_checks
from netops.vc.schedule import schedule_prechecks

INVENTORY_RELOAD_JOB = "inventory-reload"
POLL_JOBS = ("poll-uplinks", "poll-access")
ANALYSE_JOB = "analyse"
BACKUP_JOB = "config-backup"
JOB_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
CLOCK_WATCH_S = 5.0  # the longest the scheduler sleeps without comparing the wall and monotonic clocks

log = logging.getLogger(__name__)


class ClockSteppingScheduler(AsyncIOScheduler):  # type: ignore[misc]  # apscheduler is untyped
    """An ``AsyncIOScheduler`` whose interval jobs keep their pace in real time when the wall clock is stepped
    (module docstring). The check runs before the due jobs are looked for, so a job is never judged late or
    early by a step it has not been moved for."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self._clock = StepWatch()

    def follow_clock_step(self, step: float) -> list[str]:
        """Move the next run of every interval job by ``step`` seconds; returns the ids moved."""
        moved: list[str] = []
        shift = timedelta(seconds=step)
        with self._jobstores_lock:
            for store in self._jobstores.values():
                for job in store.get_all_jobs():
                    if isinstance(job.trigger, IntervalTrigger) and job.next_run_time is not None:
                        job._modify(next_run_time=job.next_run_time + shift)
                        store.update_job(job)
                        moved.append(job.id)
        return moved

    def add_job(self, func: Any, trigger: Any = None, **options: Any) -> Any:
        """Interval jobs run late rather than never (``misfire_grace_time=None`` unless given; ``coalesce``
        keeps a late run to one): a run submitted just before a step forward starts "late" by the step."""
        if trigger == "interval" or isinstance(trigger, IntervalTrigger):
            options.setdefault("misfire_grace_time", None)
        return super().add_job(func, trigger, **options)

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:  # a wakeup queued before shutdown: the event loop is gone
            return None
        step = self._clock.step()
        if step:
            moved = self.follow_clock_step(step)
            log.warning(
                "the wall clock stepped %+.1f s: the next run of %d interval job(s) moved with it (%s)",
                step,
                len(moved),
                ", ".join(sorted(moved)),
            )
        wait: float | None = super()._process_jobs()
        return None if wait is None else min(wait, CLOCK_WATCH_S)  # None: paused or no job (nothing to move)


async def run_poll_job(runtime: Runtime, job_id: str) -> None:
    """One cycle of a poll group (this shard's share of it), over the inventory in use now (a reload changes
    the next cycle)."""
    settings = runtime.settings
    shard = settings.shard_spec
    for group in poll_groups(runtime.inventory, settings.poll_fast_s, settings.poll_normal_s):
        if group.job_id != job_id:
            continue
        devices = shard.pick(group.devices) if shard is not None else list(group.devices)
        if not devices:
            continue
        with contextlib.suppress(asyncio.CancelledError):  # the service is stopping: the cycle ends unstored
            await runtime.poller.run_cycle(
                devices, job=job_id, interval_s=group.interval_s, spread_s=group.interval_s * 0.5
            )


async def run_analyse_job(runtime: Runtime) -> None:
    """The coordinator's analysis over everything every shard stored."""
    with contextlib.suppress(asyncio.CancelledError):
        await runtime.poller.analyse_now()


async def run_backup_job(runtime: Runtime) -> None:
    """Collect every pushable device's running configuration; a new version is stored only when it changed."""
    await backup_job(
        runtime.inventory, runtime.secrets, runtime.store, timeouts=runtime.settings.backup_ssh_timeouts
    )


def build_scheduler(runtime: Runtime, reload_interval_s: float = 30.0) -> AsyncIOScheduler:
    scheduler = ClockSteppingScheduler(job_defaults=dict(JOB_DEFAULTS))
    scheduler.add_job(
        runtime.reload_if_changed,
        "interval",
        seconds=reload_interval_s,
        id=INVENTORY_RELOAD_JOB,
        name="reload the inventory when its files change",
        replace_existing=True,
    )
    settings = runtime.settings
    if settings.poll_enabled:
        now = datetime.now().astimezone()
        for job_id, interval, offset in (
            ("poll-uplinks", settings.poll_fast_s, 2.0),
            ("poll-access", settings.poll_normal_s, 5.0),
        ):
            scheduler.add_job(
                run_poll_job,
                "interval",
                seconds=interval,
                args=(runtime, job_id),
                id=job_id,
                name=f"SNMP health poll ({job_id})",
                replace_existing=True,
                next_run_time=now + timedelta(seconds=offset),
            )
        if settings.shard_spec is not None and settings.coordinator:
            scheduler.add_job(
                run_analyse_job,
                "interval",
                seconds=settings.poll_fast_s,
                args=(runtime,),
                id=ANALYSE_JOB,
                name="root cause, statuses and incidents over every shard's results",
                replace_existing=True,
                next_run_time=now + timedelta(seconds=settings.poll_fast_s),
            )
    if not settings.coordinator:
        return scheduler  # a shard other than 1 only polls: the jobs below must run once
    schedule_prechecks(scheduler, runtime, secrets=runtime.secrets)  # conference prechecks and live checks
    schedule_service_checks(scheduler, runtime)  # e-government services (netops/services/jobs.py)
    schedule_monthly_report(scheduler, runtime)  # the assessment report, 1st of the month (docs/report.md)
    if settings.backup_interval_s > 0:
        scheduler.add_job(
            run_backup_job,
            "interval",
            seconds=settings.backup_interval_s,
            args=(runtime,),
            id=BACKUP_JOB,
            name="back up running configurations",
            replace_existing=True,
            next_run_time=datetime.now().astimezone() + timedelta(seconds=60),
        )
    return scheduler
