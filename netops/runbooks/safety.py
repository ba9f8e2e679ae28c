"""The conference freeze for runbook pushes: a ``config_push`` step refuses a device on the path of a conference
that runs or starts within the freeze window (``netops.changes.freeze``, the rule ``netops config push``
applies), unless the step names an approval (``freeze_override: STEP``) whose approver gave the input
``freeze_override`` (the reason). The override is written to the transcript and to the change's reason.

Called by ``steps.py`` before the change engine is asked for anything; ``plan.py`` shows the freeze.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netops.errors import StepFailed
from netops.runbooks import facts
from netops.runbooks import records as rec
from netops.runbooks.schema import ConfigPushStep

if TYPE_CHECKING:
    from netops.runbooks.engine import Engine, Live


def freeze_gate(engine: Engine, live: Live, step: ConfigPushStep, device: str) -> str | None:
    """``None`` when ``device`` is not frozen; the approved override text when it is and the step's approval
    overrides it; else the step fails before anything is sent."""
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
    text = (
        f"conference {conference} freezes {device}; overridden by {answer.get('by')} ({answer.get('role')}) "
        f"at step {step.freeze_override}: {reason}"
    )
    rec.append(engine.store, live.run_id, live.masker.text(text), step.id)
    return live.masker.text(f"{conference} by {answer.get('by')}: {reason}")
