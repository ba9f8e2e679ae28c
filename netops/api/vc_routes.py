"""Video-conference routes: conferences (list, create, change, delete), readiness board, on-demand precheck,
the pre-meeting checklist as CSV. Thin: everything is in ``netops.vc``.

Conferences from ``inventory/conferences/`` are read-only here (409 on PUT/DELETE); a duplicate id is 409,
a room or MCU the inventory lacks 422 (``ConferenceError``); ``api/errors.py`` maps them. The codec
credentials are resolved with ``app.state.secrets`` when the app has one, else the default ``SecretStore``
(``NETOPS_SECRETS_FILE``).
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request, Response

from netops.api import models as m
from netops.api.auth import AuthenticatedRoute
from netops.api.deps import DeviceWorkDep, RuntimeDep
from netops.secrets import SecretStore
from netops.vc import board
from netops.vc import store as vcstore
from netops.vc.conferences import ConferenceIn
from netops.vc.precheck import Prechecker

router = APIRouter(tags=["video conferences"], route_class=AuthenticatedRoute)


def get_secrets(request: Request) -> SecretStore:
    return cast(SecretStore, getattr(request.app.state, "secrets", None) or request.app.state.runtime.secrets)


SecretsDep = Annotated[SecretStore, Depends(get_secrets)]


@router.get("/conferences", response_model=list[m.ConferenceListed])
def list_conferences(rt: RuntimeDep) -> list[dict[str, Any]]:
    out = []
    for conf in vcstore.list_conferences(rt.store, rt.inventory.directory):
        last = vcstore.last_round(rt.store, conf.id)
        out.append({**conf.as_dict(), "last_round": None if last is None else {"kind": last.kind,
                    "started_at": last.started_at, "counts": last.counts}})  # fmt: skip
    return out


@router.post("/conferences", status_code=201, response_model=m.Conference)
def create_conference(rt: RuntimeDep, spec: ConferenceIn) -> dict[str, Any]:
    return vcstore.add_conference(rt.store, rt.inventory, spec).as_dict()


@router.put("/conferences/{conf_id}", response_model=m.Conference)
def change_conference(rt: RuntimeDep, conf_id: str, spec: ConferenceIn) -> dict[str, Any]:
    return vcstore.update_conference(rt.store, rt.inventory, conf_id, spec).as_dict()  # 404 first, then 409


@router.delete("/conferences/{conf_id}", status_code=204, response_model=None)
def delete_conference(rt: RuntimeDep, conf_id: str) -> Response:
    vcstore.remove_conference(rt.store, rt.inventory.directory, conf_id)
    return Response(status_code=204)


@router.get("/conferences/{conf_id}/readiness", response_model=m.Readiness)
def readiness(rt: RuntimeDep, conf_id: str) -> dict[str, Any]:
    conf = vcstore.get_conference(rt.store, rt.inventory.directory, conf_id)
    return board.readiness(rt.store, rt.inventory, conf)


@router.post("/conferences/{conf_id}/precheck", response_model=m.Readiness)
async def precheck(rt: RuntimeDep, secrets: SecretsDep, work: DeviceWorkDep, conf_id: str) -> dict[str, Any]:
    """Run one round now (kind ``manual``, in the shared device-work pool) and return the board after it."""
    conf = vcstore.get_conference(rt.store, rt.inventory.directory, conf_id)
    checker = Prechecker(rt.inventory, rt.topology, rt.store, secrets, rt.bus)
    report = await work.run(conf.mcu or conf.id, "conference precheck", checker.run(conf, "manual"))
    data = board.readiness(rt.store, rt.inventory, conf)
    data["round"] = {"id": report.round_id, "kind": report.kind, "duration_s": round(report.duration_s, 3)}
    return data


@router.get(
    "/conferences/{conf_id}/checklist.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "one row per room"}
    },
)
def checklist(rt: RuntimeDep, conf_id: str) -> Response:
    conf = vcstore.get_conference(rt.store, rt.inventory.directory, conf_id)
    text = board.checklist_csv(board.readiness(rt.store, rt.inventory, conf))
    return Response(
        "\ufeff" + text,  # a BOM, so spreadsheet programs read the Chinese names as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{conf.id}-checklist.csv"'},
    )
