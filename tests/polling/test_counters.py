"""Counter totals survive 32-bit wraps, 64-bit resets and reboots without going backwards."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from netops.polling.counters import advance, increase, rebooted


def test_plain_increase() -> None:
    assert increase(100, 250, 64, rebooted=False) == 150


def test_32_bit_wrap_within_speed() -> None:
    # 1 Gbit/s for 30 s can move 3.75 GB: a wrap from near 2^32 is plausible
    assert increase(2**32 - 1000, 500, 32, rebooted=False, max_increase=2 * 1e9 / 8 * 30) == 1500


def test_32_bit_drop_too_large_for_the_speed_is_a_reset() -> None:
    assert increase(3_000_000_000, 10, 32, rebooted=False, max_increase=2 * 1e6 / 8 * 30) == 10


def test_64_bit_drop_is_a_reset_unless_near_the_top() -> None:
    assert increase(5_000_000, 100, 64, rebooted=False) == 100
    assert increase(2**64 - 10, 5, 64, rebooted=False) == 15


def test_reboot_restarts_from_the_new_value() -> None:
    assert increase(10_000, 20_000, 64, rebooted=True) == 20_000
    assert rebooted(86_400.0, 12.0) and not rebooted(12.0, 42.0) and not rebooted(None, 5.0)


def test_advance_first_poll_and_next() -> None:
    first = {
        "in_octets": 10,
        "out_octets": 20,
        "in_errors": 0,
        "out_errors": 0,
        "in_discards": 0,
        "out_discards": 0,
    }
    totals = advance(None, None, first, hc=True, rebooted=False, elapsed_s=0, speed_bps=10**9)
    assert totals == first
    nxt = {**first, "in_octets": 110, "in_errors": 3}
    totals2 = advance(first, totals, nxt, hc=True, rebooted=False, elapsed_s=30, speed_bps=10**9)
    assert totals2["in_octets"] == 110 and totals2["in_errors"] == 3 and totals2["out_octets"] == 20


@given(st.lists(st.tuples(st.integers(0, 2**64 - 1), st.booleans()), min_size=1, max_size=30))
def test_totals_never_go_backwards(polls: list[tuple[int, bool]]) -> None:
    raw: dict[str, int] | None = None
    totals: dict[str, int] | None = None
    last = 0
    for value, boot in polls:
        now = {"in_octets": value}
        totals = advance(raw, totals, now, hc=True, rebooted=boot, elapsed_s=30, speed_bps=10**9)
        assert totals["in_octets"] >= last
        last = totals["in_octets"]
        raw = now
