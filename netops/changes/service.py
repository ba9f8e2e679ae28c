"""What the CLI (``netops config``) and the API (``/changes``) both call: device selection, diffs of many
devices at once, rollouts with the conferences of the store. Part of ``netops.changes``; thin over
``render``/``diff``/``plan``/``apply``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from netops.changes.apply import ChangeRequest, ChangeRun, Event, run_change
from netops.changes.diff import ConfigDiff, compare, unavailable
from netops.changes.plan import pushable
from netops.changes.render import Renderer, TemplateError
from netops.drivers.cli import CliSession, Timeouts
from netops.drivers.platforms import driver_for
from netops.drivers.snmp.source import SnmpSource
from netops.errors import DeviceError, InvalidInputError
from netops.inventory.models import Inventory
from netops.secrets import SecretStore, referenced_secrets
from netops.store.db import Store
from netops.vc import store as vcstore


def select_devices(
    inventory: Inventory, devices: Iterable[str] = (), site: str | None = None, everything: bool = False
) -> list[str]:
    """The pushable devices named, or of ``site`` and every site below it, or all of them."""
    allowed = set(pushable(inventory))
    chosen: set[str] = set()
    for d in devices:
        inventory.device(d)  # NotFoundError with suggestions
        if d not in allowed:
            raise InvalidInputError(f"device {d!r} cannot be configured (no SSH CLI, or not active)")
        chosen.add(d)
    if site is not None:
        sites = [inventory.site(site).id, *(s.id for s in inventory.descendants(site))]
        chosen.update(d.id for s in sites for d in inventory.devices_at(s) if d.id in allowed)
    if everything:
        chosen.update(allowed)
    return sorted(chosen)


def known_secrets(inventory: Inventory, secrets: SecretStore) -> frozenset[str]:
    return frozenset(secrets.get(r) for r in referenced_secrets(inventory) if secrets.has(r))


def diff_device(
    inventory: Inventory,
    secrets: SecretStore,
    renderer: Renderer,
    device_id: str,
    timeouts: Timeouts | None = None,
) -> ConfigDiff:
    """Running vs intended of one device (blocking); a device that cannot be read is ``available=False``."""
    device = inventory.device(device_id)
    known = known_secrets(inventory, secrets)
    try:
        rendered = renderer.render(device_id)
    except TemplateError as exc:
        return unavailable(device_id, f"cannot render: {exc}", known)
    try:
        with CliSession.open(device, inventory, secrets, timeouts) as s:
            running = driver_for(device.platform).running(s)
    except DeviceError as exc:
        return unavailable(device_id, f"running configuration not read: {exc}", known | rendered.secrets)
    return compare(device, running, rendered)


def diff_devices(
    inventory: Inventory,
    secrets: SecretStore,
    device_ids: list[str],
    concurrency: int = 16,
    timeouts: Timeouts | None = None,
    on_done: Callable[[ConfigDiff], None] | None = None,
) -> list[ConfigDiff]:
    """Running vs intended of ``device_ids``, in their order; ``on_done`` hears each as it completes."""
    renderer = Renderer(inventory, secrets)
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(device_ids) or 1))) as pool:
        futures = [pool.submit(diff_device, inventory, secrets, renderer, d, timeouts) for d in device_ids]
        if on_done is not None:
            for f in futures:
                f.add_done_callback(lambda done: on_done(done.result()) if done.exception() is None else None)
        return [f.result() for f in futures]


def apply_change(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    request: ChangeRequest,
    on_event: Event | None = None,
    snmp_checks: bool = True,
) -> ChangeRun:
    """Run a rollout on a fresh event loop (CLI), with the conferences known to the store for the freeze."""
    conferences = vcstore.list_conferences(store, Path(inventory.directory))

    async def go() -> ChangeRun:
        snmp = SnmpSource(lambda: inventory, secrets) if snmp_checks else None
        return await run_change(inventory, secrets, store, request, conferences, snmp, on_event)

    return asyncio.run(go())
