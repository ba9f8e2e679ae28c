"""APScheduler wiring: one ``AsyncIOScheduler`` per service, jobs with stable ids, ``max_instances=1`` and
``coalesce`` so an overrunning job never piles up. Domain jobs (polling, prechecks, backups) register here.
"""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from netops.runtime import Runtime

INVENTORY_RELOAD_JOB = "inventory-reload"


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
    return scheduler
