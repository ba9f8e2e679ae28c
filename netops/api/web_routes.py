"""The NOC web board: server-sent page shells (no data, no token needed) whose light JavaScript reads the API
with the viewer's bearer token (kept in the browser tab, never in the URL sent to the server).

Pages: ``/board`` (the region as cards), ``/board/topology`` (the map), ``/board/device/{id}``,
``/board/conference/{id}``, ``/board/runs`` (approvals). Each shell carries the region's time zone in a
``<meta name="netops-timezone">`` (the region site's ``vars.timezone``, an IANA name such as
``Asia/Urumqi``; ``Asia/Shanghai``, the official time the region's offices keep, when none is set), so every time on the
board is shown in the region's time, whatever the browser's. The one data route here,
``/board/topology.json`` (viewer token), is the map's layout: sites placed on rings around the centre
(prefectures and departments, then counties around their prefecture), links between site nodes, the MCU and
each room's path to it as it is now (the topology's path around the links and devices polling sees down: over
a backup link when the primary is down; the normal path, marked ``cut``, when there is none); the page colours
links and sites from ``/status``.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from netops.api.auth import roles
from netops.auth.tokens import Role, TokenInfo
from netops.inventory.models import Role as DeviceRole
from netops.inventory.models import Tier
from netops.inventory.topology import Failure, Topology
from netops.polling import queries
from netops.polling.poller import pollable
from netops.runtime import Runtime
from netops.vc.board import DEFAULT_TIMEZONE, region_zone

router = APIRouter(tags=["web"])
_WEB = Path(__file__).with_name("web")

_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'",
}
_STATIC = {"app.js": "text/javascript", "common.css": "text/css"}
Viewer = Annotated[TokenInfo, Depends(roles(Role.VIEWER))]

# the map: a square canvas, the centre in the middle, two rings
SIZE = 1000.0
RING_TOP = 230.0  # prefectures, departments, directly administered cities
RING_COUNTY = 400.0


def _page(request: Request, name: str) -> HTMLResponse:
    """The page with the region's zone in ``<meta name="netops-timezone">``; an unusable zone is replaced by
    Asia/Shanghai and explained in ``<meta name="netops-timezone-warning">`` (app.js shows it as a banner,
    and falls back the same way if the browser itself refuses the zone)."""
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    tz, warning = region_zone(runtime.inventory) if runtime is not None else (DEFAULT_TIMEZONE, None)
    meta = f'<meta name="netops-timezone" content="{html.escape(tz)}">'
    if warning:
        meta += f'\n<meta name="netops-timezone-warning" content="{html.escape(warning)}">'
    text = (_WEB / f"{name}.html").read_text(encoding="utf-8")
    text = text.replace('<meta name="netops-timezone" content="{{timezone}}">', meta)
    return HTMLResponse(text, headers=_HEADERS)


@router.get("/board", response_class=HTMLResponse, include_in_schema=False)
def board(request: Request) -> HTMLResponse:
    """The region as cards of prefectures coloured by status, with open incidents and conferences."""
    return _page(request, "board")


@router.get("/board/topology", response_class=HTMLResponse, include_in_schema=False)
def topology_page(request: Request) -> HTMLResponse:
    """The region as a map: sites, primary and backup links coloured by state, the MCU and the room paths."""
    return _page(request, "topology")


@router.get("/board/device/{device_id}", response_class=HTMLResponse, include_in_schema=False)
def device_page(request: Request, device_id: str) -> HTMLResponse:
    """One device: health, interfaces (marked stale with their age), neighbours, changes, backups."""
    return _page(request, "device")


@router.get("/board/conference/{conf_id}", response_class=HTMLResponse, include_in_schema=False)
def conference_page(request: Request, conf_id: str) -> HTMLResponse:
    """A conference's readiness board, prefectures worst first; refreshes every 15 s."""
    return _page(request, "conference")


@router.get("/board/runs", response_class=HTMLResponse, include_in_schema=False)
def runs_page(request: Request) -> HTMLResponse:
    """Runbook runs; approval forms built from the waiting step's inputs (the API checks the role)."""
    return _page(request, "runs")


@router.get("/board/static/{name}", include_in_schema=False)
def static(name: str) -> Response:
    if name not in _STATIC:
        return Response(status_code=404)
    return Response(
        (_WEB / name).read_text(encoding="utf-8"),
        media_type=_STATIC[name],
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/board/topology.json", include_in_schema=False)
def topology_data(request: Request, _viewer: Viewer) -> dict[str, Any]:
    """The map's layout from the inventory in use, the rooms' paths around what polling sees down."""
    runtime: Runtime = request.app.state.runtime
    status = queries.status(runtime.store, runtime.topology)
    down = frozenset(d for d, s in status["devices"].items() if s == "down")
    unpolled = frozenset(
        d.id for d in pollable(runtime.inventory) if status["devices"].get(d.id, "unknown") == "unknown"
    )
    return layout(runtime.topology, Failure(devices=down, links=frozenset(status["down_links"])), unpolled)


def layout(
    topology: Topology, failure: Failure | None = None, unpolled: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Sites with positions, links between sites, the MCU and each room's path under ``failure``; a room
    whose path holds a device in ``unpolled`` (polled devices with no result yet) is ``unknown``."""
    inv = topology.inventory
    centre = inv.centre.id
    half = SIZE / 2
    pos: dict[str, tuple[float, float]] = {centre: (half, half)}
    tops = sorted(
        (s for s in inv.sites.values() if s.parent == centre),
        key=lambda s: (s.tier is not Tier.PREFECTURE, s.id),
    )
    step = 2 * math.pi / max(1, len(tops))
    for i, site in enumerate(tops):
        angle = -math.pi / 2 + i * step
        pos[site.id] = (half + RING_TOP * math.cos(angle), half + RING_TOP * math.sin(angle))
        below = sorted(d.id for d in inv.descendants(site.id))
        spread = step * 0.8
        for k, ident in enumerate(below):
            a = angle - spread / 2 + spread * (k + 0.5) / len(below)
            pos[ident] = (half + RING_COUNTY * math.cos(a), half + RING_COUNTY * math.sin(a))
    for site in inv.sites.values():  # anything deeper or unplaced: beside its parent
        pos.setdefault(site.id, pos.get(site.parent or centre, (half, half)))
    sites = [
        {
            "id": s.id,
            "name": s.name,
            "tier": str(s.tier),
            "lifecycle": str(s.status),
            "parent": s.parent,
            "x": round(pos[s.id][0], 1),
            "y": round(pos[s.id][1], 1),
            "devices": [d.id for d in inv.devices_at(s.id)],
        }
        for s in inv.sites.values()
    ]
    links = [
        {
            "id": lk.id,
            "kind": str(lk.kind),
            "a": lk.a.device,
            "b": lk.b.device,
            "a_site": inv.devices[lk.a.device].site,
            "b_site": inv.devices[lk.b.device].site,
            "bandwidth_mbps": lk.bandwidth_mbps,
        }
        for lk in inv.links.values()
    ]
    mcus = [d.id for d in inv.devices.values() if d.role is DeviceRole.MCU]
    rooms = []
    backups = {lk.id for lk in inv.links.values() if str(lk.kind) == "backup"}
    for room in inv.rooms.values():
        if room.codec not in inv.devices:
            continue
        now = topology.upstream_path(room.codec, failure or Failure())
        hops = now or topology.upstream_path(room.codec)
        links_used = [h.link for h in hops if h.link]
        rooms.append({"id": room.id, "name": room.name, "site": room.site, "codec": room.codec,
                      "path_devices": [h.device for h in hops], "path_links": links_used,
                      "cut": not now, "on_backup": bool(now) and any(k in backups for k in links_used),
                      "unknown": any(h.device in unpolled for h in hops)})  # fmt: skip
    return {"size": SIZE, "centre": centre, "timezone": region_zone(inv)[0], "sites": sites,
            "links": links, "mcu": mcus, "rooms": rooms}  # fmt: skip
