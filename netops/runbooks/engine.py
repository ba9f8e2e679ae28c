"""The runbook engine: create runs, execute them step by step with every step persisted, approve, cancel, resume.

A run is a program counter (``cursor``) over the runbook's steps, stored after every move, so a run cut off by
a crash continues at the step it was on: a finished step is never run again (``resume``; ``--from STEP`` moves
the counter). Each step attempt is a row (state, masked output, timing); approvals are rows written by whoever
approves (API or CLI, any process) and picked up by the waiting engine; cancel is a flag the engine reads
between steps and while it waits. The transcript is append-only. Secret parameters live only in this process's
memory (``_secrets``); a resume in a new process needs them given again. Steps themselves are in ``steps.py``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netops.auth import audit
from netops.auth.tokens import Role
from netops.errors import Forbidden as Forbidden
from netops.errors import RunConflict as RunConflict
from netops.inventory.models import Inventory
from netops.runbooks import goals
from netops.runbooks import records as rec
from netops.runbooks import steps as st
from netops.runbooks.actions import Tools
from netops.runbooks.catalog import Catalog, Runbook
from netops.runbooks.expr import ExpressionError, evaluate
from netops.runbooks.facts import expression_facts
from netops.runbooks.params import ParamError, coerce
from netops.runbooks.records import Phase, RunState, StepState
from netops.runbooks.schema import ManualConfirmStep
from netops.store.db import Store

log = logging.getLogger(__name__)
MAX_MOVES = 500  # steps executed per run, goto loops included


@dataclass
class Live:
    """A run in this process: its runbook, parameters with secrets, step results, masker."""

    run_id: str
    runbook: Runbook
    params: dict[str, Any]
    masker: rec.Masker
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    pushes: list[tuple[str, str]] = field(default_factory=list)  # (change id, device) for rollback
    facts: dict[str, Callable[..., Any]] = field(
        default_factory=dict
    )  # next_conference(), open_incident() ...
    redirect: str | None = None  # the step an alert resolution moves the run to (``on_resolve: goto:``)
    redirect_why: str | None = None  # why, when not the alert (an approval asked again)
    redirects: bool = True  # whether waits take such a move (only in the steps phase, not judging the goal)

    def context(self, inventory: Inventory, **extra: Any) -> dict[str, Any]:
        known = {
            s.id: {"ok": False, "state": StepState.NOT_RUN, "output": {}}
            for s in self.runbook.spec.all_steps()
        }
        known.update(self.steps)
        view = {**known, **{k.replace("-", "_"): v for k, v in known.items()}}
        return {"params": self.params, "steps": view, "inventory": inventory, "run_id": self.run_id,
                "uplink": lambda device, kind="primary": uplink(inventory, device, kind), **self.facts,
                **extra}  # fmt: skip


def uplink(inventory: Inventory, device: str, kind: str = "primary") -> dict[str, Any] | None:
    """For expressions: the ``kind`` uplink of ``device`` (its child end): interfaces, peer, carrier, circuit,
    and ``address``: how the peer names ``device`` as its routing neighbour (the address of ``device``'s
    interface on the link, else its management address), for ``... in result.neighbors_up``."""
    for link in inventory.links_of(device):
        if link.a.device == device and link.kind == kind:
            return {"link": link.id, "interface": link.a.interface, "peer": link.b.device,
                    "peer_interface": link.b.interface, "carrier": link.carrier, "circuit": link.circuit,
                    "bandwidth_mbps": link.bandwidth_mbps,
                    "address": _link_address(inventory, device, link.a.interface)}  # fmt: skip
    return None


def _link_address(inventory: Inventory, device: str, interface: str) -> str:
    dev = inventory.devices.get(device)
    if dev is None:
        return ""
    itf = next((i for i in dev.interfaces if i.name == interface), None)
    if itf is not None and itf.address:
        try:
            return str(ipaddress.IPv4Interface(itf.address).ip)
        except ValueError:
            pass
    return str(dev.address)


class Engine:
    def __init__(
        self,
        store: Store,
        catalog: Callable[[], Catalog],
        tools: Tools,
        *,
        poll_s: float = 0.5,
        max_interval_s: float | None = None,
        max_wait_s: float | None = None,
    ) -> None:
        """``poll_s``: how often waits look for approvals and cancels; ``max_interval_s``: a cap on the
        runbooks' ``interval``/``retry_delay``; ``max_wait_s``: a cap on the timeouts of ``wait_until`` and
        ``manual_confirm`` steps (the lab and tests run faster than real networks and people)."""
        self.store, self.catalog, self.tools, self.poll_s = store, catalog, tools, poll_s
        self.max_interval_s = max_interval_s
        self.max_wait_s = max_wait_s
        self._secrets: dict[str, dict[str, str]] = {}

    # -- creating -------------------------------------------------------------------------------------

    def create_run(
        self,
        runbook_id: str,
        given: dict[str, Any],
        *,
        actor: str,
        trigger: dict[str, Any] | None = None,
        fingerprint: str | None = None,
        propose: bool = False,
        parent: str | None = None,
    ) -> str:
        """Validate parameters and store a new run (``pending``, or ``proposed`` awaiting approval)."""
        rb = self.catalog().get(runbook_id)
        plain, secret = coerce(rb.spec.parameters, given, self.tools.inventory())
        key = None
        if rb.spec.concurrency:
            try:
                key = f"{rb.id}:{evaluate(rb.spec.concurrency, {'params': plain})}"
            except ExpressionError as exc:
                raise ParamError([f"concurrency: {exc}"]) from exc
            holder = rec.key_holder(self.store, key)
            if holder is not None:
                raise RunConflict(
                    f"run {holder.id} of {rb.id} is active for {key!r}; wait for it or cancel it"
                )
        masked = {**plain, **{k: rec.MASK for k in secret}}
        state = RunState.PROPOSED if propose else RunState.PENDING
        run_id = rec.new_run(
            self.store, runbook=rb.id, params=masked, secret_params=sorted(secret),
            trigger=trigger or {"source": "manual"}, created_by=actor, state=state,
            cursor=rb.spec.steps[0].id, fingerprint=fingerprint, concurrency_key=key, parent_run=parent,
        )  # fmt: skip
        self._secrets[run_id] = secret
        source = (trigger or {}).get("source", "manual")
        shown = ", ".join(f"{k}={v}" for k, v in masked.items())
        rec.append(self.store, run_id, f"run of {rb.id} created by {actor} ({source}); parameters: {shown}")
        if propose:
            rec.append(self.store, run_id, "proposed: waiting for an operator to approve the start")
        return run_id

    # -- executing ------------------------------------------------------------------------------------

    async def execute(self, run_id: str, secrets: dict[str, str] | None = None) -> rec.RunView:
        """Run from the cursor to the end (or a wait it cannot pass). Returns the run as stored at the end."""
        run = rec.get_run(self.store, run_id)
        if run.state in rec.FINAL or run.state == RunState.PROPOSED:
            raise RunConflict(f"run {run_id} is {run.state}; nothing to execute")
        if run.state in rec.EXECUTING and not run.interrupted and run.owner != rec.owner_id():
            raise RunConflict(f"run {run_id} is being executed by {run.owner}")
        rb = self.catalog().get(run.runbook)
        held = {**self._secrets.get(run_id, {}), **(secrets or {})}
        missing = [n for n in run.secret_params if n not in held]
        if missing:
            raise ParamError(
                [f"secret parameter {n!r} must be given again to continue this run" for n in missing]
            )
        self._secrets[run_id] = held
        live = Live(run_id, rb, {**run.params, **held}, rec.Masker(list(held.values())))
        live.facts = expression_facts(self.tools)
        for view in rec.steps_of(self.store, run_id):  # results of earlier steps, for expressions
            live.steps[view.step] = {"ok": view.state in st.DONE_STEPS, "state": view.state,
                                     "output": view.output}  # fmt: skip
            if (
                view.kind == "config_push"
                and view.output.get("change_id")
                and view.state == StepState.SUCCEEDED
            ):
                live.pushes.append((view.output["change_id"], view.output.get("device", "")))
        if not rec.claim(self.store, run):  # atomic: two processes never execute one run
            raise RunConflict(f"run {run_id} was taken by another process")
        rec.close_open_steps(self.store, run_id)  # attempts a dead process left open (it is ours now)
        verb = "continues" if run.started_at else "starts"
        rec.append(self.store, run_id, f"run {verb} at {run.phase} {run.cursor} (engine {rec.owner_id()})")
        why: str | None = None  # why the goal does not hold
        try:
            outcome = RunState(run.outcome) if run.outcome else None
            if run.phase == Phase.STEPS:
                cursor, outcome = run.cursor, RunState.FAILED
                for _ in range(MAX_MOVES):
                    outcome = await self._phase(live, Phase.STEPS, cursor)
                    if outcome == RunState.CANCELLED:  # cancelled, or recovered: what the canceller asked for
                        asked = rec.get_run(self.store, run_id).outcome
                        outcome = RunState(asked) if asked else RunState.CANCELLED
                    if outcome == RunState.RECOVERED:  # the alert resolved: recovered only if the goal holds
                        outcome, why = await goals.judge(self, live, resolved=True)
                    if outcome != RunState.SUCCEEDED and rec.take_withdrawn(self.store, run_id):
                        cursor = rec.get_run(self.store, run_id).cursor  # the alert fired again: go on
                        rec.append(self.store, run_id, f"the alert fired again: the run goes on at {cursor}")
                        why = None
                        continue
                    break
                live.redirects = False  # a resolution from now on changes nothing
                if outcome == RunState.SUCCEEDED:  # the steps ended: does the runbook's goal hold?
                    outcome, why = await goals.judge(self, live)
                first = rb.spec.finally_[0].id if rb.spec.finally_ else None
                rec.enter_finally(self.store, run_id, outcome, first)
            live.redirects = False
            now_run = rec.get_run(self.store, run_id)
            if now_run.phase == Phase.FINALLY and now_run.cursor:
                await self._phase(live, Phase.FINALLY, now_run.cursor)
            final = outcome or RunState.FAILED
            if rec.finish_run(self.store, run_id, final, error=why):
                rec.append(self.store, run_id, f"run ended: {final}{': ' + why if why else ''}")
        except asyncio.CancelledError:  # the service stops: the run stays where it is, resumable at once
            rec.release_run(self.store, run_id)
            rec.append(self.store, run_id, "engine stopped during the run; resumable")
            raise
        finally:
            if rec.get_run(self.store, run_id).state in rec.FINAL:
                self._secrets.pop(run_id, None)
        return rec.get_run(self.store, run_id)

    async def _phase(self, live: Live, phase: Phase, cursor: str | None) -> RunState:
        """Run the steps of ``phase`` from ``cursor``; the outcome: succeeded, failed or cancelled."""
        spec = live.runbook.spec
        steps = spec.steps if phase == Phase.STEPS else spec.finally_
        index = {s.id: i for i, s in enumerate(steps)}
        i = index.get(cursor or "", 0)
        moves = 0
        failed = False
        while i < len(steps):
            moves += 1
            if moves > MAX_MOVES:
                rec.append(
                    self.store, live.run_id, f"more than {MAX_MOVES} steps executed: stopped (goto loop?)"
                )
                return RunState.FAILED
            step = steps[i]
            if not rec.move_cursor(self.store, live.run_id, step.id):
                rec.append(
                    self.store, live.run_id, f"run changed by another process before {step.id}: stopped"
                )
                return RunState.CANCELLED
            # after the cursor moved: a run whose cancel is withdrawn (the alert fired again) goes on here
            if phase == Phase.STEPS and self.cancel_requested(live.run_id):
                rec.append(self.store, live.run_id, f"cancel requested: no further steps (next: {step.id})")
                return RunState.CANCELLED
            state = await st.run_step(self, live, step)
            if live.redirect is not None:  # the alert resolved (on_resolve: goto:), or fired again: move
                target, live.redirect = live.redirect, None
                why = (
                    "fired again"
                    if rec.get_run(self.store, live.run_id).trigger.get("refired_at")
                    else "resolved"
                )
                why, live.redirect_why = live.redirect_why or f"the alert {why}", None
                rec.append(self.store, live.run_id, f"{why}: {step.id} -> {target}", step.id)
                i = index.get(target, i + 1)
                continue
            if state in st.DONE_STEPS:
                i += 1
                continue
            if state == StepState.CANCELLED:
                return RunState.CANCELLED
            if phase == Phase.FINALLY:
                failed = True
                i += 1
                continue
            action = step.on_failure
            if state == StepState.TIMEOUT and isinstance(step, ManualConfirmStep):
                action = step.on_timeout
            rec.append(self.store, live.run_id, f"step {step.id} {state}: {action}", step.id)
            if action == "continue":
                i += 1
            elif action.startswith("goto:"):
                i = index[action[5:]]
            else:
                if action == "rollback":
                    await st.rollback(self, live)
                return RunState.FAILED
        return RunState.FAILED if failed and phase == Phase.STEPS else RunState.SUCCEEDED

    # -- controlling ----------------------------------------------------------------------------------

    def pace(self, seconds: float) -> float:
        return seconds if self.max_interval_s is None else min(seconds, self.max_interval_s)

    def waits(self, seconds: float) -> float:
        return seconds if self.max_wait_s is None else min(seconds, self.max_wait_s)

    def cancel_requested(self, run_id: str) -> bool:
        return rec.get_run(self.store, run_id).cancel_requested

    def cancel(
        self, run_id: str, *, actor: str, final: RunState = RunState.CANCELLED, reason: str = ""
    ) -> rec.RunView:
        """Stop a run: at once if nothing executes it, else the engine stops at its next step or wait."""
        run = rec.get_run(self.store, run_id)
        if run.state in rec.FINAL:
            raise RunConflict(f"run {run_id} already ended: {run.state}")
        why = f" ({reason})" if reason else ""
        rec.append(
            self.store,
            run_id,
            f"{'auto-recovered' if final == RunState.RECOVERED else 'cancel'} by {actor}{why}",
        )
        idle = run.state in (RunState.PROPOSED, RunState.PENDING) or run.interrupted
        if idle and rec.cancel_run(self.store, run, final):  # nothing executes it: it ends now
            rec.append(self.store, run_id, f"run ended: {final}")
        elif not rec.request_cancel(self.store, run_id, final):  # the executing engine stops it
            raise RunConflict(f"run {run_id} already ended: {rec.get_run(self.store, run_id).state}")
        audit.record(self.store, actor=actor, action="runbook.cancel", target=run_id, outcome=final)
        return rec.get_run(self.store, run_id)

    def approve(
        self,
        run_id: str,
        step: str | None,
        *,
        actor: str,
        role: Role,
        inputs: dict[str, Any] | None = None,
        decision: str = "approved",
    ) -> rec.RunView:
        """Answer the step a run waits on (or, for a proposed run, its start). Checks role and inputs."""
        run = rec.get_run(self.store, run_id)
        rb = self.catalog().get(run.runbook)
        if run.state == RunState.PROPOSED:
            if step not in (None, "start"):
                raise RunConflict(f"run {run_id} waits for its start to be approved, not step {step!r}")
            if role < Role.OPERATOR:
                raise Forbidden(f"{actor} has role {role}; starting a run needs operator")
            if not rec.decide_start(self.store, run_id, decision == "approved"):
                now = rec.get_run(self.store, run_id)
                raise RunConflict(f"run {run_id} is {now.state}: its start was answered already")
            rec.append(self.store, run_id, f"start {decision} by {actor} ({role})")
            audit.record(self.store, actor=actor, role=str(role), action="runbook.approve",
                         target=f"{run_id}:start", outcome=decision)  # fmt: skip
            return rec.get_run(self.store, run_id)
        target = step or run.cursor or ""
        waiting = run.state == RunState.WAITING or (run.state == RunState.RUNNING and run.interrupted)
        if not waiting or target != run.cursor:
            raise RunConflict(
                f"run {run_id} is {run.state} at {run.cursor!r}; it does not wait for {target!r}"
            )
        spec = next((s for s in rb.spec.all_steps() if s.id == target), None)
        if not isinstance(spec, ManualConfirmStep):
            raise RunConflict(f"step {target!r} of {rb.id} is not a manual_confirm step")
        if role < Role.parse(spec.role):
            raise Forbidden(f"{actor} has role {role}; step {target!r} needs {spec.role} or higher")
        values = coerce(spec.inputs, inputs or {}, None)[0] if decision == "approved" else {}
        answered = rec.answer_step(
            self.store, run_id, target, decision=decision, actor=actor, role=str(role), inputs=values
        )
        if not answered:  # another approval won, or the run moved on, since it was read
            raise RunConflict(
                f"run {run_id} no longer waits for {target!r} (answered already, or it moved on)"
            )
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        rec.append(
            self.store, run_id, f"{decision} by {actor} ({role}){': ' + shown if shown else ''}", target
        )
        audit.record(self.store, actor=actor, role=str(role), action="runbook.approve",
                     target=f"{run_id}:{target}", outcome=decision, detail={"inputs": sorted(values)})  # fmt: skip
        return rec.get_run(self.store, run_id)

    def prepare_resume(self, run_id: str, from_step: str | None = None) -> rec.RunView:
        """Make a failed or interrupted run executable again (at its cursor, or at ``from_step``)."""
        run = rec.get_run(self.store, run_id)
        if run.state in (RunState.SUCCEEDED, RunState.CANCELLED, RunState.RECOVERED, RunState.PROPOSED):
            raise RunConflict(f"run {run_id} is {run.state}; only failed or interrupted runs resume")
        if run.state in rec.EXECUTING and not run.interrupted:
            raise RunConflict(f"run {run_id} is still being executed by {run.owner}")
        spec = self.catalog().get(run.runbook).spec
        main = [s.id for s in spec.steps]
        cursor, phase, clear_outcome = run.cursor, run.phase, False
        if from_step is not None:
            fin = [s.id for s in spec.finally_]
            if from_step not in main + fin:
                raise RunConflict(f"{run.runbook} has no step {from_step!r} (steps: {', '.join(main + fin)})")
            cursor, clear_outcome = from_step, from_step in main
            phase = Phase.STEPS if clear_outcome else Phase.FINALLY
        elif run.state == RunState.FAILED:
            failed = [
                v
                for v in rec.steps_of(self.store, run_id)
                if v.state in (StepState.FAILED, StepState.TIMEOUT)
            ]
            if run.phase == Phase.DONE and failed:
                cursor = failed[-1].step
                clear_outcome = cursor in main
                phase = Phase.STEPS if clear_outcome else Phase.FINALLY
        if not rec.reopen_run(self.store, run, cursor=cursor, phase=phase, clear_outcome=clear_outcome):
            raise RunConflict(f"run {run_id} changed while being prepared to resume; try again")
        rec.close_open_steps(self.store, run_id)
        rec.append(self.store, run_id, f"resume prepared at {cursor}")
        return rec.get_run(self.store, run_id)

    def interrupted_runs(self) -> list[rec.RunView]:
        """Runs that a stopped process left running or waiting (for the service's start-up hook)."""
        return [r for r in rec.list_runs(self.store, state="active", limit=1000) if r.interrupted]
