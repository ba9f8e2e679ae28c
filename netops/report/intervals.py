"""Time intervals as sorted lists of ``(start, end)`` seconds: union, intersection, clipping, length.

The availability arithmetic of the report (``collect.py``) is done with these and nothing else, so the formula in
docs/report.md reads off the code: observed time is the union of what the polls covered, a node's down time the
union of its outages, both clipped to the period.
"""

from __future__ import annotations

from collections.abc import Iterable

Span = tuple[float, float]


def union(spans: Iterable[Span]) -> list[Span]:
    """Sorted, disjoint spans covering the same time as ``spans`` (empty and reversed spans dropped)."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def intersect(a: list[Span], b: list[Span]) -> list[Span]:
    """The time in both (each argument sorted and disjoint)."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def clip(spans: Iterable[Span], lo: float, hi: float) -> list[Span]:
    return union((max(s, lo), min(e, hi)) for s, e in spans)


def length(spans: Iterable[Span]) -> float:
    return sum(e - s for s, e in spans)
