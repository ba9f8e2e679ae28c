"""Roll back for users (issue 17): a change, or one device of it, back to the configuration recorded before
it; or a device back to a stored backup version. Part of ``netops.changes``; the CLI (``netops config
rollback``) and the API (``POST /changes/{id}/rollback``, ``POST /config/versions/{n}/rollback``) call it.

A rollback is a new change (reason ``rollback of <id>``, its wave named so) pushed like any other: lock,
diff, confirmed commit, post-checks, confirm or revert, journal, record. Its intended configuration per
device is the *target*: the snapshot the journal took before the change (secrets as ``<<secret:NAME>>``
placeholders, re-rendered from the secret store), or a stored backup version (secrets masked). A masked
line is never typed: it is resolved to the real line of the running or the intended (templates)
configuration that masks to the same text; one that cannot be resolved stops that device (``failed``,
"by hand"). When the rollback of a device ends ``confirmed`` (or ``unchanged``: it already ran the
target), the old record is marked ``rolled-back``, ``undone by <new id>``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netops.changes import journal, records
from netops.changes.apply import ChangeRequest, ChangeRun, Event, run_change
from netops.changes.diff import mask
from netops.changes.plan import Wave
from netops.changes.push import PushOptions
from netops.changes.records import DeviceOutcome
from netops.changes.render import RenderedConfig, Renderer, TemplateError
from netops.drivers.cli import Timeouts
from netops.drivers.masking import register_secrets
from netops.drivers.snmp.source import SnmpSource
from netops.errors import ConflictError, NotFoundError
from netops.inventory.models import Device, Inventory
from netops.secrets import SecretStore
from netops.store.db import Store
from netops.store.schema import ConfigChangeDevice
from netops.vc.conferences import Conference

log = logging.getLogger(__name__)

ROLLBACK_TEMPLATE = "(rollback)"
UNDONE = frozenset({DeviceOutcome.CONFIRMED, DeviceOutcome.UNCHANGED})
# what a rollback of a whole change covers: every device that may run (part of) it
MAY_RUN_IT = frozenset(
    {DeviceOutcome.CONFIRMED, DeviceOutcome.UNKNOWN, DeviceOutcome.HALF, DeviceOutcome.FAILED}
)


@dataclass(frozen=True, slots=True)
class Target:
    """A ``ChangeSource``: the configuration to go back to, secrets as placeholders or masked."""

    text: str
    what: str  # "change chg-..." / "backup version 12", for messages
    secrets: SecretStore
    known: frozenset[str]  # secret values to mask wherever shown
    renderer: Renderer | None = None
    names: dict[str, str] = field(default_factory=dict)
    changed: str | None = None  # the configuration the change made (sealed): where its own secrets were

    def intended(self, device: Device, running: str) -> RenderedConfig:
        # secrets given with the change only (a runbook's lines): the values that sit, in the running
        # configuration, where the change's record shows them masked; masked in every record of this one
        found = secrets_at_masks(running, self.changed) if self.changed else frozenset()
        register_secrets(found)  # out of netmiko's debug log too
        text = journal.unseal(self.text, self.secrets)
        rendered: RenderedConfig | None = None
        if journal.MASK in text and self.renderer is not None:
            try:
                rendered = self.renderer.render(device.id)
            except TemplateError:
                rendered = None
        known = self.known | (rendered.secrets if rendered is not None else frozenset())
        text = resolve_masked(text, [running, rendered.text if rendered is not None else ""], known)
        left = [ln.strip() for ln in text.splitlines() if journal.MASK in ln]
        if left:
            raise TemplateError(
                f"{device.id}: {self.what} holds {len(left)} secret line(s) only masked "
                f"(first: {left[0]!r}) and no secret in the store renders it: roll that line back by hand"
            )
        values = frozenset(v for v in known if v and v in text) | found
        digest = hashlib.sha256(self.text.encode()).hexdigest()
        names = {**self.names, **(rendered.names if rendered is not None else {})}
        return RenderedConfig(device.id, text, ROLLBACK_TEMPLATE, {ROLLBACK_TEMPLATE: digest}, values, names)


def secrets_at_masks(running: str, sealed: str) -> frozenset[str]:
    """The values of ``running`` at the places where ``sealed`` (the same configuration) shows ``******``."""
    patterns = [
        re.compile("^" + re.escape(ln.strip()).replace(re.escape(journal.MASK), "(.+?)") + "$")
        for ln in sealed.splitlines()
        if journal.MASK in ln
    ]
    found: set[str] = set()
    for line in running.replace("\r", "").splitlines():
        for pattern in patterns:
            m = pattern.match(line.strip())
            if m is not None:
                found.update(g for g in m.groups() if g)
    return frozenset(found)


def resolve_masked(text: str, sources: list[str], known: frozenset[str]) -> str:
    """Each masked line of ``text`` replaced by a real line of ``sources`` that masks to the same text."""
    real: dict[str, str] = {}
    for source in sources:
        for line in source.replace("\r", "").splitlines():
            shown = mask(line, known)
            if shown != line:
                real.setdefault(shown.rstrip(), line.rstrip())
    out = []
    for line in text.splitlines():
        out.append(real.get(line.rstrip(), line) if journal.MASK in line else line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def rollback_targets(store: Store, change_id: str, devices: list[str] | None) -> dict[str, str]:
    """Per device: the sealed snapshot the journal took before ``change_id`` changed it."""
    change = records.get_change(store, change_id)  # NotFoundError naming known changes
    rows: dict[str, tuple[str, str | None]] = {}
    with store.session() as s:
        for r in s.query(ConfigChangeDevice).filter(ConfigChangeDevice.change_id == change_id):
            rows[r.device] = (r.outcome, r.snapshot)
    return _chosen(change_id, change["id"], rows, devices)


def changed_configs(store: Store, change_id: str) -> dict[str, str | None]:
    """Per device: the configuration the change made, sealed (where its own secrets show masked)."""
    with store.session() as s:
        return {
            r.device: r.intended
            for r in s.query(ConfigChangeDevice).filter(ConfigChangeDevice.change_id == change_id)
        }


def _chosen(
    change_id: str, shown_id: str, rows: dict[str, tuple[str, str | None]], devices: list[str] | None
) -> dict[str, str]:
    change = {"id": shown_id}
    if devices:
        missing = [d for d in devices if d not in rows]
        if missing:
            raise NotFoundError(f"device of change {change['id']}", missing[0], sorted(rows))
        chosen = {d: rows[d] for d in devices}
    else:
        chosen = {d: v for d, v in rows.items() if v[0] in MAY_RUN_IT}
    out: dict[str, str] = {}
    for device, (outcome, snapshot) in sorted(chosen.items()):
        if snapshot is None:
            if devices:
                raise ConflictError(
                    f"change {change_id} recorded no configuration of {device!r} before it "
                    f"(outcome {outcome}): nothing to roll back to"
                )
            continue
        out[device] = snapshot
    if not out:
        raise ConflictError(f"change {change_id}: no device to roll back (none may run it)")
    return out


def later_changes(store: Store, change_id: str, devices: list[str]) -> dict[str, list[str]]:
    """Per device: the changes after ``change_id`` that may have changed it since (not rolled back)."""
    from netops.store.schema import ConfigChange

    with store.session() as s:
        this = s.get(ConfigChange, change_id)
        if this is None:
            return {}
        rows = (
            s.query(ConfigChangeDevice.device, ConfigChangeDevice.change_id)
            .join(ConfigChange, ConfigChange.id == ConfigChangeDevice.change_id)
            .filter(
                ConfigChange.created_at > this.created_at,
                ConfigChangeDevice.device.in_(devices),
                ConfigChangeDevice.outcome.in_(list(MAY_RUN_IT)),
                ConfigChangeDevice.rolled_back.is_(False),
                ConfigChangeDevice.change_id != change_id,
            )
            .order_by(ConfigChange.created_at)
        )
        out: dict[str, list[str]] = {}
        for device, later in rows:
            out.setdefault(device, []).append(later)
        return out


def refuse_later_changes(
    store: Store, change_id: str, devices: list[str], force: bool = False
) -> dict[str, list[str]]:
    """The later changes of ``devices`` (``later_changes``); ``ConflictError`` naming them unless ``force``
    (the API calls it before it starts the rollback: 409)."""
    later = later_changes(store, change_id, devices)
    if later and not force:
        named = "; ".join(f"{d}: {', '.join(ids)}" for d, ids in sorted(later.items()))
        raise ConflictError(
            f"change {change_id}: later changes touched its devices ({named}); rolling back would undo "
            "them too: roll those back first, or force"
        )
    return later


def changed_since(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    change_id: str,
    devices: list[str],
    timeouts: Timeouts | None = None,
) -> dict[str, str]:
    """Per device the change left confirmed that now runs neither what the change left nor what it had
    before (read over SSH, sessions waiting ``timeouts``): changed since, by a later change or by hand. A
    device not read is left out (its rollback fails on its own), so is one whose record holds secrets only
    masked (not comparable)."""
    from netops.drivers.cli import CliSession
    from netops.drivers.platforms import driver_for
    from netops.errors import DeviceError

    with store.session() as s:
        rows = {
            r.device: (r.snapshot, r.intended)
            for r in s.query(ConfigChangeDevice).filter(
                ConfigChangeDevice.change_id == change_id,
                ConfigChangeDevice.device.in_(devices),
                ConfigChangeDevice.outcome == DeviceOutcome.CONFIRMED,
            )
        }
    names = journal.secret_names(inventory, secrets)
    out: dict[str, str] = {}
    for device_id, (snapshot, intended) in sorted(rows.items()):
        if (
            snapshot is None
            or intended is None
            or journal.MASK in intended
            or device_id not in inventory.devices
        ):
            continue
        device = inventory.device(device_id)
        try:
            with CliSession.open(device, inventory, secrets, timeouts) as cli:
                running = driver_for(device.platform).running(cli)
        except DeviceError as exc:
            log.info("%s: not read before the rollback: %s", device_id, exc)
            continue
        if journal.Marks(snapshot, intended, names).landing(device, running) is journal.Landing.HALF:
            out[device_id] = f"runs neither what change {change_id} left nor what it had before"
    return out


def refuse_changed_since(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    change_id: str,
    devices: list[str],
    force: bool,
    timeouts: Timeouts | None = None,
) -> None:
    """``ConflictError`` naming the devices changed since ``change_id`` (``changed_since``) unless ``force``."""
    if force:
        return
    since = changed_since(inventory, secrets, store, change_id, devices, timeouts)
    if since:
        named = "; ".join(f"{d}: {why}" for d, why in since.items())
        raise ConflictError(
            f"change {change_id}: its devices changed since ({named}); rolling back would undo that too: "
            "look first, or force"
        )


async def rollback_change(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    change_id: str,
    *,
    user: str,
    devices: list[str] | None = None,
    options: PushOptions | None = None,
    snmp: SnmpSource | None = None,
    conferences: list[Conference] | None = None,
    on_event: Event | None = None,
    new_change_id: str | None = None,
    force: bool = False,
) -> ChangeRun:
    """Push every device of ``change_id`` (or ``devices``) back to its configuration before the change.

    A device changed again by a later change (recorded, not rolled back) is refused (``ConflictError``
    naming the later changes) unless ``force``: then those later changes are marked undone too."""
    targets = rollback_targets(store, change_id, devices)
    later = refuse_later_changes(store, change_id, sorted(targets), force)
    await asyncio.to_thread(
        refuse_changed_since,
        inventory,
        secrets,
        store,
        change_id,
        sorted(targets),
        force,
        options.timeouts if options is not None else None,
    )
    changed = changed_configs(store, change_id)

    def mark_later(run: ChangeRun) -> None:
        for device, ids in later.items():
            result = run.results.get(device)
            if result is not None and result.outcome in UNDONE:
                for later_id in ids:
                    records.mark_rolled_back(
                        store, later_id, device, f"undone by {run.change_id} (forced rollback of {change_id})"
                    )

    run = await _push_back(
        inventory,
        secrets,
        store,
        {d: (t, f"change {change_id}", changed.get(d)) for d, t in targets.items()},
        f"rollback of {change_id}",
        change_id,
        user,
        options,
        snmp,
        conferences,
        on_event,
        new_change_id,
        mark_later,
    )
    return run


async def rollback_to_version(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    version_id: int,
    *,
    user: str,
    options: PushOptions | None = None,
    snmp: SnmpSource | None = None,
    conferences: list[Conference] | None = None,
    on_event: Event | None = None,
    new_change_id: str | None = None,
) -> ChangeRun:
    """Push a device back to a stored backup version (secret lines resolved, never typed masked)."""
    from netops.changes import backup

    device, text = backup.version_text(store, version_id)
    inventory.device(device)
    return await _push_back(
        inventory,
        secrets,
        store,
        {device: (text, f"backup version {version_id}", None)},
        f"rollback of {device} to backup version {version_id}",
        None,
        user,
        options,
        snmp,
        conferences,
        on_event,
        new_change_id,
    )


async def _push_back(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    targets: dict[str, tuple[str, str, str | None]],
    reason: str,
    old_change: str | None,
    user: str,
    options: PushOptions | None,
    snmp: SnmpSource | None,
    conferences: list[Conference] | None,
    on_event: Event | None,
    new_change_id: str | None,
    also_mark: Callable[[ChangeRun], None] | None = None,
) -> ChangeRun:
    """Push ``targets``; the undone records are marked before the new change is recorded finished."""
    names = journal.secret_names(inventory, secrets)
    known = frozenset(names)
    try:
        renderer: Renderer | None = Renderer(inventory, secrets)
    except TemplateError:
        renderer = None  # no templates: masked lines resolve from the running configuration only
    sources: dict[str, Any] = {
        d: Target(text, what, secrets, known, renderer, names, changed)
        for d, (text, what, changed) in targets.items()
    }
    devices = tuple(sorted(targets))

    def mark_undone(run: ChangeRun) -> None:
        if old_change is not None:
            for device, result in run.results.items():
                if result.outcome in UNDONE:
                    records.mark_rolled_back(store, old_change, device, f"undone by {run.change_id}")
        if also_mark is not None:
            also_mark(run)

    request = ChangeRequest(
        [Wave(1, reason, devices, len(devices), max(1, min(20, len(devices))))],
        user=user,
        reason=reason,
        force=True,  # a way back is not stopped by a conference freeze
        options=options or PushOptions(),
        threads=max(4, min(32, len(devices))),
        sources=sources,
        before_finish=mark_undone,
    )
    run = await run_change(
        inventory, secrets, store, request, conferences or [], snmp, on_event, change_id=new_change_id
    )
    log.info("%s: %s -> %s", reason, run.change_id, run.summary())
    return run
