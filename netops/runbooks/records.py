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
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.sql.dml import Update

from netops.errors import NotFoundError
from netops.store.db import Store
from netops.store.schema import RunbookApproval, RunbookRun, RunbookStepRecord, RunbookTranscriptLine


class RunState(StrEnum):
    """A run's state (stored as its value). Active: proposed .. waiting; final: succeeded .. recovered."""

    PROPOSED = "proposed"  # waits for an operator to approve its start
    PENDING = "pending"  # approved, not executing yet
    RUNNING = "running"
    WAITING = "waiting"  # at a manual_confirm step
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    RECOVERED = "recovered"  # the alert resolved while it ran
    ESCALATED = (
        "escalated"  # the steps ended but the goal does not hold: handed to people (the reason says why)
    )


class StepState(StrEnum):
    """The state of one step attempt (``runbook_steps.state``); ``not-run`` and ``planned`` only in expressions."""

    RUNNING = "running"
    WAITING = "waiting"
    ANSWERED = "answered"  # approved or rejected; the engine has not taken the answer yet
    SUCCEEDED = "succeeded"
    SKIPPED = "skipped"
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # the process executing it stopped
    NOT_RUN = "not-run"
    PLANNED = "planned"


class Phase(StrEnum):
    STEPS = "steps"
    FINALLY = "finally"
    DONE = "done"


ACTIVE = (RunState.PROPOSED, RunState.PENDING, RunState.RUNNING, RunState.WAITING)
FINAL = (RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED, RunState.RECOVERED, RunState.ESCALATED)
EXECUTING = (RunState.RUNNING, RunState.WAITING)
STATES = (*ACTIVE, *FINAL)
OPEN_STEPS = (StepState.RUNNING, StepState.WAITING, StepState.ANSWERED)
MASK = "********"
QUIET = {"synchronize_session": False}  # conditional UPDATEs: no ORM objects to keep in step


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
    state: RunState
    params: dict[str, Any]
    trigger: dict[str, Any]
    fingerprint: str | None
    phase: Phase
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
        return self.state in EXECUTING and not owner_alive(self.owner, self.heartbeat_at)

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
        r.id, r.runbook, RunState(r.state), dict(r.params), dict(r.trigger), r.fingerprint, Phase(r.phase), r.cursor,
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
    state: RunState,
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
                trigger=trigger, fingerprint=fingerprint, concurrency_key=concurrency_key, phase=Phase.STEPS,
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


# -- run state changes: each is ONE conditional UPDATE and says whether it applied -------------------------


class _NotApplied(Exception):
    """Rolls back the transaction of a state change whose condition did not hold."""


def _applied(store: Store, *statements: Update) -> bool:
    """Execute in one transaction; True if every statement changed exactly one row (else none is kept)."""
    try:
        with store.session() as s:
            for statement in statements:
                if s.execute(statement, execution_options=QUIET).rowcount != 1:  # type: ignore[attr-defined]
                    raise _NotApplied
    except _NotApplied:
        return False
    return True


def _run(run_id: str, states: Iterable[RunState]) -> Update:
    return update(RunbookRun).where(RunbookRun.id == run_id, RunbookRun.state.in_(list(states)))


def _as_read(run: RunView) -> Update:
    """An UPDATE of ``run`` that applies only if its state and owner are still as read."""
    owner = RunbookRun.owner.is_(None) if run.owner is None else RunbookRun.owner == run.owner
    return update(RunbookRun).where(RunbookRun.id == run.id, RunbookRun.state == run.state, owner)


def claim(store: Store, run: RunView) -> bool:
    """Mark ``run`` running in this process if it is still as read (state and owner); False if another took it."""
    now = time.time()
    started = func.coalesce(RunbookRun.started_at, now)
    return _applied(
        store,
        _as_read(run).values(state=RunState.RUNNING, owner=owner_id(), heartbeat_at=now, started_at=started),
    )


def beat(store: Store, run_id: str) -> bool:
    """The executing engine is alive (the heartbeat other hosts read)."""
    return _applied(store, _run(run_id, EXECUTING).values(heartbeat_at=time.time()))


def move_cursor(store: Store, run_id: str, step: str) -> bool:
    """The running run goes to ``step`` (stored before the step starts, so a resume starts there)."""
    return _applied(store, _run(run_id, (RunState.RUNNING,)).values(cursor=step, heartbeat_at=time.time()))


def enter_finally(store: Store, run_id: str, outcome: RunState, cursor: str | None) -> bool:
    """The steps phase ended with ``outcome``; the ``finally`` steps run next (from ``cursor``)."""
    query = _run(run_id, EXECUTING).where(RunbookRun.phase == Phase.STEPS)
    return _applied(store, query.values(outcome=outcome, phase=Phase.FINALLY, cursor=cursor))


def finish_run(
    store: Store,
    run_id: str,
    state: RunState,
    *,
    error: str | None = None,
    expected: Iterable[RunState] = EXECUTING,
) -> bool:
    """End the run with a final ``state`` (and an error text), if it is still in one of the ``expected`` states."""
    values: dict[str, Any] = {"state": state, "phase": Phase.DONE, "cursor": None, "finished_at": time.time()}
    if error is not None:
        values["error"] = error
    return _applied(store, _run(run_id, expected).values(**values))


def release_run(store: Store, run_id: str) -> bool:
    """This process stops executing the run (service shutdown): it stays where it is, resumable at once."""
    query = update(RunbookRun).where(RunbookRun.id == run_id, RunbookRun.owner == owner_id())
    return _applied(store, query.values(owner=None))


def cancel_run(store: Store, run: RunView, final: RunState) -> bool:
    """End a run nothing executes (proposed, pending, interrupted) as ``final``, if it is still as read."""
    return _applied(
        store,
        _as_read(run).values(state=final, outcome=final, cancel_requested=True, finished_at=time.time(),
                             phase=Phase.DONE, cursor=None),
    )  # fmt: skip


def request_cancel(store: Store, run_id: str, outcome: RunState) -> bool:
    """Ask the engine executing the run to stop at its next step or wait; False if the run already ended."""
    return _applied(store, _run(run_id, ACTIVE).values(cancel_requested=True, outcome=outcome))


def mark_resolved(
    store: Store, run_id: str, actor: str, redirect: str | None, *, cancelled: bool = False
) -> bool:
    """The alert (event) that started the run resolved and the run goes on (``on_resolve: continue``) or
    moves to ``redirect`` (``goto:``, taken by the engine at its next step or wait), or was asked to stop
    (``cancelled``: the resolution's cancel, which a re-fire withdraws). Kept in the trigger."""
    with store.session() as s:
        row = s.get(RunbookRun, run_id)
        if row is None or row.state not in ACTIVE:
            return False
        trigger = {**dict(row.trigger), "resolved_at": time.time(), "resolved_by": actor}
        trigger.pop("refired_at", None)
        if redirect:
            trigger["redirect"] = redirect
        if cancelled:
            trigger["resolution_cancel"] = True
        row.trigger = trigger
    return True


def refire(store: Store, run_id: str, actor: str) -> str | None:
    """The alert that started the active run fired again after it resolved: undo what the resolution asked.
    A cancel the resolution requested is withdrawn (the engine goes on, ``take_withdrawn``); a move it asked
    for is withdrawn, or, taken already, reversed (the run goes back to the step it left). Returns what was
    done (for the transcript), or None when the resolution had left nothing to undo."""
    with store.session() as s:
        row = s.get(RunbookRun, run_id)
        if row is None or row.state not in ACTIVE or not row.trigger.get("resolved_at"):
            return None
        trigger = {**dict(row.trigger), "refired_at": time.time(), "refired_by": actor}
        trigger.pop("resolved_at", None)
        done = "the run goes on as it was"
        if trigger.pop("resolution_cancel", None) and row.cancel_requested and row.phase == Phase.STEPS:
            row.cancel_requested = False
            row.outcome = None
            trigger["withdrawn"] = True
            done = "the cancel its resolution asked for is withdrawn: the run goes on"
        elif trigger.get("redirect"):
            done = f"the move to {trigger.pop('redirect')} its resolution asked for is withdrawn"
        elif trigger.get("redirected_from") and trigger.get("redirected_to"):
            back = str(trigger.pop("redirected_from"))
            trigger.pop("redirected_to")
            trigger["redirect"] = back
            done = f"the run goes back to {back}, which the resolution had skipped"
        row.trigger = trigger
        return done


def take_withdrawn(store: Store, run_id: str) -> bool:
    """Whether a re-fire withdrew the cancel the run stopped for (once: cleared when taken); only for a run
    still running with no cancel requested."""
    with store.session() as s:
        row = s.get(RunbookRun, run_id)
        if row is None or row.state != RunState.RUNNING or row.cancel_requested:
            return False
        if not row.trigger.get("withdrawn"):
            return False
        trigger = dict(row.trigger)
        trigger.pop("withdrawn")
        row.trigger = trigger
        return True


def take_redirect(store: Store, run_id: str) -> str | None:
    """The step a resolution asked the run to move to (once: it is cleared when taken)."""
    with store.session() as s:
        row = s.get(RunbookRun, run_id)
        if row is None or not row.trigger.get("redirect"):
            return None
        trigger = dict(row.trigger)
        target = str(trigger.pop("redirect"))
        trigger["redirected_to"] = target
        if row.cursor:
            trigger["redirected_from"] = row.cursor
        row.trigger = trigger
        return target


def decide_start(store: Store, run_id: str, approved: bool) -> bool:
    """Answer a proposed run: ``pending`` (it may start) or ``cancelled``; False if it is no longer proposed."""
    state = RunState.PENDING if approved else RunState.CANCELLED
    values: dict[str, Any] = {"state": state}
    if not approved:
        values.update(outcome=state, finished_at=time.time(), phase=Phase.DONE, cursor=None)
    return _applied(store, _run(run_id, (RunState.PROPOSED,)).values(**values))


def reopen_run(store: Store, run: RunView, *, cursor: str | None, phase: Phase, clear_outcome: bool) -> bool:
    """Make a failed or interrupted run ``pending`` again at ``cursor``, if it is still as read."""
    values: dict[str, Any] = {"state": RunState.PENDING, "finished_at": None, "cancel_requested": False,
                              "cursor": cursor, "phase": phase}  # fmt: skip
    if clear_outcome:
        values["outcome"] = None
    return _applied(store, _as_read(run).values(**values))


def mark_step_waiting(store: Store, run_id: str, record: int) -> bool:
    """The step attempt ``record`` and its run wait for an approval (both or neither)."""
    step = update(RunbookStepRecord).where(
        RunbookStepRecord.id == record, RunbookStepRecord.state == StepState.RUNNING
    )
    return _applied(
        store,
        step.values(state=StepState.WAITING),
        _run(run_id, (RunState.RUNNING,)).values(state=RunState.WAITING),
    )


def end_wait(store: Store, run_id: str) -> bool:
    """The run's wait is over (answered, timed out or cancelled): it runs again."""
    return _applied(store, _run(run_id, (RunState.WAITING,)).values(state=RunState.RUNNING))


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
    state: StepState
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
            run_id=run_id, step=step, kind=kind, attempt=attempt, state=StepState.RUNNING,
            started_at=time.time(), output={},
        )  # fmt: skip
        s.add(row)
        s.flush()
        return row.id


def step_finished(
    store: Store, record: int, state: StepState, output: dict[str, Any], error: str | None
) -> bool:
    """The attempt ``record`` ended (from running, waiting or answered) with ``state``."""
    query = update(RunbookStepRecord).where(
        RunbookStepRecord.id == record, RunbookStepRecord.state.in_(list(OPEN_STEPS))
    )
    return _applied(store, query.values(state=state, output=output, error=error, finished_at=time.time()))


def close_open_steps(store: Store, run_id: str) -> int:
    """Mark the attempts a stopped process left open (running, waiting, answered) ``interrupted``; how many."""
    query = (
        update(RunbookStepRecord)
        .where(RunbookStepRecord.run_id == run_id, RunbookStepRecord.state.in_(list(OPEN_STEPS)))
        .values(
            state=StepState.INTERRUPTED, finished_at=time.time(), error="the process executing it stopped"
        )
    )
    with store.session() as s:
        return int(s.execute(query, execution_options=QUIET).rowcount)  # type: ignore[attr-defined]


def steps_of(store: Store, run_id: str) -> list[StepView]:
    query = select(RunbookStepRecord).where(RunbookStepRecord.run_id == run_id).order_by(RunbookStepRecord.id)
    with store.session() as s:
        return [
            StepView(
                r.id,
                r.step,
                r.kind,
                r.attempt,
                StepState(r.state),
                r.started_at,
                r.finished_at,
                dict(r.output),
                r.error,
            )
            for r in s.scalars(query)
        ]


# -- approvals ------------------------------------------------------------------------------------------


def answer_step(
    store: Store,
    run_id: str,
    step: str,
    *,
    decision: str,
    actor: str,
    role: str,
    inputs: dict[str, Any],
) -> bool:
    """Answer the waiting attempt of ``step``: ONE conditional UPDATE (the attempt still waits, the run is
    executing and at that step), and the answer stored in the same transaction. Of two approvals at once, one
    applies; the other gets False."""
    run_at_step = exists().where(
        RunbookRun.id == run_id,
        RunbookRun.state.in_(list(EXECUTING)),
        RunbookRun.cursor == step,
        RunbookRun.phase != Phase.DONE,
    )
    query = (
        update(RunbookStepRecord)
        .where(
            RunbookStepRecord.run_id == run_id,
            RunbookStepRecord.step == step,
            RunbookStepRecord.state == StepState.WAITING,
            run_at_step,
        )
        .values(state=StepState.ANSWERED)
    )
    try:
        with store.session() as s:
            if s.execute(query, execution_options=QUIET).rowcount != 1:  # type: ignore[attr-defined]
                raise _NotApplied
            s.add(
                RunbookApproval(
                    run_id=run_id, step=step, decision=decision, actor=actor, role=role, inputs=inputs,
                    at=time.time(), used=False,
                )
            )  # fmt: skip
    except _NotApplied:
        return False
    return True


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
