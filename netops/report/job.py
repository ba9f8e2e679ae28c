"""The monthly report job: on the 1st (China Standard Time), last month's report for the region in Chinese
(HTML, PDF, CSV) into ``<state dir>/reports/<period>/``; the scheduler wires it (``netops/scheduler.py``)."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from netops.inventory.models import Inventory
from netops.report.collect import collect
from netops.report.labels import Format, Lang
from netops.report.period import CST, Period, previous_month
from netops.report.render import render
from netops.store.db import Store

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from netops.runtime import Runtime

log = logging.getLogger(__name__)
REPORT_JOB = "report-monthly"


def backup_max_age(backup_interval_s: float) -> float:
    """A backup is current while younger than two backup intervals (24 h when backups are off)."""
    return 2 * backup_interval_s if backup_interval_s > 0 else 24 * 3600.0


def write_reports(
    inv: Inventory,
    store: Store,
    period: Period,
    folder: Path,
    *,
    backup_max_age_s: float,
    now: float | None = None,
) -> list[Path]:
    """The region's report for ``period`` in every file format, into ``folder``; returns the files."""
    report = collect(inv, store, period, now=now, backup_max_age_s=backup_max_age_s)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in (Format.HTML, Format.PDF, Format.CSV):
        path = folder / f"report-{period.label}.{fmt.value}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(render(report, fmt, Lang.ZH))
        tmp.replace(path)
        written.append(path)
    return written


async def monthly_report(
    inv: Inventory, store: Store, state_dir: Path, backup_interval_s: float
) -> list[Path]:
    """The scheduler's job: last month's report, off the event loop (drawing and PDF layout block)."""
    period = previous_month(time.time())
    files = await asyncio.to_thread(
        write_reports,
        inv,
        store,
        period,
        state_dir / "reports" / period.label,
        backup_max_age_s=backup_max_age(backup_interval_s),
    )
    log.info("monthly report %s written: %s", period.label, ", ".join(str(f) for f in files))
    return files


def schedule_monthly_report(scheduler: AsyncIOScheduler, runtime: Runtime) -> None:
    """The monthly job: 02:00 China Standard Time on the 1st, last month's report (stable id, coalesced)."""
    from apscheduler.triggers.cron import CronTrigger

    async def run() -> None:  # the inventory in use when the job runs (a reload changes the next report)
        settings = runtime.settings
        await monthly_report(runtime.inventory, runtime.store, settings.state_dir, settings.backup_interval_s)

    scheduler.add_job(
        run,
        CronTrigger(day=1, hour=2, minute=0, timezone=CST),
        id=REPORT_JOB,
        name="the monthly assessment report (HTML, PDF, CSV) into <state dir>/reports/",
        replace_existing=True,
    )
