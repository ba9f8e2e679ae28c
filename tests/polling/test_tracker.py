"""Hysteresis: N failures before silent, first success recovers; flapping within a window."""

from __future__ import annotations

import pytest

from netops.polling.tracker import StatusTracker


def test_threshold_and_recovery() -> None:
    tr = StatusTracker(threshold=3)
    assert not tr.observe("a", False, 0, "timeout")
    assert not tr.observe("a", False, 30, "timeout")
    assert tr.silent() == set()
    assert tr.observe("a", False, 60, "timeout")
    assert tr.silent() == {"a"}
    assert tr.tracks["a"].last_error == "timeout"
    assert tr.observe("a", True, 90)
    assert tr.silent() == set() and tr.tracks["a"].failures == 0


def test_one_lost_reply_is_not_an_outage() -> None:
    tr = StatusTracker(threshold=2)
    for t, ok in enumerate([True, False, True, False, True]):
        tr.observe("a", ok, t * 30.0)
    assert tr.silent() == set()


def test_flapping_is_detected_and_ages_out() -> None:
    tr = StatusTracker(threshold=1, flap_window_s=300, flap_changes=4)
    for t, ok in enumerate([False, True, False, True]):
        tr.observe("a", ok, t * 30.0)
    assert tr.flapping() == {"a"}
    tr.observe("a", True, 1000.0)
    assert tr.flapping() == set()


def test_bad_threshold() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        StatusTracker(threshold=0)


def test_a_run_shadowed_by_a_device_in_front_is_not_a_change_of_its_own() -> None:
    tr = StatusTracker(threshold=1, flap_window_s=900, flap_changes=4)
    tr.observe("a", False, 10.0)  # a lost poll, and back: two changes of its own
    tr.observe("a", True, 20.0)
    tr.observe("a", False, 30.0)  # cut off behind the router in front (seen failing, now or later)
    tr.observe("a", False, 40.0)
    assert tr.shadow("a") and not tr.shadow("a")  # once per run
    tr.observe("a", True, 50.0)  # back with the router: not counted
    assert list(tr.tracks["a"].changes) == [10.0, 20.0] and tr.flapping() == set()
    tr.observe("a", False, 60.0)  # a failure of its own after that counts again
    tr.observe("a", True, 70.0)
    assert tr.flapping() == {"a"}


def test_shadow_only_while_failing_and_after_a_restart_only_the_end_is_held_back() -> None:
    tr = StatusTracker(threshold=2)
    tr.observe("a", True, 1.0)
    assert not tr.shadow("a") and not tr.shadow("unknown")
    # restored failing, its run's beginning already taken back before the restart: only the end is held back
    tr.restore("b", 3, "timeout", None, [5.0])
    assert tr.shadow("b") and list(tr.tracks["b"].changes) == [5.0]
    tr.observe("b", True, 9.0)
    assert list(tr.tracks["b"].changes) == [5.0]


def test_a_lost_reply_the_confirming_poll_answered_is_no_change() -> None:
    tr = StatusTracker(threshold=2, flap_window_s=900, flap_changes=4)
    for t in (10.0, 100.0, 200.0):  # three lost replies, each answered by the confirming poll a second later
        tr.observe("a", False, t)
        tr.observe("a", True, t + 1, confirming=True)
    assert list(tr.tracks["a"].changes) == [] and tr.flapping() == set()
    tr.observe("a", False, 300.0)  # failed again at the confirming poll: a run of its own (two changes)
    tr.observe("a", False, 301.0, confirming=True)
    tr.observe("a", True, 310.0)
    assert list(tr.tracks["a"].changes) == [300.0, 310.0]


def test_a_run_ended_before_the_device_in_front_was_seen_failing_is_taken_back() -> None:
    tr = StatusTracker(threshold=2)
    tr.observe("router", True, 0.0)
    tr.observe("codec", False, 5.0)  # the codec fails first: the router still counts as answering
    tr.observe("codec", True, 9.0)
    assert tr.tracks["codec"].ended == (5.0, 9.0) and not tr.failed_between("router", 4.0, 9.0)
    tr.observe("router", True, 8.5)  # the router answering again is observed first ...
    tr.observe("router", False, 4.5)  # ... its failed poll, from a cycle that ended later: stale, evidence
    assert not tr.tracks["router"].silent and tr.failed_between("router", 4.0, 9.0)
    assert tr.shadow_ended("codec") and not tr.shadow_ended("codec")
    assert list(tr.tracks["codec"].changes) == []
    tr.observe("codec", True, 400.0)  # long after: nothing left to ask about
    assert tr.tracks["codec"].ended is None
