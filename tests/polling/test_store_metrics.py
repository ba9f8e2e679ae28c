"""Cycles written to a real store (SQLite and PostgreSQL): device and site status, counters across a wrap,
incidents opened and resolved, and the metrics built from it (checked with promtool)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from netops.errors import NetopsError
from netops.inventory import Topology, load_inventory
from netops.polling import queries
from netops.polling.metrics import PollingCollector
from netops.polling.model import DeviceSample
from netops.polling.rootcause import analyse
from netops.polling.store import record_cycle
from netops.polling.tracker import StatusTracker
from netops.store.db import Store, open_store
from tests.polling.testlib import interface

REGION = Path(__file__).parents[2] / "inventory"


@pytest.fixture(scope="module")
def topo() -> Topology:
    return Topology(load_inventory(REGION))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.close()


def sample(
    device: str, t: float, *, ok: bool = True, octets: int = 1000, uptime: float = 1e6, oper_up: bool = True
) -> DeviceSample:
    if not ok:
        return DeviceSample(
            device=device, polled_at=t, duration_s=0.5, ok=False, error="timeout", detail="no answer in 2 s"
        )
    itf = interface(
        "GigabitEthernet0/0/1",
        10**8,
        alias="uplink",
        oper_up=oper_up,
        in_octets=octets,
        out_octets=octets // 2,
    )
    return DeviceSample(
        device=device,
        polled_at=t,
        duration_s=0.05,
        ok=True,
        sys_name=device,
        sys_uptime_s=uptime,
        cpu_ratio=0.12,
        memory_ratio=0.4,
        interfaces=(itf,),
        ups_on_battery=False,
        ups_minutes_remaining=45,
    )


def cycle(
    store: Store,
    topo: Topology,
    tracker: StatusTracker,
    samples: list[DeviceSample],
    t: float,
    down_links: tuple[str, ...] = (),
) -> list[str]:
    for s in samples:
        tracker.observe(s.device, s.ok, t, s.error)
    analysis = analyse(topo, tracker.silent(), down_links)
    changes = record_cycle(
        store,
        job="test",
        samples=samples,
        tracker=tracker,
        analysis=analysis,
        started_at=t,
        duration_s=1.0,
        interval_s=60.0,
    )
    return [c.change for c in changes]


def test_counters_status_incidents_and_metrics(store: Store, topo: Topology, tmp_path: Path) -> None:
    tracker = StatusTracker(threshold=2)
    devices = ["kashgar-shufu-ce1", "kashgar-ce1", "centre-core1"]
    assert cycle(store, topo, tracker, [sample(d, 0) for d in devices], 0) == []
    # next poll: counters grew; then the county router stops answering for two cycles
    assert cycle(store, topo, tracker, [sample(d, 60, octets=5000) for d in devices], 60) == []
    rates = queries.interface_rates(store, "kashgar-ce1")["GigabitEthernet0/0/1"]
    assert rates["in_bps"] == pytest.approx(4000 * 8 / 60)
    silent = [sample("kashgar-shufu-ce1", 120, ok=False)]
    assert cycle(store, topo, tracker, silent, 120) == []  # one miss: hysteresis
    assert cycle(store, topo, tracker, [sample("kashgar-shufu-ce1", 180, ok=False)], 180) == ["opened"]
    st = queries.status(store, topo)
    assert st["devices"]["kashgar-shufu-ce1"] == "down"
    assert st["sites"]["kashgar-shufu"] == "down"
    assert st["sites"]["kashgar"] == "up"
    [incident] = st["open_incidents"]
    assert incident["root_devices"] == ["kashgar-shufu-ce1"]
    assert incident["acknowledged_by"] is None
    registry0 = CollectorRegistry()
    registry0.register(PollingCollector(store, lambda: topo))
    assert registry0.get_sample_value("netops_incidents_unacknowledged") == 1.0
    acked = queries.acknowledge(store, incident["id"], "on-call", "calling the county")
    assert (acked["acknowledged_by"], acked["ack_note"]) == ("on-call", "calling the county")
    with pytest.raises(NetopsError, match="acknowledged already by on-call"):
        queries.acknowledge(store, incident["id"], "someone-else")
    assert registry0.get_sample_value("netops_incidents_unacknowledged") == 0.0
    assert incident["affected_sites"] == ["kashgar-shufu"]

    registry = CollectorRegistry()
    registry.register(PollingCollector(store, lambda: topo))
    labels = {
        "device": "kashgar-shufu-ce1",
        "site": "kashgar-shufu",
        "prefecture": "kashgar",
        "role": "ce",
        "platform": "huawei_vrp8",
    }
    assert registry.get_sample_value("netops_device_up", labels) == 0.0
    assert registry.get_sample_value("netops_device_status", {**labels, "status": "down"}) == 1.0
    assert (
        registry.get_sample_value(
            "netops_interface_receive_bytes_total",
            {"device": "kashgar-ce1", "interface": "GigabitEthernet0/0/1"},
        )
        == 5000.0
    )
    assert registry.get_sample_value("netops_poll_errors_total", {"reason": "timeout"}) == 2.0
    assert registry.get_sample_value("netops_incidents_open") == 1.0
    assert (
        registry.get_sample_value(
            "netops_site_status",
            {"site": "kashgar-shufu", "tier": "county", "prefecture": "kashgar", "status": "down"},
        )
        == 1.0
    )
    assert registry.get_sample_value("netops_poll_cycle_overruns_total", {"poll_job": "test"}) == 0.0
    record_cycle(
        store, job="test", samples=[], tracker=tracker, analysis=analyse(topo, tracker.silent(), ()),
        started_at=200.0, duration_s=61.0,
        interval_s=60.0,
    )  # fmt: skip
    assert registry.get_sample_value("netops_poll_cycle_overruns_total", {"poll_job": "test"}) == 1.0
    assert registry.get_sample_value("netops_poll_cycle_overrun", {"poll_job": "test"}) == 1.0
    text = generate_latest(registry).decode()
    promtool = shutil.which("promtool")
    assert promtool
    check = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr

    # it answers again, after a reboot: counters restart low; the interval across the reboot is dropped (no
    # delta, no rate), the total neither goes back nor jumps, and grows again from the next poll
    assert cycle(store, topo, tracker, [sample("kashgar-shufu-ce1", 240, octets=300, uptime=50)], 240) == [
        "resolved"
    ]
    health = queries.device_health(store, topo, "kashgar-shufu-ce1")
    assert health["status"] == "up" and health["reboots"] == 1
    assert health["interfaces"][0]["in_octets"] == 5000  # as before the silence
    assert health["interfaces"][0]["in_bps"] is None
    assert [i["state"] for i in queries.incidents(store)] == ["resolved"]


def test_link_cut_marks_counties_unreachable(store: Store, topo: Topology) -> None:
    tracker = StatusTracker(threshold=1)
    inv = topo.inventory
    kashgar = {"kashgar", *(s.id for s in inv.descendants("kashgar"))}
    cut = [d.id for d in inv.devices.values() if d.site in kashgar and d.status == "active"]
    links = ("kashgar-ce1--centre-core1", "kashgar-ce1--centre-core2-backup")
    assert cycle(store, topo, tracker, [sample(d, 0, ok=False) for d in cut], 0, links) == ["opened"]
    st = queries.status(store, topo)
    assert st["devices"]["kashgar-shufu-ce1"] == "unreachable"
    assert st["sites"]["kashgar-shufu"] == "unreachable"
    assert len(st["open_incidents"]) == 1
    assert st["open_incidents"][0]["cause"] == ["kashgar-ce1"]  # the silent router behind both dead links
