"""Read side of polling, shared by the metrics collector, the API and the CLI: status, health, incidents.

Plain JSON-ready dicts; the site status is derived from the device rows with the inventory's topology, so it
always matches the inventory in use.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from netops.errors import ConflictError, NotFoundError
from netops.inventory.topology import Failure, Topology
from netops.polling.store import interface_ends
from netops.store.db import Store
from netops.store.schema import (
    Incident,
    IncidentHistory,
    PollCycle,
    PollDevice,
    PollInterface,
    PollNeighbor,
)

STATES = ("up", "down", "unreachable", "unmanaged", "unknown")
UNREADABLE = ("down", "unreachable", "unmanaged")  # statuses whose stored interface rows are not current


def device_rows(store: Store) -> dict[str, PollDevice]:
    with store.session() as session:
        return {r.device: r for r in session.scalars(select(PollDevice))}


def site_status(topology: Topology, devices: dict[str, str], site: str) -> str:
    """unknown (never polled), up, down (a routing device is the root cause), unreachable, or unmanaged (its
    routers answer but cannot be read: credentials)."""
    routers = [r for r in topology.site_routers(site) if r in topology.inventory.devices]
    states = [devices.get(r, "unknown") for r in routers]
    if not states or all(s == "unknown" for s in states):
        return "unknown"
    if "up" in states:
        return "up"
    if "down" in states:
        return "down"
    return "unreachable" if "unreachable" in states else "unmanaged"


def status(store: Store, topology: Topology) -> dict[str, Any]:
    inv = topology.inventory
    rows = device_rows(store)
    devices = {d: (rows[d].status if d in rows else "unknown") for d in inv.devices}
    sites = {s: site_status(topology, devices, s) for s in inv.sites}
    counts = {state: sum(1 for v in devices.values() if v == state) for state in STATES}
    site_counts = {state: sum(1 for v in sites.values() if v == state) for state in STATES}
    last = max((r.polled_at for r in rows.values()), default=None)
    down = down_links(store, topology)
    on_backup = list(topology.impact(Failure(links=frozenset(down))).on_backup) if down else []
    return {
        "polled_at": last,
        "age_s": None if last is None else max(0.0, round(time.time() - last, 1)),  # a step back: 0
        "devices": devices,
        "sites": sites,
        "device_counts": counts,
        "site_counts": site_counts,
        "flapping": sorted(d for d, r in rows.items() if r.flapping),
        "down_links": sorted(down),
        "on_backup": on_backup,
        "open_incidents": incidents(store, state="open"),
    }


def device_health(store: Store, topology: Topology, device: str) -> dict[str, Any]:
    topology.inventory.device(device)
    with store.session() as session:
        row = session.get(PollDevice, device)
        if row is None:
            raise NotFoundError("poll result for device", device)
        itfs = session.scalars(
            select(PollInterface).where(PollInterface.device == device).order_by(PollInterface.if_index)
        ).all()
        nbs = session.scalars(select(PollNeighbor).where(PollNeighbor.device == device)).all()
        return {
            "device": device,
            "status": row.status,
            "ok": row.ok,
            "error": row.error,
            "detail": row.detail,
            "polled_at": row.polled_at,
            "duration_s": row.duration_s,
            "flapping": row.flapping,
            "failures": row.failures,
            "last_ok_at": row.last_ok_at,
            "sys_name": row.sys_name,
            "uptime_s": row.sys_uptime_s,
            "reboots": row.reboots,
            "last_reboot_at": row.last_reboot_at,
            "cpu_ratio": row.cpu_ratio,
            "memory_ratio": row.memory_ratio,
            "ups_on_battery": row.ups_on_battery,
            "ups_minutes_remaining": row.ups_minutes,
            "interfaces": [
                {
                    "index": i.if_index,
                    "name": i.name,
                    "alias": i.alias,
                    "admin_up": i.admin_up,
                    "oper_up": i.oper_up,
                    "in_bps": i.in_bps,
                    "out_bps": i.out_bps,
                    "speed_bps": i.speed_bps,
                    **{k: v for k, v in i.totals.items() if not k.startswith("_")},
                }
                for i in itfs
            ],
            "neighbors": [
                {"protocol": n.protocol, "peer": n.peer, "state": n.state, "up": n.up} for n in nbs
            ],
            "upstream_path": [h.device for h in topology.upstream_path(device)],
        }


def _incident(row: Incident) -> dict[str, Any]:
    return {
        "id": row.id,
        "state": row.state,
        "kind": row.kind,
        "cause": list(row.cause or [*(row.root_devices or []), *(row.root_links or [])]),
        "reason": row.reason,
        "summary": row.summary,
        "key": row.key,
        "recovering_since": row.cause_gone_at if row.state == "open" else None,
        "peak": {
            "affected_sites": row.peak_sites or [],
            "affected_devices": row.peak_devices or [],
            "affected_rooms": row.peak_rooms or [],
        },
        "suppressed": row.suppressed or [],
        "opened_at": row.opened_at,
        "last_seen_at": row.last_seen_at,
        "resolved_at": row.resolved_at,
        "root_devices": row.root_devices,
        "root_links": row.root_links,
        "affected_devices": row.affected_devices,
        "affected_sites": row.affected_sites,
        "affected_rooms": row.affected_rooms,
        "acknowledged_by": row.acknowledged_by,
        "acknowledged_at": row.acknowledged_at,
        "ack_note": row.ack_note,
    }


def incident_history(store: Store, incident_id: int) -> list[dict[str, Any]]:
    """The transitions of one incident, oldest first, each with its extent then (the extent over time)."""
    with store.session() as session:
        rows = session.scalars(
            select(IncidentHistory)
            .where(IncidentHistory.incident_id == incident_id)
            .order_by(IncidentHistory.id)
        )
        return [
            {
                "at": h.at,
                "change": h.change,
                "kind": h.kind,
                "cause": h.cause,
                "sites": h.sites,
                "devices": h.devices,
                "rooms": h.rooms,
                "summary": h.summary,
            }
            for h in rows
        ]


def incidents(store: Store, state: str = "all", limit: int = 50) -> list[dict[str, Any]]:
    with store.session() as session:
        query = select(Incident).order_by(Incident.id.desc()).limit(limit)
        if state != "all":
            query = query.where(Incident.state == state)
        return [_incident(r) for r in session.scalars(query)]


def incident_counts(store: Store) -> tuple[int, int, int]:
    """(open now, open and not acknowledged, opened ever)."""
    with store.session() as session:
        is_open = Incident.state == "open"
        open_now = session.scalar(select(func.count()).select_from(Incident).where(is_open))
        unacked = session.scalar(
            select(func.count()).select_from(Incident).where(is_open, Incident.acknowledged_by.is_(None))
        )
        total = session.scalar(select(func.count()).select_from(Incident))
        return int(open_now or 0), int(unacked or 0), int(total or 0)


def last_cycles(store: Store) -> dict[str, PollCycle]:
    """The newest cycle of each job."""
    with store.session() as session:
        newest = select(PollCycle.job, func.max(PollCycle.id).label("id")).group_by(PollCycle.job).subquery()
        rows = session.scalars(select(PollCycle).join(newest, PollCycle.id == newest.c.id)).all()
        return {r.job: r for r in rows}


def overrun_counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        rows = session.execute(
            select(PollCycle.job, func.count()).where(PollCycle.overrun.is_(True)).group_by(PollCycle.job)
        ).all()
        return {job: int(n) for job, n in rows}


def interface_rates(store: Store, device: str) -> dict[str, dict[str, Any]]:
    """Per interface name of a device: speed, oper status and the traffic rate measured over its last two polls
    (``in_bps``/``out_bps`` are None until it has been polled twice), with when it was measured."""
    with store.session() as session:
        rows = session.scalars(select(PollInterface).where(PollInterface.device == device)).all()
        return {
            r.name: {
                "speed_bps": r.speed_bps,
                "oper_up": r.oper_up,
                "in_bps": r.in_bps,
                "out_bps": r.out_bps,
                "updated_at": r.updated_at,
            }
            for r in rows
        }


def link_states(store: Store, topology: Topology) -> dict[str, bool]:
    """In-service links as their ends that answer and can be read see them (``rootcause.link_observations``):
    False down, True up; a link with no such end (both ends silent) is absent: not known to be up. Links with
    an end not in service (staging, planned) are absent."""
    from netops.polling.rootcause import link_observations

    return link_observations(topology, _link_ends(store, topology))


def _link_ends(store: Store, topology: Topology) -> dict[tuple[str, str], tuple[bool, bool, float]]:
    """(device, interface) -> (admin up, oper up, when polled), for devices that answer and can be read."""
    with store.session() as session:
        readable = {
            d
            for d, st in session.execute(select(PollDevice.device, PollDevice.status))
            if st not in UNREADABLE
        }
        return interface_ends(session, readable.__contains__, topology)


def down_links(store: Store, topology: Topology) -> set[str]:
    """In-service links whose newest observation, from an end that answers and can be read, is admin-up and
    oper-down (the analysis' rule)."""
    from netops.polling.rootcause import down_from_observations

    return down_from_observations(topology, _link_ends(store, topology))


def acknowledge(store: Store, incident_id: int, who: str, note: str | None = None) -> dict[str, Any]:
    """Record that someone took the incident on (the first acknowledgement stands; later ones are refused)."""
    with store.session() as session:
        row = session.get(Incident, incident_id)
        if row is None:
            raise NotFoundError("incident", str(incident_id))
        if row.acknowledged_by is not None:
            raise ConflictError(f"incident {incident_id} was acknowledged already by {row.acknowledged_by}")
        row.acknowledged_by, row.acknowledged_at, row.ack_note = who, time.time(), (note or None)
        session.flush()
        return _incident(row)
