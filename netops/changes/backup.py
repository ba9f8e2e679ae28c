"""Backups of running configurations, and drift (running vs intended) measured in the same pass.

Part of ``netops.changes``; the scheduler calls ``run_backups`` (the lead wires it as a job), the CLI
``netops config backup`` / ``history DEVICE``. For each device (netmiko in a bounded thread pool):
read the running configuration; reject output that is not a configuration (login or authorisation
errors, command errors, no hostname line) rather than store it; drop volatile lines (timestamps, byte
counts); mask secrets; store a new version only when the text changed. Then render the intended
configuration and store the drift (lines that differ; None when no true diff could be had).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from netops.changes.diff import compare, mask
from netops.changes.plan import pushable
from netops.changes.render import Renderer, TemplateError
from netops.drivers.cli import Timeouts
from netops.drivers.platforms.remediation import diff_texts
from netops.drivers.platforms.syntax import syntax_for
from netops.drivers.readers import read_running
from netops.errors import BackupRejected as BackupRejected
from netops.errors import DeviceError, NotFoundError
from netops.inventory.models import Device, Inventory
from netops.secrets import SecretStore, referenced_secrets
from netops.store.db import Store
from netops.store.schema import ConfigBackup, ConfigDeviceStatus

log = logging.getLogger(__name__)

VOLATILE = re.compile(
    r"^(!Last configuration was updated at|! Last configuration change at|! NVRAM config last updated|"
    r"Current configuration :|Building configuration|ntp clock-period)"
)
NOT_CONFIG = re.compile(
    r"(Authorization failed|authorization failed|Permission denied|permission denied|"
    r"^\s*%\s|^Error:|Unrecognized command|Invalid input|Login invalid)",
    re.M,
)
HOSTNAME = re.compile(r"^\s*(sysname|hostname) \S+", re.M)


class BackupOutcome(StrEnum):
    STORED = "stored"  # a new version
    UNCHANGED = "unchanged"  # the same as the last version
    REJECTED = "rejected"  # the device sent something that is not a configuration
    FAILED = "failed"  # the device could not be read


@dataclass(frozen=True, slots=True)
class BackupResult:
    device: str
    outcome: BackupOutcome
    detail: str | None = None
    drift_lines: int | None = None


def clean(text: str, secrets: Iterable[str], device: str = "device") -> str:
    """A configuration as stored: volatile lines dropped, secrets masked; raises ``BackupRejected``."""
    if not text.strip() or NOT_CONFIG.search(text) or not HOSTNAME.search(text):
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "empty output")
        raise BackupRejected(device, f"not a configuration: {mask(first[:120], secrets)!r}")
    lines = [ln.rstrip() for ln in text.replace("\r", "").splitlines() if not VOLATILE.match(ln.strip())]
    return mask("\n".join(lines).strip("\n") + "\n", secrets)


def store_version(store: Store, device: str, text: str, now: float | None = None) -> bool:
    """Keep ``text`` as a new version unless it equals the newest one. Returns True when stored."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    with store.session() as s:
        last = s.scalars(
            select(ConfigBackup.digest)
            .where(ConfigBackup.device == device)
            .order_by(ConfigBackup.id.desc())
            .limit(1)
        ).first()
        if last == digest:
            return False
        s.add(ConfigBackup(device=device, taken_at=now or time.time(), digest=digest, text=text))
        return True


def _status(store: Store, device: str, **values: Any) -> None:
    with store.session() as s:
        row = s.get(ConfigDeviceStatus, device) or ConfigDeviceStatus(device=device)
        for k, v in values.items():
            setattr(row, k, v)
        s.merge(row)


def backup_device(
    device: Device,
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    renderer: Renderer | None,
    known: frozenset[str],
    timeouts: Timeouts | None = None,
) -> BackupResult:
    """One device, blocking (run it in a thread)."""
    now = time.time()
    try:
        running = read_running(device, inventory, secrets, timeouts)  # NAPALM where complete, else netmiko
        text = clean(running, known, device.id)
    except BackupRejected as exc:
        _status(store, device.id, last_backup_attempt_at=now, last_backup_error=str(exc)[:500])
        return BackupResult(device.id, BackupOutcome.REJECTED, str(exc))
    except DeviceError as exc:
        detail = mask(str(exc), known)
        _status(store, device.id, last_backup_attempt_at=now, last_backup_error=detail[:500])
        return BackupResult(device.id, BackupOutcome.FAILED, detail)
    stored = store_version(store, device.id, text, now)
    drift: int | None = None
    if renderer is not None:
        try:
            drift = compare(device, running, renderer.render(device.id)).lines
        except TemplateError as exc:
            log.warning("%s: drift not measured: %s", device.id, mask(str(exc), known))
    _status(
        store,
        device.id,
        last_backup_attempt_at=now,
        last_backup_ok_at=now,
        last_backup_error=None,
        drift_lines=drift,
        drift_checked_at=now if renderer is not None else None,
    )
    return BackupResult(device.id, BackupOutcome.STORED if stored else BackupOutcome.UNCHANGED, None, drift)


def run_backups(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    devices: Iterable[str] | None = None,
    concurrency: int = 16,
    drift: bool = True,
    timeouts: Timeouts | None = None,
    on_done: Callable[[BackupResult], None] | None = None,
) -> list[BackupResult]:
    """Back up (and measure drift of) ``devices`` (default: every pushable device); the scheduler's job.
    ``on_done`` hears each device's result as it completes (the CLI's progress)."""
    chosen = [inventory.device(d) for d in (devices if devices is not None else pushable(inventory))]
    known = frozenset(secrets.get(r) for r in referenced_secrets(inventory) if secrets.has(r))
    renderer: Renderer | None = None
    if drift:
        try:
            renderer = Renderer(inventory, secrets)
        except TemplateError as exc:
            log.warning("drift not measured: %s", exc)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="netops-backup") as pool:
        futures = [
            pool.submit(backup_device, d, inventory, secrets, store, renderer, known, timeouts)
            for d in chosen
        ]
        if on_done is not None:
            for f in futures:
                f.add_done_callback(lambda done: on_done(done.result()) if done.exception() is None else None)
        results = [f.result() for f in futures]
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    log.info("config backups: %s", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return results


def history(store: Store, device: str) -> list[dict[str, Any]]:
    """Versions of a device's configuration, newest first (without the text)."""
    with store.session() as s:
        rows = s.scalars(
            select(ConfigBackup).where(ConfigBackup.device == device).order_by(ConfigBackup.id.desc())
        )
        return [
            {"id": r.id, "taken_at": r.taken_at, "digest": r.digest[:16], "lines": r.text.count("\n")}
            for r in rows
        ]


def version_text(store: Store, version_id: int) -> tuple[str, str]:
    """(device, text) of a stored version."""
    with store.session() as s:
        row = s.get(ConfigBackup, version_id)
        if row is None:
            raise NotFoundError("configuration version", str(version_id))
        return row.device, row.text


def diff_versions(store: Store, inventory: Inventory, old_id: int, new_id: int) -> str:
    """What changed between two stored versions of one device, block-aware."""
    device, old = version_text(store, old_id)
    other, new = version_text(store, new_id)
    if other != device:
        raise NotFoundError("version of " + device, str(new_id))
    return diff_texts(syntax_for(inventory.device(device).platform), old, new).text()


def device_status(store: Store) -> list[dict[str, Any]]:
    with store.session() as s:
        return [
            {
                "device": r.device,
                "last_backup_attempt_at": r.last_backup_attempt_at,
                "last_backup_ok_at": r.last_backup_ok_at,
                "last_backup_error": r.last_backup_error,
                "drift_lines": r.drift_lines,
                "drift_checked_at": r.drift_checked_at,
            }
            for r in s.scalars(select(ConfigDeviceStatus).order_by(ConfigDeviceStatus.device))
        ]


async def backup_job(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    concurrency: int = 16,
    timeouts: Timeouts | None = None,
) -> list[BackupResult]:
    """The scheduler's job: ``run_backups`` of every pushable device, off the event loop (netmiko blocks);
    sessions wait ``timeouts`` (the service's ``Settings.backup_ssh_timeouts``)."""
    return await asyncio.to_thread(
        run_backups, inventory, secrets, store, None, concurrency, timeouts=timeouts
    )
