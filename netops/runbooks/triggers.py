"""Triggers: Alertmanager alerts and internal events start runbooks; resolutions stop them.

For each firing alert (webhook version 4) every runbook with a matching ``alert`` trigger (``alertname`` plus
label matchers: exact value, or ``~regex`` fully matched) gets one run per (alert fingerprint, runbook): a second
notification while that run is active starts nothing, but if the alert had resolved in between, what the
resolution asked of the run is undone (recorded): its cancel is withdrawn, its move to a later step withdrawn
or reversed (``records.refire``); a run that has already ended leaves the re-fire to start a new one.
Parameters come from the trigger's templates over the alert's ``labels`` and ``annotations``. A runbook with
``approval: start`` is proposed instead of started. A ``resolved`` alert acts on its active runs as the step
each stands at says (``on_resolve``): ``cancel`` (the default): not yet executing or waiting for a person ->
``cancelled``, executing a step -> ``recovered`` (auto-recovered) at the next step if the runbook's goal holds
(else ``failed``/``escalated`` with the reason); ``continue``: the run goes on (recorded); ``goto:STEP``: the run
moves to ``STEP`` at its next step or wait (an uplink runbook waiting for the carrier goes on to the failback
approval). Internal events (``netops.events``) work the same way, with the fingerprint ``<kind>:<subject>``;
``incident.resolved`` and ``vc.room.recovered`` resolve. Incident events carry the incident's kind
(``data.kind``: device, link, site, power, unmanaged, flapping), so a trigger matches on it (``matchers: {kind:
"~device|link"}``); a ``flapping`` incident starts only runbooks whose trigger names the kind ``flapping``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from netops.errors import NetopsError
from netops.events import Event, EventBus
from netops.runbooks import records as rec
from netops.runbooks.expr import render
from netops.runbooks.schema import AlertTriggerSpec, EventTriggerSpec
from netops.runbooks.service import RunbookService

log = logging.getLogger(__name__)
RESOLVING = {"incident.resolved": "incident.opened", "vc.room.recovered": "vc.room.red"}


def matches(matchers: Mapping[str, str], labels: Mapping[str, Any]) -> bool:
    for key, want in matchers.items():
        have = labels.get(key)
        if have is None:
            return False
        if want.startswith("~"):
            if not re.fullmatch(want[1:], str(have)):
                return False
        elif str(have) != want:
            return False
    return True


def _fingerprint(alert: Mapping[str, Any]) -> str:
    given = alert.get("fingerprint")
    if given:
        return str(given)
    labels = json.dumps(alert.get("labels") or {}, sort_keys=True)
    return hashlib.sha256(labels.encode()).hexdigest()[:16]


def _start(
    service: RunbookService,
    spec_trigger: AlertTriggerSpec | EventTriggerSpec,
    runbook_id: str,
    fingerprint: str,
    context: dict[str, Any],
    trigger: dict[str, Any],
) -> dict[str, Any]:
    active = rec.active_run(service.store, runbook=runbook_id, fingerprint=fingerprint)
    if active is not None:
        done = rec.refire(service.store, active.id, trigger["source"])
        if done is not None:  # fired again after it resolved: undo what the resolution asked for
            rec.append(service.store, active.id, f"the alert fired again ({trigger['source']}): {done}")
        return {
            "runbook": runbook_id,
            "fingerprint": fingerprint,
            "run": active.id,
            "action": "already active" if done is None else f"fired again: {done}",
        }
    rb = service.catalog.get(runbook_id)
    try:
        params = {k: render(v, context) for k, v in spec_trigger.params.items()}
        run_id = service.start(
            runbook_id, params, actor=trigger["source"], trigger=trigger, fingerprint=fingerprint,
            propose=rb.spec.approval == "start",
        )  # fmt: skip
    except NetopsError as exc:
        log.warning("trigger of %s for %s not started: %s", runbook_id, fingerprint, exc)
        return {"runbook": runbook_id, "fingerprint": fingerprint, "action": "refused", "detail": str(exc)}
    action = "proposed" if rb.spec.approval == "start" else "started"
    return {"runbook": runbook_id, "fingerprint": fingerprint, "run": run_id, "action": action}


def _on_resolve(service: RunbookService, run: rec.RunView) -> str:
    """What the step the run stands at says an alert resolution does (``cancel`` when it is not known)."""
    if run.phase != rec.Phase.STEPS or run.state == rec.RunState.PROPOSED:
        return "cancel"
    try:
        spec = service.catalog.get(run.runbook).spec
    except NetopsError:
        return "cancel"
    step = next((s for s in spec.steps if s.id == run.cursor), None)
    return step.on_resolve if step is not None else "cancel"


def resolve(service: RunbookService, fingerprint: str, actor: str) -> list[dict[str, Any]]:
    out = []
    for run in rec.active_by_fingerprint(service.store, fingerprint):
        action = _on_resolve(service, run)
        if action != "cancel":  # the run goes on (continue), or moves to a named step (goto:)
            target = action[5:] if action.startswith("goto:") else None
            if rec.mark_resolved(service.store, run.id, actor, target):
                then = f"moves to {target}" if target else "continues"
                rec.append(
                    service.store, run.id, f"the alert resolved ({actor}): at {run.cursor}, the run {then}"
                )
                out.append({"run": run.id, "fingerprint": fingerprint, "action": f"resolved: {then}"})
            continue
        live = run.state == rec.RunState.RUNNING and not run.interrupted
        final = rec.RunState.RECOVERED if live else rec.RunState.CANCELLED
        try:
            service.engine.cancel(run.id, actor=actor, final=final, reason="the alert resolved")
        except NetopsError as exc:
            out.append({"run": run.id, "action": "refused", "detail": str(exc)})
            continue
        rec.mark_resolved(service.store, run.id, actor, None, cancelled=True)  # a re-fire withdraws it
        out.append({"run": run.id, "fingerprint": fingerprint, "action": final})
    return out


def handle_alertmanager(service: RunbookService, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Act on one Alertmanager webhook (version 4) notification at once; returns what was done per alert and
    runbook. The webhook route validates the payload first (``alerts.parse``) and acts in the background
    (``alerts.AlertInbox``), one alert at a time through ``handle_alert``."""
    results: list[dict[str, Any]] = []
    for alert in payload.get("alerts") or []:
        if isinstance(alert, Mapping):
            results += handle_alert(service, alert)
    return results


def handle_alert(service: RunbookService, alert: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One alert of a notification: start (firing) or stop (resolved) the runs its triggers name."""
    results: list[dict[str, Any]] = []
    labels = {str(k): str(v) for k, v in (alert.get("labels") or {}).items()}
    fingerprint = _fingerprint(alert)
    if alert.get("status") == "resolved":
        return resolve(service, fingerprint, "alertmanager")
    context = {"labels": labels, "annotations": dict(alert.get("annotations") or {}), "alert": alert}
    for rb in service.catalog.runbooks.values():
        for trig in rb.spec.triggers:
            named = isinstance(trig, AlertTriggerSpec) and trig.alert == labels.get("alertname")
            if named and isinstance(trig, AlertTriggerSpec) and matches(trig.matchers, labels):
                source = {"source": "alertmanager", "alertname": trig.alert, "labels": labels}
                results.append(_start(service, trig, rb.id, fingerprint, context, source))
                break
    return results


def handle_event(service: RunbookService, event: Event) -> list[dict[str, Any]]:
    if event.kind in RESOLVING:
        return resolve(service, f"{RESOLVING[event.kind]}:{event.subject}", f"event {event.kind}")
    fingerprint = f"{event.kind}:{event.subject}"
    fields = {"subject": event.subject, **{k: v for k, v in event.data.items() if isinstance(v, (str, int))}}
    context = {"subject": event.subject, "data": event.data}
    results = []
    for rb in service.catalog.runbooks.values():
        for trig in rb.spec.triggers:
            if (
                isinstance(trig, EventTriggerSpec)
                and trig.event == event.kind
                and matches(trig.matchers, fields)
                and (fields.get("kind") != "flapping" or "flapping" in trig.matchers.get("kind", ""))
            ):
                source = {"source": "event", "event": event.kind, "subject": event.subject}
                results.append(_start(service, trig, rb.id, fingerprint, context, source))
                break
    return results


def subscribe_events(
    service: RunbookService, bus: EventBus, loop: asyncio.AbstractEventLoop
) -> Callable[[], None]:
    """Start runbooks on ``incident.opened``, ``vc.room.red``; stop them on the matching recoveries.

    Events may be published from any thread; the work is done on ``loop`` (the service's). Returns a function
    that unsubscribes.
    """

    def on_event(event: Event) -> None:
        loop.call_soon_threadsafe(lambda: _safe(service, event))

    kinds = ("incident.opened", "incident.resolved", "vc.room.red", "vc.room.recovered")
    undo = [bus.subscribe(kind, on_event) for kind in kinds]

    def unsubscribe() -> None:
        for u in undo:
            u()

    return unsubscribe


def _safe(service: RunbookService, event: Event) -> None:
    try:
        handle_event(service, event)
    except Exception:  # one bad event must not stop the others
        log.exception("runbook trigger failed on %s %s", event.kind, event.subject)
