"""The scenario suite (issue 13): one test per scenario file in ``cases/``, run against the lab and the real
``netops serve``; and the cross-check of the suite's own what-if against ``netops inventory impact``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from netops.lab.testing import stop, wait_until, write_inventory
from tests.conftest import run_netops
from tests.scenarios.harness import (
    SMALL_TEMPLATE,
    case_paths,
    every_what_if,
    forget_faketime_state,
    load_case,
    run_case,
    stepped_clock_env,
    write_clock_offset,
)
from tests.scenarios.whatif import impact, load_topology

REPO = Path(__file__).resolve().parents[2]


def _params() -> list[Any]:
    params = []
    for path in case_paths():
        case = load_case(path)
        marks: list[Any] = []
        if case.get("xfail"):
            # strict unless the case says the failure is intermittent (xfail_strict: false, with the reason)
            strict = bool(case.get("xfail_strict", True))
            marks.append(pytest.mark.xfail(strict=strict, reason=str(case["xfail"])))
        if case.get("slow"):
            marks.append(pytest.mark.slow)
        if case.get("timeout"):
            marks.append(pytest.mark.timeout(int(case["timeout"])))
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.parametrize("path", _params())
def test_scenario(path: Path, tmp_path: Path) -> None:
    run_case(load_case(path), tmp_path)


def _what_if_params() -> list[Any]:
    sets: dict[tuple[str, tuple[str, ...]], None] = {}
    for path in case_paths():
        case = load_case(path)
        region = str(case.get("region", "small"))
        for failed in every_what_if(case):
            sets[(region, tuple(failed))] = None
    return [pytest.param(region, list(failed), id=f"{region}:{'+'.join(failed)}") for region, failed in sets]


@pytest.mark.parametrize(("region", "failed"), _what_if_params())
def test_what_if_agrees_with_cli(region: str, failed: list[str], tmp_path: Path) -> None:
    """The suite's expectations come from its own what-if; `netops inventory impact` must say the same."""
    inv = (
        REPO / "inventory" if region == "shipped" else write_inventory(tmp_path, SMALL_TEMPLATE, {"net": 99})
    )
    mine = impact(load_topology(inv), failed).as_dict()
    proc = run_netops("inventory", "impact", "--inventory", str(inv), "--json", *failed)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cli = json.loads(proc.stdout)
    theirs = {
        "sites": sorted(s["id"] for s in cli["lost_sites"]),
        "devices": sorted(cli["lost_devices"]),
        "rooms": sorted(r["id"] for r in cli["lost_rooms"]),
        "on_backup": sorted(s["id"] for s in cli["on_backup"]),
    }
    assert mine == theirs


# A 1 s interval job on netops' scheduler (with the service's job defaults); each run and each run APScheduler
# reports missed is a line in the file given as argv[1]: "run <monotonic>" / "missed".
_SCHEDULED = """
import asyncio, sys, time
from apscheduler.events import EVENT_JOB_MISSED
from netops.scheduler import JOB_DEFAULTS, ClockSteppingScheduler

out = open(sys.argv[1], "a", buffering=1)

async def tick() -> None:
    out.write(f"run {time.monotonic()}\\n")

async def main() -> None:
    scheduler = ClockSteppingScheduler(job_defaults=dict(JOB_DEFAULTS))
    scheduler.add_listener(lambda event: out.write("missed\\n"), EVENT_JOB_MISSED)
    scheduler.add_job(tick, "interval", seconds=1, id="tick")
    scheduler.start()
    await asyncio.sleep(600)

asyncio.run(main())
"""


def test_scheduler_keeps_pace_across_service_clock_steps(tmp_path: Path) -> None:
    """netops.scheduler under a stepped wall clock (libfaketime, monotonic real): an interval job keeps running
    once a second after a step forward of an hour (no burst, nothing missed) and after a step back of 70 min
    (APScheduler alone waits out the step: 70 min without a run)."""
    clock, runs, log = tmp_path / "clock.rc", tmp_path / "runs.txt", tmp_path / "scheduled.log"
    write_clock_offset(clock, 0)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", _SCHEDULED, str(runs)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **stepped_clock_env(clock)},
            start_new_session=True,
        )

    def run_times() -> list[float]:
        lines = runs.read_text().splitlines() if runs.exists() else []
        assert "missed" not in lines, f"a run was missed: {lines}"
        assert proc.poll() is None, log.read_text()
        return [float(line.split()[1]) for line in lines if line.startswith("run ")]

    try:
        wait_until("three runs", lambda: len(run_times()) >= 3)
        for offset in (3600, -600):
            before = len(run_times())

            def three_more(n: int = before) -> bool:
                return len(run_times()) >= n + 3

            write_clock_offset(clock, offset)
            wait_until(f"three runs after the step to {offset:+} s", three_more)
        # no burst: a run per scheduled second at most (5 s of slack for runs made late by a loaded machine;
        # a burst of the hour's missed runs would be thousands)
        times = run_times()
        assert len(times) - 1 <= times[-1] - times[0] + 5, f"more runs than seconds passed: {times}"
    finally:
        stop(proc)
        forget_faketime_state(proc.pid)
