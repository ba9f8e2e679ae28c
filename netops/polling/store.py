"""Write a poll cycle's results into the store and keep incidents in step with the root-cause findings.

Two halves, so that several pollers can share one store (docs/scaling.md):

- ``record_samples``: what a poller saw: device rows (hysteresis ``failures``, reboots, CPU/memory, UPS),
  interface rows (raw counters and monotonic totals), neighbour rows, error counts by reason, the cycle row.
  Each shard writes only its own devices' rows; the error counts are an atomic upsert.
- ``apply_analysis``: what the analysis concluded: device statuses (and when a silent device was exposed,
  ``exposed_at``), and the incidents through their lifecycle (``incidents.py``).

``record_cycle`` does both in one transaction (tests and tools that already hold an ``Analysis``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from netops.drivers.names import canonical
from netops.inventory.topology import Topology
from netops.polling.counters import COUNTERS, advance, clock_stepped, rebooted
from netops.polling.incidents import IncidentChange, sync_incidents
from netops.polling.model import DeviceSample
from netops.polling.rootcause import Analysis, links_down_from_interfaces
from netops.polling.tracker import StatusTracker
from netops.store.db import Store
from netops.store.schema import (
    PollCycle,
    PollDevice,
    PollErrorCount,
    PollInterface,
    PollNeighbor,
)

MONO_KEY = "_mono_ms"  # in an interface row's ``raw``: the monotonic time of its last poll, in milliseconds
CYCLE_RETENTION_S = 7 * 86_400  # cycle rows kept for a week (incidents are kept for ever)
__all__ = ["IncidentChange", "apply_analysis", "record_cycle", "record_samples"]


def record_cycle(
    store: Store,
    *,
    job: str,
    samples: Sequence[DeviceSample],
    tracker: StatusTracker,
    analysis: Analysis,
    started_at: float,
    duration_s: float,
    interval_s: float,
    holddown_s: float = 0.0,
    topology: Topology | None = None,
) -> list[IncidentChange]:
    with store.session() as session:
        record_samples(
            session,
            job=job,
            samples=samples,
            tracker=tracker,
            started_at=started_at,
            duration_s=duration_s,
            interval_s=interval_s,
            analysis=analysis,
        )
        return apply_analysis(
            session, analysis, started_at + duration_s, holddown_s=holddown_s, topology=topology
        )


def record_samples(
    session: Session,
    *,
    job: str,
    samples: Sequence[DeviceSample],
    tracker: StatusTracker,
    started_at: float,
    duration_s: float,
    interval_s: float,
    analysis: Analysis | None = None,
) -> None:
    """Store what was polled. Without ``analysis`` a new device row starts ``unknown`` and existing rows keep
    their status until the next ``apply_analysis``."""
    restarted = _devices(session, samples, tracker, analysis)
    _interfaces(session, samples, restarted)
    _neighbors(session, samples)
    _errors(session, samples)
    session.add(
        PollCycle(
            job=job,
            started_at=started_at,
            duration_s=duration_s,
            interval_s=interval_s,
            devices=len(samples),
            failed=sum(not s.ok for s in samples),
            overrun=duration_s > interval_s,
        )
    )


def apply_analysis(
    session: Session,
    analysis: Analysis,
    now: float,
    *,
    holddown_s: float = 0.0,
    topology: Topology | None = None,
    holds: dict[int, float] | None = None,
) -> list[IncidentChange]:
    """Statuses of every stored device and the incidents, from one analysis. ``holds``: see
    ``incidents.sync_incidents``. ``topology`` lets incident
    events name the cut-off site of their cause and its tier."""
    places: dict[str, tuple[str, str]] = {}
    if topology is not None:
        inv = topology.inventory
        places = {d.id: (d.site, str(inv.sites[d.site].tier)) for d in inv.devices.values()}
        places.update({lk.id: places[lk.a.device] for lk in inv.links.values()})
    witnessed = None if topology is None else _witnessed(session, topology)
    changes = sync_incidents(
        session, analysis, now, holddown_s=holddown_s, places=places, witnessed=witnessed, holds=holds
    )
    _statuses(session, analysis, now)
    return changes


def _witnessed(session: Session, topology: Topology) -> Callable[[set[str], set[str]], bool]:
    """``witnessed(causes, front)``: a device of ``front`` last saw a link to one of ``causes`` down (its last
    stored poll: admin-up, oper-down), so their failure was seen by a live neighbour. Read on first use."""
    seen: list[set[str]] = []

    def check(causes: set[str], front: set[str]) -> bool:
        if not seen:
            ends = interface_ends(session, lambda device: device in topology.inventory.devices, topology)
            down: dict[str, list[str]] = {}
            for (device, name), (admin, oper, _) in ends.items():
                if admin and not oper:
                    down.setdefault(device, []).append(name)
            seen.append(links_down_from_interfaces(topology, down))
        inv = topology.inventory
        for link_id in seen[0]:
            link = inv.links[link_id]
            a, b = link.a.device, link.b.device
            if (a in causes and b in front) or (b in causes and a in front):
                return True
        return False

    return check


def _devices(
    session: Session, samples: Sequence[DeviceSample], tracker: StatusTracker, analysis: Analysis | None
) -> set[str]:
    """Update the device rows; returns the devices that rebooted since their last poll."""
    ids = [s.device for s in samples]
    rows = {r.device: r for r in session.scalars(select(PollDevice).where(PollDevice.device.in_(ids)))}
    flapping = tracker.flapping()
    restarted: set[str] = set()
    for s in samples:
        row = rows.get(s.device)
        track = tracker.tracks.get(s.device)
        if row is None:
            row = PollDevice(
                device=s.device, reboots=0, polls=0, flapping=False, failures=0, status="unknown"
            )
            session.add(row)
        row.polled_at, row.ok, row.error, row.detail = s.polled_at, s.ok, s.error, s.detail
        row.duration_s = s.duration_s
        row.polls = (row.polls or 0) + 1
        row.failures = track.failures if track else (0 if s.ok else 1)
        row.transitions = tracker.wall_changes(s.device)
        row.flapping = s.device in flapping
        if analysis is not None:
            row.status = analysis.status.get(s.device, "up")
        if s.ok:
            if rebooted(row.sys_uptime_s, s.sys_uptime_s):
                restarted.add(s.device)
                row.reboots = (row.reboots or 0) + 1
                row.last_reboot_at = s.polled_at - (s.sys_uptime_s or 0)
            row.sys_name, row.sys_uptime_s = s.sys_name, s.sys_uptime_s
            row.cpu_ratio, row.memory_ratio = s.cpu_ratio, s.memory_ratio
            row.ups_on_battery, row.ups_minutes = s.ups_on_battery, s.ups_minutes_remaining
            row.last_ok_at = s.polled_at
    return restarted


def _interfaces(session: Session, samples: Sequence[DeviceSample], restarted: set[str]) -> None:
    ok = [s for s in samples if s.ok]
    if not ok:
        return
    existing = {
        (r.device, r.if_index): r
        for r in session.scalars(
            select(PollInterface).where(PollInterface.device.in_([s.device for s in ok]))
        )
    }
    for s in ok:
        for itf in s.interfaces:
            raw_now = {name: int(getattr(itf, name)) for name in COUNTERS}
            if itf.discontinuity is not None:
                raw_now["discontinuity"] = itf.discontinuity  # compared by counters.discontinuity
            if s.polled_mono is not None:  # the interval's length on the monotonic clock
                raw_now[MONO_KEY] = round(s.polled_mono * 1000)
            row = existing.get((s.device, itf.index))
            if row is None:
                step = advance(None, None, raw_now, hc=itf.hc, rebooted=False, elapsed_s=0, speed_bps=0)
                row = PollInterface(device=s.device, if_index=itf.index, raw=raw_now, totals=step.totals)
                session.add(row)
            else:
                # a dropped interval (reboot, discontinuity, a clock step, above the speed) adds nothing and
                # has no rate
                elapsed = s.polled_at - row.updated_at
                mono_prev = row.raw.get(MONO_KEY)
                mono = raw_now.get(MONO_KEY)
                step = advance(
                    row.raw,
                    row.totals,
                    raw_now,
                    hc=itf.hc,
                    rebooted=s.device in restarted,
                    elapsed_s=elapsed,
                    speed_bps=itf.speed_bps,
                    stepped=clock_stepped(
                        elapsed, None if mono is None or mono_prev is None else (mono - mono_prev) / 1000
                    ),
                )
                row.in_bps = row.out_bps = None
                if step.accepted:
                    row.in_bps = (step.totals["in_octets"] - row.totals.get("in_octets", 0)) * 8 / elapsed
                    row.out_bps = (step.totals["out_octets"] - row.totals.get("out_octets", 0)) * 8 / elapsed
                row.totals, row.raw = step.totals, raw_now
            row.name, row.alias, row.admin_up, row.oper_up = itf.name, itf.alias, itf.admin_up, itf.oper_up
            row.speed_bps, row.hc, row.updated_at = itf.speed_bps, itf.hc, s.polled_at


def _neighbors(session: Session, samples: Sequence[DeviceSample]) -> None:
    ok = [s for s in samples if s.ok]
    if not ok:
        return
    session.execute(delete(PollNeighbor).where(PollNeighbor.device.in_([s.device for s in ok])))
    for s in ok:
        seen: set[tuple[str, str]] = set()
        for nb in s.neighbors:
            if (nb.protocol, nb.peer) in seen:
                continue
            seen.add((nb.protocol, nb.peer))
            session.add(
                PollNeighbor(
                    device=s.device,
                    protocol=nb.protocol,
                    peer=nb.peer,
                    state=nb.state,
                    up=nb.up,
                    updated_at=s.polled_at,
                )
            )


def _errors(session: Session, samples: Sequence[DeviceSample]) -> None:
    """Add this cycle's failures by reason. An atomic upsert where the database has one, so shards writing
    the same reason at once neither collide on the insert nor lose an increment; in reason order, so two
    transactions never lock the rows in opposite orders."""
    counts: dict[str, int] = {}
    for s in samples:
        if not s.ok and s.error:
            counts[s.error] = counts.get(s.error, 0) + 1
    dialect = session.get_bind().dialect.name
    for reason, n in sorted(counts.items()):
        if dialect in ("postgresql", "sqlite"):
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            stmt = insert(PollErrorCount).values(reason=reason, count=n)
            session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[PollErrorCount.reason], set_={"count": PollErrorCount.count + n}
                )
            )
            continue
        row = session.get(PollErrorCount, reason)
        if row is None:
            session.add(PollErrorCount(reason=reason, count=n))
        else:
            row.count += n


def _statuses(session: Session, analysis: Analysis, now: float) -> None:
    """Devices not polled in this cycle can still change status (unreachable behind a new root cause). A
    silent device held back as possibly coming back (``analysis.waiting``) is marked exposed once."""
    waiting = set(analysis.waiting)
    for row in session.scalars(select(PollDevice)):
        status = analysis.status.get(row.device)
        if status is not None and row.status != status:
            row.status = status
        if row.device in waiting:
            if row.exposed_at is None:
                row.exposed_at = now
        elif row.exposed_at is not None:
            row.exposed_at = None


def interface_ends(
    session: Session, keep: Callable[[str], bool], topology: Topology
) -> dict[tuple[str, str], tuple[bool, bool, float]]:
    """(device, interface) -> (admin up, oper up, when polled) as last stored, for the devices ``keep`` accepts
    (root cause and the link queries read link ends the same way). A polled name that is another spelling of
    a link end's interface in the inventory (ifName ``GigabitEthernet0/0/1``, inventory ``GE0/0/1``:
    ``netops.drivers.names.canonical``) is keyed by the inventory's spelling, so lookups by link end match."""
    spelled = _end_spellings(topology)
    rows = session.execute(
        select(
            PollInterface.device,
            PollInterface.name,
            PollInterface.admin_up,
            PollInterface.oper_up,
            PollInterface.updated_at,
        )
    )
    out: dict[tuple[str, str], tuple[bool, bool, float]] = {}
    for d, n, a, o, t in rows:
        if not keep(d):
            continue
        dev = topology.inventory.devices.get(d)
        name = n if dev is None else spelled.get((d, canonical(dev.platform, n).lower()), n)
        if name != n and (d, name) in out:
            continue  # the inventory's own spelling, stored as such, wins
        out[(d, name)] = (bool(a), bool(o), float(t))
    return out


def _end_spellings(topology: Topology) -> dict[tuple[str, str], str]:
    """(device, canonical interface name in lower case) -> the inventory's spelling, for every link end."""
    inv = topology.inventory
    out: dict[tuple[str, str], str] = {}
    for link in inv.links.values():
        for end in link.ends():
            dev = inv.devices.get(end.device)
            if dev is not None:
                out[(end.device, canonical(dev.platform, end.interface).lower())] = end.interface
    return out
