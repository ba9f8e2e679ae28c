"""One step of a run: ``when``, attempts with ``retries`` and ``timeout``, the step kinds, the records it leaves.

Called by ``engine.py`` for each step the cursor reaches; returns the step's final ``StepState``
(``succeeded``, ``skipped``, ``failed``, ``timeout``, ``cancelled``). Every attempt is a row in ``runbook_steps``
and lines in the transcript, both masked. Device work is in ``actions.py``.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from jinja2 import TemplateError, Undefined

from netops.errors import NetopsError
from netops.errors import StepCancelled as StepCancelled
from netops.errors import StepFailed as StepFailed
from netops.inventory.models import SecretRef
from netops.notify import deliver
from netops.notify.channels import Notice
from netops.notify.config import url_secret
from netops.runbooks import actions, expr, safety
from netops.runbooks import records as rec
from netops.runbooks.codec import codec_action
from netops.runbooks.expr import ExpressionError, evaluate, render
from netops.runbooks.readonly import command_problem, control_characters
from netops.runbooks.records import RunState, StepState
from netops.runbooks.safety import StepRedirected as StepRedirected
from netops.runbooks.schema import (
    CheckStep,
    CodecCommandStep,
    CommandStep,
    ConfigPushStep,
    ManualConfirmStep,
    NotifyStep,
    Probe,
    RunbookStep,
    WaitUntilStep,
)

if TYPE_CHECKING:
    from netops.runbooks.engine import Engine, Live

DONE_STEPS = (StepState.SUCCEEDED, StepState.SKIPPED)  # what ``steps.X.ok`` means in expressions
WAITS = (WaitUntilStep, ManualConfirmStep)  # steps whose timeout ``Engine.max_wait_s`` caps (lab, tests)
OUTPUT_LIMIT = 20_000  # characters kept of one command's output


async def pause(engine: Engine, live: Live, seconds: float) -> None:
    """Sleep, waking every ``poll_s`` to notice a cancel or a resolution's redirect and to beat the heartbeat."""
    end = time.monotonic() + seconds
    while True:
        if engine.cancel_requested(live.run_id):
            raise StepCancelled("cancel requested")
        target = rec.take_redirect(engine.store, live.run_id) if live.redirects else None
        if target is not None:
            raise StepRedirected(target)
        left = end - time.monotonic()
        if left <= 0:
            return
        await asyncio.sleep(min(engine.poll_s, left))
        rec.beat(engine.store, live.run_id)


def _one_line(value: Any) -> Any:
    if value is None or isinstance(value, Undefined):
        raise StepFailed(
            "refused, nothing was sent: a value rendered into a device line is missing (None: an optional "
            "input or parameter not given?)"
        )
    bad = control_characters(str(value))
    if bad:
        raise StepFailed(
            f"refused, nothing was sent: a value rendered into a device line holds control characters "
            f"({', '.join(sorted(set(bad)))})"
        )
    return value


# templates whose output goes to a device: every {{ value }} must stay on its line (no newline, no control)
_DEVICE_ENV = expr._ENV.overlay(finalize=_one_line)


def render_device(template: str, context: dict[str, Any]) -> str:
    """Render a command, a configuration template or a device id; a value with a control character fails the
    step before anything is sent (a rendered newline would be another command)."""
    if "{{" not in template and "{%" not in template:
        return template
    try:
        return str(_DEVICE_ENV.from_string(template).render(**context))
    except TemplateError as exc:
        raise ExpressionError(f"cannot render {template!r}: {exc}") from exc


def guard(commands: list[str], platform: str) -> None:
    """Refuse the step unless every rendered command is one read-only line for ``platform`` (nothing is sent)."""
    bad = [(c, why) for c in commands if (why := command_problem(c, platform))]
    if bad:
        raise StepFailed(
            "refused, nothing was sent: " + "; ".join(f"rendered command {c[:80]!r} {why}" for c, why in bad)
        )


def notify_secret(target: str) -> SecretRef:
    """Where a notify channel's URL is configured: the secret ``notify-webhook-<target>``."""
    return url_secret(target)


async def observe(tools: actions.Tools, live: Live, probe: Probe) -> tuple[bool, dict[str, Any]]:
    ctx = live.context(tools.inventory())
    device = render_device(probe.device, ctx)
    command = render_device(probe.command, ctx) if probe.command else None
    interface = render_device(probe.interface, ctx) if probe.interface else None
    if command is not None:
        guard([command], tools.device(device).platform.value)
    result = await actions.read(tools, probe.via, device, command, interface)
    ok = bool(evaluate(probe.expect, {**ctx, "result": result}))
    return ok, {"device": device, "result": result, "expect": probe.expect, "met": ok}


async def _check(engine: Engine, live: Live, step: CheckStep, _record: int) -> dict[str, Any]:
    ok, out = await observe(engine.tools, live, step)
    if not ok:
        unread = unread_reason(out)
        if unread is not None:  # the device was not read: say so, never "expectation not met"
            raise StepFailed(f"could not read {out.get('device')}: {unread}; {step.expect} not judged", out)
        raise StepFailed(f"expectation not met: {step.expect}", out)
    return out


def unread_reason(out: dict[str, Any]) -> str | None:
    """Why an observation read nothing (an SNMP poll without an answer, a SIP probe that failed), or None."""
    result = out.get("result")
    if not isinstance(result, dict) or result.get("ok") is not False or "down" not in result:
        return None  # only SNMP reads (with ``down``) say whether the device answered at all
    parts = [str(p) for p in (result.get("error"), result.get("detail")) if p]
    return (": ".join(parts) or "the device did not answer")[:300]


async def _command(engine: Engine, live: Live, step: CommandStep, _record: int) -> dict[str, Any]:
    ctx = live.context(engine.tools.inventory())
    dev = engine.tools.device(render_device(step.device, ctx))
    if isinstance(step.commands, list):
        raw = step.commands
    else:
        raw = step.commands.get(dev.platform.value, step.commands.get("default", []))
    commands = [render_device(c, ctx) for c in raw]
    if not commands:
        raise StepFailed(f"no commands for platform {dev.platform.value}")
    guard(commands, dev.platform.value)
    outputs = await actions.run_commands(engine.tools, dev, commands)
    return {
        "device": dev.id,
        "outputs": {c: o[:OUTPUT_LIMIT] for c, o in zip(commands, outputs, strict=True)},
    }


async def _push(engine: Engine, live: Live, step: ConfigPushStep, _record: int) -> dict[str, Any]:
    ctx = live.context(engine.tools.inventory())
    device = engine.tools.device(render_device(step.device, ctx)).id
    lines = [line for line in render_device(step.template, ctx).splitlines() if line.strip()]
    if engine.tools.pusher is None:
        raise StepFailed("no change engine is connected to the runbook engine (config_push unavailable)")
    override = safety.freeze_gate(engine, live, step, device)
    request = actions.PushRequest(
        live.run_id, step.id, device, lines, step.confirm, False, live.masker.values, override
    )
    outcome = await engine.tools.pusher.push(request)
    out = {"device": device, "outcome": outcome.outcome, "change_id": outcome.change_id,
           "diff": outcome.diff, "detail": outcome.detail, "lines": lines}  # fmt: skip
    if not outcome.ok:
        raise StepFailed(f"push to {device} {outcome.outcome}: {outcome.detail or ''}".strip(), out)
    if outcome.change_id:
        live.pushes.append((outcome.change_id, device))
    return out


async def _wait(engine: Engine, live: Live, step: WaitUntilStep, _record: int) -> dict[str, Any]:
    checks = 0
    while True:
        checks += 1
        try:
            ok, out = await observe(engine.tools, live, step.until)
        except NetopsError as exc:  # an unreachable device is a "not yet", not a failure
            ok, out = False, {"error": live.masker.text(str(exc))}
        if ok:
            return {**out, "checks": checks}
        await pause(engine, live, engine.pace(step.interval))


async def _confirm(engine: Engine, live: Live, step: ManualConfirmStep, record: int) -> dict[str, Any]:
    prompt = render(step.prompt, live.context(engine.tools.inventory()))
    if not rec.mark_step_waiting(engine.store, live.run_id, record):
        raise StepCancelled("the run was changed by another process before it could wait")
    asks = f"; inputs: {', '.join(i.name for i in step.inputs)}" if step.inputs else ""
    rec.append(engine.store, live.run_id, f"waiting for {step.role} approval: {prompt}{asks}", step.id)
    try:
        while True:
            answer = rec.take_approval(engine.store, live.run_id, step.id)
            if answer is not None:
                break
            await pause(engine, live, engine.poll_s)
    finally:
        rec.end_wait(engine.store, live.run_id)
    out = {"prompt": prompt, "decision": answer["decision"], "by": answer["actor"], "role": answer["role"],
           "inputs": answer["inputs"]}  # fmt: skip
    frozen = safety.frozen_at_approval(engine, live, step.id)
    if frozen:  # what a freeze_override given here overrides (a push asks again for another conference)
        out["freeze"] = frozen
    if answer["decision"] != "approved":
        raise StepFailed(f"rejected by {answer['actor']}", out)
    return out


async def _notify(engine: Engine, live: Live, step: NotifyStep, _record: int) -> dict[str, Any]:
    """Deliver through ``netops.notify``: the step's channels, the routed ones, its mail; every attempt in the
    transcript. Delivery problems fail the step only when it is ``required``."""
    inventory = engine.tools.inventory()
    message = live.masker.text(render(step.message, live.context(inventory)))
    types = {p.name: p.type for p in live.runbook.spec.parameters}
    site, prefecture = deliver.place(inventory, live.params, types)
    severity = step.severity or live.runbook.spec.severity
    notice = Notice(live.run_id, live.runbook.id, live.runbook.spec.title, step.id, severity, message, site,
                    prefecture)  # fmt: skip
    named = [step.webhook, *step.channels] if step.webhook else list(step.channels)
    report = await deliver.notify(
        inventory, engine.tools.secrets, notice, named=named, emails=step.email, mailer=engine.tools.mailer,
        record=lambda text: rec.append(engine.store, live.run_id, live.masker.text(text), step.id),
        sleep=lambda s: pause(engine, live, engine.pace(s)), deadline=time.monotonic() + 0.9 * step.timeout,
    )  # fmt: skip
    out: dict[str, Any] = {"message": message, "severity": severity, "prefecture": prefecture,
                           "deliveries": [o.as_dict() for o in report.outcomes]}  # fmt: skip
    if report.problem:
        out["problem"] = report.problem
    if step.webhook and (hook := report.of(step.webhook)) is not None:  # the shape older readers know
        out["webhook"] = {"target": hook.channel, "sent": hook.sent, "detail": hook.detail}
    if step.email and (mail := report.of(deliver.MAIL_CHANNEL)) is not None:
        out["email"] = f"sent to {len(step.email)}" if mail.sent else mail.detail
    failed = report.failed
    if failed or not report.outcomes:
        why = "; ".join(f"{o.channel}: {o.detail}" for o in failed) or "no channel to deliver to"
        if step.required:
            raise StepFailed(f"delivery failed: {why}", out)
        if failed:
            rec.append(engine.store, live.run_id, live.masker.text(f"delivery failed (not required): {why}"),
                       step.id)  # fmt: skip
    return out


async def _child(engine: Engine, live: Live, step: RunbookStep, record: int) -> dict[str, Any]:
    ctx = live.context(engine.tools.inventory())
    given = {k: render(v, ctx) for k, v in step.params.items()}
    children = [
        r
        for r in rec.list_runs(engine.store, runbook=step.runbook, limit=50)
        if r.parent_run == live.run_id and r.trigger.get("step") == step.id and r.state not in rec.FINAL
    ]
    if children:
        child = engine.prepare_resume(children[0].id).id
    else:
        trig = {"source": "runbook", "parent": live.run_id, "step": step.id}
        child = engine.create_run(
            step.runbook, given, actor=f"run {live.run_id}", trigger=trig, parent=live.run_id
        )
    rec.append(engine.store, live.run_id, f"calls runbook {step.runbook}: run {child}", step.id)
    done = await engine.execute(child)
    out = {"run": child, "state": done.state}
    if done.state != RunState.SUCCEEDED:
        raise StepFailed(f"runbook {step.runbook} (run {child}) ended {done.state}", out)
    return out


async def _codec(engine: Engine, live: Live, step: CodecCommandStep, _record: int) -> dict[str, Any]:
    device = render_device(step.device, live.context(engine.tools.inventory()))
    return await codec_action(engine.tools, device, step.command, lambda s: pause(engine, live, s))


_KINDS: dict[type[Any], Any] = {
    CheckStep: _check, CommandStep: _command, ConfigPushStep: _push, WaitUntilStep: _wait,
    ManualConfirmStep: _confirm, NotifyStep: _notify, RunbookStep: _child, CodecCommandStep: _codec,
}  # fmt: skip


def _remember(live: Live, step_id: str, state: StepState, output: dict[str, Any]) -> None:
    live.steps[step_id] = {"ok": state in DONE_STEPS, "state": state, "output": output}


async def run_step(engine: Engine, live: Live, step: Any) -> StepState:
    store, run_id = engine.store, live.run_id
    if step.when:
        try:
            go = bool(evaluate(step.when, live.context(engine.tools.inventory())))
        except ExpressionError as exc:
            go, why = None, live.masker.text(str(exc))
        if go is False:
            record = rec.step_started(store, run_id, step.id, step.kind, 0)
            rec.step_finished(store, record, StepState.SKIPPED, {"when": step.when}, None)
            rec.append(store, run_id, f"skipped {step.id}: when {step.when} is false", step.id)
            _remember(live, step.id, StepState.SKIPPED, {})
            return StepState.SKIPPED
        if go is None:
            record = rec.step_started(store, run_id, step.id, step.kind, 0)
            rec.step_finished(store, record, StepState.FAILED, {}, why)
            rec.append(store, run_id, f"{step.id} failed: {why}", step.id)
            _remember(live, step.id, StepState.FAILED, {})
            return StepState.FAILED
    done_before = sum(1 for v in rec.steps_of(store, run_id) if v.step == step.id)
    state = StepState.FAILED
    for attempt in range(1, step.retries + 2):
        record = rec.step_started(store, run_id, step.id, step.kind, done_before + attempt)
        title = f" ({step.title})" if step.title else ""
        rec.append(
            store, run_id, f"{step.kind} {step.id}{title}: attempt {attempt}/{step.retries + 1}", step.id
        )
        output: dict[str, Any] = {}
        error: str | None = None
        try:
            limit = engine.waits(step.timeout) if isinstance(step, WAITS) else step.timeout
            output = await asyncio.wait_for(_KINDS[type(step)](engine, live, step, record), timeout=limit)
            state = StepState.SUCCEEDED
        except TimeoutError:
            state, error = StepState.TIMEOUT, f"no result within {limit:g} s"
        except StepCancelled as exc:
            state, error = StepState.CANCELLED, str(exc)
        except (
            StepRedirected
        ) as exc:  # the alert resolved (``on_resolve: goto:``), or an approval is asked again
            state, error = StepState.SKIPPED, str(exc)
            output, live.redirect = {"resolved": not exc.why, "redirected_to": exc.target}, exc.target
            live.redirect_why = exc.why or None
        except StepFailed as exc:
            state, error, output = StepState.FAILED, str(exc), exc.output
        except NetopsError as exc:  # device, expression, parameter errors: data, not a crash
            state, error = StepState.FAILED, f"{exc.__class__.__name__}: {exc}"
        output = live.masker.data(output)
        error = live.masker.text(error) if error else None
        rec.step_finished(store, record, state, output, error)
        summary = _summary(step, output) if state == StepState.SUCCEEDED else error
        rec.append(store, run_id, f"{step.id} {state}{': ' + summary if summary else ''}", step.id)
        _remember(live, step.id, state, output)
        if state in (StepState.SUCCEEDED, StepState.SKIPPED, StepState.CANCELLED) or isinstance(
            step, ManualConfirmStep
        ):
            return state
        if attempt <= step.retries:
            try:
                await pause(engine, live, engine.pace(step.retry_delay))
            except StepCancelled:
                return StepState.CANCELLED
            except StepRedirected as exc:  # resolved between attempts: no further attempt, on to the target
                live.redirect = exc.target
                rec.append(store, run_id, f"{step.id}: {exc}", step.id)
                return state
    return state


def _summary(step: Any, output: dict[str, Any]) -> str:
    if isinstance(step, CommandStep):
        return "; ".join(f"{c}: {len(o.splitlines())} lines" for c, o in output.get("outputs", {}).items())
    if isinstance(step, ConfigPushStep):
        return f"{output.get('device')} {output.get('outcome')} (change {output.get('change_id')})"
    if isinstance(step, ManualConfirmStep):
        return f"{output.get('decision')} by {output.get('by')}"
    if isinstance(step, (CheckStep, WaitUntilStep)):
        return f"{output.get('device')}: {output.get('expect')} holds"
    if isinstance(step, RunbookStep):
        return f"run {output.get('run')} {output.get('state')}"
    if isinstance(step, CodecCommandStep):
        back = f", back after {output['back_after_s']} s" if "back_after_s" in output else ""
        return f"{output.get('device')}: {output.get('xapi')} {output.get('status')}{back}"
    return str(output.get("message", ""))[:200]


async def rollback(engine: Engine, live: Live) -> None:
    """Undo the run's confirmed pushes, newest first (``on_failure: rollback``)."""
    if engine.tools.pusher is None or not live.pushes:
        rec.append(engine.store, live.run_id, "rollback: nothing pushed by this run")
        return
    for change_id, device in reversed(live.pushes):
        try:
            res = await engine.tools.pusher.rollback(change_id, device)
            rec.append(engine.store, live.run_id, f"rollback of {change_id} on {device}: {res.outcome}")
        except NetopsError as exc:
            rec.append(engine.store, live.run_id, live.masker.text(f"rollback of {change_id} failed: {exc}"))
    live.pushes.clear()
