"""The change routes over a real uvicorn + httpx (plan, start a rollout, follow it, diff, history, status),
secrets masked in every answer; the metrics collector on a fresh registry."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from netops.api.changes_routes import router
from netops.changes import backup, records
from netops.changes.metrics import ChangesCollector
from netops.lab.testing import wait_until
from netops.runtime import Runtime
from netops.store.db import Store
from tests.changes.changes_testlib import (
    COMMUNITY,
    LIVE_CONFIRM_S,
    LIVE_TIMEOUTS,
    Lab,
    one_wave,
    push_devices,
    served_routes,
)


@pytest.fixture
def api(lab: Lab, tmp_path: Path) -> Iterator[tuple[httpx.Client, Runtime]]:
    with served_routes(lab, tmp_path / "state", router) as served:
        yield served


def test_plan_start_follow_diff_history(lab: Lab, api: tuple[httpx.Client, Runtime]) -> None:
    client, rt = api
    waves = client.post("/changes/plan", json={"all": True, "prefectures_per_wave": 2}).json()
    assert [w["name"] for w in waves][-1] == "region centre"
    assert client.post("/changes/plan", json={"devices": ["nope-ce1"]}).status_code == 404
    diff = client.get("/devices/kashgar-kashi-ce1/config/diff")
    assert diff.status_code == 200 and "+ snmp-server community ****** RO" in diff.json()["diff"]
    started = client.post(
        "/changes",
        # a trial of 120 lab minutes (the kit's LIVE_CONFIRM_S): it cannot run out before the confirm of a push
        # whose post-checks a loaded machine made slow (15 could: the change came back reverted)
        json={
            "devices": ["kashgar-kashi-ce1"],
            "reason": "api test",
            "confirm_s": LIVE_CONFIRM_S,
            "minute_s": 1,
        },
    )
    assert started.status_code == 202
    change_id = started.json()["change"]
    shown = wait_until(  # the kit's deadline, not 30 s: the push may take long on a loaded machine
        "the change to end",
        lambda: (c := client.get(f"/changes/{change_id}").json())["state"] != "running" and c,
    )
    assert shown["state"] == "done" and shown["devices"][0]["outcome"] == "confirmed"
    assert client.get("/changes").json()[0]["id"] == change_id
    assert client.get("/devices/kashgar-kashi-ce1/config/diff").json()["lines"] == 0
    assert client.get("/changes/chg-missing").status_code == 404
    backup.run_backups(rt.inventory, lab.secrets, rt.store, ["kashgar-kashi-ce1"], timeouts=LIVE_TIMEOUTS)
    versions = client.get("/devices/kashgar-kashi-ce1/config/history").json()
    text = client.get(f"/config/versions/{versions[0]['id']}").json()["text"]
    assert "snmp-server community ****** RO" in text
    assert client.get("/config/status").json()[0]["drift_lines"] == 0
    for path in ("/changes", f"/changes/{change_id}", f"/config/versions/{versions[0]['id']}"):
        assert COMMUNITY not in client.get(path).text


def test_metrics_from_the_store(lab: Lab, store: Store) -> None:
    lab.world.devices["hotan-hetian-ce1"].rejected_lines.append("logging host")
    push_devices(lab, store, one_wave("kashgar-kashi-ce1", "hotan-hetian-ce1", budget=1))
    backup.run_backups(
        lab.inventory, lab.secrets, store, ["kashgar-kashi-ce1", "kashgar-ce1"], timeouts=LIVE_TIMEOUTS
    )
    registry = CollectorRegistry()
    registry.register(ChangesCollector(store))
    value = registry.get_sample_value
    assert value("netops_config_change_devices_total", {"outcome": "confirmed"}) == 1
    assert value("netops_config_change_devices_total", {"outcome": "rejected"}) == 1
    assert value("netops_config_changes_total", {"state": "done"}) == 1
    assert value("netops_config_rollbacks_total") == 0
    assert value("netops_config_drift_lines", {"device": "kashgar-kashi-ce1"}) == 0
    assert (value("netops_config_drift_lines", {"device": "kashgar-ce1"}) or 0) > 0
    assert (value("netops_config_backup_last_success_timestamp_seconds", {"device": "kashgar-ce1"}) or 0) > 0
    assert value("netops_config_rollout_wave") is None  # nothing running


def test_rollout_progress_metrics(store: Store) -> None:
    waves: list[dict[str, object]] = [
        {"index": 1, "devices": ["a"], "state": "done"},
        {"index": 2, "devices": ["b", "c"], "state": "running"},
        {"index": 3, "devices": ["d"], "state": "pending"},
    ]
    records.create_change(store, "chg-live", "u", "r", False, waves)
    rec = records.DeviceRecord(
        "a", 1, records.DeviceOutcome.CONFIRMED, None, None, [], {}, None, [], time.time(), 0.1
    )
    records.record_device(store, "chg-live", rec)
    registry = CollectorRegistry()
    registry.register(ChangesCollector(store))
    got = {
        n: registry.get_sample_value(f"netops_config_rollout_{n}")
        for n in ("wave", "waves", "devices_done", "devices")
    }
    assert got == {"wave": 2, "waves": 3, "devices_done": 1, "devices": 4}
