"""Prechecks at T-60, T-15, T-5 and the live check: job ids and run times from an injectable clock, a job
really firing on time in a running AsyncIOScheduler against the lab, and jobs removed with their conference."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from netops.inventory.models import Inventory
from netops.lab.codec import start_codecs
from netops.lab.state import LabWorld
from netops.lab.testing import wait_s
from netops.runtime import Runtime
from netops.secrets import SecretStore
from netops.settings import Settings
from netops.store.db import Store
from netops.store.schema import VcRound
from netops.vc import store as vcstore
from netops.vc.conferences import ConferenceIn
from netops.vc.schedule import REFRESH_JOB, job_id, schedule_prechecks
from tests.vc.conftest import INVENTORY

WEEKLY_START = datetime(2030, 1, 7, 2, 0, tzinfo=UTC)  # inventory/conferences/weekly.yaml: 10:00 +08:00


def runtime(inventory: Inventory, db: Store, tmp_path: Path) -> Runtime:
    return Runtime(Settings(inventory=INVENTORY, state_dir=tmp_path), inventory, db)


def scheduled(rt: Runtime, now: float) -> dict[str, datetime]:
    async def main() -> dict[str, datetime]:
        scheduler = AsyncIOScheduler()
        scheduler.start(paused=True)
        try:
            schedule_prechecks(scheduler, rt, clock=lambda: now)
            return {j.id: j.next_run_time for j in scheduler.get_jobs()}
        finally:
            scheduler.shutdown(wait=False)

    return asyncio.run(main())


def test_jobs_and_times_follow_the_clock(inventory: Inventory, db: Store, tmp_path: Path) -> None:
    rt = runtime(inventory, db, tmp_path)
    start = WEEKLY_START.timestamp()
    jobs = scheduled(rt, start - 2 * 3600)
    assert jobs.pop(REFRESH_JOB) is not None
    assert jobs == {
        "vc-precheck-region-weekly-t60": WEEKLY_START - timedelta(minutes=60),
        "vc-precheck-region-weekly-t15": WEEKLY_START - timedelta(minutes=15),
        "vc-precheck-region-weekly-t5": WEEKLY_START - timedelta(minutes=5),
        "vc-live-region-weekly": WEEKLY_START,
    }
    # 20 minutes before the start, T-60 has passed: only T-15 and T-5 remain
    later = scheduled(rt, start - 20 * 60)
    assert sorted(k for k in later if k.startswith("vc-precheck")) == [
        "vc-precheck-region-weekly-t15", "vc-precheck-region-weekly-t5"]  # fmt: skip
    # after the end nothing is left
    assert [k for k in scheduled(rt, start + 2 * 3600) if k != REFRESH_JOB] == []


def test_t5_precheck_fires_on_time_and_jobs_go_with_the_conference(
    inventory: Inventory, db: Store, tmp_path: Path, world: LabWorld, secrets: SecretStore
) -> None:
    rt = runtime(inventory, db, tmp_path)
    start_ts = 0.0

    async def main() -> tuple[list[str], VcRound | None, list[str]]:
        nonlocal start_ts
        async with await start_codecs(world, secrets, ["hotan-codec", "centre-mcu"]):
            scheduler = AsyncIOScheduler()
            done = asyncio.Event()
            loop = asyncio.get_running_loop()
            scheduler.add_listener(lambda _e: loop.call_soon_threadsafe(done.set), EVENT_JOB_EXECUTED)
            scheduler.start()
            try:
                # T-5 two seconds from now, set just before the jobs are scheduled (with the lab's start before
                # it, a loaded machine could reach the scheduling after T-5 and leave no T-5 job)
                start_ts = time.time() + 300 + 2.0
                start = datetime.fromtimestamp(start_ts, UTC)
                spec = ConferenceIn(
                    id="soon", title="即将开始", start=start, duration_min=30, rooms=["hotan-vc"]
                )
                vcstore.add_conference(db, inventory, spec)
                ids = schedule_prechecks(scheduler, rt, secrets=secrets)
                await asyncio.wait_for(done.wait(), wait_s())  # the round runs: the kit's deadline
                fired = vcstore.last_round(db, "soon")
                vcstore.remove_conference(db, inventory.directory, "soon")
                schedule_prechecks(scheduler, rt, secrets=secrets)
                return ids, fired, [j.id for j in scheduler.get_jobs()]
            finally:
                scheduler.shutdown(wait=False)

    ids, fired, left = asyncio.run(main())
    assert [i for i in ids if "soon" in i] == [
        job_id("soon", "t5"),
        job_id("soon", "live"),
    ]  # T-60, T-15 passed
    assert fired is not None and fired.kind == "t5"
    # on time: not before T-5, and in its slot (before the start); how late a loaded machine wakes it is not
    # asserted (no wall-clock upper bound)
    assert start_ts - 300 <= fired.started_at < start_ts
    assert fired.counts == {"GREEN": 1, "AMBER": 0, "RED": 0}
    assert REFRESH_JOB in left and [j for j in left if "soon" in j] == []  # its jobs went with it
