"""Raw device counters -> monotonic totals that Prometheus can take ``rate()`` of.

An exported counter is netops' own running total: it starts at the device's value on the first poll of an
interface and then grows only by the deltas netops accepted, so a device reboot, an agent restart or a
``reset counters`` never makes it jump or go back. Each poll compares the raw values with the last poll's:

- a **discontinuity** drops the interval (no delta, no rate; the new raw values become the baseline):
  the device restarted (sysUpTime went back), the interface's ifCounterDiscontinuityTime changed, a counter
  went back without being a plausible wrap, or an octet delta would mean more than the interface speed
  (ifHighSpeed) over the elapsed time;
- a 32-bit counter below the last value wrapped if the implied increase is plausible (octets: within the
  interface speed over the elapsed time; other counters: less than half the range);
- a 64-bit counter below the last value wrapped only if the last value sat in the top 1/1024 of the range
  (a 64-bit wrap takes decades at line rate);
- an interval whose wall-clock length is not its monotonic length (``stepped``: the poller's wall clock
  stepped in it, NTP or a resumed VM, while the service ran or while it was stopped) is dropped too: its
  length is not known, so neither is its rate (``clock_stepped``).

So no rate above the interface speed, nor one from an interval of unknown length, is ever stored or exported.
"""

from __future__ import annotations

from dataclasses import dataclass

# wall and monotonic lengths of an interval differing by more than CLOCK_TOLERANCE_S plus CLOCK_DRIFT of the
# interval: the wall clock stepped in it (both stamps of a poll are read together; NTP slews at most 500 ppm),
# so a rate is never more than about 1 % off for a step of the wall clock
CLOCK_TOLERANCE_S = 0.05
CLOCK_DRIFT = 0.01
COUNTERS = ("in_octets", "out_octets", "in_errors", "out_errors", "in_discards", "out_discards")
_OCTETS = ("in_octets", "out_octets")


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one poll for one interface: new totals, and whether the interval was accepted (its
    deltas added, a rate may be computed) or dropped (``reason`` says why)."""

    totals: dict[str, int]
    accepted: bool
    # "reboot", "discontinuity", "clock-step", "backwards", "above-speed", "no-time"
    reason: str | None = None


def increase(prev: int, cur: int, bits: int, *, max_increase: float | None = None) -> int | None:
    """How much a counter grew between two polls, or None when it did not grow plausibly (a reset)."""
    if cur >= prev:
        return cur - prev
    wrapped = cur + 2**bits - prev
    if bits == 32:
        limit = max_increase if max_increase is not None else 2**31
        return wrapped if wrapped <= limit else None
    return wrapped if prev >= 2**bits - 2 ** (bits - 10) else None


def advance(
    raw_prev: dict[str, int] | None,
    totals_prev: dict[str, int] | None,
    raw_now: dict[str, int],
    *,
    hc: bool,
    rebooted: bool,
    elapsed_s: float,
    speed_bps: int,
    stepped: bool = False,
) -> Step:
    """New totals for one interface. The first poll starts the totals at the device's values."""
    if raw_prev is None or totals_prev is None:
        return Step({name: raw_now.get(name, 0) for name in COUNTERS}, accepted=False, reason="first")
    kept = {name: totals_prev.get(name, 0) for name in COUNTERS}
    if rebooted:
        return Step(kept, accepted=False, reason="reboot")
    if discontinuity(raw_prev, raw_now):
        return Step(kept, accepted=False, reason="discontinuity")
    if stepped:
        return Step(kept, accepted=False, reason="clock-step")
    if elapsed_s <= 0:
        return Step(kept, accepted=False, reason="no-time")
    octet_limit = speed_bps / 8 * elapsed_s if speed_bps > 0 else None
    out: dict[str, int] = {}
    for name in COUNTERS:
        cur = raw_now.get(name, 0)
        prev = raw_prev.get(name, cur)
        octets = name in _OCTETS
        bits = 64 if (octets and hc) else 32
        delta = increase(prev, cur, bits, max_increase=octet_limit if octets else None)
        if delta is None:
            return Step(kept, accepted=False, reason="backwards")
        if octets and octet_limit is not None and delta > octet_limit:
            return Step(kept, accepted=False, reason="above-speed")
        out[name] = kept[name] + delta
    return Step(out, accepted=True)


def clock_stepped(wall_s: float, mono_s: float | None) -> bool:
    """An interval's wall-clock length ``wall_s`` is not its monotonic length ``mono_s`` (None: not known, as
    for a sample made elsewhere): the wall clock stepped in it. Monotonic stamps of another boot (a host
    restarted between the polls) disagree too: the interval is dropped all the same."""
    if mono_s is None:
        return False
    return abs(wall_s - mono_s) > CLOCK_TOLERANCE_S + CLOCK_DRIFT * abs(mono_s)


def discontinuity(raw_prev: dict[str, int], raw_now: dict[str, int]) -> bool:
    """ifCounterDiscontinuityTime changed (RFC 2863): the interface's counters were reset or re-created."""
    before, now = raw_prev.get("discontinuity"), raw_now.get("discontinuity")
    return before is not None and now is not None and before != now


def rebooted(prev_uptime_s: float | None, uptime_s: float | None) -> bool:
    """sysUpTime went back: the device restarted (a 497-day TimeTicks wrap looks alike and is rare)."""
    return prev_uptime_s is not None and uptime_s is not None and uptime_s + 1 < prev_uptime_s
