"""Read-only views of the inventory shared by the CLI and the API: summary, object detail, tree, progress, impact.

Each returns plain JSON-ready data (dicts, lists, str, int); the CLI renders it for people, the API returns it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any

from netops.errors import NotFoundError
from netops.inventory.models import Device, Inventory, Lifecycle, Link, Room, Site, Tier
from netops.inventory.topology import Topology


def summary(inv: Inventory) -> dict[str, Any]:
    tiers = Counter(str(s.tier) for s in inv.sites.values())
    return {
        "directory": inv.directory,
        "digest": inv.digest,
        "sites": len(inv.sites),
        "devices": len(inv.devices),
        "links": len(inv.links),
        "rooms": len(inv.rooms),
        "sites_by_tier": dict(sorted(tiers.items())),
        "devices_by_platform": dict(sorted(Counter(str(d.platform) for d in inv.devices.values()).items())),
        "devices_by_role": dict(sorted(Counter(str(d.role) for d in inv.devices.values()).items())),
        "devices_by_tier": dict(
            sorted(Counter(str(inv.sites[d.site].tier) for d in inv.devices.values()).items())
        ),
        "devices_by_status": dict(sorted(Counter(str(d.status) for d in inv.devices.values()).items())),
        "links_by_kind": dict(sorted(Counter(str(lk.kind) for lk in inv.links.values()).items())),
    }


def _plain(value: Any) -> Any:
    """Frozen models -> JSON-ready data (enums as strings, dates ISO, addresses as text, no ``source``)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value) if f.name != "source"}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)  # StrEnum -> plain str
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return str(value)  # IPv4Address


def site_view(inv: Inventory, site: Site) -> dict[str, Any]:
    out = _plain(site)
    out["source"] = str(site.source)
    out["children"] = [c.id for c in inv.children(site.id)]
    out["devices"] = [d.id for d in inv.devices_at(site.id)]
    out["rooms"] = [r.id for r in inv.rooms_at(site.id)]
    return {"kind": "site", **out}


def device_view(inv: Inventory, dev: Device, topo: Topology | None = None) -> dict[str, Any]:
    out = _plain(dev)
    out["source"] = str(dev.source)
    out["site_name"] = inv.sites[dev.site].name
    out["links"] = [lk.id for lk in inv.links_of(dev.id)]
    if topo is not None:
        out["upstream_path"] = [{"device": h.device, "link": h.link} for h in topo.upstream_path(dev.id)]
    return {"kind": "device", **out}


def link_view(link: Link) -> dict[str, Any]:
    out = _plain(link)
    out["a"], out["b"] = str(link.a), str(link.b)
    out["source"] = str(link.source)
    return {"kind": "link", **out}


def room_view(inv: Inventory, room: Room) -> dict[str, Any]:
    out = _plain(room)
    out["source"] = str(room.source)
    out["site_name"] = inv.sites[room.site].name
    return {"kind": "room", **out}


def show(inv: Inventory, ident: str, topo: Topology | None = None) -> dict[str, Any]:
    """Whatever ``ident`` names: a site, device, link or room."""
    if ident in inv.sites:
        return site_view(inv, inv.sites[ident])
    if ident in inv.devices:
        return device_view(inv, inv.devices[ident], topo)
    if ident in inv.links:
        return link_view(inv.links[ident])
    if ident in inv.rooms:
        return room_view(inv, inv.rooms[ident])
    raise NotFoundError(
        "site, device, link or room", ident, [*inv.sites, *inv.devices, *inv.links, *inv.rooms]
    )


def tree(inv: Inventory, root: str | None = None) -> dict[str, Any]:
    """The hierarchy as nested dicts: id, name, tier, status, devices, rooms, children."""
    start = inv.site(root) if root else inv.centre
    by_parent: dict[str | None, list[Site]] = {}
    for s in inv.sites.values():
        by_parent.setdefault(s.parent, []).append(s)
    devices: dict[str, list[str]] = {}
    for d in inv.devices.values():
        devices.setdefault(d.site, []).append(d.id)
    rooms: dict[str, list[str]] = {}
    for r in inv.rooms.values():
        rooms.setdefault(r.site, []).append(r.id)
    order = {Tier.REGION: 0, Tier.PREFECTURE: 1, Tier.DEPARTMENT: 2, Tier.COUNTY: 3}

    def node(site: Site) -> dict[str, Any]:
        kids = sorted(by_parent.get(site.id, []), key=lambda s: (order[s.tier], s.id))
        return {
            "id": site.id,
            "name": site.name,
            "tier": str(site.tier),
            "status": str(site.status),
            "devices": devices.get(site.id, []),
            "rooms": rooms.get(site.id, []),
            "children": [node(k) for k in kids],
        }

    return node(start)


def progress(inv: Inventory, today: date | None = None) -> dict[str, Any]:
    """Rollout per prefecture: nodes (sites below the prefecture, and itself) active, planned/staging, late."""
    today = today or date.today()
    rows: dict[str, dict[str, Any]] = {}

    def bucket(site: Site) -> str:
        if site.tier is Tier.REGION:
            return inv.centre.id
        if site.prefecture is not None:
            return site.prefecture
        return site.parent or inv.centre.id  # departments and direct cities count under the centre

    for site in inv.sites.values():
        key = bucket(site)
        head = inv.sites[key]
        row = rows.setdefault(
            key,
            {
                "id": key,
                "name": head.name,
                "nodes": 0,
                "active": 0,
                "planned": 0,
                "staging": 0,
                "retired": 0,
                "late": 0,
                "late_sites": [],
            },
        )
        row["nodes"] += 1
        status = site.status
        if status is Lifecycle.ACTIVE:
            row["active"] += 1
        elif status in (Lifecycle.PLANNED, Lifecycle.STAGING):
            row[str(status)] += 1
            if site.target_date is not None and site.target_date < today:
                row["late"] += 1
                row["late_sites"].append(
                    {"id": site.id, "name": site.name, "target_date": site.target_date.isoformat()}
                )
        else:
            row["retired"] += 1
    ordered = sorted(rows.values(), key=lambda r: (r["id"] != inv.centre.id, r["id"]))
    totals = {
        k: sum(r[k] for r in ordered) for k in ("nodes", "active", "planned", "staging", "retired", "late")
    }
    return {"today": today.isoformat(), "prefectures": ordered, "totals": totals}


def impact(inv: Inventory, topo: Topology, idents: list[str]) -> dict[str, Any]:
    failure = topo.failure(idents)
    result = topo.impact(failure)
    return {
        "failed": idents,
        "failed_devices": sorted(failure.devices),
        "failed_links": sorted(failure.links),
        "loses_service": result.loses_service,
        "lost_sites": [
            {"id": s, "name": inv.sites[s].name, "tier": str(inv.sites[s].tier)} for s in result.lost_sites
        ],
        "lost_devices": list(result.lost_devices),
        "lost_rooms": [
            {"id": r, "name": inv.rooms[r].name, "site": inv.rooms[r].site} for r in result.lost_rooms
        ],
        "on_backup": [{"id": s, "name": inv.sites[s].name} for s in result.on_backup],
    }
