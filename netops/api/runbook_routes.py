"""Runbook routes: the catalog (``/runbooks``), dry runs, runs (``/runs``): start, status, approve, cancel, resume,
transcript. Include with read=viewer, write=operator; approvals check the step's own role on top. Errors
(``ParamError`` 422, ``Forbidden`` 403, ``RunConflict`` 409, ...) are mapped by ``api/errors.py``.

Thin: everything is in ``netops.runbooks``. The ``RunbookService`` is ``app.state.runbooks`` (built by the app
factory; built here on first use if the app has none). Secret parameters never come back: runs show them
masked, transcripts and step outputs are masked when written.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from netops.api import models as m
from netops.api.auth import AuthenticatedRoute
from netops.api.deps import DeviceWorkDep
from netops.auth.audit import token_actor
from netops.auth.tokens import Role, TokenInfo
from netops.runbooks import records as rec
from netops.runbooks.params import ParamError
from netops.runbooks.plan import plan
from netops.runbooks.service import RunbookService

router = APIRouter(tags=["runbooks"], route_class=AuthenticatedRoute)


def get_service(request: Request) -> RunbookService:
    service = getattr(request.app.state, "runbooks", None)
    if service is None:
        service = RunbookService.from_runtime(request.app.state.runtime)
        request.app.state.runbooks = service
    return cast(RunbookService, service)


def get_actor(request: Request) -> TokenInfo:
    return cast(TokenInfo, request.state.token)


ServiceDep = Annotated[RunbookService, Depends(get_service)]
ActorDep = Annotated[TokenInfo, Depends(get_actor)]


class RunIn(BaseModel):
    params: dict[str, Any] = Field(default_factory=dict)


class ApproveIn(BaseModel):
    step: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    decision: str = Field(default="approved", pattern="^(approved|rejected)$")


class ResumeIn(BaseModel):
    from_step: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)  # secret parameters, given again


def _summary(svc: RunbookService, ident: str) -> dict[str, Any]:
    spec = svc.catalog.get(ident).spec
    return {"id": spec.id, "title": spec.title, "severity": spec.severity, "plan_section": spec.plan_section,
            "approval": spec.approval, "steps": len(spec.steps),
            "parameters": [p.model_dump(exclude_none=True) for p in spec.parameters]}  # fmt: skip


@router.get("/runbooks", response_model=list[m.RunbookSummary])
def list_runbooks(svc: ServiceDep) -> list[dict[str, Any]]:
    return [_summary(svc, ident) for ident in sorted(svc.catalog.runbooks)]


@router.get("/runbooks/{ident}", response_model=m.Runbook)
def show_runbook(svc: ServiceDep, ident: str) -> dict[str, Any]:
    rb = svc.catalog.get(ident)
    return {**_summary(svc, ident), "file": rb.file, "spec": rb.spec.model_dump(mode="json", by_alias=True)}


@router.post("/runbooks/{ident}/plan", response_model=m.RunbookPlan)
async def plan_runbook(svc: ServiceDep, work: DeviceWorkDep, ident: str, body: RunIn) -> dict[str, Any]:
    """A dry run (its live reads of devices in the shared device-work pool: 503 when it is full)."""
    svc.catalog.get(ident)  # 404 first
    return await work.run(ident, "runbook plan", plan(svc.catalog, svc.engine.tools, ident, body.params))


@router.post("/runbooks/{ident}/runs", status_code=202, response_model=m.Run)
async def start_run(svc: ServiceDep, actor: ActorDep, ident: str, body: RunIn) -> dict[str, Any]:
    svc.catalog.get(ident)  # 404 first
    who = token_actor(actor.name)
    run_id = svc.start(ident, body.params, actor=who, trigger={"source": "api", "actor": who})
    return rec.get_run(svc.store, run_id).as_dict()


@router.get("/runs", response_model=list[m.Run])
def list_runs(
    svc: ServiceDep,
    state: str | None = None,
    runbook: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Any:
    return [r.as_dict() for r in rec.list_runs(svc.store, state=state, runbook=runbook, limit=limit)]


@router.get("/runs/{run_id}", response_model=m.RunDetail)
def run_status(svc: ServiceDep, run_id: str) -> dict[str, Any]:
    run = rec.get_run(svc.store, run_id)
    return {**run.as_dict(), "steps": [s.as_dict() for s in rec.steps_of(svc.store, run_id)],
            "approvals": rec.approvals_of(svc.store, run_id)}  # fmt: skip


@router.get("/runs/{run_id}/transcript", response_model=list[m.TranscriptLine])
def run_transcript(svc: ServiceDep, run_id: str) -> list[dict[str, Any]]:
    rec.get_run(svc.store, run_id)
    return rec.transcript(svc.store, run_id)


@router.post("/runs/{run_id}/approve", response_model=m.Run)
async def approve_run(svc: ServiceDep, actor: ActorDep, run_id: str, body: ApproveIn) -> dict[str, Any]:
    was = rec.get_run(svc.store, run_id).state
    run = svc.engine.approve(
        run_id,
        body.step,
        actor=token_actor(actor.name),
        role=Role(actor.role),
        inputs=body.inputs,
        decision=body.decision,
    )
    if was == "proposed" and run.state == "pending":
        svc.launch(run_id)
    return run.as_dict()


@router.post("/runs/{run_id}/cancel", response_model=m.Run)
def cancel_run(svc: ServiceDep, actor: ActorDep, run_id: str) -> dict[str, Any]:
    return svc.engine.cancel(run_id, actor=token_actor(actor.name)).as_dict()


@router.post("/runs/{run_id}/resume", response_model=m.Run)
async def resume_run(svc: ServiceDep, run_id: str, body: ResumeIn) -> dict[str, Any]:
    run = rec.get_run(svc.store, run_id)
    missing = [n for n in run.secret_params if n not in body.params]
    if missing and run_id not in svc.tasks and run.state not in ("succeeded", "cancelled", "recovered"):
        raise ParamError([f"secret parameter {n!r} must be given again" for n in missing])
    svc.engine.prepare_resume(run_id, body.from_step)
    svc.launch(run_id, {k: str(v) for k, v in body.params.items() if k in run.secret_params})
    return rec.get_run(svc.store, run_id).as_dict()
