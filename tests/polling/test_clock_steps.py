"""Steps of the wall clock (issue 13): the tracker orders and measures on the clock it is given (the poller's
monotonic one) and stores wall-clock stamps; incident hold-downs run on the monotonic clock; a step moves the
open incidents' stamps with it. The end-to-end check is the scenarios s50-s53 (the real service, libfaketime)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from netops.polling.incidents import follow_clock_step, sync_incidents
from netops.polling.rootcause import Analysis, Finding
from netops.polling.tracker import StatusTracker
from netops.store.db import Store, open_store
from netops.store.schema import Incident

DEAD = Finding(
    key="device:pa-c2-ce1",
    root_devices=("pa-c2-ce1",),
    root_links=(),
    affected_devices=("pa-c2-ce1",),
    affected_sites=("pa-c2",),
    affected_rooms=(),
)
DOWN = Analysis(
    status={"pa-c2-ce1": "down"}, findings=(DEAD,), down_links=(), degraded_links=(), on_backup=()
)
UP = Analysis(status={"pa-c2-ce1": "up"}, findings=(), down_links=(), degraded_links=(), on_backup=())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'netops.db'}")
    yield s
    s.close()


def _incident(store: Store) -> Incident:
    with store.session() as session:
        row = session.scalars(select(Incident)).one()
        session.expunge(row)
        return row


def test_samples_ordered_on_the_given_clock_stamps_stored_on_the_wall_clock() -> None:
    tr = StatusTracker(threshold=2, flap_window_s=300, flap_changes=4)
    tr.offset = 1_000_000.0  # wall minus the monotonic clock
    tr.observe("a", True, 10.0)
    tr.observe("a", False, 20.0, "timeout")
    assert tr.wall_changes("a") == [1_000_020.0]
    assert not tr.observe("a", True, 15.0)  # older than the newest: ignored
    assert tr.tracks["a"].failures == 1
    # the stored stamps come back on the tracker's clock (after a restart, with the offset of then)
    again = StatusTracker(threshold=2)
    again.offset = 2_000_000.0
    again.restore("a", 1, "timeout", None, tr.wall_changes("a"))
    assert list(again.tracks["a"].changes) == [-999_980.0]


def test_holddown_on_the_monotonic_clock_whatever_the_wall_clock_does(store: Store) -> None:
    holds: dict[int, float] = {}
    wall = 1_800_000_000.0
    with store.session() as session:
        sync_incidents(session, DOWN, wall, holddown_s=30.0, holds=holds)
    with store.session() as session:  # the cause goes: the hold-down starts
        changes = sync_incidents(session, UP, wall + 10, holddown_s=30.0, holds=holds)
    assert [c.change for c in changes] == ["recovering"]
    with store.session() as session:  # an hour forward on the wall clock: still holding down
        changes = sync_incidents(session, UP, wall + 3610, holddown_s=30.0, holds=holds)
    assert changes == [] and _incident(store).state == "open"
    ident = _incident(store).id
    holds[ident] -= 30.0  # 30 s of monotonic time have passed since the cause went
    with store.session() as session:  # ten minutes back on the wall clock: resolves all the same
        changes = sync_incidents(session, UP, wall - 600, holddown_s=30.0, holds=holds)
    assert [c.change for c in changes] == ["resolved"]
    assert holds == {}


def test_recovering_at_start_counts_the_stored_stamp_clamped(store: Store) -> None:
    wall = 1_800_000_000.0
    with store.session() as session:
        sync_incidents(session, DOWN, wall, holddown_s=30.0)
        sync_incidents(session, UP, wall + 10, holddown_s=30.0)
    holds: dict[int, float] = {}  # a new process: the wall clock went back since the cause went
    with store.session() as session:
        assert sync_incidents(session, UP, wall - 600, holddown_s=30.0, holds=holds) == []
    assert time.monotonic() - holds[_incident(store).id] < 30.0  # re-armed, not negative or endless
    holds.clear()  # another start, 40 s after the cause went: the stored stamp says the hold-down is over
    with store.session() as session:
        changes = sync_incidents(session, UP, wall + 50, holddown_s=30.0, holds=holds)
    assert [c.change for c in changes] == ["resolved"]


def test_a_step_moves_the_open_incidents_stamps(store: Store) -> None:
    wall = 1_800_000_000.0
    with store.session() as session:
        sync_incidents(session, DOWN, wall, holddown_s=30.0)
        sync_incidents(session, DOWN, wall + 20, holddown_s=30.0)
    with store.session() as session:
        assert follow_clock_step(session, 3600.0) == 1
    with store.session() as session:
        sync_incidents(session, DOWN, wall + 3630, holddown_s=30.0)
    row = _incident(store)
    assert row.opened_at == wall + 3600 and row.last_seen_at - row.opened_at == 30.0
