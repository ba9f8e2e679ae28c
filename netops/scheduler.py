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

With ``NETOPS_SHARD=K/N`` the poll jobs poll only shard K's devices (``polling/shards.py``), and only the
coordinator (shard 1) gets `analyse`, `config-backup` and `vc-schedule` (docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from netops.changes.backup import backup_job
from netops.polling.jobs import poll_groups
from netops.report.job import schedule_monthly_report
from netops.runtime import Runtime
from netops.services.jobs import schedule_service_checks
from netops.vc.schedule import schedule_prechecks

INVENTORY_RELOAD_JOB = "inventory-reload"
POLL_JOBS = ("poll-uplinks", "poll-access")
ANALYSE_JOB = "analyse"
BACKUP_JOB = "config-backup"


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
    await backup_job(runtime.inventory, runtime.secrets, runtime.store)


def build_scheduler(runtime: Runtime, reload_interval_s: float = 30.0) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 30}
    )
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
