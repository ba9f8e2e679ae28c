"""The readiness rule on its own: colours from check results, the T-15 boundary for UNKNOWN, the two-round
rule for network checks, dependent checks left to their cause."""

from __future__ import annotations

from netops.vc.checks import Check, Status
from netops.vc.rule import Colour, decide, worst

OK = Check("camera", Status.OK, "1 camera(s) connected")


def test_green_when_everything_is_ok_or_unknown_but_not_critical() -> None:
    quiet = Check("bandwidth_uplink", Status.UNKNOWN, "no poll data", critical=False)
    assert decide([OK, quiet], after_t15=True).colour is Colour.GREEN


def test_critical_unknown_is_amber_before_t15_and_red_from_t15() -> None:
    unknown = Check("registration", Status.UNKNOWN, "no SIP or H.323 registration in the status")
    early = decide([OK, unknown], after_t15=False)
    late = decide([OK, unknown], after_t15=True)
    assert (early.colour, late.colour) == (Colour.AMBER, Colour.RED)
    assert late.reasons == ("registration: no SIP or H.323 registration in the status (unknown)",)


def test_non_critical_fail_is_amber_and_critical_fail_red() -> None:
    diag = Check("diagnostics", Status.FAIL, "Fan: failure", critical=False)
    assert decide([diag], after_t15=True).colour is Colour.AMBER
    cam = Check("camera", Status.FAIL, "camera disconnected (camera 1)")
    verdict = decide([diag, cam], after_t15=False)
    assert verdict.colour is Colour.RED and verdict.reasons[0].startswith("camera:")  # RED reasons first


def test_network_fail_needs_two_consecutive_rounds() -> None:
    loss = Check("path_loss", Status.FAIL, "loss 4.0 % > 1 %", 0.04, "ratio", network=True)
    one = decide([loss], after_t15=True)
    assert one.colour is Colour.AMBER and one.streaks == {"path_loss": 1}
    two = decide([loss], after_t15=True, before=one.streaks)
    assert two.colour is Colour.RED and two.streaks == {"path_loss": 2}
    good = Check("path_loss", Status.OK, "loss 0.0 %", 0.0, "ratio", network=True)
    reset = decide([good], after_t15=True, before=two.streaks)
    assert reset.colour is Colour.GREEN and reset.streaks == {}
    assert decide([loss], after_t15=True, before=reset.streaks).colour is Colour.AMBER


def test_checks_with_a_cause_are_left_to_it() -> None:
    dead = Check("reachable", Status.FAIL, "no reply to 50 probes", network=True)
    dep = Check("camera", Status.UNKNOWN, "codec not reachable", cause="reachable")
    verdict = decide([dead, dep], after_t15=True)
    assert verdict.reasons == ("reachable: no reply to 50 probes (bad round 1 of 2)",)


def test_worst_colour() -> None:
    assert worst([Colour.GREEN, Colour.RED, Colour.AMBER]) is Colour.RED
    assert worst([]) is Colour.GREEN
