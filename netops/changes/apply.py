"""Run a rollout: waves in order, devices of a wave concurrently, a failure budget per wave, halt + rollback.

Part of ``netops.changes``: the CLI (``netops config push --apply``) and the API call ``run_change``. Before
any device is touched the conference freeze is checked (frozen devices are refused unless ``force`` with a
reason). Each wave starts its devices under a semaphore (``Wave.concurrency``); when more devices fail than
the wave's budget, no further device of the wave starts, the devices of the wave that were changed are
rolled back, and later waves never start. Every device result and the change itself are recorded.

``on_event`` gets progress dicts (``{"event": "device", "device": ..., "outcome": ...}``,
``{"event": "wave", ...}``) for live display; it must not block.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from netops.changes import records
from netops.changes.freeze import DEFAULT_WINDOW_S, frozen_devices
from netops.changes.plan import Wave
from netops.changes.push import MAYBE_CHANGED, ChangeSource, Pusher, PushOptions, PushResult
from netops.changes.records import ChangeState, DeviceOutcome, DevicePhase, WaveState
from netops.drivers.snmp.source import SnmpSource
from netops.errors import NetopsError
from netops.inventory.models import Inventory
from netops.secrets import SecretStore
from netops.store.db import Store
from netops.vc.conferences import Conference

log = logging.getLogger(__name__)
Event = Callable[[dict[str, Any]], None]


@dataclass(slots=True)
class ChangeRun:
    change_id: str
    state: ChangeState
    results: dict[str, PushResult] = field(default_factory=dict)
    waves: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results.values():
            out[r.outcome] = out.get(r.outcome, 0) + 1
        return out


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    waves: list[Wave]
    user: str
    reason: str = ""
    force: bool = False  # push to frozen devices (needs a reason)
    freeze_window_s: float = DEFAULT_WINDOW_S
    options: PushOptions = field(default_factory=PushOptions)
    threads: int = 32  # netmiko sessions at once over all waves
    # per device, where its intended configuration comes from (default: the templates): a rollback's
    # configuration from before a change (``netops.changes.rollback``)
    sources: Mapping[str, ChangeSource] = field(default_factory=dict)
    # called with the run's results before the change is recorded finished, so that a reader who sees
    # it ``done`` also sees what it recorded elsewhere (a rollback marks the change it undid)
    before_finish: Callable[[ChangeRun], None] | None = None


def record_result(store: Store, change_id: str, wave: int, r: PushResult, secrets: frozenset[str]) -> None:
    """Record a device's result; an open one (``unknown``, ``half``) keeps its journal phase for later."""
    open_outcome = r.outcome in (DeviceOutcome.UNKNOWN, DeviceOutcome.HALF)
    records.record_device(
        store,
        change_id,
        records.DeviceRecord(
            device=r.device,
            wave=wave,
            outcome=r.outcome,
            detail=r.detail,
            diff=r.diff.text() if r.diff is not None else None,
            commands=r.diff.masked_commands() if r.diff is not None else [],
            templates=r.diff.templates if r.diff is not None else {},
            template_digest=r.diff.template_digest if r.diff is not None else None,
            checks=[c.as_dict() for c in r.checks],
            started_at=r.started_at,
            duration_s=r.duration_s,
            rolled_back=r.outcome == DeviceOutcome.ROLLED_BACK,
        ),
        secrets,
        phase=None if open_outcome else DevicePhase.DONE,
    )


async def run_change(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    request: ChangeRequest,
    conferences: list[Conference],
    snmp: SnmpSource | None = None,
    on_event: Event | None = None,
    change_id: str | None = None,
) -> ChangeRun:
    emit = on_event or (lambda _e: None)
    change_id = change_id or records.new_change_id()
    plan = [{**w.as_dict(), "state": WaveState.PENDING} for w in request.waves]
    records.create_change(
        store, change_id, request.user, request.reason, request.force, plan, inventory.directory
    )
    run = ChangeRun(change_id, ChangeState.RUNNING, waves=plan)
    all_devices = [d for w in request.waves for d in w.devices]
    frozen = frozen_devices(inventory, conferences, all_devices, request.freeze_window_s)
    if frozen and not (request.force and request.reason.strip()):
        for dev, conf in frozen.items():
            run.results[dev] = PushResult(
                dev, DeviceOutcome.REFUSED, f"conference freeze: on the path of {conf}"
            )
            record_result(store, change_id, 0, run.results[dev], frozenset())
        run.state = ChangeState.REFUSED
        why = "forced without a reason" if request.force else "conference freeze"
        records.finish_change(store, change_id, run.state, plan, run.summary())
        emit({"event": "refused", "change": change_id, "frozen": frozen, "why": why})
        return run
    with ThreadPoolExecutor(max_workers=request.threads, thread_name_prefix="netops-push") as pool:
        pusher = Pusher(inventory, secrets, store, pool, snmp, request.options)
        pusher.sources = dict(request.sources)
        halted = False
        for wave, entry in zip(request.waves, plan, strict=True):
            if halted:
                entry["state"] = WaveState.NOT_STARTED
                continue
            entry["state"] = WaveState.RUNNING
            emit({"event": "wave", "wave": wave.index, "name": wave.name, "devices": len(wave.devices)})
            halted = await _run_wave(pusher, store, change_id, wave, entry, run, emit)
            records.record_progress(store, change_id, plan, run.summary())
    run.state = ChangeState.HALTED if halted else ChangeState.DONE
    if request.before_finish is not None:
        request.before_finish(run)
    records.finish_change(store, change_id, run.state, plan, run.summary())
    emit({"event": "done", "change": change_id, "state": run.state, "summary": run.summary()})
    return run


async def _run_wave(
    pusher: Pusher,
    store: Store,
    change_id: str,
    wave: Wave,
    entry: dict[str, Any],
    run: ChangeRun,
    emit: Event,
) -> bool:
    """Push one wave; returns True when it went over its failure budget (and was rolled back)."""
    sem = asyncio.Semaphore(max(1, wave.concurrency))
    failures = 0
    over = False
    results: list[PushResult] = []

    async def one(dev: str) -> None:
        nonlocal failures, over
        async with sem:
            if over:
                r = PushResult(
                    dev, DeviceOutcome.SKIPPED, f"wave {wave.index} halted before this device started"
                )
            else:
                r = await pusher.push(dev, change_id, wave=wave.index)
        results.append(r)
        run.results[dev] = r
        if r.failed:
            failures += 1
            if failures > wave.failure_budget:
                over = True
        record_result(store, change_id, wave.index, r, pusher.known_secrets)
        emit({"event": "device", "wave": wave.index, "device": dev, "outcome": r.outcome, "detail": r.detail})

    await asyncio.gather(*(one(d) for d in wave.devices))
    entry["failures"] = failures
    if not over:
        entry["state"] = WaveState.DONE
        return False
    entry["state"] = WaveState.HALTED
    # the journal: the halt is written before the rollbacks start (a restart rolls back what is left)
    records.record_progress(store, change_id, run.waves, run.summary())
    emit({"event": "halt", "wave": wave.index, "failures": failures, "budget": wave.failure_budget})
    # every device that may have changed: confirmed, unknown (answer lost), half, failed after the apply
    changed = [
        r
        for r in results
        if r.outcome in MAYBE_CHANGED or (r.outcome == DeviceOutcome.FAILED and r.pending is not None)
    ]

    async def undo(r: PushResult) -> None:
        try:
            what = await pusher.rollback(r, change_id, wave.index)
            r.outcome, r.detail = (
                DeviceOutcome.ROLLED_BACK,
                f"wave {wave.index} over its failure budget: {what}",
            )
        except NetopsError as exc:
            r.detail = pusher.masked(f"wave {wave.index} halted; ROLLBACK FAILED: {exc}")
            if r.outcome == DeviceOutcome.CONFIRMED:
                r.outcome = (
                    DeviceOutcome.UNKNOWN
                )  # the journal keeps ``rolling-back``: done at the next start
        record_result(store, change_id, wave.index, r, pusher.known_secrets)
        emit(
            {
                "event": "device",
                "wave": wave.index,
                "device": r.device,
                "outcome": r.outcome,
                "detail": r.detail,
            }
        )

    await asyncio.gather(*(undo(r) for r in changed))
    entry["rolled_back"] = [r.device for r in changed if r.outcome == DeviceOutcome.ROLLED_BACK]
    return True
