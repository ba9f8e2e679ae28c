"""Dry run (``netops runbook plan``): render every step, run only the read-only checks, show config diffs.

Writes nothing: no run row, no transcript, no approval, no device change. ``config_push`` steps ask the
``ConfigPusher`` for a dry push (its diff) when one is connected, else show the rendered lines. Later steps see
checks' real results, in the shape a run gives them (``steps.X.output.result``). A step whose ``when`` (or, when
it cannot be rendered, whose text) reads a step only the run decides (an approval, a wait, a push, a notify) is
shown as ``depends on run-time result`` instead of "would wait for approval" or "cannot render".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from netops.errors import NetopsError
from netops.runbooks import actions, facts
from netops.runbooks.catalog import Catalog
from netops.runbooks.codec import XAPI
from netops.runbooks.engine import Live
from netops.runbooks.expr import ExpressionError, evaluate, names_used, render
from netops.runbooks.params import coerce
from netops.runbooks.readonly import command_problem
from netops.runbooks.records import MASK, Masker
from netops.runbooks.schema import (
    CheckStep,
    CodecCommandStep,
    CommandStep,
    ConfigPushStep,
    GoalSpec,
    ManualConfirmStep,
    NotifyStep,
    RunbookStep,
    WaitUntilStep,
)
from netops.runbooks.steps import observe, render_device


class PlanAction(StrEnum):
    """What the run would do at a step (``action`` of each row of a dry run)."""

    SKIPPED = "skipped"
    CHECKED = "checked"
    CHECK_FAILED = "check failed"
    WOULD_SEND = "would send"
    REFUSED = "refused"  # a command the read-only guard refuses: the run would send nothing either
    WOULD_PUSH = "would push"
    WOULD_WAIT = "would wait for approval"
    WOULD_NOTIFY = "would notify"
    WOULD_RUN = "would run"
    CANNOT_RENDER = "cannot render"
    DEPENDS = "depends on run-time result"  # its ``when`` or its text reads a step only the run can decide


class PlannedState(StrEnum):
    """The state later steps' expressions see for a planned step (``steps.X.state``)."""

    PLANNED = "planned"


def _reads(step: Any) -> set[str]:
    """The step ids (as written, ``-`` or ``_``) that a step's ``when`` and templates read."""
    found: set[str] = set()

    def walk(value: Any, key: str) -> None:
        if isinstance(value, str):
            found.update(names_used(value, expression=key in ("when", "expect"))[1])
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                walk(v, key)

    walk(step.model_dump(), "")
    return found


def _undecided(live: Live, step: Any, undecided: set[str]) -> list[str]:
    """The steps ``step`` reads whose outcome only the run decides (approvals, waits, pushes, ...)."""
    ids = {s.id: s.id for s in live.runbook.spec.all_steps()}
    ids.update({k.replace("-", "_"): k for k in list(ids)})
    return sorted({ids[n] for n in _reads(step) if n in ids and ids[n] in undecided})


async def _step(
    tools: actions.Tools, live: Live, step: Any, undecided: set[str] | None = None
) -> dict[str, Any]:
    ctx = live.context(tools.inventory())
    row: dict[str, Any] = {"step": step.id, "kind": step.kind, "title": step.title}
    depends = _undecided(live, step, undecided or set())
    if step.when:
        if depends:  # the run decides: not "would wait for approval" for a step the run may skip
            row.update(when=f"depends on run-time result ({', '.join(depends)})", action=PlanAction.DEPENDS)
            return row
        try:
            row["when"] = bool(evaluate(step.when, ctx))
        except ExpressionError as exc:
            row["when"] = f"cannot tell before the run: {exc}"
        if row["when"] is False:
            row["action"] = PlanAction.SKIPPED
            return row
    if isinstance(step, (CheckStep, WaitUntilStep)):
        probe = step if isinstance(step, CheckStep) else step.until
        try:
            ok, out = await observe(tools, live, probe)
            row.update(action=PlanAction.CHECKED, met=ok, device=out["device"], result=out["result"])
        except NetopsError as exc:
            row.update(action=PlanAction.CHECK_FAILED, error=str(exc))
    elif isinstance(step, CommandStep):
        dev = tools.device(render_device(step.device, ctx))
        raw = step.commands if isinstance(step.commands, list) else step.commands.get(
            dev.platform.value, step.commands.get("default", []))  # fmt: skip
        commands = [render_device(c, ctx) for c in raw]
        refused = [f"{c[:80]!r} {why}" for c in commands if (why := command_problem(c, dev.platform.value))]
        if refused:  # the same guard the run applies: the plan shows the refusal, not the command as sent
            row.update(action=PlanAction.REFUSED, device=dev.id, error="refused, nothing would be sent: "
                       + "; ".join(refused))  # fmt: skip
        else:
            row.update(action=PlanAction.WOULD_SEND, device=dev.id, commands=commands)
    elif isinstance(step, CodecCommandStep):
        dev = tools.device(render_device(step.device, ctx))
        row.update(action=PlanAction.WOULD_SEND, device=dev.id, commands=[XAPI[step.command]])
    elif isinstance(step, ConfigPushStep):
        device = tools.device(render_device(step.device, ctx)).id
        lines = [line for line in render_device(step.template, ctx).splitlines() if line.strip()]
        row.update(action=PlanAction.WOULD_PUSH, device=device, lines=lines, confirm_s=step.confirm)
        frozen = facts.frozen_by(tools, device)
        if frozen:
            row["frozen_by"] = frozen
            row["freeze"] = (f"refused unless {step.freeze_override} overrides it" if step.freeze_override
                             else "refused: conference freeze")  # fmt: skip
        if tools.pusher is not None:
            req = actions.PushRequest(
                live.run_id, step.id, device, lines, step.confirm, True, live.masker.values
            )
            res = await tools.pusher.push(req)
            row.update(diff=res.diff, outcome=res.outcome)
    elif isinstance(step, ManualConfirmStep):
        row.update(action=PlanAction.WOULD_WAIT, role=step.role, prompt=render(step.prompt, ctx))
        row.update(inputs=[i.name for i in step.inputs], timeout_s=step.timeout, on_timeout=step.on_timeout)
    elif isinstance(step, NotifyStep):
        row.update(action=PlanAction.WOULD_NOTIFY, message=render(step.message, ctx),
                   webhook=render(step.webhook, ctx) if step.webhook else None, email=step.email)  # fmt: skip
    elif isinstance(step, RunbookStep):
        row.update(
            action=PlanAction.WOULD_RUN, runbook=step.runbook,
            params={k: render(v, ctx) for k, v in step.params.items()},
        )  # fmt: skip
    return row


async def plan(
    catalog: Catalog, tools: actions.Tools, runbook_id: str, given: dict[str, Any]
) -> dict[str, Any]:
    """The dry run of ``runbook_id`` with ``given`` parameters, as data (masked)."""
    rb = catalog.get(runbook_id)
    plain, secret = coerce(rb.spec.parameters, given, tools.inventory())
    masker = Masker(list(secret.values()))
    live = Live("dry-run", rb, {**plain, **secret}, masker)
    live.facts = facts.expression_facts(tools)
    rows: list[dict[str, Any]] = []
    undecided: set[str] = set()  # steps whose outcome only the run decides
    for section, steps in (("steps", rb.spec.steps), ("finally", rb.spec.finally_)):
        for step in steps:
            try:
                row = await _step(tools, live, step, undecided)
            except NetopsError as exc:
                depends = _undecided(live, step, undecided)
                row = {
                    "step": step.id,
                    "kind": step.kind,
                    "action": PlanAction.CANNOT_RENDER,
                    "error": str(exc),
                }
                if depends:  # it reads what an approval (a wait, a push) gives: only the run can render it
                    row = {"step": step.id, "kind": step.kind, "action": PlanAction.DEPENDS,
                           "depends_on": depends}  # fmt: skip
            row["section"] = section
            rows.append(masker.data(row))
            ok = row.get("met", True) is not False and "error" not in row
            checked = row.get("action") == PlanAction.CHECKED
            if not checked and row.get("action") != PlanAction.SKIPPED:
                undecided.add(step.id)
            output = ({"device": row.get("device"), "result": row.get("result"), "met": row.get("met")}
                      if checked else {})  # fmt: skip  # the shape a run's check gives (steps.X.output.result)
            live.steps[step.id] = {"ok": ok, "state": PlannedState.PLANNED, "output": output}
    goal = rb.spec.goal
    shown_goal: dict[str, Any] = (
        {"title": goal.title, "via": goal.via, "expect": goal.expect, "unmet": goal.unmet}
        if isinstance(goal, GoalSpec)
        else {"none": goal.none if goal is not None else "not declared"}
    )
    return {
        "runbook": rb.id,
        "dry_run": True,
        "goal": shown_goal,
        "params": {**plain, **{k: MASK for k in secret}},
        "steps": rows,
    }
