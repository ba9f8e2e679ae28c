"""Stored wall-clock stamps compared across a step of the service's own clock (issue 13): what the review of the
clock work listed as still comparing stamps written before a step with stamps written after it.

- counter rates: an interval whose wall-clock length disagrees with its monotonic length (the clock stepped
  in it) is dropped, as a counter discontinuity is (``store._interfaces``);
- a step the poller sees moves every stamp of the current state with it (``incidents.follow_clock_step``:
  devices' ``polled_at``/``last_ok_at``/``exposed_at``, interfaces' and neighbours' ``updated_at``), so the
  merge rule (``_folds_into``: ``last_ok_at`` vs ``opened_at``), the exposure of a silent device
  (``analysis.stored_state``: ``polled_at`` vs ``exposed_at``) and the newest end of a link
  (``rootcause.link_observations``: ``updated_at``) compare stamps of one clock.

Each test steps the clock between two writes of a real SQLite store, as the poller does when it sees a step
(``Poller._store_cycle``: ``follow_clock_step``, then the cycle's samples on the wall clock as it reads now).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from netops.inventory import Topology, load_inventory
from netops.polling import queries
from netops.polling.analysis import stored_state
from netops.polling.incidents import follow_clock_step, sync_incidents
from netops.polling.model import DeviceSample
from netops.polling.rootcause import Analysis, Finding
from netops.polling.store import apply_analysis, record_samples
from netops.polling.tracker import StatusTracker
from netops.store.db import Store, open_store
from netops.store.schema import Incident, PollDevice, PollInterface

from .testlib import interface, polling_region

W = 1_800_000_000.0  # wall clock at the start of each test
M = 5_000.0  # monotonic clock then
SPEED = 10**9
ITF = interface("GigabitEthernet0/1", SPEED)


@pytest.fixture(scope="module")
def topo(tmp_path_factory: pytest.TempPathFactory) -> Topology:
    tmp = tmp_path_factory.mktemp("clockstamps")
    return Topology(load_inventory(polling_region(tmp / "inv")))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'netops.db'}")
    yield s
    s.close()


def _record(store: Store, tracker: StatusTracker, *samples: DeviceSample) -> None:
    for s in samples:
        tracker.observe(s.device, s.ok, s.polled_mono if s.polled_mono is not None else s.polled_at, s.error)
    with store.session() as session:
        record_samples(
            session,
            job="test",
            samples=samples,
            tracker=tracker,
            started_at=samples[0].polled_at,
            duration_s=0.1,
            interval_s=10.0,
        )


def _step(store: Store, step: float) -> None:
    with store.session() as session:
        follow_clock_step(session, step)


def _counter_sample(wall: float, mono: float | None, octets: int) -> DeviceSample:
    itf = dataclasses.replace(ITF, in_octets=octets, out_octets=octets)
    return DeviceSample(
        device="kashgar-ce1",
        polled_at=wall,
        duration_s=0.05,
        ok=True,
        interfaces=(itf,),
        polled_mono=mono,
    )


def _rate(store: Store) -> tuple[float | None, int]:
    with store.session() as session:
        row = session.scalars(select(PollInterface)).one()
        return row.in_bps, row.totals["in_octets"]


# 10 s of traffic at 40 % of the line rate between two polls
TEN_S = int(SPEED * 0.4 / 8 * 10)


@pytest.mark.parametrize("step", [-5.0, -0.5, 3600.0])
def test_no_rate_from_an_interval_the_wall_clock_stepped_in(store: Store, step: float) -> None:
    """10 s of real time, 40 % of the line rate: a step back of 5 s made it 80 % (a step back nearer the interval
    goes above the speed), one of 0.5 s (below the poller's step threshold) 5 % too high, a step forward of an
    hour 0.1 %. The interval is dropped; the next one is right."""
    tracker = StatusTracker(threshold=2)
    _record(store, tracker, _counter_sample(W, M, 0))
    _record(store, tracker, _counter_sample(W + 10 + step, M + 10, TEN_S))
    in_bps, total = _rate(store)
    assert in_bps is None and total == 0  # dropped: no rate, nothing added (a discontinuity)
    _record(store, tracker, _counter_sample(W + 20 + step, M + 20, 2 * TEN_S))
    in_bps, total = _rate(store)
    assert in_bps == pytest.approx(SPEED * 0.4) and total == TEN_S


def test_rate_on_the_wall_clock_without_monotonic_stamps(store: Store) -> None:
    """Samples made elsewhere (no ``polled_mono``), or a row stored before the monotonic stamp was kept: the
    wall-clock interval, as before."""
    tracker = StatusTracker(threshold=2)
    _record(store, tracker, _counter_sample(W, None, 0))
    _record(store, tracker, _counter_sample(W + 10, M + 10, TEN_S))
    in_bps, total = _rate(store)
    assert in_bps == pytest.approx(SPEED * 0.4) and total == TEN_S


def test_a_step_seen_by_the_poller_keeps_the_rate(store: Store) -> None:
    """The poller saw the step (``follow_clock_step``): the stored stamp moved with it, the interval is real
    time on both clocks and its rate is kept."""
    tracker = StatusTracker(threshold=2)
    _record(store, tracker, _counter_sample(W, M, 0))
    _step(store, -600.0)
    _record(store, tracker, _counter_sample(W - 590, M + 10, TEN_S))
    in_bps, total = _rate(store)
    assert in_bps == pytest.approx(SPEED * 0.4) and total == TEN_S


# --- _folds_into: a front device's last answer vs the incident's opening --------------------------------
CODEC, ROUTER = "pa-c2-codec", "pa-c2-ce1"
HIDDEN = Finding(
    key=f"device:{CODEC}",
    root_devices=(CODEC,),
    root_links=(),
    affected_devices=(CODEC,),
    affected_sites=(),
    affected_rooms=("room",),
)
OUTAGE = Finding(
    key=f"device:{ROUTER}",
    root_devices=(ROUTER,),
    root_links=(),
    affected_devices=(ROUTER, CODEC),
    affected_sites=("pa-c2",),
    affected_rooms=("room",),
)
FIRST = Analysis(status={CODEC: "down"}, findings=(HIDDEN,), down_links=(), degraded_links=(), on_backup=())
BOTH = Analysis(
    status={ROUTER: "down", CODEC: "unreachable"},
    findings=(OUTAGE,),
    down_links=(),
    degraded_links=(),
    on_backup=(),
    silent=frozenset({ROUTER, CODEC}),
)


@pytest.mark.parametrize(
    ("answered", "step", "merged"),
    [
        (+5.0, +3600.0, False),  # the router answered after the codec's incident opened: not merged
        (-5.0, -600.0, True),  # its last answer was before: the codec was judged from it, merged
    ],
)
def test_merge_compares_the_last_answer_on_the_clock_of_the_incident(
    store: Store, answered: float, step: float, merged: bool
) -> None:
    with store.session() as session:
        sync_incidents(session, FIRST, W)
        session.add(
            PollDevice(
                device=ROUTER,
                polled_at=W + answered,
                ok=True,
                duration_s=0.1,
                status="up",
                last_ok_at=W + answered,
            )
        )
    _step(store, step)
    with store.session() as session:
        changes = sync_incidents(session, BOTH, W + 20 + step)
    assert ("merged" in [c.change for c in changes]) is merged
    with store.session() as session:
        codec = session.scalars(select(Incident).where(Incident.key == HIDDEN.key)).one()
        assert codec.state == ("resolved" if merged else "open")


# --- stored_state: exposed (polled since the cause in front went?) -----------------------------------
SILENT = "kashgar-shule-ce1"


def _silent_poll(wall: float, mono: float) -> DeviceSample:
    return DeviceSample(
        device=SILENT, polled_at=wall, duration_s=1.0, ok=False, error="timeout", polled_mono=mono
    )


def _expose(store: Store, now: float) -> None:
    waiting = Analysis(
        status={SILENT: "unreachable"},
        findings=(),
        down_links=(),
        degraded_links=(),
        on_backup=(),
        waiting=(SILENT,),
    )
    with store.session() as session:
        apply_analysis(session, waiting, now)


def _exposed(store: Store, topo: Topology) -> bool:
    with store.session() as session:
        return SILENT in stored_state(session, topo, 2).exposed


def test_a_poll_after_a_step_back_ends_the_exposure(store: Store, topo: Topology) -> None:
    tracker = StatusTracker(threshold=2)
    _record(store, tracker, _silent_poll(W - 20, M - 20))
    _record(store, tracker, _silent_poll(W - 10, M - 10))
    _expose(store, W)  # the cause in front went: it may be coming back
    assert _exposed(store, topo)
    _step(store, -600.0)
    _record(store, tracker, _silent_poll(W - 595, M + 5))  # polled since, and still silent
    assert not _exposed(store, topo)


def test_an_exposure_after_a_step_back_waits_for_the_next_poll(store: Store, topo: Topology) -> None:
    tracker = StatusTracker(threshold=2)
    _record(store, tracker, _silent_poll(W - 10, M - 10))
    _record(store, tracker, _silent_poll(W, M))
    _step(store, -600.0)
    _expose(store, W - 599)  # 1 s after its last poll
    assert _exposed(store, topo)


# --- link_observations: the newest end of a link ---------------------------------------------------------
def _end(device: str, name: str, wall: float, mono: float, up: bool) -> DeviceSample:
    itf = dataclasses.replace(ITF, name=name, oper_up=up)
    return DeviceSample(
        device=device, polled_at=wall, duration_s=0.05, ok=True, interfaces=(itf,), polled_mono=mono
    )


def test_the_end_polled_after_a_step_back_is_the_newest(store: Store, topo: Topology) -> None:
    [link] = [
        lk.id
        for lk in topo.inventory.links.values()
        if {lk.a.device, lk.b.device} == {"kashgar-shule-ce1", "kashgar-ce1"}
    ]
    tracker = StatusTracker(threshold=2)
    _record(
        store,
        tracker,
        _end("kashgar-shule-ce1", "GigabitEthernet0/1", W, M, False),
        _end("kashgar-ce1", "GigabitEthernet0/1/2", W, M, False),
    )
    assert link in queries.down_links(store, topo)
    _step(store, -600.0)
    # the link is back; the county router is polled first, 10 s later
    _record(store, tracker, _end("kashgar-shule-ce1", "GigabitEthernet0/1", W - 590, M + 10, True))
    assert link not in queries.down_links(store, topo)
    assert queries.link_states(store, topo)[link] is True
