"""The reporting period: a month (``2026-11``) or a year (``2026``), in China Standard Time (UTC+08:00, the
time the region's offices keep), as UTC seconds ``[start, end)`` like every time in the store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from netops.errors import InvalidInputError

CST = timezone(timedelta(hours=8), "CST")
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True, slots=True)
class Period:
    label: str  # "2026-11" or "2026"
    start: float  # UTC seconds, inclusive
    end: float  # UTC seconds, exclusive

    @property
    def yearly(self) -> bool:
        return len(self.label) == 4

    def until(self, now: float) -> float:
        """The end of the part of the period that has happened by ``now``."""
        return max(self.start, min(self.end, now))


def parse_period(text: str) -> Period:
    m = _PERIOD.match(text.strip())
    if m is None:
        raise InvalidInputError(f"period {text!r}: expected YYYY-MM (a month) or YYYY (a year)")
    year = int(m.group(1))
    if not 1970 <= year <= 2200:
        raise InvalidInputError(f"period {text!r}: year {year} is not 1970..2200")
    if m.group(2) is None:
        start, end = datetime(year, 1, 1, tzinfo=CST), datetime(year + 1, 1, 1, tzinfo=CST)
    else:
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise InvalidInputError(f"period {text!r}: month {month} is not 01..12")
        start = datetime(year, month, 1, tzinfo=CST)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=CST)
    return Period(m.group(0), start.timestamp(), end.timestamp())


def previous_month(now: float) -> Period:
    """The last whole month before ``now`` (the monthly job's period)."""
    local = datetime.fromtimestamp(now, CST)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return parse_period(f"{year:04d}-{month:02d}")


def local_text(ts: float) -> str:
    return datetime.fromtimestamp(ts, CST).strftime("%Y-%m-%d %H:%M")


def utc_text(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")
