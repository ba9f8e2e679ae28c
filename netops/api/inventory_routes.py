"""Read-only inventory routes: sites, devices, links, rooms, the hierarchy, rollout progress, what-if impact."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from netops.api import models as m
from netops.api.auth import AuthenticatedRoute
from netops.api.deps import RuntimeDep
from netops.inventory import views
from netops.store.inventory_loads import recent_loads

router = APIRouter(tags=["inventory"], route_class=AuthenticatedRoute)


@router.get("/inventory", response_model=m.InventorySummary)
def inventory_summary(rt: RuntimeDep) -> dict[str, Any]:
    out = views.summary(rt.inventory)
    out["loaded_at"] = rt.loaded_at
    out["last_reload_error"] = rt.last_reload_error
    out["problems"] = rt.folder_problems
    return out


@router.get("/inventory/loads", response_model=list[m.InventoryLoad])
def inventory_loads(rt: RuntimeDep, limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "loaded_at": r.loaded_at.isoformat(),
            "digest": r.digest,
            "directory": r.directory,
            "sites": r.sites,
            "devices": r.devices,
            "links": r.links,
            "rooms": r.rooms,
        }
        for r in recent_loads(rt.store, limit)
    ]


@router.get("/inventory/tree", response_model=m.TreeNode)
def inventory_tree(rt: RuntimeDep, root: str | None = None) -> dict[str, Any]:
    return views.tree(rt.inventory, root)


@router.get("/inventory/progress", response_model=m.Progress)
def inventory_progress(rt: RuntimeDep) -> dict[str, Any]:
    return views.progress(rt.inventory)


@router.get("/inventory/impact", response_model=m.Impact)
def inventory_impact(rt: RuntimeDep, failed: Annotated[list[str], Query(min_length=1)]) -> dict[str, Any]:
    return views.impact(rt.inventory, rt.topology, failed)


@router.get("/sites", response_model=list[m.SiteView])
def list_sites(
    rt: RuntimeDep, tier: str | None = None, parent: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    inv = rt.inventory
    return [
        views.site_view(inv, s)
        for s in inv.sites.values()
        if (tier is None or s.tier == tier)
        and (parent is None or s.parent == parent)
        and (status is None or s.status == status)
    ]


@router.get("/sites/{site_id}", response_model=m.SiteView)
def get_site(rt: RuntimeDep, site_id: str) -> dict[str, Any]:
    return views.site_view(rt.inventory, rt.inventory.site(site_id))


@router.get("/devices", response_model=list[m.DeviceView])
def list_devices(
    rt: RuntimeDep,
    site: str | None = None,
    platform: str | None = None,
    role: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    inv = rt.inventory
    return [
        views.device_view(inv, d)
        for d in inv.devices.values()
        if (site is None or d.site == site)
        and (platform is None or d.platform == platform)
        and (role is None or d.role == role)
        and (status is None or d.status == status)
    ]


@router.get("/devices/{device_id}", response_model=m.DeviceView)
def get_device(rt: RuntimeDep, device_id: str) -> dict[str, Any]:
    return views.device_view(rt.inventory, rt.inventory.device(device_id), rt.topology)


@router.get("/links", response_model=list[m.LinkView])
def list_links(rt: RuntimeDep, kind: str | None = None) -> list[dict[str, Any]]:
    return [views.link_view(lk) for lk in rt.inventory.links.values() if kind is None or lk.kind == kind]


@router.get("/links/{link_id}", response_model=m.LinkView)
def get_link(rt: RuntimeDep, link_id: str) -> dict[str, Any]:
    return views.link_view(rt.inventory.link(link_id))


@router.get("/rooms", response_model=list[m.RoomView])
def list_rooms(rt: RuntimeDep, site: str | None = None) -> list[dict[str, Any]]:
    return [
        views.room_view(rt.inventory, r)
        for r in rt.inventory.rooms.values()
        if site is None or r.site == site
    ]


@router.get("/rooms/{room_id}", response_model=m.RoomView)
def get_room(rt: RuntimeDep, room_id: str) -> dict[str, Any]:
    return views.room_view(rt.inventory, rt.inventory.room(room_id))
