"""Counter totals: wraps are added, discontinuities (reboot, ifCounterDiscontinuityTime, a counter going back,
a delta above the interface speed) drop the interval, and the totals never go back nor grow faster than the
interface speed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from netops.polling.counters import COUNTERS, advance, increase, rebooted

GBIT = 10**9
ZERO = dict.fromkeys(COUNTERS, 0)


def test_plain_increase() -> None:
    assert increase(100, 250, 64) == 150


def test_32_bit_wrap_within_speed() -> None:
    # 1 Gbit/s for 30 s can move 3.75 GB: a wrap from near 2^32 is plausible
    assert increase(2**32 - 1000, 500, 32, max_increase=1e9 / 8 * 30) == 1500


def test_32_bit_drop_too_large_for_the_speed_is_a_reset() -> None:
    assert increase(3_000_000_000, 10, 32, max_increase=1e6 / 8 * 30) is None
    assert increase(1000, 10, 32) is None  # an error counter cleared, not wrapped
    assert increase(2**32 - 5, 10, 32) == 15


def test_64_bit_drop_is_a_reset_unless_near_the_top() -> None:
    assert increase(5_000_000, 100, 64) is None
    assert increase(2**64 - 10, 5, 64) == 15


def test_reboot_detection() -> None:
    assert rebooted(86_400.0, 12.0) and not rebooted(12.0, 42.0) and not rebooted(None, 5.0)


def test_first_poll_starts_at_the_device_values_then_adds_deltas() -> None:
    first = {**ZERO, "in_octets": 10, "out_octets": 20}
    step = advance(None, None, first, hc=True, rebooted=False, elapsed_s=0, speed_bps=GBIT)
    assert step.totals == first and not step.accepted
    nxt = {**first, "in_octets": 110, "in_errors": 3}
    step2 = advance(first, step.totals, nxt, hc=True, rebooted=False, elapsed_s=30, speed_bps=GBIT)
    assert step2.accepted
    assert step2.totals["in_octets"] == 110 and step2.totals["in_errors"] == 3
    assert step2.totals["out_octets"] == 20


def test_reboot_drops_the_interval() -> None:
    # the measured bug: after a node-down the device's counter kept its value and sysUpTime went back;
    # adding the new value doubled the exported total (5.78e11 -> 1.156e12)
    raw = {**ZERO, "in_octets": 578_000_000_000}
    totals = dict(raw)
    step = advance(raw, totals, dict(raw), hc=True, rebooted=True, elapsed_s=10, speed_bps=GBIT)
    assert (step.accepted, step.reason, step.totals) == (False, "reboot", totals)
    # a real reboot: counters restarted from zero, sysUpTime went back
    step = advance(
        raw, totals, {**ZERO, "in_octets": 5000}, hc=True, rebooted=True, elapsed_s=10, speed_bps=GBIT
    )
    assert step.totals == totals


def test_counter_going_back_drops_the_interval() -> None:
    raw = {**ZERO, "in_octets": 10**9, "in_errors": 50}
    totals = {**ZERO, "in_octets": 5 * 10**9, "in_errors": 80}
    cleared = {**raw, "in_errors": 2, "in_octets": 10**9 + 100}
    step = advance(raw, totals, cleared, hc=True, rebooted=False, elapsed_s=30, speed_bps=GBIT)
    assert (step.accepted, step.reason, step.totals) == (False, "backwards", totals)


def test_discontinuity_time_change_drops_the_interval() -> None:
    raw = {**ZERO, "in_octets": 1000, "discontinuity": 0}
    now = {**raw, "in_octets": 2000, "discontinuity": 12345}
    step = advance(raw, dict(ZERO), now, hc=True, rebooted=False, elapsed_s=30, speed_bps=GBIT)
    assert (step.accepted, step.reason) == (False, "discontinuity")
    same = {**raw, "in_octets": 2000}
    assert advance(raw, dict(ZERO), same, hc=True, rebooted=False, elapsed_s=30, speed_bps=GBIT).accepted


def test_delta_above_the_interface_speed_is_dropped() -> None:
    raw = {**ZERO, "in_octets": 0}
    line_rate_30s = GBIT // 8 * 30
    ok = advance(
        raw,
        dict(ZERO),
        {**ZERO, "in_octets": line_rate_30s},
        hc=True,
        rebooted=False,
        elapsed_s=30,
        speed_bps=GBIT,
    )
    assert ok.accepted and ok.totals["in_octets"] == line_rate_30s
    over = {**ZERO, "out_octets": line_rate_30s + 1}
    step = advance(raw, dict(ZERO), over, hc=True, rebooted=False, elapsed_s=30, speed_bps=GBIT)
    assert (step.accepted, step.reason, step.totals) == (False, "above-speed", ZERO)


def test_32_bit_octets_wrap_is_added_only_within_the_speed() -> None:
    raw = {**ZERO, "in_octets": 2**32 - 1000}
    step = advance(
        raw, dict(ZERO), {**ZERO, "in_octets": 500}, hc=False, rebooted=False, elapsed_s=30, speed_bps=GBIT
    )
    assert step.accepted and step.totals["in_octets"] == 1500
    slow = advance(
        raw, dict(ZERO), {**ZERO, "in_octets": 500}, hc=False, rebooted=False, elapsed_s=30, speed_bps=100
    )
    assert not slow.accepted


@given(
    st.lists(
        st.tuples(st.integers(0, 2**64 - 1), st.booleans(), st.floats(0, 120), st.integers(0, 10)),
        min_size=1,
        max_size=30,
    )
)
def test_totals_never_go_back_nor_exceed_the_speed(polls: list[tuple[int, bool, float, int]]) -> None:
    raw: dict[str, int] | None = None
    totals: dict[str, int] | None = None
    for value, boot, elapsed, gbits in polls:
        now = {**ZERO, "in_octets": value}
        speed = gbits * GBIT
        step = advance(raw, totals, now, hc=True, rebooted=boot, elapsed_s=elapsed, speed_bps=speed)
        if totals is not None:
            grew = step.totals["in_octets"] - totals["in_octets"]
            assert grew >= 0
            if speed:
                assert grew <= speed / 8 * elapsed
            assert step.accepted or grew == 0
        totals, raw = step.totals, now
