"""Raw device counters -> monotonic totals that Prometheus can take ``rate()`` of.

Devices report counters that wrap (32-bit ifInOctets every ~34 s at 1 Gbit/s; 64-bit in theory) and restart
from zero when the device reboots or an engineer clears them. Each poll adds the increase since the last
poll to a running total:
- after a reboot (sysUpTime went back), the counter restarted: the increase is the new value;
- a 32-bit value below the last one wrapped, if the implied increase fits the interface speed over the
  elapsed time (with 2x margin); otherwise it was reset;
- a 64-bit value below the last one was reset (a 64-bit wrap takes decades), unless the last value sat in the
  top 1/1024 of the range, which is a wrap.
"""

from __future__ import annotations

COUNTERS = ("in_octets", "out_octets", "in_errors", "out_errors", "in_discards", "out_discards")
_OCTETS = ("in_octets", "out_octets")


def increase(prev: int, cur: int, bits: int, *, rebooted: bool, max_increase: float | None = None) -> int:
    """How much a counter grew between two polls."""
    if rebooted:
        return cur
    if cur >= prev:
        return cur - prev
    wrapped = cur + 2**bits - prev
    if bits == 32:
        return wrapped if max_increase is None or wrapped <= max_increase else cur
    return wrapped if prev >= 2**bits - 2 ** (bits - 10) else cur


def advance(
    raw_prev: dict[str, int] | None,
    totals_prev: dict[str, int] | None,
    raw_now: dict[str, int],
    *,
    hc: bool,
    rebooted: bool,
    elapsed_s: float,
    speed_bps: int,
) -> dict[str, int]:
    """New totals for one interface. The first poll starts the totals at the device's values."""
    if raw_prev is None or totals_prev is None:
        return dict(raw_now)
    out: dict[str, int] = {}
    for name in COUNTERS:
        cur = raw_now.get(name, 0)
        prev = raw_prev.get(name, cur)
        bits = 64 if (name in _OCTETS and hc) else 32
        limit = None
        if name in _OCTETS and speed_bps > 0 and elapsed_s > 0:
            limit = 2 * speed_bps / 8 * elapsed_s
        out[name] = totals_prev.get(name, 0) + increase(
            prev, cur, bits, rebooted=rebooted, max_increase=limit
        )
    return out


def rebooted(prev_uptime_s: float | None, uptime_s: float | None) -> bool:
    """sysUpTime went back: the device restarted (a 497-day TimeTicks wrap looks alike and is rare)."""
    return prev_uptime_s is not None and uptime_s is not None and uptime_s + 1 < prev_uptime_s
