"""The monthly report job: on the 1st (China Standard Time), last month's report for the region in Chinese
(HTML, PDF, CSV) into ``<state dir>/reports/<period>/``; the scheduler wires it (``netops/scheduler.py``).

A service that was down at 02:00 on the 1st catches up: at start, when last month's files are not all in its
folder, their time has come and the service was watching before that month ended (its first inventory load in
the store), the report is written shortly after start (a one-shot job, ``report-monthly-catch-up``), so an
assessment month is never missing because of a restart."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from netops.inventory.models import Inventory
from netops.report.collect import collect
from netops.report.labels import Format, Lang
from netops.report.period import CST, Period, previous_month
from netops.report.render import render
from netops.store.db import Store
from netops.store.inventory_loads import first_load

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from netops.runtime import Runtime

log = logging.getLogger(__name__)
REPORT_JOB = "report-monthly"
CATCH_UP_JOB = "report-monthly-catch-up"
DUE_AFTER_S = 2 * 3600.0  # 02:00 on the 1st
FORMATS = (Format.HTML, Format.PDF, Format.CSV)


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
    for fmt in FORMATS:
        path = report_path(folder, period, fmt)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(render(report, fmt, Lang.ZH))
        tmp.replace(path)
        written.append(path)
    return written


def report_path(folder: Path, period: Period, fmt: Format) -> Path:
    return folder / f"report-{period.label}.{fmt.value}"


def missed_month(state_dir: Path, now: float, watching_since: float | None) -> Period | None:
    """Last month, when its monthly job's time (02:00 on the 1st) has passed, its files are not all there and
    the service was already watching (``watching_since``: its first inventory load) before the month ended: a
    new installation writes no report of a month it never saw."""
    period = previous_month(now)
    if now < period.end + DUE_AFTER_S:
        return None  # the 1st before 02:00: the job itself runs today
    if watching_since is None or watching_since >= period.end:
        return None
    folder = state_dir / "reports" / period.label
    if all(report_path(folder, period, fmt).is_file() for fmt in FORMATS):
        return None
    return period


async def monthly_report(
    inv: Inventory, store: Store, state_dir: Path, backup_interval_s: float, period: Period | None = None
) -> list[Path]:
    """The scheduler's job: last month's report, off the event loop (drawing and PDF layout block)."""
    period = period or previous_month(time.time())
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


def schedule_monthly_report(
    scheduler: AsyncIOScheduler, runtime: Runtime, catch_up_after_s: float = 60.0, now: float | None = None
) -> None:
    """The monthly job: 02:00 China Standard Time on the 1st, last month's report (stable id, coalesced);
    and, when last month's report was missed (``missed_month``), a one-shot run ``catch_up_after_s`` after
    start (after the first polls, off the start-up's busiest seconds)."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.date import DateTrigger

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
    first = first_load(runtime.store)
    missed = missed_month(
        runtime.settings.state_dir,
        time.time() if now is None else now,
        first.timestamp() if first is not None else None,
    )
    if missed is None:
        return
    log.warning(
        "the monthly report %s was not written (service down at its time): writing it now", missed.label
    )

    async def catch_up() -> None:
        settings = runtime.settings
        await monthly_report(
            runtime.inventory, runtime.store, settings.state_dir, settings.backup_interval_s, missed
        )

    scheduler.add_job(
        catch_up,
        DateTrigger(run_date=datetime.fromtimestamp(time.time() + catch_up_after_s, UTC)),
        id=CATCH_UP_JOB,
        name=f"the monthly report {missed.label}, missed at its time",
        replace_existing=True,
        misfire_grace_time=None,
    )
