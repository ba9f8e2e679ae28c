"""The incident lifecycle: findings of one analysis -> incidents in the store, one per cause, with a stable id.

Sits after the root cause (``rootcause.py``) in the analysis step; everything it knows is in the store, so a
restart (or another coordinator) carries on with the same incidents, ids and acknowledgements:

- a finding is matched to an open incident by its key, else by its cause (a cause device or link in common:
  the cause grew, or changed kind), else, while an incident is recovering, by lying inside its extent (what
  is left of the same outage), else (a degraded link at the site of an outage's cause router that answers
  again) by being what that outage shrank back to (``_shrinks_to``). A match updates the incident: extent,
  cause, kind; the peak extent is the union over its life; each change is a history row and an event. An
  unmatched finding opens an incident;
- an open incident with no finding stays open while its cause is still there behind something else (a dead
  county router that a dead prefecture router now hides: the outage continues), and resolves only after its
  cause has been gone for ``holddown_s`` (``recovering`` meanwhile; a cause that returns within the hold-down
  continues the same incident; a cause device silent again only behind another cause does not);
- a ``flapping`` finding takes over the open incident of its device (same id, kind ``flapping``); when the
  flapping ends with the device still down, the device finding takes it back.

- an open incident whose cause turns out to be behind another outage that had already begun when it opened
  (a codec confirmed silent just after its router's last good poll, then the router) is *merged* into that
  outage's incident (``_folds_into``): closed with ``merged`` (reason "merged into incident N"), the other
  incident keeps its id and takes its peak (``absorbed`` in its history).

Clocks: the stamps (``opened_at``, ``last_seen_at``, ``cause_gone_at``, ``resolved_at``) are wall-clock time,
what a NOC reads. The hold-down runs on the monotonic clock when the caller keeps ``holds`` (the poller does:
incident id -> monotonic time its cause went), so a step of the wall clock neither ends it early nor stretches
it; an incident recovering when the process started (not in ``holds``) counts the wall-clock time since its
stored ``cause_gone_at``, clamped to 0..hold-down (a step back while the service was down re-arms it). A step
of the wall clock seen by the poller moves the stamps of the open incidents with it (``follow_clock_step``),
so a duration (end minus ``opened_at``) is real time, never negative nor an hour too long.

Every transition is an ``IncidentChange``: ``opened``, ``extended``, ``shrunk``, ``changed`` (cause or kind),
``recovering``, ``recurred``, ``resolved``, ``merged`` (closed: folded into another), ``absorbed`` (the other);
``analysis.publish_changes`` makes them events (``merged`` is an ``incident.resolved``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from netops.polling.rootcause import OUTAGE_KINDS, Analysis, CauseKind, Finding
from netops.store.schema import Incident, IncidentHistory, PollDevice, PollInterface, PollNeighbor


@dataclass(frozen=True, slots=True)
class IncidentChange:
    incident_id: int
    key: str
    change: str  # opened | extended | shrunk | changed | recovering | recurred | resolved | merged | absorbed
    summary: str
    kind: str = CauseKind.DEVICE.value
    data: dict[str, Any] = field(default_factory=dict)


def _cause(row: Incident) -> set[str]:
    return set(row.cause or [*(row.root_devices or []), *(row.root_links or [])])


def _extent(row: Incident) -> tuple[set[str], set[str], set[str]]:
    return set(row.affected_sites or []), set(row.affected_devices or []), set(row.affected_rooms or [])


Places = dict[str, tuple[str, str]]  # device id -> (site, tier); link id -> its lower (child) end's
# (cause devices, devices in front): one in front last saw a link to a cause device down (``store._witnessed``)
Witnessed = Callable[[set[str], set[str]], bool]


def cause_site(row: Incident, places: Places) -> tuple[str, str] | None:
    """The cut-off site the cause sits at (a county router down, or its link: the county) and its tier."""
    cut = set(row.affected_sites or [])
    for ident in row.cause or []:
        place = places.get(ident)
        if place is not None and place[0] in cut:
            return place
    return None


def event_data(row: Incident, places: Places, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": row.key,
        "kind": row.kind,
        "summary": row.summary,
        "cause": list(row.cause or []),
        "sites": len(row.affected_sites or []),
        "devices": len(row.affected_devices or []),
        "rooms": len(row.affected_rooms or []),
        **extra,
    }
    place = cause_site(row, places)
    if place is not None:
        data["site"], data["tier"] = place
    if row.reason:
        data["reason"] = row.reason
    return data


class Lifecycle:
    """One pass of the lifecycle over the open incidents, in the caller's transaction."""

    def __init__(
        self,
        session: Session,
        now: float,
        holddown_s: float,
        places: Places,
        witnessed: Witnessed | None = None,
        holds: dict[int, float] | None = None,
    ) -> None:
        self.session = session
        self.witnessed = witnessed
        self.holds = holds
        self.mono = time.monotonic()
        self.now = now
        self.holddown_s = holddown_s
        self.places = places
        self.changes: list[IncidentChange] = []

    # --- transitions ---------------------------------------------------------------------------------
    def _record(self, row: Incident, change: str, note: str | None = None, **extra: Any) -> None:
        """A history row (``note``, if given, stands for the summary there) and an event."""
        sites, devices, rooms = _extent(row)
        self.session.add(
            IncidentHistory(
                incident_id=row.id,
                at=self.now,
                change=change,
                kind=row.kind,
                cause=list(row.cause or []),
                sites=len(sites),
                devices=len(devices),
                rooms=len(rooms),
                summary=(note or row.summary)[:1024],
            )
        )
        data = event_data(row, self.places, change=change, **extra)
        self.changes.append(IncidentChange(row.id, row.key, change, row.summary, row.kind, data))

    def open(self, f: Finding) -> Incident:
        row = Incident(
            key=f.key,
            kind=f.kind.value,
            state="open",
            summary=f.summary,
            opened_at=self.now,
            last_seen_at=self.now,
            resolved_at=None,
            cause=list(f.cause),
            reason=f.reason,
            root_devices=list(f.root_devices),
            root_links=list(f.root_links),
            affected_devices=list(f.affected_devices),
            affected_sites=list(f.affected_sites),
            affected_rooms=list(f.affected_rooms),
            peak_sites=list(f.affected_sites),
            peak_devices=list(f.affected_devices),
            peak_rooms=list(f.affected_rooms),
            suppressed=list(f.suppressed) or None,
            cause_gone_at=None,
        )
        self.session.add(row)
        self.session.flush()
        self._record(row, "opened")
        return row

    def update(self, row: Incident, f: Finding) -> None:
        before_sites, before_devices, before_rooms = _extent(row)
        before_cause, before_kind = _cause(row), row.kind
        recurred = row.cause_gone_at is not None
        row.key, row.kind, row.summary, row.reason = f.key, f.kind.value, f.summary, f.reason
        row.cause = list(f.cause)
        row.root_devices, row.root_links = list(f.root_devices), list(f.root_links)
        row.affected_devices, row.affected_sites = list(f.affected_devices), list(f.affected_sites)
        row.affected_rooms = list(f.affected_rooms)
        row.suppressed = list(f.suppressed) or None
        row.peak_sites = sorted(set(row.peak_sites or []) | set(f.affected_sites))
        row.peak_devices = sorted(set(row.peak_devices or []) | set(f.affected_devices))
        row.peak_rooms = sorted(set(row.peak_rooms or []) | set(f.affected_rooms))
        row.last_seen_at, row.cause_gone_at = self.now, None
        after_sites, after_devices, after_rooms = _extent(row)
        if recurred:
            self._record(row, "recurred")
        if _cause(row) != before_cause or row.kind != before_kind:
            self._record(row, "changed", previous_kind=before_kind)
        grew = after_sites - before_sites or after_devices - before_devices or after_rooms - before_rooms
        shrank = before_sites - after_sites or before_devices - after_devices or before_rooms - after_rooms
        if grew:
            self._record(row, "extended")
        elif shrank:
            self._record(row, "shrunk")

    def gone(self, row: Incident) -> None:
        """The cause is not found: hold down, then resolve."""
        if row.cause_gone_at is None:
            row.cause_gone_at = self.now
            if self.holddown_s > 0:
                self._record(row, "recovering")
        if self.holds is None:
            elapsed = self.now - row.cause_gone_at
        else:
            if row.id not in self.holds:  # went in this pass, or before this process started (see the module)
                before = min(max(self.now - row.cause_gone_at, 0.0), self.holddown_s)
                self.holds[row.id] = self.mono - before
            elapsed = self.mono - self.holds[row.id]
        if elapsed >= self.holddown_s:
            row.state, row.resolved_at = "resolved", self.now
            self._record(row, "resolved")

    # --- one pass ------------------------------------------------------------------------------------
    def run(self, analysis: Analysis) -> list[IncidentChange]:
        open_rows = list(
            self.session.scalars(select(Incident).where(Incident.state == "open").order_by(Incident.id))
        )
        by_key = {r.key: r for r in open_rows}
        matched: dict[int, Finding] = {}
        rest: list[Finding] = []
        for f in analysis.findings:
            row = by_key.get(f.key)
            if row is not None and row.id not in matched:
                matched[row.id] = f
            else:
                rest.append(f)
        owners: list[tuple[Incident, Finding]] = []  # the incident of each finding, after this pass
        for f in rest:
            row = self._best(f, [r for r in open_rows if r.id not in matched], analysis)
            if row is None:
                owners.append((self.open(f), f))
            else:
                matched[row.id] = f
        for row in open_rows:
            if row.id in matched:
                self.update(row, matched[row.id])
                owners.append((row, matched[row.id]))
        for row in open_rows:
            if row.id in matched:
                continue
            into = self._folds_into(row, analysis, owners)
            if into is not None:
                self.merge(row, into)
            elif self._still_there(row, analysis):
                recurred = row.cause_gone_at is not None
                row.last_seen_at, row.cause_gone_at = self.now, None
                if recurred:
                    self._record(row, "recurred")
            else:
                self.gone(row)
        if self.holds is not None:  # only incidents still recovering keep a hold-down
            recovering = {r.id for r in open_rows if r.state == "open" and r.cause_gone_at is not None}
            for ident in set(self.holds) - recovering:
                del self.holds[ident]
        return self.changes

    def merge(self, row: Incident, into: Incident) -> None:
        """``row``'s cause turned out to be behind ``into``'s: ``row`` is closed as merged (it keeps its
        history and acknowledgement; ``reason`` and the ``merged`` history row name ``into``), ``into`` keeps
        its id and grows: its peak takes ``row``'s, and an ``absorbed`` row in its history names ``row``. The
        acknowledgement is not carried over: the outage is larger than what was taken on."""
        row.state, row.resolved_at, row.last_seen_at = "resolved", self.now, self.now
        row.cause_gone_at = None
        row.reason = f"merged into incident {into.id}: {into.summary}"[:512]
        self._record(row, "merged", merged_into=into.id)
        into.peak_sites = sorted(set(into.peak_sites or []) | set(row.peak_sites or []))
        into.peak_devices = sorted(set(into.peak_devices or []) | set(row.peak_devices or []))
        into.peak_rooms = sorted(set(into.peak_rooms or []) | set(row.peak_rooms or []))
        note = f"absorbed incident {row.id} ({row.summary})"
        self._record(into, "absorbed", note, merged=row.id, merged_cause=sorted(_cause(row)))

    def _folds_into(
        self, row: Incident, analysis: Analysis, owners: list[tuple[Incident, Finding]]
    ) -> Incident | None:
        """The outage incident that explains ``row``, if ``row`` was a misattribution: every cause device of
        ``row`` is now silent and unreachable inside another outage's extent, and none of that outage's
        other devices (its cause, what it cuts off) has answered since ``row`` opened: that outage had begun
        before. Then ``row``'s cause was judged from their last answer, taken before
        they failed (devices are polled at different moments: a codec confirmed silent just after its
        router's last good poll looks like a cause of its own). The same for a recurrence (``_began``: a
        county router back in its hold-down, judged down again from its dead router's last answer). An older
        outage hidden by a newer one (a dead county router, then its prefecture's router dies) is not
        folded: the router in front answered
        after it opened, or saw the link to it down (``witnessed``: the county's failure was seen by a live
        neighbour; its incident may have opened just before the router died)."""
        if row.kind not in OUTAGE_KINDS or not row.root_devices:
            return None
        cause_devices = set(row.root_devices)
        if not cause_devices <= analysis.silent or any(
            analysis.status.get(d) != "unreachable" for d in cause_devices
        ):
            return None
        for into, f in owners:
            if into.id == row.id or f.kind not in OUTAGE_KINDS or _cause(row) & set(f.cause):
                continue
            if not cause_devices <= set(f.affected_devices):
                continue
            front = (set(f.root_devices) | set(f.affected_devices)) - cause_devices
            if not front:
                continue
            answered = self.session.scalars(
                select(PollDevice.last_ok_at).where(PollDevice.device.in_(sorted(front)))
            ).all()
            since = self._began(row)
            if not all(at is None or at <= since for at in answered):
                continue
            if self.witnessed is not None and self.witnessed(cause_devices, front):
                continue  # a neighbour saw its link down before dying itself: a failure of its own
            return into
        return None

    def _began(self, row: Incident) -> float:
        """When ``row``'s cause was last found anew: it opened, or it recurred after its cause had gone
        (a recurrence is judged like an opening: from the last answers of the devices in front of it). The
        recurrence's stamp is its history row's, which ``follow_clock_step`` does not move (history keeps its
        stamps): across a step of the wall clock this may misjudge it."""
        recurred = self.session.scalar(
            select(func.max(IncidentHistory.at)).where(
                IncidentHistory.incident_id == row.id, IncidentHistory.change == "recurred"
            )
        )
        return row.opened_at if recurred is None else max(row.opened_at, recurred)

    def _best(self, f: Finding, rows: list[Incident], analysis: Analysis) -> Incident | None:
        """The open incident ``f`` continues, if any: the same cause (in part), what is left of a
        recovering outage, or (a degraded link) the outage of the router it ends at that shrank back to it."""
        cause = set(f.cause)
        outage = f.kind in OUTAGE_KINDS
        best: tuple[int, Incident] | None = None
        for row in rows:
            row_outage = row.kind in OUTAGE_KINDS
            if f.kind is CauseKind.FLAPPING:
                ok = row.kind in (*OUTAGE_KINDS, CauseKind.FLAPPING) and _cause(row) == cause
            elif row.kind == CauseKind.FLAPPING:
                ok = outage and set(f.root_devices) == _cause(row)
            elif f.kind is CauseKind.UNMANAGED or row.kind == CauseKind.UNMANAGED:
                ok = f.kind.value == row.kind and bool(cause & _cause(row))
            elif row.kind == CauseKind.LINK and f.kind is not CauseKind.LINK and f.explains:
                # a degraded link's incident becomes the outage of the router it ends at (it grew)
                ok = outage and set(row.root_links or []) <= set(f.explains)
            elif self._shrinks_to(f, row, analysis):
                ok = True
            else:
                ok = outage and row_outage and bool(cause & _cause(row))
                if not ok and outage and row_outage and row.cause_gone_at is not None:
                    ok = bool(f.root_devices) and set(f.root_devices) <= set(row.affected_devices or [])
            if ok:
                score = len(cause & _cause(row))
                if best is None or score > best[0]:
                    best = (score, row)
        return best[1] if best else None

    def _shrinks_to(self, f: Finding, row: Incident, analysis: Analysis) -> bool:
        """``f`` is a degraded link (both ends answer, nothing cut off) at the site of ``row``'s cause
        devices, a site ``row`` cut off (a router's outage, not a hung codec's), and those devices answer
        again: the outage of the router, cut off by that link and another, shrank back
        to the link that is still down (its backup came back first). The same incident continues (the
        reverse of a link incident growing into the router's outage)."""
        if f.kind is not CauseKind.LINK or f.root_devices or f.affected_devices or not f.root_links:
            return False
        devices = set(row.root_devices or [])
        if row.kind not in OUTAGE_KINDS or row.kind == CauseKind.LINK or not devices:
            return False
        if devices & analysis.silent:
            return False  # still down: its own finding, or hidden behind another cause
        # a router's outage: its site was cut off (not a hung codec beside the link's router)
        sites = {self.places[d][0] for d in devices if d in self.places} & set(row.peak_sites or [])
        return all(link in self.places and self.places[link][0] in sites for link in f.root_links)

    @staticmethod
    def _still_there(row: Incident, analysis: Analysis) -> bool:
        """An outage whose cause devices are still silent, hidden behind another cause (unreachable now), or
        whose cause links are still down, continues. Not once its cause has gone (recovering: its devices
        answered): silent again only behind another cause (unreachable: a county router back in its
        hold-down, then cut off by its prefecture router dying), that silence is the other outage's, not its
        own cause's return; it goes on recovering (a cause found again continues it: ``recurred``)."""
        if row.kind not in OUTAGE_KINDS:
            return False
        devices = set(row.root_devices or []) & analysis.silent
        if row.cause_gone_at is not None:
            devices = {d for d in devices if analysis.status.get(d) != "unreachable"}
        if devices:
            return True
        return bool(set(row.root_links or []) & set(analysis.down_links))


def sync_incidents(
    session: Session,
    analysis: Analysis,
    now: float,
    *,
    holddown_s: float = 0.0,
    places: Places | None = None,
    witnessed: Witnessed | None = None,
    holds: dict[int, float] | None = None,
) -> list[IncidentChange]:
    """Bring the open incidents in step with ``analysis``; returns the transitions. ``places`` (see
    ``cause_site``) lets events name the cut-off site of their cause and its tier; ``witnessed`` tells an
    outage seen by a live neighbour (never merged, see ``_folds_into``); ``holds``, kept by the caller across
    passes, runs hold-downs on the monotonic clock (see the module; without it, on ``now``)."""
    return Lifecycle(session, now, holddown_s, places or {}, witnessed, holds).run(analysis)


def follow_clock_step(session: Session, step: float) -> int:
    """The wall clock stepped by ``step`` seconds: move the stamps of the open incidents with it (their
    durations stay real time; what is resolved keeps the stamps it had), and those of the current state the
    analysis compares with them and with the stamps written from now on: the devices' ``polled_at``,
    ``last_ok_at``, ``exposed_at``, ``last_reboot_at`` and flap ``transitions``, the interfaces' and
    neighbours' ``updated_at`` (``_folds_into``, ``analysis.stored_state``, ``rootcause.link_observations``
    and the counter rates compare them across polls). History (cycles, incident history rows) keeps its
    stamps. Returns how many open incidents moved."""
    rows = list(session.scalars(select(Incident).where(Incident.state == "open")))
    for row in rows:
        row.opened_at += step
        row.last_seen_at += step
        if row.cause_gone_at is not None:
            row.cause_gone_at += step
    for dev in session.scalars(select(PollDevice)):
        dev.polled_at += step
        if dev.last_ok_at is not None:
            dev.last_ok_at += step
        if dev.exposed_at is not None:
            dev.exposed_at += step
        if dev.last_reboot_at is not None:
            dev.last_reboot_at += step
        if dev.transitions:
            dev.transitions = [t + step for t in dev.transitions]
    session.execute(update(PollInterface).values(updated_at=PollInterface.updated_at + step))
    session.execute(update(PollNeighbor).values(updated_at=PollNeighbor.updated_at + step))
    return len(rows)
