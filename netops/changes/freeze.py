"""Conference freeze: a push must not touch a device on the path of a conference that runs or starts soon.

Part of ``netops.changes``; ``apply.py`` asks it before any device is touched. The path of a conference is
every CLI device of every site from each taking-part room's site up to the region centre (the centre holds
the MCU). A conference freezes its path from ``window_s`` before its start to its end. A frozen device is
refused unless the change is forced with a reason (recorded with the change).
Conferences come from ``netops.vc`` (files in ``inventory/conferences/`` and the store).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from netops.inventory.models import Inventory
from netops.vc.conferences import Conference, resolve_rooms

DEFAULT_WINDOW_S = 30 * 60.0


def conference_path(conf: Conference, inventory: Inventory) -> set[str]:
    """Device ids (with an SSH CLI) on the way from the conference's rooms to the centre."""
    sites: set[str] = {inventory.centre.id}
    for room in resolve_rooms(conf, inventory):
        site: str | None = room.site
        while site is not None and site not in sites:
            sites.add(site)
            site = inventory.sites[site].parent
    return {d.id for s in sites for d in inventory.devices_at(s) if d.platform.has_cli}


def frozen_devices(
    inventory: Inventory,
    conferences: Iterable[Conference],
    devices: Iterable[str],
    window_s: float = DEFAULT_WINDOW_S,
    now: float | None = None,
) -> dict[str, str]:
    """Device -> the conference that freezes it, for the ``devices`` a push would touch."""
    at = time.time() if now is None else now
    wanted = set(devices)
    out: dict[str, str] = {}
    for conf in conferences:
        if not (conf.start_at - window_s <= at < conf.end_at):
            continue
        for dev in sorted(conference_path(conf, inventory) & wanted):
            out.setdefault(dev, conf.id)
    return out
