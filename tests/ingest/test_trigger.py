"""Which devices an event polls, and whose silence a neighbour's report corroborates (pure, on the small
polling region); the tracker's side of it: one failed poll is enough only with a corroborating report."""

from __future__ import annotations

from pathlib import Path

from netops.ingest.events import EventKind, Notice
from netops.ingest.trigger import cut_off, reported_link, targets
from netops.inventory import Topology, load_inventory
from netops.polling.tracker import StatusTracker
from tests.polling.testlib import polling_region


def test_targets_and_reported_peers(tmp_path: Path) -> None:
    inv = load_inventory(polling_region(tmp_path / "region", net=77))
    # a prefecture router: itself, its site and the counties below, the centre routers it links to
    assert targets(inv, "kashgar-ce1") == {
        "kashgar-ce1", "kashgar-codec", "kashgar-shufu-ce1", "kashgar-shule-ce1", "centre-core1", "centre-core2",
    }  # fmt: skip
    assert targets(inv, "kashgar-shule-ce1") == {"kashgar-shule-ce1", "kashgar-ce1", "kashgar-codec"}
    assert targets(inv, "no-such-device") == set()
    down = EventKind.LINK_DOWN
    shule, shufu = "kashgar-shule-ce1--kashgar-ce1", "kashgar-shufu-ce1--kashgar-ce1"

    def link(device: str, notice: Notice) -> str | None:
        found = reported_link(inv, device, notice)
        return found.id if found is not None else None

    for spelling in ("GigabitEthernet0/1/2", "GE0/1/2"):
        assert link("kashgar-ce1", Notice(down, interface=spelling)) == shule
    assert link("kashgar-ce1", Notice(down, if_index=4)) == shule
    assert link("kashgar-ce1", Notice(EventKind.NEIGHBOR_DOWN, neighbor="127.77.22.1")) == shufu
    assert link("kashgar-ce1", Notice(EventKind.LINK_UP, interface="GE0/1/2")) == shule
    assert link("kashgar-ce1", Notice(EventKind.OTHER, interface="GE0/1/2")) is None
    assert link("kashgar-ce1", Notice(down, interface="GE9/9/9")) is None
    topo = Topology(inv)
    assert cut_off(topo, {("kashgar-ce1", shule)}) == {"kashgar-shule-ce1"}
    # the prefecture's primary uplink alone cuts nothing off (backup); both cut off the whole prefecture
    primary, backup = "kashgar-ce1--centre-core1", "kashgar-ce1--centre-core2-backup"
    assert cut_off(topo, {("centre-core1", primary)}) == {"kashgar-ce1"}
    assert cut_off(topo, {("centre-core1", primary), ("centre-core2", backup)}) == {
        "kashgar-ce1", "kashgar-codec", "kashgar-shufu-ce1", "kashgar-shule-ce1",
    }  # fmt: skip
    assert cut_off(topo, set()) == frozenset()


def test_one_failed_poll_is_silent_only_when_corroborated() -> None:
    tracker = StatusTracker(threshold=2)
    tracker.observe("a", False, 1.0, "timeout")
    tracker.observe("b", False, 1.0, "timeout", corroborated=True)
    assert tracker.silent() == {"b"} and tracker.tracks["b"].failures == 2  # stored: the analysis agrees
    tracker.observe("b", True, 2.0)
    assert tracker.silent() == set()  # an answer ends it at once, whatever the neighbours said
    tracker.observe("c", False, 1.0, "auth", "usmStatsWrongDigests", corroborated=True)
    assert "c" not in tracker.silent()  # a management failure stays unmanaged, never down


def test_a_stale_sample_from_an_overlapping_cycle_is_ignored() -> None:
    """A scheduled cycle that polled the device just before the fault finishes after the targeted cycle that
    saw it fail: its older answer must not end the silence nor count as a flap."""
    tracker = StatusTracker(threshold=2, flap_changes=3)
    tracker.observe("d", True, 10.0)
    tracker.observe("d", False, 20.0, "timeout", corroborated=True)  # the targeted poll after the trap
    assert not tracker.observe("d", True, 19.0)  # the scheduled cycle's sample, taken before the fault
    assert tracker.silent() == {"d"}
    tracker.observe("d", False, 30.0, "timeout")
    tracker.observe("d", True, 40.0)
    assert tracker.silent() == set() and tracker.flapping(40.0) == set()  # down once, up once: no flap
