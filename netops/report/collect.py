"""The assessment report's figures, read from the store and the inventory (the report's only data step).

Per node (an *active* site: planned and staging sites are not in service yet and are left out) and per group
(a prefecture with its counties; the centre with the departments and directly administered cities):

- **availability** = 1 - down / observed, where *observed* is the part of the period the polls covered (each
  stored poll cycle vouches for the time from its start to its start plus twice its interval: one missed cycle
  is tolerated, a longer gap is time nobody watched) and *down* is the observed time during which the node was
  inside an outage incident's extent (every incident kind except ``unmanaged``: a management-plane problem is
  not an outage). An incident's down time runs from ``opened_at`` to the moment its cause went away
  (``cause_gone_at``; the later ``resolved_at`` only ends the hold-down), without the recovering spells that
  ended in a recorded recurrence; an incident still open runs to the end of the period (or now). Groups and the
  region sum down and observed time over their nodes (a time-weighted mean);
- **incidents** with down time in the period, and **MTTR**: the mean time from opening to restoration of the
  incidents restored within the period;
- **conference readiness**: rooms GREEN in the T-5 rounds, and conferences held (a T-5 or live round in the
  period) without one RED room (T-5 and live rounds);
- **configuration changes** per device started in the period (dry runs left out) and how many succeeded
  (``confirmed`` or ``unchanged``); **backups current**: pushable devices whose last good backup is younger
  than ``backup_max_age_s`` at the report's reference time;
- **services** (if the ``service_checks`` table exists, docs/services.md): ok samples / all samples per site and
  service in the period;
- **rollout**: ``inventory.views.progress`` on the period's last day.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select, text

from netops.errors import NotFoundError
from netops.inventory import views
from netops.inventory.models import Inventory, Lifecycle, Site, Tier
from netops.report import intervals as iv
from netops.report.period import CST, Period
from netops.store.db import Store
from netops.store.schema import (
    ConfigChangeDevice,
    ConfigDeviceStatus,
    Incident,
    IncidentHistory,
    VcRoomResult,
    VcRound,
)

SUCCESS_OUTCOMES = frozenset({"confirmed", "unchanged"})
COVERAGE_FACTOR = 2.0  # a poll cycle vouches for twice its interval
_CHUNK = 500


@dataclass(slots=True)
class Figures:
    """What a node, a group or the region scores; groups merge their nodes' figures."""

    observed_s: float = 0.0
    down_s: float = 0.0
    incidents: dict[int, float | None] = field(default_factory=dict)  # id -> time to repair if restored in P
    t5_green: int = 0
    t5_total: int = 0
    conferences: set[str] = field(default_factory=set)
    red_conferences: set[str] = field(default_factory=set)
    changes: int = 0
    changes_ok: int = 0
    backups_current: int = 0
    backups_total: int = 0
    service_ok: int = 0
    service_total: int = 0

    def merge(self, other: Figures) -> None:
        self.observed_s += other.observed_s
        self.down_s += other.down_s
        self.incidents.update(other.incidents)
        self.t5_green += other.t5_green
        self.t5_total += other.t5_total
        self.conferences |= other.conferences
        self.red_conferences |= other.red_conferences
        self.changes += other.changes
        self.changes_ok += other.changes_ok
        self.backups_current += other.backups_current
        self.backups_total += other.backups_total
        self.service_ok += other.service_ok
        self.service_total += other.service_total

    @property
    def availability(self) -> float | None:
        """Up share of the observed time, 0..1; None when nothing was observed."""
        if self.observed_s <= 0:
            return None
        return 1.0 - self.down_s / self.observed_s

    @property
    def mttr_s(self) -> float | None:
        repairs = [d for d in self.incidents.values() if d is not None]
        return sum(repairs) / len(repairs) if repairs else None

    def summary(self) -> dict[str, Any]:
        avail = self.availability
        clean = len(self.conferences - self.red_conferences)
        return {
            "availability_pct": None if avail is None else round(avail * 100.0, 6),
            "observed_h": round(self.observed_s / 3600.0, 4),
            "down_min": round(self.down_s / 60.0, 4),
            "incidents": len(self.incidents),
            "mttr_min": None if self.mttr_s is None else round(self.mttr_s / 60.0, 2),
            "t5_green": self.t5_green,
            "t5_total": self.t5_total,
            "conferences": len(self.conferences),
            "conferences_clean": clean,
            "changes": self.changes,
            "changes_ok": self.changes_ok,
            "backups_current": self.backups_current,
            "backups_total": self.backups_total,
            "services_pct": (
                None if not self.service_total else round(100.0 * self.service_ok / self.service_total, 4)
            ),
        }


@dataclass(slots=True)
class Row:
    id: str
    name: str
    name_en: str
    tier: str
    group: str  # the group's id (a prefecture, or the centre)
    figures: Figures
    rank: int = 0


@dataclass(slots=True)
class Report:
    period: Period
    generated_at: float
    until: float  # the period's end, or now if it has not ended
    scope: str | None  # the prefecture asked for, or None for the region
    region: Figures
    groups: list[Row]
    nodes: list[Row]
    rollout: dict[str, Any]
    services: dict[str, dict[str, tuple[int, int]]] | None  # group -> service -> (ok, total); None: no table
    backup_max_age_s: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def row(r: Row) -> dict[str, Any]:
            return {
                "rank": r.rank,
                "id": r.id,
                "name": r.name,
                "name_en": r.name_en,
                "tier": r.tier,
                "group": r.group,
                **r.figures.summary(),
            }

        return {
            "period": self.period.label,
            "start": self.period.start,
            "end": self.period.end,
            "until": self.until,
            "generated_at": self.generated_at,
            "prefecture": self.scope,
            "region": self.region.summary(),
            "groups": [row(g) for g in self.groups],
            "nodes": [row(n) for n in self.nodes],
            "rollout": self.rollout,
            "services": None
            if self.services is None
            else {
                g: {s: {"ok": ok, "total": total} for s, (ok, total) in per.items()}
                for g, per in self.services.items()
            },
            "backup_max_age_s": self.backup_max_age_s,
            "notes": self.notes,
        }


def group_of(inv: Inventory, site: Site) -> str:
    """The group a site is reported under (as ``inventory progress`` counts it)."""
    if site.tier is Tier.REGION:
        return inv.centre.id
    if site.prefecture is not None:
        return site.prefecture
    return site.parent or inv.centre.id


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


_COVERAGE = text(
    """
    WITH c AS (
        SELECT started_at AS s, started_at + :factor * interval_s AS e FROM poll_cycles
        WHERE started_at >= :lo0 AND started_at < :hi
    ), m AS (
        SELECT s, e, MAX(e) OVER (ORDER BY s ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev FROM c
    )
    SELECT s, prev, (SELECT MAX(e) FROM c) FROM m WHERE prev IS NULL OR s > prev ORDER BY s
    """
)


def observed(store: Store, lo: float, hi: float) -> list[iv.Span]:
    """The part of ``[lo, hi)`` the stored poll cycles covered (any job). The database finds where coverage
    breaks (a cycle starting after every earlier cycle's coverage ended, a window function): only those rows
    come back, not a year of cycles."""
    with store.session() as s:
        breaks = s.execute(_COVERAGE, {"factor": COVERAGE_FACTOR, "lo0": lo - 86400.0, "hi": hi}).all()
    spans: list[iv.Span] = []
    for i, (start, _prev, last) in enumerate(breaks):
        end = breaks[i + 1][1] if i + 1 < len(breaks) else last
        spans.append((float(start), float(end)))
    return iv.clip(spans, lo, hi)


def down_spans(
    row: Incident, history: list[tuple[float, str]], open_until: float
) -> tuple[list[iv.Span], float | None]:
    """The spans an incident's extent was down, and its restoration time (None while it is open)."""
    spans: list[iv.Span] = []
    down_since: float | None = row.opened_at
    last_recovering: float | None = None
    restored: float | None = None
    for at, change in history:
        if change == "recovering" and down_since is not None:
            spans.append((down_since, at))
            down_since, last_recovering = None, at
        elif change == "recurred" and down_since is None:
            down_since = at
        elif change == "resolved":
            restored = row.cause_gone_at if row.cause_gone_at is not None else at
            if down_since is not None:
                spans.append((down_since, restored))
            elif last_recovering is not None and restored > last_recovering:
                # the cause came back during the hold-down without a recorded recurrence: count it down
                spans.append((last_recovering, restored))
            down_since = None
            break
    if row.state == "resolved" and restored is None:  # no history (rows from before migration 0008)
        restored = row.cause_gone_at if row.cause_gone_at is not None else row.resolved_at
        if down_since is not None and restored is not None:
            spans.append((down_since, restored))
            down_since = None
    if down_since is not None:
        spans.append((down_since, open_until))
    return iv.union(spans), restored


def _incidents(store: Store, period: Period, until: float) -> list[tuple[Incident, list[tuple[float, str]]]]:
    with store.session() as s:
        rows = list(
            s.scalars(
                select(Incident).where(
                    Incident.kind != "unmanaged",
                    Incident.opened_at < until,
                    (Incident.resolved_at.is_(None)) | (Incident.resolved_at > period.start),
                )
            )
        )
        history: dict[int, list[tuple[float, str]]] = defaultdict(list)
        ids = [r.id for r in rows]
        for part in _chunks(ids):
            for inc_id, at, change in s.execute(
                select(IncidentHistory.incident_id, IncidentHistory.at, IncidentHistory.change)
                .where(IncidentHistory.incident_id.in_(part))
                .order_by(IncidentHistory.at, IncidentHistory.id)
            ):
                history[inc_id].append((at, change))
    return [(r, history.get(r.id, [])) for r in rows]


def collect(
    inv: Inventory,
    store: Store,
    period: Period,
    *,
    prefecture: str | None = None,
    now: float | None = None,
    backup_max_age_s: float = 2 * 6 * 3600.0,
) -> Report:
    """Every figure of the report for ``period`` (optionally one prefecture's group)."""
    now = time.time() if now is None else now
    until = period.until(now)
    if prefecture is not None:
        site = inv.sites.get(prefecture)
        if site is None or site.tier is not Tier.PREFECTURE:
            known = [s.id for s in inv.sites.values() if s.tier is Tier.PREFECTURE]
            raise NotFoundError("prefecture", prefecture, known)
    nodes: dict[str, Row] = {}
    for site in inv.sites.values():
        if site.status is not Lifecycle.ACTIVE:
            continue
        group = group_of(inv, site)
        if prefecture is not None and group != prefecture:
            continue
        nodes[site.id] = Row(site.id, site.name, site.name_en or site.id, str(site.tier), group, Figures())

    watched = observed(store, period.start, until)
    watched_s = iv.length(watched)
    node_down: dict[str, list[iv.Span]] = defaultdict(list)
    for row, history in _incidents(store, period, until):
        spans, restored = down_spans(row, history, until)
        in_period = iv.clip(spans, period.start, until)
        if not in_period:
            continue
        repair = restored - row.opened_at if restored is not None and restored <= until else None
        for site_id in set(row.peak_sites or []) | set(row.affected_sites or []):
            node = nodes.get(site_id)
            if node is None:
                continue
            node.figures.incidents[row.id] = repair
            node_down[site_id].extend(in_period)
    for site_id, node in nodes.items():
        node.figures.observed_s = watched_s
        node.figures.down_s = iv.length(iv.intersect(iv.union(node_down.get(site_id, [])), watched))

    _conferences(inv, store, period, until, nodes)
    _changes(inv, store, period, until, nodes)
    ref = min(until, now)
    _backups(inv, store, ref, backup_max_age_s, nodes)
    services = _services(store, period, until, nodes)

    groups: dict[str, Row] = {}
    region = Figures()
    for node in nodes.values():
        head = inv.sites[node.group]
        grow = groups.setdefault(
            node.group,
            Row(head.id, head.name, head.name_en or head.id, str(head.tier), head.id, Figures()),
        )
        grow.figures.merge(node.figures)
        region.merge(node.figures)
    rank(list(groups.values()))
    rank(list(nodes.values()))
    last_day = datetime.fromtimestamp(max(period.start, until - 1), CST).date()
    rollout = views.progress(inv, today=last_day)
    if prefecture is not None:
        rollout["prefectures"] = [r for r in rollout["prefectures"] if r["id"] == prefecture]
    notes = [] if services is not None else ["service checks: no service_checks table in this store"]
    if watched_s <= 0:
        notes.append("no poll cycles stored in this period: availability cannot be computed")
    return Report(
        period=period,
        generated_at=now,
        until=until,
        scope=prefecture,
        region=region,
        groups=sorted(groups.values(), key=lambda r: r.rank),
        nodes=sorted(nodes.values(), key=lambda r: r.rank),
        rollout=rollout,
        services=services,
        backup_max_age_s=backup_max_age_s,
        notes=notes,
    )


def rank(rows: list[Row]) -> None:
    """Rank 1 = the highest availability; ties by fewer incidents, then shorter MTTR, then id."""

    def key(r: Row) -> tuple[float, int, float, str]:
        f = r.figures
        avail = f.availability
        return (-(avail if avail is not None else -1.0), len(f.incidents), f.mttr_s or 0.0, r.id)

    for i, r in enumerate(sorted(rows, key=key), start=1):
        r.rank = i


def _room_sites(inv: Inventory) -> dict[str, str]:
    return {room.id: room.site for room in inv.rooms.values()}


def _conferences(inv: Inventory, store: Store, period: Period, until: float, nodes: dict[str, Row]) -> None:
    room_site = _room_sites(inv)
    with store.session() as s:
        results = s.execute(
            select(VcRound.conference, VcRound.kind, VcRoomResult.room, VcRoomResult.colour)
            .join(VcRoomResult, VcRoomResult.round_id == VcRound.id)
            .where(
                VcRound.started_at >= period.start,
                VcRound.started_at < until,
                VcRound.kind.in_(("t5", "live")),
            )
        ).all()
    for conference, kind, room, colour in results:
        node = nodes.get(room_site.get(room, ""))
        if node is None:
            continue
        f = node.figures
        f.conferences.add(conference)
        if colour == "RED":
            f.red_conferences.add(conference)
        if kind == "t5":
            f.t5_total += 1
            f.t5_green += colour == "GREEN"


def _changes(inv: Inventory, store: Store, period: Period, until: float, nodes: dict[str, Row]) -> None:
    with store.session() as s:
        rows = s.execute(
            select(ConfigChangeDevice.device, ConfigChangeDevice.outcome).where(
                ConfigChangeDevice.started_at >= period.start,
                ConfigChangeDevice.started_at < until,
                ConfigChangeDevice.outcome != "planned",
            )
        ).all()
    for device, outcome in rows:
        dev = inv.devices.get(device)
        node = nodes.get(dev.site) if dev is not None else None
        if node is None:
            continue
        node.figures.changes += 1
        node.figures.changes_ok += outcome in SUCCESS_OUTCOMES


def _backups(inv: Inventory, store: Store, ref: float, max_age_s: float, nodes: dict[str, Row]) -> None:
    with store.session() as s:
        last_ok = dict(
            s.execute(select(ConfigDeviceStatus.device, ConfigDeviceStatus.last_backup_ok_at)).all()
        )
    for dev in inv.devices.values():
        node = nodes.get(dev.site)
        if node is None or dev.status is not Lifecycle.ACTIVE or not dev.platform.has_cli:
            continue
        node.figures.backups_total += 1
        at = last_ok.get(dev.id)
        node.figures.backups_current += at is not None and at >= ref - max_age_s


def _services(
    store: Store, period: Period, until: float, nodes: dict[str, Row]
) -> dict[str, dict[str, tuple[int, int]]] | None:
    if not inspect(store.engine).has_table("service_checks"):
        return None
    per_group: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    with store.session() as s:
        rows = s.execute(
            # `+checked_at` keeps SQLite off the checked_at index: it walks the covering index
            # ix_service_checks_report (service, site, checked_at, ok, migration 0011) in group order, reading no
            # table row (a year of hourly checks: 0.4 s CPU instead of 2.5 s)
            text(
                "SELECT site, service, SUM(CASE WHEN ok THEN 1 ELSE 0 END), COUNT(*) FROM service_checks"
                " WHERE +checked_at >= :lo AND +checked_at < :hi GROUP BY service, site"
            ),
            {"lo": period.start, "hi": until},
        ).all()
    for site, service, ok, total in rows:
        node = nodes.get(site)
        if node is None:
            continue
        node.figures.service_ok += int(ok)
        node.figures.service_total += int(total)
        cell = per_group[node.group][service]
        cell[0] += int(ok)
        cell[1] += int(total)
    return {g: {svc: (c[0], c[1]) for svc, c in sorted(per.items())} for g, per in sorted(per_group.items())}
