"""Runs in the database: create, read, update the run row; step attempts; approvals; the transcript.

The engine (``engine.py``), the API and the CLI all go through these functions, so a run started by one
process can be approved, cancelled or resumed by another. The transcript is append-only: nothing here updates
or deletes a transcript line. Every text handed in is already masked by the caller (``Masker``).
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from netops.errors import NotFoundError
from netops.store.db import Store
from netops.store.schema import RunbookApproval, RunbookRun, RunbookStepRecord, RunbookTranscriptLine

ACTIVE = ("proposed", "pending", "running", "waiting")
FINAL = ("succeeded", "failed", "cancelled", "recovered")
STATES = (*ACTIVE, *FINAL)
MASK = "********"


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


STALE_S = 600.0  # a run executed on another host whose heartbeat is older than this counts as interrupted


def owner_alive(owner: str | None, heartbeat_at: float | None = None) -> bool:
    """Whether the process named by ``owner`` (host:pid) still runs; on another host: a recent heartbeat."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return heartbeat_at is not None and time.time() - heartbeat_at < STALE_S
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


class Masker:
    """Replaces every secret value in texts and JSON-like data with ``********``."""

    def __init__(self, values: list[str] | None = None) -> None:
        self.values: list[str] = []
        self.add(values or [])

    def add(self, values: list[str]) -> None:
        self.values = sorted({*self.values, *(v for v in values if v and len(v) >= 3)}, key=len, reverse=True)

    def text(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, MASK)
        return text

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {str(k): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


@dataclass(frozen=True, slots=True)
class RunView:
    id: str
    runbook: str
    state: str
    params: dict[str, Any]
    trigger: dict[str, Any]
    fingerprint: str | None
    phase: str
    cursor: str | None
    outcome: str | None
    error: str | None
    created_by: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    owner: str | None
    cancel_requested: bool
    secret_params: list[str]
    parent_run: str | None
    heartbeat_at: float | None = None

    @property
    def interrupted(self) -> bool:
        return self.state in ("running", "waiting") and not owner_alive(self.owner, self.heartbeat_at)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "runbook": self.runbook,
            "state": self.state,
            "interrupted": self.interrupted,
            "params": self.params,
            "trigger": self.trigger,
            "fingerprint": self.fingerprint,
            "phase": self.phase,
            "cursor": self.cursor,
            "outcome": self.outcome,
            "error": self.error,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "cancel_requested": self.cancel_requested,
            "parent_run": self.parent_run,
        }


def _view(r: RunbookRun) -> RunView:
    return RunView(
        r.id, r.runbook, r.state, dict(r.params), dict(r.trigger), r.fingerprint, r.phase, r.cursor,
        r.outcome, r.error, r.created_by, r.created_at, r.started_at, r.finished_at, r.owner,
        bool(r.cancel_requested), list(r.secret_params), r.parent_run, r.heartbeat_at,
    )  # fmt: skip


def new_run(
    store: Store,
    *,
    runbook: str,
    params: dict[str, Any],
    secret_params: list[str],
    trigger: dict[str, Any],
    created_by: str,
    state: str,
    cursor: str,
    fingerprint: str | None = None,
    concurrency_key: str | None = None,
    parent_run: str | None = None,
) -> str:
    run_id = f"run-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"
    with store.session() as s:
        s.add(
            RunbookRun(
                id=run_id, runbook=runbook, state=state, params=params, secret_params=secret_params,
                trigger=trigger, fingerprint=fingerprint, concurrency_key=concurrency_key, phase="steps",
                cursor=cursor, outcome=None, error=None, created_by=created_by, created_at=time.time(),
                cancel_requested=False, parent_run=parent_run,
            )
        )  # fmt: skip
    return run_id


def get_run(store: Store, run_id: str) -> RunView:
    with store.session() as s:
        row = s.get(RunbookRun, run_id)
        if row is None:
            raise NotFoundError("run", run_id)
        return _view(row)


def list_runs(
    store: Store, *, state: str | None = None, runbook: str | None = None, limit: int = 100
) -> list[RunView]:
    query = select(RunbookRun).order_by(RunbookRun.created_at.desc()).limit(limit)
    if state is not None:
        query = query.where(RunbookRun.state.in_(ACTIVE if state == "active" else (state,)))
    if runbook is not None:
        query = query.where(RunbookRun.runbook == runbook)
    with store.session() as s:
        return [_view(r) for r in s.scalars(query)]


def update_run(store: Store, run_id: str, **fields: Any) -> None:
    with store.session() as s:
        row = s.get(RunbookRun, run_id)
        if row is None:
            raise NotFoundError("run", run_id)
        for key, value in fields.items():
            setattr(row, key, value)


def claim(store: Store, run: RunView) -> bool:
    """Mark ``run`` running in this process if it is still as read (state and owner); False if another took it."""
    owner = RunbookRun.owner.is_(None) if run.owner is None else RunbookRun.owner == run.owner
    query = (
        update(RunbookRun)
        .where(RunbookRun.id == run.id, RunbookRun.state == run.state, owner)
        .values(state="running", owner=owner_id(), heartbeat_at=time.time())
    )
    with store.session() as s:
        return bool(s.execute(query).rowcount == 1)  # type: ignore[attr-defined]


def active_run(store: Store, *, runbook: str, fingerprint: str) -> RunView | None:
    query = select(RunbookRun).where(
        RunbookRun.runbook == runbook, RunbookRun.fingerprint == fingerprint, RunbookRun.state.in_(ACTIVE)
    )
    with store.session() as s:
        row = s.scalars(query).first()
        return _view(row) if row else None


def active_by_fingerprint(store: Store, fingerprint: str) -> list[RunView]:
    query = select(RunbookRun).where(RunbookRun.fingerprint == fingerprint, RunbookRun.state.in_(ACTIVE))
    with store.session() as s:
        return [_view(r) for r in s.scalars(query)]


def key_holder(store: Store, key: str) -> RunView | None:
    query = select(RunbookRun).where(RunbookRun.concurrency_key == key, RunbookRun.state.in_(ACTIVE))
    with store.session() as s:
        row = s.scalars(query).first()
        return _view(row) if row else None


# -- steps ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepView:
    id: int
    step: str
    kind: str
    attempt: int
    state: str
    started_at: float
    finished_at: float | None
    output: dict[str, Any]
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step, "kind": self.kind, "attempt": self.attempt, "state": self.state,
            "started_at": self.started_at, "finished_at": self.finished_at,
            "duration_s": None if self.finished_at is None else round(self.finished_at - self.started_at, 3),
            "output": self.output, "error": self.error,
        }  # fmt: skip


def step_started(store: Store, run_id: str, step: str, kind: str, attempt: int) -> int:
    with store.session() as s:
        row = RunbookStepRecord(
            run_id=run_id, step=step, kind=kind, attempt=attempt, state="running",
            started_at=time.time(), output={},
        )  # fmt: skip
        s.add(row)
        s.flush()
        return row.id


def step_finished(store: Store, record: int, state: str, output: dict[str, Any], error: str | None) -> None:
    with store.session() as s:
        row = s.get(RunbookStepRecord, record)
        if row is not None:
            row.state, row.output, row.error, row.finished_at = state, output, error, time.time()


def step_state(store: Store, record: int, state: str) -> None:
    with store.session() as s:
        row = s.get(RunbookStepRecord, record)
        if row is not None:
            row.state = state


def close_open_steps(store: Store, run_id: str) -> int:
    """Mark the attempts a stopped process left running or waiting as ``interrupted``; returns how many."""
    query = select(RunbookStepRecord).where(
        RunbookStepRecord.run_id == run_id, RunbookStepRecord.state.in_(("running", "waiting"))
    )
    with store.session() as s:
        rows = list(s.scalars(query))
        for row in rows:
            row.state, row.finished_at, row.error = (
                "interrupted",
                time.time(),
                "the process executing it stopped",
            )
        return len(rows)


def steps_of(store: Store, run_id: str) -> list[StepView]:
    query = select(RunbookStepRecord).where(RunbookStepRecord.run_id == run_id).order_by(RunbookStepRecord.id)
    with store.session() as s:
        return [
            StepView(
                r.id, r.step, r.kind, r.attempt, r.state, r.started_at, r.finished_at, dict(r.output), r.error
            )
            for r in s.scalars(query)
        ]


# -- approvals ------------------------------------------------------------------------------------------


def add_approval(
    store: Store, run_id: str, step: str, *, decision: str, actor: str, role: str, inputs: dict[str, Any]
) -> None:
    with store.session() as s:
        s.add(
            RunbookApproval(
                run_id=run_id, step=step, decision=decision, actor=actor, role=role, inputs=inputs,
                at=time.time(), used=False,
            )
        )  # fmt: skip


def take_approval(store: Store, run_id: str, step: str) -> dict[str, Any] | None:
    """The oldest unused answer to ``step`` of ``run_id``, marked used; None when there is none yet."""
    query = (
        select(RunbookApproval)
        .where(
            RunbookApproval.run_id == run_id, RunbookApproval.step == step, RunbookApproval.used.is_(False)
        )
        .order_by(RunbookApproval.id)
    )
    with store.session() as s:
        row = s.scalars(query).first()
        if row is None:
            return None
        row.used = True
        return {"decision": row.decision, "actor": row.actor, "role": row.role, "inputs": dict(row.inputs)}


def approvals_of(store: Store, run_id: str) -> list[dict[str, Any]]:
    query = select(RunbookApproval).where(RunbookApproval.run_id == run_id).order_by(RunbookApproval.id)
    with store.session() as s:
        return [
            {"step": r.step, "decision": r.decision, "actor": r.actor, "role": r.role, "at": r.at}
            for r in s.scalars(query)
        ]


# -- transcript -----------------------------------------------------------------------------------------


def append(store: Store, run_id: str, text: str, step: str | None = None) -> None:
    with store.session() as s:
        s.add(RunbookTranscriptLine(run_id=run_id, at=time.time(), step=step, text=text))


def transcript(store: Store, run_id: str) -> list[dict[str, Any]]:
    query = (
        select(RunbookTranscriptLine)
        .where(RunbookTranscriptLine.run_id == run_id)
        .order_by(RunbookTranscriptLine.id)
    )
    with store.session() as s:
        return [{"at": r.at, "step": r.step, "text": r.text} for r in s.scalars(query)]
