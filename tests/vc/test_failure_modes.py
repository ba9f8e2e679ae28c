"""One test per failure mode, against the lab's codecs and MCU on real sockets (127.70.0.0/16): a fault is
injected into the ``LabWorld``, a precheck round runs, the room's colour and reason are asserted.

The codecs' reflector runs on the round's own event loop (the ``lab`` fixture), so a loaded machine's timer
lateness adds to every delay and jitter a probe measures. As in tests/lab/codec, lower bounds are exact and
upper bounds allow the lateness measured on that loop during the same rounds (``Lateness``): the asserted
values, and the path thresholds a healthy room must stay under (``Allowing``: delay warn/fail, and jitter
warn/fail except where an impaired path must exceed them)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest

from netops.events import Event, EventBus
from netops.inventory.topology import Topology
from netops.lab.faults import FaultBook
from netops.lab.state import LabWorld
from netops.polling import queries
from netops.polling.tracker import StatusTracker
from netops.store.db import Store
from netops.vc import store as vcstore
from netops.vc.checks import Status
from netops.vc.conferences import Conference
from netops.vc.precheck import Prechecker, RoomReport, RoundReport
from netops.vc.rule import Colour
from tests.lab.codec.codec_testlib import Allowing, Lateness
from tests.vc.conftest import FAST, RunLab
from tests.vc.polldata import poll, samples


def conference(rooms: tuple[str, ...] | str = "all", start_in_s: float = 1800.0) -> Conference:
    return Conference("drill", "演练", time.time() + start_in_s, 3600.0, rooms, None, None, "api")


class MeasuredLab:
    """conftest's ``lab`` with the loop's lateness sampled during each scenario (``Lateness``) and allowed in the
    checker's path thresholds a healthy path must stay under; ``slack`` is the last scenario's (ms)."""

    def __init__(self, run: RunLab, checker: Prechecker) -> None:
        self.run, self.checker = run, checker
        self.slack = 0.0

    def __call__(self, scenario: Callable[[], Awaitable[Any]], *, exact_jitter: bool = False) -> Any:
        """``exact_jitter``: the jitter thresholds stay plain (an impaired path must exceed them)."""

        async def measured() -> Any:
            late = Lateness()
            late.start()
            base = self.checker.thresholds or FAST
            allowed = replace(
                base,
                delay_warn_ms=Allowing(base.delay_warn_ms, late),
                delay_fail_ms=Allowing(base.delay_fail_ms, late),
            )
            if not exact_jitter:
                allowed = replace(
                    allowed,
                    jitter_warn_ms=Allowing(base.jitter_warn_ms, late),
                    jitter_fail_ms=Allowing(base.jitter_fail_ms, late),
                )
            self.checker.thresholds = allowed
            try:
                return await scenario()
            finally:
                self.slack = late.stop()
                self.checker.thresholds = base

        return self.run(measured)


@pytest.fixture
def lab(lab: RunLab, checker: Prechecker) -> MeasuredLab:
    """conftest's ``lab``, measured (this module's tests all take this one)."""
    return MeasuredLab(lab, checker)


def rounds(
    lab: MeasuredLab, checker: Prechecker, conf: Conference, n: int = 1, *, exact_jitter: bool = False
) -> list[RoundReport]:
    async def scenario() -> list[RoundReport]:
        return [await checker.run(conf) for _ in range(n)]

    result: list[RoundReport] = lab(scenario, exact_jitter=exact_jitter)
    return result


def room(report: RoundReport, ident: str) -> RoomReport:
    return next(r for r in report.rooms if r.room == ident)


def check(r: RoomReport, name: str) -> tuple[Status, str]:
    c = next(c for c in r.checks if c.name == name)
    return c.status, c.reason


def test_healthy_conference_is_all_green_with_poll_data(
    lab: MeasuredLab, checker: Prechecker, db: Store, topology: Topology, events: tuple[EventBus, list[Event]]
) -> None:
    tracker = StatusTracker(threshold=1)
    now = time.time()
    poll(db, topology, tracker, samples(topology, now - 60), now - 60)
    poll(db, topology, tracker, samples(topology, now), now)
    [report] = rounds(lab, checker, conference())
    assert report.counts == {"GREEN": 4, "AMBER": 0, "RED": 0}
    for r in report.rooms:
        assert r.colour is Colour.GREEN and r.reasons == ()
        assert {c.name: c.status for c in r.checks if c.status is not Status.OK} == {}
        assert r.probe is not None and r.probe.received == 50
    hotan = room(report, "hotan-vc")
    assert (
        check(hotan, "backup_link")[0] is Status.OK
        and "hotan-ce1:GE0/0/1" not in check(hotan, "backup_link")[1]
    )
    assert "free" in check(hotan, "bandwidth_uplink")[1]
    assert {c.name: c.status for c in report.conference_checks} == {
        "mcu_status_api": Status.OK, "mcu_ports": Status.OK, "mcu_sip": Status.OK, "mcu_uplink": Status.OK,
    }  # fmt: skip
    assert events[1] == []
    states = vcstore.room_states(db, "drill")
    assert {s.colour for s in states.values()} == {"GREEN"} and len(states) == 4


def test_camera_disconnected_is_red_with_that_reason(
    lab: MeasuredLab, checker: Prechecker, faults: FaultBook, events: tuple[EventBus, list[Event]]
) -> None:
    faults.apply("camera-disconnected", "kashgar-vc")
    [report] = rounds(lab, checker, conference(("kashgar-vc", "hotan-vc")))
    r = room(report, "kashgar-vc")
    assert r.colour is Colour.RED
    assert r.reasons[0] == "camera: camera disconnected (camera 1)"
    assert room(report, "hotan-vc").colour is Colour.GREEN
    [event] = events[1]
    assert (event.kind, event.subject, event.data["conference"]) == ("vc.room.red", "kashgar-vc", "drill")


def test_codec_unregistered_is_red(lab: MeasuredLab, checker: Prechecker, faults: FaultBook) -> None:
    faults.apply("codec-unregistered", "aksu-vc")
    [report] = rounds(lab, checker, conference(("aksu-vc",)))
    r = room(report, "aksu-vc")
    assert r.colour is Colour.RED
    assert r.reasons[0].startswith("registration: codec unregistered (Failed, 408 Request Timeout)")


def test_standby_is_amber(lab: MeasuredLab, checker: Prechecker, faults: FaultBook) -> None:
    faults.apply("standby", "hotan-vc")
    [report] = rounds(lab, checker, conference(("hotan-vc",)))
    r = room(report, "hotan-vc")
    assert r.colour is Colour.AMBER
    assert r.reasons == ("standby: codec in standby (Standby)",)


def test_diagnostics_alert_is_amber(lab: MeasuredLab, checker: Prechecker, faults: FaultBook) -> None:
    faults.apply(
        "diag-alert", "hotan-vc", {"text": "Warning:TemperatureCheck:Temperature of the system is high"}
    )
    [report] = rounds(lab, checker, conference(("hotan-vc",)))
    r = room(report, "hotan-vc")
    assert (r.colour, r.reasons) == (
        Colour.AMBER, ("diagnostics: TemperatureCheck: Temperature of the system is high",)
    )  # fmt: skip


def test_jitter_40ms_is_amber_first_round_then_red(
    lab: MeasuredLab, checker: Prechecker, faults: FaultBook, events: tuple[EventBus, list[Event]]
) -> None:
    faults.apply("path-impaired", "hotan-vc", {"delay_ms": 40, "jitter_ms": 40})
    # hotan's jitter must exceed the jitter thresholds: they stay exact (aksu's, healthy, must stay under them)
    first, second = rounds(lab, checker, conference(("hotan-vc", "aksu-vc")), 2, exact_jitter=True)
    slack = lab.slack
    one, two = room(first, "hotan-vc"), room(second, "hotan-vc")
    assert one.colour is Colour.AMBER
    assert one.reasons[0].startswith("path_jitter: jitter ") and one.reasons[0].endswith("(bad round 1 of 2)")
    assert two.colour is Colour.RED and two.reasons[0].startswith("path_jitter: jitter ")
    jitter = next(c for c in two.checks if c.name == "path_jitter")
    assert isinstance(jitter.value, float) and 30 < jitter.value < 55 + slack, (jitter.value, slack)
    assert room(second, "aksu-vc").colour is Colour.GREEN
    assert [(e.kind, e.subject) for e in events[1]] == [("vc.room.red", "hotan-vc")]
    # the fault cleared: the next round is GREEN again and says so on the bus
    faults.clear_all()
    [third] = rounds(lab, checker, conference(("hotan-vc", "aksu-vc")))
    assert room(third, "hotan-vc").colour is Colour.GREEN
    assert [(e.kind, e.subject) for e in events[1]][-1] == ("vc.room.recovered", "hotan-vc")


def test_loss_3pct_is_red(lab: MeasuredLab, checker: Prechecker, faults: FaultBook) -> None:
    # 50 packets resolve loss in steps of 2 % and miss 3 % loss entirely in 22 % of bursts (0.97 ** 50);
    # 250 packets (1.25 s) see more than 1 % with a probability of 98 % (and the lab seeds its loss)
    checker.thresholds = replace(FAST, probe_count=250)
    faults.apply("path-impaired", "aksu-vc", {"loss_pct": 3})
    first, second = rounds(lab, checker, conference(("aksu-vc",)), 2)
    assert room(first, "aksu-vc").colour is Colour.AMBER
    r = room(second, "aksu-vc")
    assert r.colour is Colour.RED
    assert r.reasons[0].startswith("path_loss: loss ") and "> 1 %" in r.reasons[0]
    loss = next(c for c in r.checks if c.name == "path_loss")
    assert isinstance(loss.value, float) and 0.01 < loss.value < 0.12


def test_room_behind_failed_prefecture_uplink_is_red_unreachable_with_the_incident(
    lab: MeasuredLab, checker: Prechecker, faults: FaultBook, db: Store, topology: Topology
) -> None:
    faults.apply("link-down", "kashgar-ce1:GE0/0/0")
    tracker = StatusTracker(threshold=1)
    now = time.time()
    poll(db, topology, tracker, samples(topology, now - 60), now - 60)
    cut_off = {"kashgar-ce1", "kashgar-codec", "kashgar-shufu-ce1", "kashgar-shufu-codec"}
    cut = samples(topology, now, silent=cut_off, down_interfaces={"centre-core1:GE0/0/1"})
    poll(db, topology, tracker, cut, now)
    [incident] = queries.status(db, topology)["open_incidents"]
    assert sorted(incident["affected_rooms"]) == ["kashgar-shufu-vc", "kashgar-vc"]
    [report] = rounds(lab, checker, conference())
    # the upstream incident is the only reason: the silent codecs were not probed (and waited for) at all
    for ident in ("kashgar-vc", "kashgar-shufu-vc"):
        r = room(report, ident)
        assert r.colour is Colour.RED
        assert r.reasons == (
            f"upstream: unreachable: behind incident #{incident['id']} ({incident['summary']})",
        )
        assert next(c for c in r.checks if c.name == "upstream").value == f"incident-{incident['id']}"
    assert room(report, "hotan-vc").colour is Colour.GREEN


def test_silent_codec_without_poll_data_needs_two_rounds(
    lab: MeasuredLab, checker: Prechecker, faults: FaultBook
) -> None:
    faults.apply("node-down", "aksu-codec")
    first, second = rounds(lab, checker, conference(("aksu-vc",)), 2)
    one = room(first, "aksu-vc")
    assert one.colour is Colour.AMBER
    assert one.reasons[0] == "reachable: no reply to 50 probes (bad round 1 of 2)"
    assert len([r for r in one.reasons if "unknown" in r]) == 0  # the dependent checks are left to reachable
    assert room(second, "aksu-vc").colour is Colour.RED


def test_uplink_without_headroom_is_amber(
    lab: MeasuredLab, checker: Prechecker, db: Store, topology: Topology
) -> None:
    tracker = StatusTracker(threshold=1)
    now = time.time()
    busy = {"kashgar-ce1:GE0/0/0": 97_000_000}  # of 100 Mbit/s; the room needs (4096 + 1024) x 1.2 kbit/s
    poll(db, topology, tracker, samples(topology, now - 60, rates_bps=busy), now - 60)
    poll(db, topology, tracker, samples(topology, now, rates_bps=busy), now)
    [report] = rounds(lab, checker, conference(("kashgar-vc",)))
    r = room(report, "kashgar-vc")
    assert r.colour is Colour.AMBER
    assert r.reasons == ("bandwidth_uplink: uplink kashgar-ce1:GE0/0/0 3.0 Mbit/s free, 6.1 needed",)


def test_live_round_joins_the_codecs_to_the_call(
    lab: MeasuredLab, checker: Prechecker, world: LabWorld, db: Store
) -> None:
    codec = world.device("hotan-codec").codec
    assert codec is not None
    codec.call_state = "connected"  # already in the call: left alone
    conf = conference(("hotan-vc", "aksu-vc"), start_in_s=-600)  # started ten minutes ago

    async def scenario() -> RoundReport:
        return await checker.run(conf, "live")

    report: RoundReport = lab(scenario)
    assert room(report, "hotan-vc").colour is Colour.GREEN
    assert check(room(report, "hotan-vc"), "call_state") == (Status.OK, "1 active call(s)")
    aksu = room(report, "aksu-vc")  # not in the call: the live round made it dial the MCU
    assert (aksu.colour, aksu.reasons) == (Colour.GREEN, ())
    assert check(aksu, "call_state") == (Status.OK, "joined drill@127.70.0.5 (dialled)")
    assert world.device("aksu-codec").codec.call_state == "connected"  # type: ignore[union-attr]
    assert {c.name for c in aksu.checks}.isdisjoint({"sip_options", "bandwidth_uplink", "ce_health"})
    last = vcstore.last_round(db, "drill")
    assert last is not None and last.kind == "live" and last.conference_checks[-1]["name"] == "mcu_ports"


def test_mcu_down_fails_the_conference_checks(
    lab: MeasuredLab, checker: Prechecker, faults: FaultBook
) -> None:
    faults.apply("node-down", "centre-mcu")
    [report] = rounds(lab, checker, conference(("aksu-vc",)))
    found = {c.name: (c.status, c.reason) for c in report.conference_checks}
    assert found["mcu_status_api"] == (Status.FAIL, "centre-mcu: status API did not answer in time")
    assert found["mcu_sip"][0] is Status.FAIL and found["mcu_ports"][0] is Status.UNKNOWN
    assert room(report, "aksu-vc").colour is Colour.GREEN  # the rooms themselves are fine


def test_live_and_event_rounds_check_the_rooms_own_backup_link(
    lab: MeasuredLab, checker: Prechecker, db: Store, topology: Topology
) -> None:
    """During the conference a backup link lost on the room's own path makes it AMBER (one failure from being
    cut), in the live rounds and in the rounds an incident triggers, as in the T-x rounds."""
    from netops.vc.pollchecks import path_backups

    [(link, end)] = path_backups(topology, topology.inventory.rooms["hotan-vc"])
    tracker = StatusTracker(threshold=1)
    now = time.time()
    down = (f"{end.device}:{end.interface}",)
    poll(db, topology, tracker, samples(topology, now - 60, down_interfaces=down), now - 60)
    poll(db, topology, tracker, samples(topology, now, down_interfaces=down), now)
    conf = conference(("hotan-vc", "aksu-vc"), start_in_s=-600)  # running for ten minutes

    async def scenario() -> list[RoundReport]:
        return [await checker.run(conf, "live"), await checker.run(conf, "event")]

    reports = lab(scenario)
    assert [r.kind for r in reports] == ["live", "event"]
    for report in reports:
        hotan = room(report, "hotan-vc")
        assert hotan.colour is Colour.AMBER, (report.kind, hotan.reasons)
        assert check(hotan, "backup_link") == (Status.WARN, f"backup link {link.id} is down")
        assert any(link.id in r for r in hotan.reasons)
        assert check(hotan, "call_state")[0] is Status.OK  # joined: the other live checks unchanged
        aksu = room(report, "aksu-vc")  # another prefecture's backup: not this room's
        assert aksu.colour is Colour.GREEN and check(aksu, "backup_link")[0] is Status.OK


def test_overlapping_conferences_sharing_a_room_are_flagged_and_a_call_is_tied_to_its_conference(
    lab: MeasuredLab, checker: Prechecker, world: LabWorld, db: Store
) -> None:
    """Two conferences at the same time that share hotan-vc: the room is AMBER with the clash named in
    every round, and during the conference its codec's call to the other conference's URI (the call
    status's RemoteNumber) is not counted as joined to this one, nor hung up to dial this one."""
    from dataclasses import replace as dc_replace
    from datetime import UTC, datetime

    from netops.vc.conferences import ConferenceIn

    inv = world.inventory
    start = datetime.fromtimestamp(time.time() - 300, UTC)
    vcstore.add_conference(db, inv, ConferenceIn(id="other", title="另一个会", start=start, duration_min=60,
                                                 rooms=["hotan-vc"]))  # fmt: skip
    state = world.device("hotan-codec")
    state.device = dc_replace(state.device, vars={**state.device.vars, "mcu_uri": "other@127.70.0.5"})
    assert state.codec is not None
    state.codec.call_state = "connected"  # in the other conference's call
    conf = conference(("hotan-vc", "aksu-vc"), start_in_s=-600)  # running, overlapping "other"

    async def scenario() -> list[RoundReport]:
        return [await checker.run(conf, "live"), await checker.run(conference(("hotan-vc",)), "manual")]

    live, before_start = lab(scenario)
    hotan = room(live, "hotan-vc")
    assert hotan.colour is Colour.AMBER
    assert check(hotan, "call_state") == (
        Status.WARN,
        "in conference other's call (other@127.70.0.5), not in drill",
    )
    status, reason = check(hotan, "conference_clash")
    assert status is Status.WARN and reason.startswith("also in other (") and "overlapping drill" in reason
    assert state.codec.call_state == "connected"  # left in its call: not hung up, not re-dialled
    aksu = room(live, "aksu-vc")  # not shared: joined this conference, no clash
    assert (aksu.colour, check(aksu, "call_state")) == (
        Colour.GREEN,
        (Status.OK, "joined drill@127.70.0.5 (dialled)"),
    )
    assert "conference_clash" not in {c.name for c in aksu.checks}
    # a round before the start (the conference 30 minutes ahead overlaps "other" too): the clash is named
    assert check(room(before_start, "hotan-vc"), "conference_clash")[0] is Status.WARN
