"""Configuration change routes: changes (list, show, plan, start), diffs, backups and drift.

Thin over ``netops.changes`` (the same services as ``netops config``). A rollout started with
``POST /changes`` runs in the background on the service's event loop; follow it with ``GET /changes/{id}``.
Every text returned is masked (diffs, commands, details). Secrets come from ``app.state.secrets`` when the
app has one, else the runtime's store. Every SSH session waits the service's ``Settings.ssh_timeouts``
(``NETOPS_SSH_LOGIN_TIMEOUT_S``, ``NETOPS_SSH_COMMAND_TIMEOUT_S``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from netops.api import models as m
from netops.api.auth import AuthenticatedRoute
from netops.api.deps import DeviceWorkDep, RuntimeDep
from netops.api.limits import RowId
from netops.auth.audit import ANONYMOUS
from netops.changes import backup as backups
from netops.changes import records
from netops.changes.apply import ChangeRequest, run_change
from netops.changes.diff import ConfigDiff, compare, mask, unavailable
from netops.changes.plan import Wave, plan_waves
from netops.changes.push import PushOptions
from netops.changes.render import Renderer
from netops.changes.service import known_secrets, select_devices
from netops.drivers.cli import CliSession, Timeouts
from netops.drivers.platforms import driver_for
from netops.errors import DeviceError, TemplateError
from netops.inventory.models import Inventory
from netops.secrets import SecretStore
from netops.vc import store as vcstore

router = APIRouter(tags=["configuration changes"], route_class=AuthenticatedRoute)
_RUNNING: set[asyncio.Task[Any]] = set()  # rollouts in flight (kept referenced until they end)


def get_secrets(request: Request) -> SecretStore:
    return cast(SecretStore, getattr(request.app.state, "secrets", None) or request.app.state.runtime.secrets)


SecretsDep = Annotated[SecretStore, Depends(get_secrets)]


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    devices: list[str] = Field(default_factory=list)
    site: str | None = None
    all: bool = False
    canary: str | None = None
    concurrency: int = Field(default=20, ge=1, le=512)
    failure_budget: int = Field(default=0, ge=0, le=100_000)
    prefectures_per_wave: int = Field(default=4, ge=1, le=1000)


class ChangeIn(PlanIn):
    reason: str = Field(min_length=1, max_length=500)
    # no ``user``: the change is recorded under the caller's token (a ``user`` field is 422, extra="forbid")
    force: bool = False
    confirm_s: float = Field(default=300.0, gt=0, le=7 * 86400)
    minute_s: float = Field(default=60.0, gt=0, le=3600)


def _waves(inventory: Inventory, spec: PlanIn) -> list[Wave]:
    chosen = select_devices(inventory, spec.devices, spec.site, spec.all)
    return plan_waves(
        inventory,
        chosen,
        canary=spec.canary,
        prefectures_per_wave=spec.prefectures_per_wave,
        failure_budget=spec.failure_budget,
        concurrency=spec.concurrency,
    )


@router.get("/changes", response_model=list[m.Change])
def list_changes(
    rt: RuntimeDep, device: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[dict[str, Any]]:
    return records.list_changes(rt.store, limit, device)


@router.get("/changes/{change_id}", response_model=m.ChangeDetail)
def show_change(rt: RuntimeDep, change_id: str) -> dict[str, Any]:
    return records.get_change(rt.store, change_id)


@router.post("/changes/plan", response_model=list[m.Wave])
def plan(rt: RuntimeDep, spec: PlanIn) -> list[dict[str, object]]:
    return [w.as_dict() for w in _waves(rt.inventory, spec)]


@router.post("/changes", status_code=202, response_model=m.ChangeStarted)
async def start_change(rt: RuntimeDep, secrets: SecretsDep, http: Request, spec: ChangeIn) -> dict[str, Any]:
    """Start a rollout in the background; returns its id at once."""
    inventory = rt.inventory
    waves = _waves(inventory, spec)
    conferences = await run_in_threadpool(vcstore.list_conferences, rt.store, Path(inventory.directory))
    request = ChangeRequest(
        waves,
        user=str(getattr(http.state, "actor", ANONYMOUS)),  # token:<name>: who authenticated, never the body
        reason=spec.reason,
        force=spec.force,
        options=PushOptions(
            confirm_s=spec.confirm_s, minute_s=spec.minute_s, timeouts=rt.settings.ssh_timeouts
        ),
        threads=max(4, spec.concurrency),
    )
    change_id = records.new_change_id()
    task = asyncio.get_running_loop().create_task(
        run_change(inventory, secrets, rt.store, request, conferences, rt.snmp, change_id=change_id)
    )
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return {"change": change_id, "waves": [w.as_dict() for w in waves]}


@router.get("/devices/{device_id}/config/diff", response_model=m.ConfigDiff)
async def device_diff(
    rt: RuntimeDep, secrets: SecretsDep, work: DeviceWorkDep, device_id: str
) -> dict[str, object]:
    """Running vs intended (an SSH read, in the shared bounded device-work pool: 503 when it is full). A device
    that cannot be read is 502 ``device_failed`` naming it (the reason masked); ``available: false`` (200) only
    when there is nothing to compare with (no templates, a template that does not render)."""
    inventory = rt.inventory
    inventory.device(device_id)
    try:
        renderer = Renderer(inventory, secrets)
    except TemplateError as exc:  # no templates folder: nothing to compare with, said in the diff
        return unavailable(device_id, f"cannot render: {exc}").as_dict()
    timeouts = rt.settings.ssh_timeouts
    diff = await work.run_sync(
        device_id,
        "configuration diff",
        lambda: _diff_or_raise(inventory, secrets, renderer, device_id, timeouts),
    )
    return diff.as_dict()


def _diff_or_raise(
    inventory: Inventory, secrets: SecretStore, renderer: Renderer, device_id: str, timeouts: Timeouts
) -> ConfigDiff:
    """``diff_device`` for one request: a device that does not answer raises ``DeviceError`` (502)."""
    device = inventory.device(device_id)
    known = known_secrets(inventory, secrets)
    try:
        rendered = renderer.render(device_id)
    except TemplateError as exc:
        return unavailable(device_id, f"cannot render: {exc}", known)
    try:
        with CliSession.open(device, inventory, secrets, timeouts) as session:
            running = driver_for(device.platform).running(session)
    except DeviceError as exc:
        reason = mask(str(exc).removeprefix(f"{device_id}: "), known | rendered.secrets)
        raise DeviceError(device_id, f"running configuration not read: {reason}") from None
    return compare(device, running, rendered)


@router.get("/devices/{device_id}/config/history", response_model=list[m.ConfigBackup])
def device_history(rt: RuntimeDep, device_id: str) -> list[dict[str, Any]]:
    rt.inventory.device(device_id)
    return backups.history(rt.store, device_id)


@router.get("/config/versions/{version_id}", response_model=m.ConfigVersion)
def config_version(rt: RuntimeDep, version_id: RowId) -> dict[str, Any]:
    device, text = backups.version_text(rt.store, version_id)
    return {"id": version_id, "device": device, "text": text}


@router.get("/config/status", response_model=list[m.ConfigDeviceStatus])
def config_status(rt: RuntimeDep) -> list[dict[str, Any]]:
    """Per device: last backup attempt/success/error and drift lines (the drift report)."""
    return backups.device_status(rt.store)
