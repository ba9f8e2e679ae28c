"""Hysteresis and flapping: turn each cycle's raw answers into the devices considered silent or unmanaged.

A device becomes silent after ``threshold`` consecutive failed polls (so one lost UDP reply is not an outage)
and answers again on its first good poll. Failures that are management-plane problems (wrong v3 key, missing
secret: ``model.management_failure``) make the device ``unmanaged`` after the same threshold instead: it
answers, netops cannot read it.

Flapping counts changes of the *raw* poll result (answered <-> failed), not of the hysteresis state: a device
down for one poll in every few (gone for more than the confirming poll's second each time) never reaches the
threshold but flaps all the same. ``flap_changes`` changes
within ``flap_window_s`` make it flapping, until the window holds fewer. Two kinds of failed runs are not
changes of the device's own:
- **a lost reply the confirming poll answered** (``observe(..., confirming=True)`` answering after one failed
  poll of the same cycle): the device was up a second before and a second after; nothing changed (two lost
  UDP replies in a quarter of an hour are not a flapping router);
- **a run a device in front of it explains** (``shadow``, ``shadow_ended``: the poller finds a device on its
  path to the centre failing during the run, seen in the same cycle or another one, before or after): that
  device's outage, not the device's. A department router cut off twice behind its dying centre router is
  not flapping (the centre router is); a codec whose county router flaps is not either.
The completed failed runs are kept for the window (``failed_between``) so the question can be asked of a
device in front that has already come back when the one behind it is seen.

What the analysis needs survives a restart: ``failures`` and the change times are stored on the device rows
(``poll_devices.failures``, ``transitions``) and ``restore`` puts them back (``Poller.restore``).

Times: ``observe``'s ``now`` is on one clock the tracker orders samples and measures the flap window with. The
poller gives the monotonic time each poll started (``DeviceSample.polled_mono``), so a step of the wall clock
(NTP, libfaketime in tests/scenarios) neither makes every later sample "stale" nor stretches the window;
``offset`` (wall minus that clock, set by the poller each cycle) turns the change times into wall-clock stamps
for the store (``wall_changes``) and back (``restore``). With the default 0 the times are taken as they come.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import inf

from netops.polling.model import management_failure

ENDED_RECHECK_S = 120.0  # how long after a run ended a device in front failing during it still explains it


@dataclass(slots=True)
class DeviceTrack:
    failures: int = 0  # consecutive failed polls
    silent: bool = False  # failures reached the threshold
    changes: deque[float] = field(default_factory=deque)  # times the raw result changed
    last_ok: float | None = None
    last_error: str | None = None
    last_detail: str | None = None
    answered: bool | None = None  # the last raw result
    observed_at: float | None = None  # when the newest observation was made (on the tracker's clock)
    run_began: float | None = None  # when the current run of failed polls began (None: before a restart)
    shadowed: bool = False  # the current run of failed polls is a device in front's outage (``shadow``)
    runs: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=64))  # failed runs
    ended: tuple[float, float] | None = None  # the last run, counted as changes, for ``ENDED_RECHECK_S``

    @property
    def management(self) -> bool:
        return management_failure(self.last_error, self.last_detail)


class StatusTracker:
    def __init__(self, threshold: int = 2, flap_window_s: float = 900.0, flap_changes: int = 4) -> None:
        if threshold < 1:
            raise ValueError("threshold: expected at least 1 failed poll before a device is down")
        self.threshold = threshold
        self.flap_window_s = flap_window_s
        self.flap_changes = flap_changes
        self.tracks: dict[str, DeviceTrack] = {}
        self.offset = 0.0  # wall-clock time minus the clock of ``observe``'s ``now`` (see the module)

    def observe(
        self,
        device: str,
        answered: bool,
        now: float,
        error: str | None = None,
        detail: str | None = None,
        corroborated: bool = False,
        confirming: bool = False,
    ) -> bool:
        """Record one poll. Returns True when the device's silent/answering state changed.

        A sample older than the newest one already observed is stale and ignored: cycles overlap (a targeted
        poll after a trap, ``netops.ingest``, can finish before a scheduled cycle that started earlier), and a
        device polled just before a fault must not count as answering after it was seen failing. A stale
        failed sample is still kept as evidence the device failed at that time (``failed_between``).

        ``corroborated``: a neighbour reported the link towards this device down (a linkDown trap or an
        adjacency-down message, ``netops.ingest``): one failed poll is then enough, the neighbour's report
        standing for the further failed polls the threshold otherwise waits for (``failures`` is raised to the
        threshold, so the analysis, which reads the stored count, agrees).

        ``confirming``: this is the confirming poll of the cycle (asked a moment after the device's first
        failed poll): an answer then ends no run of the device's own (see the module)."""
        track = self.tracks.setdefault(device, DeviceTrack())
        if track.observed_at is not None and now < track.observed_at:
            if not answered:  # stale for its state, still evidence it failed then (``failed_between``)
                track.runs.append((now, now))
            return False
        track.observed_at = now
        was = track.silent
        if track.ended is not None and now - track.ended[1] > ENDED_RECHECK_S:
            track.ended = None  # asked about long enough: a device in front seen failing later is unrelated
        if (True if track.answered is None else track.answered) != answered:  # a new device counts as up
            if answered:
                began = track.run_began
                if track.shadowed:  # the end of a run in a front device's outage is not its own
                    pass
                elif confirming and track.failures == 1:  # a lost reply, answered a moment later
                    self._take_back(track, began)
                else:
                    track.changes.append(now)
                    track.ended = (-inf if began is None else began, now)
                track.runs.append((-inf if began is None else began, now))
                track.shadowed, track.run_began = False, None
            else:
                track.changes.append(now)
                track.shadowed, track.run_began, track.ended = False, now, None
        track.answered = answered
        if answered:
            track.failures = 0
            track.silent = False
            track.last_ok = now
            track.last_error = track.last_detail = None
        else:
            track.failures += 1
            if corroborated:  # the neighbours' report stands for the failed polls the threshold waits for
                track.failures = max(track.failures, self.threshold)
            track.last_error, track.last_detail = error, detail
            if track.failures >= self.threshold:
                track.silent = True
        while track.changes and now - track.changes[0] > self.flap_window_s:
            track.changes.popleft()
        while track.runs and now - track.runs[0][1] > self.flap_window_s:
            track.runs.popleft()
        return was != track.silent

    @staticmethod
    def _take_back(track: DeviceTrack, *stamps: float | None) -> None:
        for stamp in stamps:
            if stamp is not None and stamp in track.changes:
                track.changes.remove(stamp)

    def failed_between(self, device: str, low: float, high: float) -> bool:
        """Whether ``device`` was in a run of failed polls at some time in ``low``..``high`` (tracker clock)."""
        track = self.tracks.get(device)
        if track is None:
            return False
        if track.answered is False and (track.run_began is None or track.run_began <= high):
            return True
        return any(began <= high and ended >= low for began, ended in track.runs)

    def shadow(self, device: str) -> bool:
        """The device's current run of failed polls is explained by a device in front of it failing (the
        poller asks): the change that began the run is taken back, and the answer that ends the run will not
        count (see the module). Returns True when this changed anything."""
        track = self.tracks.get(device)
        if track is None or track.answered is not False or track.shadowed:
            return False
        track.shadowed = True
        self._take_back(track, track.run_began)
        return True

    def shadow_ended(self, device: str) -> bool:
        """As ``shadow``, for the device's last run, ended (counted) in the last ``ENDED_RECHECK_S``: the device
        in front may be seen failing only now, or may have come back before the device behind it was seen
        failing."""
        track = self.tracks.get(device)
        if track is None or track.ended is None:
            return False
        began, ended = track.ended
        track.ended = None
        self._take_back(track, began, ended)
        return True

    def restore(
        self,
        device: str,
        failures: int,
        error: str | None,
        detail: str | None,
        changes: Iterable[float],
    ) -> None:
        """Put back what the store kept of a device (after a restart), unless it is tracked already.
        ``changes`` are wall-clock stamps (``wall_changes``). Whether a run of failures is shadowed is not
        stored: the poller asks again after restoring every device (``Poller.restore``)."""
        if device in self.tracks:
            return
        self.tracks[device] = DeviceTrack(
            failures=failures,
            silent=failures >= self.threshold,
            changes=deque(sorted(c - self.offset for c in changes)),
            last_error=error if failures else None,
            last_detail=detail if failures else None,
            answered=None if failures is None else failures == 0,
        )

    def wall_changes(self, device: str) -> list[float]:
        """The times ``device``'s raw result changed, as wall-clock stamps (what the store keeps)."""
        track = self.tracks.get(device)
        return [c + self.offset for c in track.changes] if track is not None else []

    def silent(self) -> set[str]:
        """Devices that stopped answering (timeouts), after the threshold."""
        return {d for d, t in self.tracks.items() if t.silent and not t.management}

    def unmanaged(self) -> dict[str, str]:
        """Devices whose polls fail for a management-plane reason, after the threshold: device -> reason."""
        return {d: t.last_error or "?" for d, t in self.tracks.items() if t.silent and t.management}

    def flapping(self, now: float | None = None) -> set[str]:
        out = set()
        for d, t in self.tracks.items():
            recent = [c for c in t.changes if now is None or now - c <= self.flap_window_s]
            if len(recent) >= self.flap_changes:
                out.add(d)
        return out

    def forget(self, keep: set[str]) -> None:
        """Drop devices no longer in the inventory."""
        for dev in set(self.tracks) - keep:
            del self.tracks[dev]
