"""The change log and the device locks in the store: what every change did, and one change per device at once.

Part of ``netops.changes``: ``apply.py`` creates a change, locks each device before touching it, records
each device's result and the end of the change; the CLI/API list and show changes from here. Everything
written is already masked by the caller (diffs, commands, details); ``record_device`` masks again with
the secrets it is given, so a secret cannot reach the store through a detail text.
"""

from __future__ import annotations

import secrets as pysecrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from netops.changes.diff import mask
from netops.errors import ConflictError, NotFoundError
from netops.store.db import Store
from netops.store.schema import ConfigChange, ConfigChangeDevice, ConfigLock


class DeviceOutcome(StrEnum):
    """What a change did to one device (``config_change_devices.outcome``, the metric label)."""

    CONFIRMED = "confirmed"  # committed, post-checks passed, the commit confirmed
    UNCHANGED = "unchanged"  # nothing to change
    REVERTED = "reverted"  # post-checks failed: the device reverted the commit
    REJECTED = "rejected"  # the device refused a line; nothing stays changed
    FAILED = "failed"
    REFUSED = "refused"  # not touched: locked by another change, or a conference freeze
    SKIPPED = "skipped"  # not started: its wave halted
    ROLLED_BACK = "rolled-back"  # confirmed, then undone (failure budget, rollback)
    PLANNED = "planned"  # dry run: what would change
    UNKNOWN = "unknown"  # the answer was lost and the device not read yet: read at the next contact
    HALF = "half"  # part of the change stays (VRP5 session lost mid-apply): converged at the next contact


class DevicePhase(StrEnum):
    """Where a device's push stands (``config_change_devices.phase``), written *before* it is entered, so a
    process that dies leaves a record that says what a restart must do (``netops.changes.journal``)."""

    LOCKED = "locked"  # locked; reading, diffing, baseline: nothing changed yet
    APPLYING = "applying"  # typing the change (a confirmed commit on all but VRP5)
    CHECKING = "checking"  # applied, not confirmed: post-checks
    CONFIRMING = "confirming"  # post-checks passed: confirm, save, read back
    REVERTING = "reverting"  # post-checks failed: revert now
    ROLLING_BACK = "rolling-back"  # undoing a (maybe) changed device: wave over budget, rollback
    DONE = "done"  # the outcome is what the device runs


class ChangeState(StrEnum):
    """A change (``config_changes.state``); a wave's ``state`` in the plan is a ``WaveState``."""

    RUNNING = "running"
    DONE = "done"
    HALTED = "halted"  # a wave went over its failure budget: later waves not started
    REFUSED = "refused"  # conference freeze
    INTERRUPTED = "interrupted"  # its process died; a later start or command reconciled it


class WaveState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    HALTED = "halted"
    NOT_STARTED = "not-started"


LOCK_TTL_S = 3600.0  # a lock whose owner cannot be checked (another host) is taken over after this long


def new_change_id(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now or time.time()))
    return f"chg-{stamp}-{pysecrets.token_hex(3)}"


def create_change(
    store: Store,
    change_id: str,
    user: str,
    reason: str,
    forced: bool,
    waves: list[dict[str, Any]],
    inventory_dir: str | None = None,
) -> None:
    """A running change owned by this process (and the inventory it pushes: a restart reads the same)."""
    from netops.changes.owner import this_process

    with store.session() as s:
        s.add(
            ConfigChange(
                id=change_id,
                created_at=time.time(),
                finished_at=None,
                user=user,
                reason=reason,
                forced=forced,
                state=ChangeState.RUNNING,
                waves=waves,
                summary={},
                owner={**this_process(), "inventory": inventory_dir},
            )
        )


def _running(change_id: str) -> Any:
    return update(ConfigChange).where(ConfigChange.id == change_id, ConfigChange.state == ChangeState.RUNNING)


def _applied(store: Store, query: Any) -> bool:
    with store.session() as s:
        result = s.execute(query, execution_options={"synchronize_session": False})
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def record_progress(
    store: Store, change_id: str, waves: list[dict[str, Any]], summary: dict[str, int]
) -> bool:
    """A running change's waves and outcome counts so far; False if the change is not running."""
    return _applied(store, _running(change_id).values(waves=waves, summary=summary))


def finish_change(
    store: Store, change_id: str, state: ChangeState, waves: list[dict[str, Any]], summary: dict[str, int]
) -> bool:
    """End a running change (done, halted, refused); False if it is not running (ended already)."""
    values = {"state": state, "finished_at": time.time(), "waves": waves, "summary": summary}
    return _applied(store, _running(change_id).values(**values))


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    device: str
    wave: int
    outcome: DeviceOutcome
    detail: str | None
    diff: str | None
    commands: list[str]
    templates: dict[str, str]
    template_digest: str | None
    checks: list[dict[str, object]]
    started_at: float
    duration_s: float
    rolled_back: bool = False


def record_device(
    store: Store,
    change_id: str,
    rec: DeviceRecord,
    secrets: Iterable[str] = (),
    phase: DevicePhase | None = DevicePhase.DONE,
) -> None:
    """Write a device's result (its journal columns kept); ``phase`` None keeps the phase as it is."""
    known = list(secrets)
    values: dict[str, Any] = {
        "wave": rec.wave,
        "outcome": rec.outcome,
        "detail": mask(rec.detail, known) if rec.detail else None,
        "diff": mask(rec.diff, known) if rec.diff else None,
        "commands": [mask(c, known) for c in rec.commands],
        "templates": rec.templates,
        "template_digest": rec.template_digest,
        "checks": rec.checks,
        "rolled_back": rec.rolled_back,
        "started_at": rec.started_at,
        "duration_s": rec.duration_s,
    }
    if phase is not None:
        values["phase"] = phase
    with store.session() as s:
        row = s.get(ConfigChangeDevice, (change_id, rec.device))
        if row is None:
            s.add(ConfigChangeDevice(change_id=change_id, device=rec.device, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)


def mark_rolled_back(store: Store, change_id: str, device: str, detail: str) -> None:
    with store.session() as s:
        row = s.get(ConfigChangeDevice, (change_id, device))
        if row is not None:
            row.rolled_back = True
            row.outcome = DeviceOutcome.ROLLED_BACK
            row.phase = DevicePhase.DONE
            row.detail = f"{row.detail + '; ' if row.detail else ''}{detail}"


def _change_dict(row: ConfigChange) -> dict[str, Any]:
    return {
        "id": row.id,
        "created_at": row.created_at,
        "finished_at": row.finished_at,
        "user": row.user,
        "reason": row.reason,
        "forced": row.forced,
        "state": row.state,
        "summary": row.summary,
        "waves": row.waves,
        "reconciled": row.reconciled,
    }


def _device_dict(row: ConfigChangeDevice) -> dict[str, Any]:
    return {
        "device": row.device,
        "wave": row.wave,
        "outcome": row.outcome,
        "detail": row.detail,
        "diff": row.diff,
        "commands": row.commands,
        "templates": row.templates,
        "template_digest": row.template_digest,
        "checks": row.checks,
        "rolled_back": row.rolled_back,
        "started_at": row.started_at,
        "duration_s": row.duration_s,
        "phase": row.phase,
    }


def list_changes(store: Store, limit: int = 50, device: str | None = None) -> list[dict[str, Any]]:
    """Newest first; with ``device``, only changes that touched it."""
    with store.session() as s:
        q = select(ConfigChange).order_by(ConfigChange.created_at.desc()).limit(limit)
        if device is not None:
            ids = select(ConfigChangeDevice.change_id).where(ConfigChangeDevice.device == device)
            q = q.where(ConfigChange.id.in_(ids))
        return [_change_dict(r) for r in s.scalars(q)]


def get_change(store: Store, change_id: str) -> dict[str, Any]:
    with store.session() as s:
        row = s.get(ConfigChange, change_id)
        if row is None:
            known = list(s.scalars(select(ConfigChange.id).limit(200)))
            raise NotFoundError("change", change_id, known)
        devices = s.scalars(
            select(ConfigChangeDevice)
            .where(ConfigChangeDevice.change_id == change_id)
            .order_by(ConfigChangeDevice.wave, ConfigChangeDevice.device)
        )
        return {**_change_dict(row), "devices": [_device_dict(d) for d in devices]}


def outcome_counts(store: Store) -> dict[str, int]:
    """Devices per outcome over every change (for the metrics)."""
    with store.session() as s:
        out: dict[str, int] = {}
        for outcome in s.scalars(select(ConfigChangeDevice.outcome)):
            out[outcome] = out.get(outcome, 0) + 1
        return out


# -- locks ------------------------------------------------------------------------------------------------
def acquire_lock(store: Store, device: str, change_id: str, ttl_s: float = LOCK_TTL_S) -> str | None:
    """Take the device's lock for ``change_id``. Returns None when taken, else the change holding it.

    A lock whose owner process is gone (same host, its pid dead or reused) is released first; a lock whose
    owner cannot be checked (another host) only after ``ttl_s``."""
    from netops.changes.owner import gone, this_process

    now = time.time()
    try:
        with store.session() as s:
            s.execute(delete(ConfigLock).where(ConfigLock.device == device, ConfigLock.expires_at < now))
            held = s.execute(select(ConfigLock.owner).where(ConfigLock.device == device)).first()
            if held is not None and gone(held[0]):  # its process is gone: released
                s.execute(delete(ConfigLock).where(ConfigLock.device == device))
            s.add(
                ConfigLock(
                    device=device,
                    change_id=change_id,
                    acquired_at=now,
                    expires_at=now + ttl_s,
                    owner=this_process(),
                )
            )
    except IntegrityError:
        with store.session() as s:
            row = s.get(ConfigLock, device)
            return row.change_id if row is not None else "another change"
    return None


def release_lock(store: Store, device: str, change_id: str) -> None:
    with store.session() as s:
        s.execute(delete(ConfigLock).where(ConfigLock.device == device, ConfigLock.change_id == change_id))


def list_locks(store: Store) -> list[dict[str, Any]]:
    with store.session() as s:
        return [
            {
                "device": r.device,
                "change": r.change_id,
                "acquired_at": r.acquired_at,
                "expires_at": r.expires_at,
                "owner": r.owner,
            }
            for r in s.scalars(select(ConfigLock).order_by(ConfigLock.device))
        ]


def holds_lock(store: Store, device: str, change_id: str) -> bool:
    """True while ``change_id`` still holds the device's lock (a forced unlock takes it away)."""
    with store.session() as s:
        row = s.get(ConfigLock, device)
        return row is not None and row.change_id == change_id


def force_unlock(
    store: Store, device: str, force: bool = False, note: str | None = None
) -> dict[str, Any] | None:
    """Remove the device's lock; returns the lock removed (None: it was not locked).

    A lock whose owner is alive on this host, or cannot be checked (another host), is removed only with
    ``force`` (else ``ConflictError`` naming the pid and the change); a forced removal writes ``note`` to
    the owner's device record, and the owner stops before it touches the device again (``holds_lock``)."""
    from netops.changes.owner import alive, describe

    with store.session() as s:
        row = s.get(ConfigLock, device)
        if row is None:
            return None
        status = alive(row.owner)
        held = {"device": row.device, "change": row.change_id, "owner": row.owner, "owner_alive": status}
        if status is not False and not force:
            if status:
                raise ConflictError(
                    f"{device}: locked by change {row.change_id}, whose process ({describe(row.owner)}) "
                    "is running: not released (--force breaks it; the change stops before touching "
                    "the device again)"
                )
            raise ConflictError(
                f"{device}: locked by change {row.change_id} of {describe(row.owner)}, which cannot be "
                "checked from here: not released without --force"
            )
        s.delete(row)
        if status is not False and note:
            rec = s.get(ConfigChangeDevice, (row.change_id, device))
            if rec is not None:
                rec.detail = f"{rec.detail + '; ' if rec.detail else ''}{note}"
        return held
