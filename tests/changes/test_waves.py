"""Waves from the hierarchy; a wave over its failure budget halts the rollout and rolls its devices back;
the conference freeze refuses pushes on a conference's path unless forced with a reason."""

from __future__ import annotations

import time
from pathlib import Path

from netops.changes import records
from netops.changes.freeze import conference_path, frozen_devices
from netops.changes.plan import plan_waves
from netops.inventory.loader import load_inventory
from netops.lab.faults import FaultBook
from netops.store.db import Store
from netops.vc.conferences import Conference
from tests.changes.changes_testlib import ROUTERS, Lab, one_wave, push_devices, write_inventory


def conference(start_in_s: float, rooms: tuple[str, ...] = ("kashgar-shufu-vc",)) -> Conference:
    return Conference(
        "county-meeting", "县级视频会", time.time() + start_in_s, 3600.0, rooms, None, None, "api"
    )


def test_plan_canary_county_then_its_prefecture_then_batches_centre_last(tmp_path: Path) -> None:
    inv = load_inventory(write_inventory(tmp_path / "inv", 1))
    waves = plan_waves(inv, prefectures_per_wave=1, failure_budget=1, concurrency=5)
    assert [(w.name, w.devices) for w in waves] == [
        ("canary hotan-hetian-ce1", ("hotan-hetian-ce1",)),
        ("rest of hotan", ("hotan-ce1",)),
        ("prefectures kashgar", ("kashgar-ce1", "kashgar-kashi-ce1", "kashgar-shufu-ce1")),
        ("region centre", ("centre-core1",)),
    ]
    assert {(w.failure_budget, w.concurrency) for w in waves} == {(1, 5)}
    chosen = plan_waves(inv, canary="kashgar-kashi-ce1")
    assert [w.devices for w in chosen][:3] == [
        ("kashgar-kashi-ce1",),
        ("kashgar-ce1", "kashgar-shufu-ce1"),
        ("hotan-ce1", "hotan-hetian-ce1"),
    ]
    assert sorted(d for w in chosen for d in w.devices) == sorted(ROUTERS)


def test_wave_over_budget_halts_rolls_back_and_later_waves_never_start(lab: Lab, store: Store) -> None:
    waves = plan_waves(lab.inventory, canary="kashgar-kashi-ce1", concurrency=4)
    FaultBook(lab.world).apply("reject-line", "kashgar-shufu-ce1", {"pattern": "info-center"})
    before = {d: lab.running(d) for d in ROUTERS}

    run = push_devices(lab, store, waves)

    assert run.state == "halted"
    outcomes = {d: r.outcome for d, r in run.results.items()}
    assert outcomes == {
        "kashgar-kashi-ce1": "confirmed",
        "kashgar-shufu-ce1": "rejected",
        "kashgar-ce1": "rolled-back",
    }
    assert "info-center loghost" in (run.results["kashgar-shufu-ce1"].detail or "")
    assert lab.running("kashgar-kashi-ce1") != before["kashgar-kashi-ce1"]  # wave 1 stays
    for d in ("kashgar-shufu-ce1", "kashgar-ce1", "hotan-ce1", "hotan-hetian-ce1", "centre-core1"):
        assert lab.running(d) == before[d], d  # rejected (cleaned up), rolled back, never started
    shown = records.get_change(store, run.change_id)
    assert shown["state"] == "halted"
    assert [w["state"] for w in shown["waves"]] == ["done", "halted", "not-started", "not-started"]
    assert shown["waves"][1]["rolled_back"] == ["kashgar-ce1"]
    rows = {r["device"]: r for r in shown["devices"]}
    assert rows["kashgar-ce1"]["rolled_back"] is True and "failure budget" in rows["kashgar-ce1"]["detail"]


def test_conference_path_and_freeze_window(tmp_path: Path) -> None:
    inv = load_inventory(write_inventory(tmp_path / "inv", 1))
    conf = conference(600)
    assert conference_path(conf, inv) == {"kashgar-shufu-ce1", "kashgar-ce1", "centre-core1"}
    assert frozen_devices(inv, [conf], ROUTERS, window_s=1800) == {
        d: "county-meeting" for d in ("kashgar-shufu-ce1", "kashgar-ce1", "centre-core1")
    }
    assert frozen_devices(inv, [conf], ROUTERS, window_s=300) == {}  # starts after the window
    assert frozen_devices(inv, [conference(-600)], ["kashgar-ce1"], window_s=0) == {
        "kashgar-ce1": "county-meeting"
    }
    assert frozen_devices(inv, [conference(-7200)], ROUTERS) == {}  # over


def test_push_during_conference_is_refused_unless_forced_with_reason(lab: Lab, store: Store) -> None:
    before = lab.running("kashgar-shufu-ce1")
    confs = [conference(600)]
    refused = push_devices(lab, store, one_wave("kashgar-shufu-ce1", "hotan-ce1"), conferences=confs)
    assert refused.state == "refused"
    assert refused.results["kashgar-shufu-ce1"].outcome == "refused"
    assert "county-meeting" in (refused.results["kashgar-shufu-ce1"].detail or "")
    assert "hotan-ce1" not in refused.results  # nothing was pushed at all
    assert lab.running("kashgar-shufu-ce1") == before
    no_reason = push_devices(
        lab, store, one_wave("kashgar-shufu-ce1"), conferences=confs, force=True, reason=" "
    )
    assert no_reason.state == "refused"
    forced = push_devices(
        lab, store, one_wave("kashgar-shufu-ce1"), conferences=confs, force=True, reason="urgent ACL fix"
    )
    assert forced.results["kashgar-shufu-ce1"].outcome == "confirmed"
    shown = records.get_change(store, forced.change_id)
    assert shown["forced"] is True and shown["reason"] == "urgent ACL fix"
