"""Thresholds of the room checks and how hard the prechecks probe: defaults from G.114 and vendor guidance.

Loaded once per precheck from the ``thresholds:`` section of any file in ``inventory/conferences/`` (keys as
the field names below); anything not given keeps its default. A FAIL band starts at the ``*_fail`` value, a
WARN band at ``*_warn``: one-way delay 100 / 150 ms (G.114), jitter 20 / 30 ms, loss 0.5 % / 1 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from netops.errors import ThresholdError as ThresholdError


@dataclass(frozen=True, slots=True)
class Thresholds:
    delay_warn_ms: float = 100.0  # one-way delay estimate, p95
    delay_fail_ms: float = 150.0  # ITU-T G.114: interactive video stays below 150 ms one way
    jitter_warn_ms: float = 20.0  # RFC 3550 interarrival jitter, worse direction
    jitter_fail_ms: float = 30.0
    loss_warn_ratio: float = 0.005
    loss_fail_ratio: float = 0.01
    sip_warn_ms: float = 500.0  # SIP OPTIONS answer delay
    sip_timeout_s: float = 2.0
    http_timeout_s: float = 3.0
    probe_count: int = 50  # packets per path burst (>= 50 for a meaningful p95 and loss)
    probe_interval_s: float = 0.01
    probe_timeout_s: float = 1.0
    content_kbps: int = 1024  # content (presentation) channel added to the call rate
    headroom_factor: float = 1.2  # (call rate + content) x 1.2 must be free in each direction
    cpu_warn_ratio: float = 0.8  # CE router health
    cpu_fail_ratio: float = 0.95
    poll_max_age_s: float = 600.0  # poll data older than this counts as none
    min_microphones: int = 1
    concurrency: int = 100  # rooms checked at the same time

    @classmethod
    def value_of(cls, key: str, raw: Any, where: str = "thresholds") -> float | int:
        """One threshold's value, checked on its own (known key, a number, its own range); the checks that
        compare keys (warn above fail) are ``from_mapping``'s."""
        known = {f.name: f for f in fields(cls)}
        if key not in known:
            raise ThresholdError(f"{where}: unknown threshold {key!r}; known: {', '.join(known)}")
        kind = int if known[key].type in ("int", int) else float
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            raise ThresholdError(f"{where}.{key}: expected a number, found {raw!r}") from None
        if value < 0:
            raise ThresholdError(f"{where}.{key}: expected >= 0, found {value}")
        if key == "probe_count" and value < 2:
            raise ThresholdError(f"{where}.{key}: expected >= 2, found {value}")
        if key == "concurrency" and value < 1:
            raise ThresholdError(f"{where}.{key}: expected >= 1, found {value}")
        return value

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "thresholds") -> Thresholds:
        changes: dict[str, Any] = {key: cls.value_of(key, raw, where) for key, raw in data.items()}
        result = replace(cls(), **changes)
        for low, high in (("delay", "ms"), ("jitter", "ms"), ("loss", "ratio")):
            warn, fail = getattr(result, f"{low}_warn_{high}"), getattr(result, f"{low}_fail_{high}")
            if warn > fail:
                raise ThresholdError(
                    f"{where}: {low}_warn_{high} ({warn}) is above {low}_fail_{high} ({fail})"
                )
        return result

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
