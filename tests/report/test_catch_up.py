"""The monthly report is not lost when the service was down at 02:00 on the 1st: at start, a missed month is
written by a one-shot job (a real apscheduler AsyncIOScheduler and a real Runtime over the report inventory);
a month whose files are all there, or whose time has not come, is left alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from netops.report.job import CATCH_UP_JOB, missed_month, schedule_monthly_report
from netops.report.period import CST, parse_period
from netops.runtime import Runtime
from netops.settings import Settings
from netops.store.inventory_loads import record_load
from tests.report.test_report import INVENTORY


def cst(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=CST).timestamp()


def test_which_month_is_missed(tmp_path: Path) -> None:
    since = cst("2026-10-20 09:00")  # watching since October
    assert (
        missed_month(tmp_path, cst("2026-12-01 01:59"), since) is None
    )  # the job itself runs at 02:00 today
    assert missed_month(tmp_path, cst("2026-12-01 02:01"), since) == parse_period("2026-11")
    assert missed_month(tmp_path, cst("2027-01-20 12:00"), since) == parse_period("2026-12")
    # installed on December 3rd, or never started: no report of a month it never saw
    assert missed_month(tmp_path, cst("2026-12-05 10:00"), cst("2026-12-03 09:00")) is None
    assert missed_month(tmp_path, cst("2026-12-05 10:00"), None) is None
    folder = tmp_path / "reports" / "2026-11"
    folder.mkdir(parents=True)
    for suffix in ("html", "pdf"):
        (folder / f"report-2026-11.{suffix}").write_text("x")
    assert missed_month(tmp_path, cst("2026-12-05 10:00"), since) == parse_period("2026-11")  # no CSV
    (folder / "report-2026-11.csv").write_text("x")
    assert missed_month(tmp_path, cst("2026-12-05 10:00"), since) is None


def test_a_missed_month_is_written_after_start(tmp_path: Path) -> None:
    settings = Settings(
        inventory=INVENTORY, state_dir=tmp_path / "state", poll_enabled=False, backup_interval_s=0
    )
    runtime = Runtime.start(settings)  # records an inventory load now: not watching in November yet
    fresh = AsyncIOScheduler()
    schedule_monthly_report(fresh, runtime, now=cst("2026-12-05 10:00"))
    assert fresh.get_job(CATCH_UP_JOB) is None
    record_load(runtime.store, runtime.inventory, datetime.fromtimestamp(cst("2026-10-20 09:00"), UTC))
    now = cst("2026-12-05 10:00")  # down since before December 1st, started on the 5th: November missed
    period = parse_period("2026-11")
    folder = settings.state_dir / "reports" / period.label

    async def run() -> list[str]:
        scheduler = AsyncIOScheduler()
        schedule_monthly_report(scheduler, runtime, catch_up_after_s=0.2, now=now)
        assert scheduler.get_job(CATCH_UP_JOB) is not None
        scheduler.start()
        try:
            for _ in range(1200):  # up to 120 s: the PDF layout is the slow part on a loaded machine
                if len(list(folder.glob("report-*"))) == 3:
                    break
                await asyncio.sleep(0.1)
        finally:
            scheduler.shutdown(wait=False)
        return sorted(p.name for p in folder.glob("report-*"))

    try:
        written = asyncio.run(run())
        assert written == [f"report-{period.label}.{s}" for s in ("csv", "html", "pdf")]
        again = AsyncIOScheduler()
        schedule_monthly_report(again, runtime, now=now)
        assert again.get_job(CATCH_UP_JOB) is None  # written: nothing to catch up at the next start
    finally:
        runtime.close()
