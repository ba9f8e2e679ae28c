"""Goals: a run ends ``succeeded`` only when its runbook's goal holds once the steps have ended.

A goal (``goal:`` in the runbook, ``schema.GoalSpec``) is a check over netops' own state, read the way a
``check`` step reads it (``steps.observe``: SNMP, SIP, the path probe, a room's fresh precheck, a traffic rate,
the poller's status) with an ``expect`` over ``result``, ``params`` and ``steps``. The engine judges it after
the last step (re-read every ``interval`` s for up to ``within`` s, for effects that take a moment to show);
unmet, the run ends ``failed`` or ``escalated`` (``unmet``) with the reason, recorded in the transcript and
as the run's error. ``goal: {none: reason}`` declares there is nothing to check (the run ends as its steps do).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from netops.errors import NetopsError, StepCancelled
from netops.runbooks import records as rec
from netops.runbooks.records import RunState
from netops.runbooks.schema import GoalSpec
from netops.runbooks.steps import StepRedirected, observe, pause, unread_reason

if TYPE_CHECKING:
    from netops.runbooks.engine import Engine, Live


async def judge(engine: Engine, live: Live, *, resolved: bool = False) -> tuple[RunState, str | None]:
    """The outcome of a run whose steps all ended well: succeeded if the goal holds, else its ``unmet``
    state and the reason. ``resolved``: the alert resolved while a step ran: ``recovered`` if the goal
    holds (an alert's resolution is not the goal: the fault may persist), else ``unmet`` with the reason."""
    good = RunState.RECOVERED if resolved else RunState.SUCCEEDED
    goal = live.runbook.spec.goal
    if not isinstance(goal, GoalSpec):
        why = goal.none if goal is not None else "no goal declared"
        rec.append(engine.store, live.run_id, f"goal: none ({why})")
        return good, None
    end = time.monotonic() + engine.waits(goal.within)
    reads = 0
    while True:
        reads += 1
        try:
            ok, out = await observe(engine.tools, live, goal)
            unread = unread_reason(out)
            seen = (
                _shown(out.get("result")) if unread is None else f"could not read {out['device']}: {unread}"
            )
        except NetopsError as exc:
            ok, seen = False, live.masker.text(f"{exc.__class__.__name__}: {exc}")
        if ok:
            rec.append(engine.store, live.run_id, f"goal holds: {goal.title} ({goal.expect})")
            return good, None
        if time.monotonic() >= end:
            break
        if resolved:  # the cancel the resolution requested is set: wait without looking at it
            await _sleep(engine, live, engine.pace(goal.interval), end)
            continue
        try:
            await pause(engine, live, engine.pace(goal.interval))
        except (StepCancelled, StepRedirected):
            break
    why = f"goal not met: {goal.title} ({goal.expect}); after {reads} read(s): {seen}"
    if resolved:
        why = f"the alert resolved, but the {why}"
    why = live.masker.text(why)[:1000]
    rec.append(engine.store, live.run_id, why)
    return RunState(goal.unmet), why


async def _sleep(engine: Engine, live: Live, seconds: float, end: float) -> None:
    until = min(time.monotonic() + seconds, end)
    while (left := until - time.monotonic()) > 0:
        await asyncio.sleep(min(engine.poll_s, left))
        rec.beat(engine.store, live.run_id)


def _shown(result: object) -> str:
    if isinstance(result, dict):
        keep = (
            "colour",
            "failing",
            "ok",
            "down",
            "cpu_ratio",
            "ups_on_battery",
            "mbps",
            "loss_ratio",
            "status",
            "error",
            "detail",
        )
        picked = {k: result[k] for k in keep if k in result}
        return str(picked or result)[:500]
    return str(result)[:500]
