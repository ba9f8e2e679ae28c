"""Faults change the simulated state exactly, and clearing them restores it (in-process, no sockets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.errors import LabError, NotFoundError
from netops.inventory import load_inventory
from netops.lab.faults import FaultBook
from netops.lab.state import LabWorld

INVENTORY = Path(__file__).parent / "inventory"


@pytest.fixture
def book() -> FaultBook:
    return FaultBook(LabWorld(load_inventory(INVENTORY)))


def test_link_down_and_back(book: FaultBook) -> None:
    world = book.world
    uplink = world.devices["hami-ce1"].interface("GigabitEthernet1/0/1")
    far = world.devices["centre-core1"].interface("GigabitEthernet0/0/1")
    assert uplink is not None and far is not None and uplink.oper_up
    fault = book.apply("link-down", "hami-ce1:GigabitEthernet1/0/1")
    assert not uplink.oper_up and not far.oper_up
    assert {d for d, s in world.devices.items() if not s.answers} == {
        "hami-ce1",
        "hami-codec",
        "hami-yiwu-ce1",
    }
    assert not any(nb.up for nb in world.devices["hami-ce1"].neighbors if nb.peer_device == "centre-core1")
    counters = uplink.counters()
    assert uplink.counters(uplink.since + 60)[:2] == counters[:2]  # no traffic while down
    book.clear(fault.id)
    assert uplink.oper_up and all(s.answers for s in world.devices.values())
    assert uplink.counters(uplink.since + 60)[0] > counters[0]


def test_node_down_restarts_uptime(book: FaultBook) -> None:
    state = book.world.devices["hami-yiwu-ce1"]
    assert state.uptime_s() > 86_400
    fault = book.apply("node-down", "hami-yiwu-ce1")
    assert not state.answers
    link = book.world.devices["hami-ce1"].interface("GigabitEthernet1/0/3")
    assert link is not None and not link.oper_up
    book.clear(fault.id)
    assert state.answers and state.uptime_s() < 5
    assert link.oper_up


def test_device_and_codec_faults(book: FaultBook) -> None:
    world = book.world
    codec = world.devices["hami-codec"].codec
    assert codec is not None
    faults = [
        book.apply("camera-disconnected", "hami-vc"),  # a room names its codec
        book.apply("codec-unregistered", "hami-codec"),
        book.apply("standby", "hami-codec"),
        book.apply("diag-alert", "hami-codec", {"text": "Microphone muted"}),
        book.apply("path-impaired", "hami-vc", {"delay_ms": "120", "jitter_ms": "25", "loss_pct": "2"}),
        book.apply("high-cpu", "hami-ce1", {"percent": "97"}),
        book.apply("on-battery", "hami-ce1", {"minutes": "20"}),
        book.apply("slow", "dept-audit-ce1", {"ms": "1500"}),
        book.apply("reject-line", "dept-audit-ce1", {"pattern": "^ntp server"}),
        book.apply("if-errors", "hami-ce1:GigabitEthernet1/0/1", {"rate": "100"}),
    ]
    assert (codec.camera_connected, codec.registered, codec.standby) == (False, False, True)
    assert codec.diagnostics == ["Microphone muted"]
    assert world.devices["hami-codec"].impairment.loss_ratio == pytest.approx(0.02)
    ce = world.devices["hami-ce1"]
    assert ce.cpu_percent == 97 and ce.on_battery and ce.battery_minutes == 20
    assert world.devices["dept-audit-ce1"].slow_ms == 1500
    assert world.devices["dept-audit-ce1"].rejected_lines == ["^ntp server"]
    itf = ce.interface("GigabitEthernet1/0/1")
    assert itf is not None and itf.counters(itf.since + 10)[2] - itf.counters(itf.since)[2] == pytest.approx(
        1000, 2
    )
    assert len(book.active()) == 10
    book.clear_all()
    assert (codec.camera_connected, codec.registered, codec.standby, codec.diagnostics) == (
        True,
        True,
        False,
        [],
    )
    assert ce.cpu_percent < 50 and not ce.on_battery
    assert world.devices["dept-audit-ce1"].rejected_lines == []
    assert world.devices["hami-codec"].impairment.delay_ms == 0
    assert itf.error_rate_per_s == 0
    assert faults[0].as_dict()["target"] == "hami-vc"


def test_bad_faults_are_refused(book: FaultBook) -> None:
    with pytest.raises(LabError, match="unknown fault kind 'link-flap'"):
        book.apply("link-flap", "hami-ce1")
    with pytest.raises(NotFoundError, match="hami-ce9"):
        book.apply("node-down", "hami-ce9")
    with pytest.raises(LabError, match="has no UPS"):
        book.apply("on-battery", "dept-audit-ce1")
    with pytest.raises(LabError, match="expected a codec"):
        book.apply("standby", "hami-ce1")
    with pytest.raises(LabError, match="not a valid regular expression"):
        book.apply("reject-line", "hami-ce1", {"pattern": "(("})
    with pytest.raises(LabError, match="expected 0 to 100"):
        book.apply("high-cpu", "hami-ce1", {"percent": "300"})
    with pytest.raises(NotFoundError):
        book.clear(42)
    assert book.active() == []
