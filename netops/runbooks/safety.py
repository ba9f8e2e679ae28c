"""The conference freeze for runbook pushes: a ``config_push`` step refuses a device on the path of a conference
that runs or starts within the freeze window (``netops.changes.freeze``, the rule ``netops config push``
applies), unless the step names an approval (``freeze_override: STEP``) whose approver gave the input
``freeze_override`` (the reason). The override is written to the transcript and to the change's reason.

Called by ``steps.py`` before the change engine is asked for anything; ``plan.py`` shows the freeze.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netops.errors import NetopsError, StepFailed
from netops.runbooks import expr, facts
from netops.runbooks import records as rec
from netops.runbooks.schema import ConfigPushStep

if TYPE_CHECKING:
    from netops.runbooks.engine import Engine, Live


class StepRedirected(Exception):
    """The run moves to ``target``: the alert that started it resolved (the step's ``on_resolve: goto:``) or
    fired again after that (``records.refire``), or an approval must be asked again (``why``)."""

    def __init__(self, target: str, why: str = "") -> None:
        super().__init__(why or f"on to {target}, as the alert asked (resolved, or fired again)")
        self.target, self.why = target, why


def frozen_at_approval(engine: Engine, live: Live, approval: str) -> dict[str, str | None]:
    """For an approval step: each device a push that names it (``freeze_override``) goes to, and the
    conference that freezes it at the moment of the approval (``None``: none)."""
    out: dict[str, str | None] = {}
    ctx = live.context(engine.tools.inventory())
    for step in live.runbook.spec.all_steps():
        if isinstance(step, ConfigPushStep) and step.freeze_override == approval:
            try:
                device = engine.tools.device(expr.render(step.device, ctx)).id
            except NetopsError:  # not known yet (an earlier step's output): judged at the push
                continue
            out[device] = facts.frozen_by(engine.tools, device)
    return out


def freeze_gate(engine: Engine, live: Live, step: ConfigPushStep, device: str) -> str | None:
    """``None`` when ``device`` is not frozen; the approved override text when it is and the step's approval
    overrides it for the conference that freezes it now (the approval records which conference froze each of
    its pushes' devices: ``frozen_at_approval``); when another conference freezes it now (a resumed run, a
    conference added since) the run goes back to the approval to ask again (``StepRedirected``); else the step
    fails before anything is sent."""
    conference = facts.frozen_by(engine.tools, device)
    if conference is None:
        return None
    approval = live.steps.get(step.freeze_override or "", {})
    answer = approval.get("output", {}) if approval.get("ok") else {}
    reason = str((answer.get("inputs") or {}).get("freeze_override") or "").strip()
    if not reason:
        how = (
            f"approve step {step.freeze_override} with the input freeze_override (the reason) to override it"
            if step.freeze_override
            else "this step has no approval that may override the freeze"
        )
        raise StepFailed(
            f"refused, nothing was sent: {device} is on the path of conference {conference} "
            f"(conference freeze); {how}",
            {"device": device, "outcome": "refused", "frozen_by": conference},
        )
    approved_for = (answer.get("freeze") or {}).get(device)
    if approved_for != conference and step.freeze_override:  # the override was given for another conference
        before = f"conference {approved_for}" if approved_for else "no conference"
        text = (
            f"conference {conference} freezes {device} now; the override given at step {step.freeze_override} "
            f"was for {before}: asking {step.freeze_override} again"
        )
        rec.append(engine.store, live.run_id, live.masker.text(text), step.id)
        raise StepRedirected(step.freeze_override, why=f"conference {conference} freezes {device} now")
    text = (
        f"conference {conference} freezes {device}; overridden by {answer.get('by')} ({answer.get('role')}) "
        f"at step {step.freeze_override}: {reason}"
    )
    rec.append(engine.store, live.run_id, live.masker.text(text), step.id)
    return live.masker.text(f"{conference} by {answer.get('by')}: {reason}")
