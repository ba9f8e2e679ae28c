"""Hysteresis and flapping: turn each cycle's raw answers into the set of devices considered silent.

A device becomes silent after ``threshold`` consecutive failed polls (so one lost UDP reply is not an outage)
and answers again on its first good poll. A device whose state changed ``flap_changes`` times within
``flap_window_s`` is flapping; it stays reported as such until the window holds fewer changes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class DeviceTrack:
    failures: int = 0  # consecutive failed polls
    silent: bool = False  # failures reached the threshold
    changes: deque[float] = field(default_factory=deque)  # times silent <-> answering changed
    last_ok: float | None = None
    last_error: str | None = None


class StatusTracker:
    def __init__(self, threshold: int = 2, flap_window_s: float = 900.0, flap_changes: int = 4) -> None:
        if threshold < 1:
            raise ValueError("threshold: expected at least 1 failed poll before a device is down")
        self.threshold = threshold
        self.flap_window_s = flap_window_s
        self.flap_changes = flap_changes
        self.tracks: dict[str, DeviceTrack] = {}

    def observe(self, device: str, answered: bool, now: float, error: str | None = None) -> bool:
        """Record one poll. Returns True when the device's silent/answering state changed."""
        track = self.tracks.setdefault(device, DeviceTrack())
        was = track.silent
        if answered:
            track.failures = 0
            track.silent = False
            track.last_ok = now
            track.last_error = None
        else:
            track.failures += 1
            track.last_error = error
            if track.failures >= self.threshold:
                track.silent = True
        changed = was != track.silent
        if changed:
            track.changes.append(now)
        while track.changes and now - track.changes[0] > self.flap_window_s:
            track.changes.popleft()
        return changed

    def silent(self) -> set[str]:
        return {d for d, t in self.tracks.items() if t.silent}

    def flapping(self) -> set[str]:
        return {d for d, t in self.tracks.items() if len(t.changes) >= self.flap_changes}

    def forget(self, keep: set[str]) -> None:
        """Drop devices no longer in the inventory."""
        for dev in set(self.tracks) - keep:
            del self.tracks[dev]
