"""Rollback routes (issue 17, item 1): a change, or some of its devices, back to the configuration recorded
before it; a device back to a stored backup version. Each starts a new change in the background (202-style:
its id at once; follow it with ``GET /changes/{id}``), linked to what it undoes. Engineer role (mounted with
``roles(VIEWER, ENGINEER)`` like the changes router). Thin over ``netops.changes.rollback``; the actor is
the authenticated identity (``token:<name>``), never a body field. The pushes' SSH sessions wait the service's
``Settings.ssh_timeouts`` (``NETOPS_SSH_LOGIN_TIMEOUT_S``, ``NETOPS_SSH_COMMAND_TIMEOUT_S``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from netops.api.auth import AuthenticatedRoute
from netops.api.changes_routes import SecretsDep
from netops.api.deps import RuntimeDep
from netops.auth.audit import ANONYMOUS
from netops.changes import records
from netops.changes.push import PushOptions
from netops.changes.rollback import (
    refuse_changed_since,
    refuse_later_changes,
    rollback_change,
    rollback_targets,
    rollback_to_version,
)
from netops.vc import store as vcstore

router = APIRouter(tags=["configuration changes"], route_class=AuthenticatedRoute)
_RUNNING: set[asyncio.Task[Any]] = set()  # rollbacks in flight (kept referenced until they end)


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    devices: list[str] = Field(default_factory=list, max_length=10_000)  # empty: every device that may run it
    confirm_s: float = Field(default=300.0, gt=0, le=86_400)
    minute_s: float = Field(default=60.0, gt=0, le=3_600)
    force: bool = False  # roll back even if later changes touched the devices (marked undone too)


class RollbackOut(BaseModel):
    change: str
    rollback_of: str
    devices: list[str]


def _start(coro: Any) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)


@router.post("/changes/{change_id}/rollback", response_model=RollbackOut, status_code=202)
async def rollback(
    rt: RuntimeDep, secrets: SecretsDep, http: Request, change_id: str, spec: RollbackIn
) -> dict[str, Any]:
    """Push the change's devices (or ``devices``) back to their configuration before it, as a new change."""
    targets = await run_in_threadpool(
        rollback_targets, rt.store, change_id, spec.devices or None
    )  # 404 / 4xx first
    await run_in_threadpool(refuse_later_changes, rt.store, change_id, sorted(targets), spec.force)  # 409
    await run_in_threadpool(
        refuse_changed_since,
        rt.inventory,
        secrets,
        rt.store,
        change_id,
        sorted(targets),
        spec.force,
        rt.settings.ssh_timeouts,
    )  # 409: changed since by hand
    conferences = await run_in_threadpool(vcstore.list_conferences, rt.store, Path(rt.inventory.directory))
    new_id = records.new_change_id()
    _start(
        rollback_change(
            rt.inventory,
            secrets,
            rt.store,
            change_id,
            user=str(getattr(http.state, "actor", ANONYMOUS)),
            devices=sorted(targets),
            options=PushOptions(
                confirm_s=spec.confirm_s, minute_s=spec.minute_s, timeouts=rt.settings.ssh_timeouts
            ),
            snmp=rt.snmp,
            conferences=conferences,
            new_change_id=new_id,
            force=spec.force,
        )
    )
    return {"change": new_id, "rollback_of": change_id, "devices": sorted(targets)}


class VersionRollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm_s: float = Field(default=300.0, gt=0, le=86_400)
    minute_s: float = Field(default=60.0, gt=0, le=3_600)


@router.post("/config/versions/{version_id}/rollback", response_model=RollbackOut, status_code=202)
async def rollback_version(
    rt: RuntimeDep, secrets: SecretsDep, http: Request, version_id: int, spec: VersionRollbackIn
) -> dict[str, Any]:
    """Push the version's device back to that stored backup version, as a new change."""
    from netops.changes import backup

    if not 0 < version_id < 2**53:
        from netops.errors import NotFoundError

        raise NotFoundError("configuration version", str(version_id))
    device, _text = await run_in_threadpool(backup.version_text, rt.store, version_id)
    new_id = records.new_change_id()
    _start(
        rollback_to_version(
            rt.inventory,
            secrets,
            rt.store,
            version_id,
            user=str(getattr(http.state, "actor", ANONYMOUS)),
            options=PushOptions(
                confirm_s=spec.confirm_s, minute_s=spec.minute_s, timeouts=rt.settings.ssh_timeouts
            ),
            snmp=rt.snmp,
            new_change_id=new_id,
        )
    )
    return {"change": new_id, "rollback_of": f"version {version_id}", "devices": [device]}
