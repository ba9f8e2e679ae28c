"""Counter rates of the real ``netops serve`` across steps of its own wall clock (issue 13, item 3), with the
lab and libfaketime as the scenarios s50-s53 run them (``tests/scenarios/harness.Runner``,
``service-clock-step``). The poller follows a step (``Poller._store_cycle``): the interval across it keeps a
rate on the real elapsed time. Before, an hour forward stored a rate 3600 times too low for one interval
(16 Mbit/s read as 4.4 kbit/s) and ten minutes back dropped the interval (a negative wall-clock interval)."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from netops.lab.testing import wait_until
from tests.scenarios.harness import Runner

DEVICE = "pa-ce1"  # a prefecture router: its uplinks and downlinks carry the lab's steady traffic


def _watch(r: Runner, cycles: int) -> dict[float, dict[str, Any]]:
    """Every poll of the device seen over ``cycles`` full poll cycles: polled_at -> its interfaces."""
    seen: dict[float, dict[str, Any]] = {}
    r.observe()
    start = r.cycle_count()

    def look() -> bool:
        health = r.get(f"/devices/{DEVICE}/health")
        seen[health["polled_at"]] = {i["name"]: i for i in health["interfaces"] if i["oper_up"]}
        r.observe()
        return r.cycle_count() >= start + cycles

    wait_until(f"{cycles} poll cycles", look, every=0.1)
    return seen


def test_rates_across_steps_of_the_services_clock(tmp_path: Path) -> None:
    r = Runner({"steps": [{"service-clock-step": 0}]}, tmp_path)
    with r.running():
        before = _watch(r, 2)
        rates: dict[str, list[float]] = {}
        for itfs in before.values():
            for name, itf in itfs.items():
                if itf["in_bps"] is not None:
                    rates.setdefault(name, []).append(itf["in_bps"])
        base = {name: statistics.median(v) for name, v in rates.items() if statistics.median(v) > 1e5}
        assert base, f"no traffic on {DEVICE}: {before}"
        for step in (3600.0, -600.0):
            r.step_service_clock(step)
            after = _watch(r, 3)
            measured = 0
            for polled_at, itfs in sorted(after.items()):
                for name, want in base.items():
                    itf = itfs.get(name)
                    if itf is None or itf["in_bps"] is None:
                        continue
                    measured += 1
                    got = itf["in_bps"]
                    # the lab's traffic is steady: a rate a fiftieth of it is an interval of the wrong length
                    assert want / 50 < got <= itf["speed_bps"], (step, polled_at, name, got, want)
            assert measured, f"no rate after the {step:+.0f} s step: {after}"
