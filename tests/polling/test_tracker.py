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
