"""The change journal: each device's phase written to the store before it is entered, what a device really
runs after an answer was lost, and the reconciliation of changes whose process died.

Part of ``netops.changes``. ``push.Pusher`` writes a device's phase (``DevicePhase``) before entering it,
with the snapshot taken before the change and the intended configuration (secret values replaced by
``<<secret:NAME>>`` placeholders: the store never holds a secret, and a restart re-renders them from the
secret store). When an answer is lost (the session died during apply, confirm, revert, rollback) the
pusher *settles* the device from a fresh session: it reads the running configuration, tells ``OLD``
(the snapshot), ``NEW`` (the intended configuration) or ``HALF`` (anything else), finishes or undoes as
the phase says, and records what the device runs; a device that cannot be read stays ``unknown``.

``reconcile`` runs at the start of ``netops serve`` and of the ``netops config`` commands: every change
left ``running`` by a process that is gone (``owner.gone``), and every device recorded ``unknown`` or
``half``, is read and finished per its phase:

| phase | what the process was doing | reconcile |
| --- | --- | --- |
| ``locked`` | reading, diffing, baseline | nothing was changed: ``failed`` (interrupted) |
| ``applying``, ``checking``, ``reverting`` | not confirmed | back to the snapshot: ``reverted`` |
| ``confirming`` | post-checks passed | ``NEW``: confirm (again), save: ``confirmed``; ``OLD``: ``reverted`` |
| ``rolling-back`` (or ``confirmed`` in a halted wave) | undoing | back to the snapshot: ``rolled-back`` |

Devices of the plan that never started are recorded ``skipped``; the change ends ``interrupted`` with who
reconciled it and when, and its locks are released.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from netops.changes import records
from netops.changes.diff import compare
from netops.changes.owner import describe, gone, this_process
from netops.changes.records import ChangeState, DeviceOutcome, DevicePhase, WaveState
from netops.changes.render import RenderedConfig
from netops.drivers.cli import CliSession, Timeouts
from netops.drivers.platforms import Pending, PlatformDriver, driver_for
from netops.errors import CommandRejected, DeviceError, NetopsError
from netops.inventory.models import Device, Inventory, Platform, SecretRef
from netops.secrets import SecretStore, referenced_secrets
from netops.store.db import Store
from netops.store.schema import ConfigChange, ConfigChangeDevice, ConfigLock

log = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"<<secret:([A-Za-z0-9_.\-]+)>>")
MASK = "******"
OPEN_OUTCOMES = frozenset({DeviceOutcome.UNKNOWN, DeviceOutcome.HALF})


class Landing(StrEnum):
    """What a device runs compared with a change: the snapshot before it, the intended one, or neither."""

    OLD = "old"
    NEW = "new"
    HALF = "half"


# -- secrets as placeholders -------------------------------------------------------------------------------
def secret_names(inventory: Inventory, secrets: SecretStore) -> dict[str, str]:
    """Secret value -> its name, for the inventory's references (templates add theirs: ``RenderedConfig``)."""
    return {secrets.get(r): r.name for r in referenced_secrets(inventory) if secrets.has(r)}


def seal(text: str, names: Mapping[str, str], masked: frozenset[str] = frozenset()) -> str:
    """``text`` with each named secret value as ``<<secret:NAME>>`` and other secret values masked."""
    values = sorted({*names, *masked}, key=len, reverse=True)
    for value in values:
        if value:
            text = text.replace(value, f"<<secret:{names[value]}>>" if value in names else MASK)
    return text


def unseal(text: str, secrets: SecretStore) -> str:
    """The placeholders re-rendered from the secret store (a masked value stays masked)."""
    return PLACEHOLDER.sub(lambda m: secrets.get(SecretRef(m.group(1))), text)


def shown(text: str) -> str:
    return PLACEHOLDER.sub(MASK, text)


# -- what a device runs ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Marks:
    """The two configurations a device may run after a change, both sealed (placeholders)."""

    before: str
    intended: str | None
    names: Mapping[str, str]
    masked: frozenset[str] = frozenset()

    def landing(self, device: Device, running: str) -> Landing:
        sealed = seal(running, self.names, self.masked)
        if compare(device, sealed, _as_rendered(device, self.before)).empty:
            return Landing.OLD
        if self.intended is not None and compare(device, sealed, _as_rendered(device, self.intended)).empty:
            return Landing.NEW
        return Landing.HALF


def _as_rendered(device: Device, text: str) -> RenderedConfig:
    return RenderedConfig(device.id, text, "(journal)", {}, frozenset())


def read_landing(driver: PlatformDriver, s: CliSession, marks: Marks) -> Landing:
    return marks.landing(s.device, driver.running(s))


def restore(driver: PlatformDriver, s: CliSession, pending: Pending, marks: Marks) -> Landing:
    """Back to the snapshot from a fresh session: abort a pending commit, else roll back; what it runs then."""
    if read_landing(driver, s, marks) is Landing.OLD:
        return Landing.OLD
    if not pending.confirmed:
        try:
            driver.abort(s, pending)  # VRP8 abort trial, IOS revert now, Comware/VRP5 converge
        except NetopsError as exc:  # no trial pending any more (it expired or was confirmed)
            log.info("%s: abort: %s", s.device.id, exc)
        if read_landing(driver, s, marks) is Landing.OLD:
            return Landing.OLD
    confirmed = Pending(**{**_pending_fields(pending), "confirmed": True})
    driver.rollback(s, confirmed)  # VRP8 rollback to the commit point; elsewhere converge to the snapshot
    return read_landing(driver, s, marks)


def finish(driver: PlatformDriver, s: CliSession, pending: Pending, marks: Marks, save: bool) -> Landing:
    """Confirm a change whose post-checks passed (again: a lost answer may hide a confirm that happened)."""
    if read_landing(driver, s, marks) is not Landing.NEW:
        return read_landing(driver, s, marks)
    try:
        driver.confirm(s, pending)
    except CommandRejected as exc:  # nothing pending: the first confirm did arrive
        log.info("%s: confirm again: %s", s.device.id, exc)
    landing = read_landing(driver, s, marks)
    if landing is Landing.NEW and save:
        driver.save(s)
    return landing


def _pending_fields(p: Pending) -> dict[str, Any]:
    return {
        "device": p.device,
        "before": p.before,
        "commands": p.commands,
        "auto_revert": p.auto_revert,
        "revert_after_s": p.revert_after_s,
        "commit_id": p.commit_id,
        "confirmed": p.confirmed,
        "notes": list(p.notes),
    }


def pending_record(p: Pending) -> dict[str, Any]:
    """What the journal keeps of a pending change (the snapshot is kept sealed in its own column)."""
    return {
        "commit_id": p.commit_id,
        "auto_revert": p.auto_revert,
        "revert_after_s": p.revert_after_s,
        "confirmed": p.confirmed,
        "at": time.time(),
    }


# -- writing phases ----------------------------------------------------------------------------------------
def enter(
    store: Store,
    change_id: str,
    device: str,
    wave: int,
    phase: DevicePhase,
    **columns: Any,
) -> None:
    """Write ``phase`` (and journal columns: snapshot, intended, pending) before the phase is entered."""
    with store.session() as s:
        row = s.get(ConfigChangeDevice, (change_id, device))
        if row is None:
            row = ConfigChangeDevice(
                change_id=change_id,
                device=device,
                wave=wave,
                outcome=DeviceOutcome.UNKNOWN,
                detail=None,
                diff=None,
                commands=[],
                templates={},
                template_digest=None,
                checks=[],
                rolled_back=False,
                started_at=time.time(),
                duration_s=0.0,
            )
            s.add(row)
        row.phase = phase
        for key, value in columns.items():
            setattr(row, key, value)


# -- reconcile ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Reconciled:
    change: str
    devices: dict[str, str]  # device -> outcome recorded
    state: str


def stale_changes(store: Store) -> list[str]:
    """Changes to reconcile: left running by a process that is gone, or with a device unknown/half."""
    with store.session() as s:
        running = [
            c.id
            for c in s.scalars(select(ConfigChange).where(ConfigChange.state == ChangeState.RUNNING))
            if gone(c.owner)
        ]
        open_rows = s.scalars(
            select(ConfigChangeDevice.change_id).where(ConfigChangeDevice.outcome.in_(list(OPEN_OUTCOMES)))
        )
        live = {
            c.id
            for c in s.scalars(select(ConfigChange).where(ConfigChange.state == ChangeState.RUNNING))
            if not gone(c.owner)
        }
        return sorted({*running, *(c for c in open_rows if c not in live)})


def reconcile(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    *,
    actor: str,
    timeouts: Timeouts | None = None,
    save: bool = True,
) -> list[Reconciled]:
    """Finish or undo what dead processes left (blocking: one device after the other). Returns what was done."""
    done: list[Reconciled] = []
    for change_id in stale_changes(store):
        mutex = f"reconcile:{change_id}"
        if records.acquire_lock(store, mutex, change_id) is not None:
            continue  # another process is reconciling it
        try:
            inv = _inventory_of(store, change_id, inventory)
            done.append(_reconcile_change(inv, secrets, store, change_id, actor, timeouts, save))
        except NetopsError as exc:
            log.warning("change %s: not reconciled: %s", change_id, exc)
        finally:
            records.release_lock(store, mutex, change_id)
    return done


def _inventory_of(store: Store, change_id: str, default: Inventory) -> Inventory:
    """The inventory the change was pushed from, when it is not ``default`` and still loads."""
    from pathlib import Path

    from netops.inventory.loader import load_inventory

    with store.session() as s:
        change = s.get(ConfigChange, change_id)
        where = (change.owner or {}).get("inventory") if change is not None else None
    if not where or Path(where).resolve() == Path(default.directory).resolve() or not Path(where).is_dir():
        return default
    return load_inventory(Path(where))


def _reconcile_change(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    change_id: str,
    actor: str,
    timeouts: Timeouts | None,
    save: bool,
) -> Reconciled:
    with store.session() as s:
        change = s.get(ConfigChange, change_id)
        assert change is not None
        state, owner = change.state, change.owner
        waves: list[dict[str, Any]] = [dict(w) for w in change.waves]
        rows = {
            r.device: (r.phase, r.outcome, r.wave)
            for r in s.scalars(select(ConfigChangeDevice).where(ConfigChangeDevice.change_id == change_id))
        }
    names = secret_names(inventory, secrets)
    halted = {int(w.get("index", 0)) for w in waves if w.get("state") == WaveState.HALTED}
    outcomes: dict[str, str] = {}
    for device, (phase, outcome, wave) in rows.items():
        todo = phase not in (None, DevicePhase.DONE) or outcome in OPEN_OUTCOMES
        undo = wave in halted and outcome == DeviceOutcome.CONFIRMED
        if undo:
            phase = DevicePhase.ROLLING_BACK
        if not (todo or undo):
            continue
        if device not in inventory.devices:
            outcomes[device] = outcome
            continue
        holder = records.acquire_lock(store, device, change_id)
        if holder is not None and holder != change_id:
            outcomes[device] = outcome  # a live change holds it: later
            continue
        try:
            outcomes[device] = _reconcile_device(
                inventory,
                secrets,
                store,
                change_id,
                device,
                DevicePhase(phase or DevicePhase.LOCKED),
                names,
                timeouts,
                save,
                "reconciled after its process died"
                if state == ChangeState.RUNNING
                else f"reconciled at the next contact (by {actor})",
            )
        finally:
            records.release_lock(store, device, change_id)
    if state == ChangeState.RUNNING:
        for w in waves:
            for device in w.get("devices", []):
                if device not in rows:
                    rec = records.DeviceRecord(
                        device,
                        int(w.get("index", 0)),
                        DeviceOutcome.SKIPPED,
                        f"not started: the process running the change ({describe(owner)}) died",
                        None,
                        [],
                        {},
                        None,
                        [],
                        time.time(),
                        0.0,
                    )
                    records.record_device(store, change_id, rec)
                    outcomes[device] = DeviceOutcome.SKIPPED
            if w.get("state") in (WaveState.PENDING, WaveState.RUNNING):
                w["state"] = (
                    WaveState.HALTED if w.get("state") == WaveState.RUNNING else WaveState.NOT_STARTED
                )
    summary = _summary(store, change_id)
    note = {"by": actor, "at": time.time(), "process": this_process(), "owner": owner, "devices": outcomes}
    new_state = ChangeState.INTERRUPTED if state == ChangeState.RUNNING else ChangeState(state)
    with store.session() as s:
        change = s.get(ConfigChange, change_id)
        assert change is not None
        change.state = new_state
        change.waves = waves
        change.summary = summary
        change.finished_at = change.finished_at or time.time()
        change.reconciled = note
        for lock in s.scalars(select(ConfigLock).where(ConfigLock.change_id == change_id)):
            if not lock.device.startswith("reconcile:"):
                s.delete(lock)
    log.warning("change %s reconciled by %s: %s", change_id, actor, outcomes)
    return Reconciled(change_id, outcomes, new_state)


def _summary(store: Store, change_id: str) -> dict[str, int]:
    with store.session() as s:
        out: dict[str, int] = {}
        for outcome in s.scalars(
            select(ConfigChangeDevice.outcome).where(ConfigChangeDevice.change_id == change_id)
        ):
            out[outcome] = out.get(outcome, 0) + 1
        return out


def _reconcile_device(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    change_id: str,
    device_id: str,
    phase: DevicePhase,
    names: dict[str, str],
    timeouts: Timeouts | None,
    save: bool,
    why: str = "reconciled after its process died",
) -> str:
    with store.session() as s:
        row = s.get(ConfigChangeDevice, (change_id, device_id))
        assert row is not None
        snapshot, intended, info, was = row.snapshot, row.intended, dict(row.pending or {}), row.outcome

    def record(outcome: DeviceOutcome, text: str, final: bool) -> str:
        with store.session() as s:
            r = s.get(ConfigChangeDevice, (change_id, device_id))
            assert r is not None
            r.outcome = outcome
            r.detail = f"{r.detail + '; ' if r.detail else ''}{text}"
            r.rolled_back = r.rolled_back or outcome == DeviceOutcome.ROLLED_BACK
            if final:
                r.phase = DevicePhase.DONE
        return outcome

    if phase is DevicePhase.LOCKED or snapshot is None:
        return record(DeviceOutcome.FAILED, f"{why} before any change: nothing changed", True)
    device = inventory.device(device_id)
    driver = driver_for(device.platform)
    before = unseal(snapshot, secrets)
    marks = Marks(snapshot, intended, names)
    pending = Pending(
        device_id,
        before,
        [],
        bool(info.get("auto_revert", True)),
        float(info.get("revert_after_s", 0.0)),
        info.get("commit_id"),
        bool(info.get("confirmed", False)),
    )
    try:
        with CliSession.open(device, inventory, secrets, timeouts) as cli:
            if phase is DevicePhase.CONFIRMING:
                landing = finish(driver, cli, pending, marks, save)
                if landing is Landing.NEW:
                    return record(DeviceOutcome.CONFIRMED, f"{why}: runs the change, confirmed", True)
                if landing is Landing.HALF:
                    landing = restore(driver, cli, pending, marks)
            else:
                landing = restore(driver, cli, pending, marks)
                if landing is Landing.OLD and save and driver.platform is Platform.HUAWEI_VRP5:
                    driver.save(cli)
    except DeviceError as exc:
        return record(
            DeviceOutcome.HALF if was == DeviceOutcome.HALF else DeviceOutcome.UNKNOWN,
            f"{why}: device not read ({exc}); read again at the next contact",
            False,
        )
    if landing is Landing.OLD:
        outcome = DeviceOutcome.ROLLED_BACK if phase is DevicePhase.ROLLING_BACK else DeviceOutcome.REVERTED
        return record(outcome, f"{why}: runs the configuration from before the change", True)
    return record(DeviceOutcome.HALF, f"{why}: runs neither the old nor the new configuration", False)


def reconcile_at_start(
    inventory: Inventory, secrets: SecretStore, store: Store, timeouts: Timeouts | None = None
) -> list[Reconciled]:
    """``netops serve`` before it serves: what dead processes left, logged; a failure never stops the start.
    Sessions wait ``timeouts`` (the service's ``Settings.ssh_timeouts``)."""
    import getpass

    try:
        done = reconcile(inventory, secrets, store, actor=f"service:{getpass.getuser()}", timeouts=timeouts)
    except NetopsError as exc:
        log.warning("changes left by a dead process not reconciled: %s", exc)
        return []
    for r in done:
        log.warning("reconciled change %s (%s): %s", r.change, r.state, r.devices)
    return done
