"""Dry run (``netops runbook plan``): render every step, run only the read-only checks, show config diffs.

Writes nothing: no run row, no transcript, no approval, no device change. ``config_push`` steps ask the
``ConfigPusher`` for a dry push (its diff) when one is connected, else show the rendered lines. Later steps see
checks' real results; other steps look as if they succeeded, so ``when`` conditions can be shown.
"""

from __future__ import annotations

from typing import Any

from netops.errors import NetopsError
from netops.runbooks import actions
from netops.runbooks.catalog import Catalog
from netops.runbooks.engine import Live
from netops.runbooks.expr import ExpressionError, evaluate, render
from netops.runbooks.params import coerce
from netops.runbooks.records import MASK, Masker
from netops.runbooks.schema import (
    CheckStep,
    CommandStep,
    ConfigPushStep,
    ManualConfirmStep,
    NotifyStep,
    RunbookStep,
    WaitUntilStep,
)
from netops.runbooks.steps import observe


async def _step(tools: actions.Tools, live: Live, step: Any) -> dict[str, Any]:
    ctx = live.context(tools.inventory())
    row: dict[str, Any] = {"step": step.id, "kind": step.kind, "title": step.title}
    if step.when:
        try:
            row["when"] = bool(evaluate(step.when, ctx))
        except ExpressionError as exc:
            row["when"] = f"cannot tell before the run: {exc}"
        if row["when"] is False:
            row["action"] = "skipped"
            return row
    if isinstance(step, (CheckStep, WaitUntilStep)):
        probe = step if isinstance(step, CheckStep) else step.until
        try:
            ok, out = await observe(tools, live, probe)
            row.update(action="checked", met=ok, device=out["device"], result=out["result"])
        except NetopsError as exc:
            row.update(action="check failed", error=str(exc))
    elif isinstance(step, CommandStep):
        dev = tools.device(render(step.device, ctx))
        raw = step.commands if isinstance(step.commands, list) else step.commands.get(
            dev.platform.value, step.commands.get("default", []))  # fmt: skip
        row.update(action="would send", device=dev.id, commands=[render(c, ctx) for c in raw])
    elif isinstance(step, ConfigPushStep):
        device = tools.device(render(step.device, ctx)).id
        lines = [line for line in render(step.template, ctx).splitlines() if line.strip()]
        row.update(action="would push", device=device, lines=lines, confirm_s=step.confirm)
        if tools.pusher is not None:
            req = actions.PushRequest(
                live.run_id, step.id, device, lines, step.confirm, True, live.masker.values
            )
            res = await tools.pusher.push(req)
            row.update(diff=res.diff, outcome=res.outcome)
    elif isinstance(step, ManualConfirmStep):
        row.update(action=f"would wait for {step.role} approval", prompt=render(step.prompt, ctx))
        row.update(inputs=[i.name for i in step.inputs], timeout_s=step.timeout, on_timeout=step.on_timeout)
    elif isinstance(step, NotifyStep):
        row.update(action="would notify", message=render(step.message, ctx),
                   webhook=render(step.webhook, ctx) if step.webhook else None, email=step.email)  # fmt: skip
    elif isinstance(step, RunbookStep):
        row.update(
            action=f"would run {step.runbook}", params={k: render(v, ctx) for k, v in step.params.items()}
        )
    return row


async def plan(
    catalog: Catalog, tools: actions.Tools, runbook_id: str, given: dict[str, Any]
) -> dict[str, Any]:
    """The dry run of ``runbook_id`` with ``given`` parameters, as data (masked)."""
    rb = catalog.get(runbook_id)
    plain, secret = coerce(rb.spec.parameters, given, tools.inventory())
    masker = Masker(list(secret.values()))
    live = Live("dry-run", rb, {**plain, **secret}, masker)
    rows: list[dict[str, Any]] = []
    for section, steps in (("steps", rb.spec.steps), ("finally", rb.spec.finally_)):
        for step in steps:
            try:
                row = await _step(tools, live, step)
            except NetopsError as exc:
                row = {"step": step.id, "kind": step.kind, "action": "cannot render", "error": str(exc)}
            row["section"] = section
            rows.append(masker.data(row))
            ok = row.get("met", True) is not False and "error" not in row
            live.steps[step.id] = {"ok": ok, "state": "planned", "output": row.get("result") or {}}
    return {
        "runbook": rb.id,
        "dry_run": True,
        "params": {**plain, **{k: MASK for k in secret}},
        "steps": rows,
    }
