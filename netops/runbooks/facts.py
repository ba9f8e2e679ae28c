"""What runbooks read of netops' own state instead of asking a person: facts for expressions, a room's fresh
precheck, an interface's traffic rate, and the conference freeze of a push.

Sits beside ``actions.py`` (under ``steps.py`` and ``engine.py``): ``read_precheck`` and ``read_rate`` are the
``precheck`` and ``rate`` kinds of a check (``via``); ``expression_facts`` gives the functions every expression
may call (``next_conference(site)``, ``open_incident(site)``, ``backup_link(device)``, ``ups(device)``), read
from the store (conferences, incidents, the poller's rows) when the expression is evaluated; ``frozen_by`` says
which conference freezes a device (``netops.changes.freeze``, the rule ``netops config push`` applies).
Without a store (a dry run from the CLI) the store facts are ``None``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from netops.changes.freeze import DEFAULT_WINDOW_S, conference_path, frozen_devices
from netops.drivers.names import canonical
from netops.errors import NetopsError
from netops.inventory.models import Inventory, LinkKind, Room
from netops.inventory.topology import Topology
from netops.polling import queries
from netops.store.db import Store
from netops.vc import store as vcstore
from netops.vc.checks import CallTarget, Check, Status, codec_checks
from netops.vc.conferences import Conference, load_files, resolve_mcu, resolve_rooms
from netops.vc.pollchecks import PollView, upstream_check
from netops.vc.rule import NETWORK_ROUNDS, decide

if TYPE_CHECKING:
    from netops.runbooks.actions import Tools


# -- a room's fresh precheck -------------------------------------------------------------------------------


def room_of_codec(inventory: Inventory, codec: str) -> Room:
    for room in inventory.rooms.values():
        if room.codec == codec or room.id == codec:
            return room
    raise NetopsError(f"{codec}: no room of the inventory has this codec")


async def read_precheck(tools: Tools, codec: str) -> dict[str, Any]:
    """One precheck round of the room whose codec is ``codec`` (as ``netops.vc.precheck`` judges a room after
    T-15; the room turned RED already, so one more bad network round confirms it): the colour, the checks that
    are not OK (``failing``, by name: camera, microphones, display, registration, standby, diagnostics,
    path_delay, path_jitter, path_loss, reachable, sip_options, status_api, upstream), each check's status."""
    inventory = tools.inventory()
    room = room_of_codec(inventory, codec)
    device = inventory.device(room.codec)
    th = load_files(Path(inventory.directory))[1]
    incident: str | None = None
    if tools.store is not None:
        view = PollView.load(tools.store, Topology(inventory), th)
        upstream = upstream_check(view, room)
    else:
        upstream = Check("upstream", Status.UNKNOWN, "no store: poll data not read", critical=False)
    checks = [upstream]
    live = live_conference(tools, room)  # during its conference: the live view (its call is the room's)
    if upstream.status is Status.FAIL:  # behind an incident: the codec cannot be reached to be checked
        incident = str(upstream.value) if upstream.value else None
    else:
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=th.http_timeout_s, limits=limits) as client:
            measured, _probe = await codec_checks(
                client, device, inventory, tools.secrets, th, in_conference=live is not None,
                call=live[1] if live is not None else None,
            )  # fmt: skip
        if live is not None:  # not in the call of the conference that runs: a cause the runbook handles
            measured = [
                Check("call_state", Status.WARN, f"not in the call of conference {live[0].id}", 0.0, "calls",
                      critical=False) if c.name == "call_state" and c.status is Status.OK and c.value == 0.0
                else c
                for c in measured
            ]  # fmt: skip
        checks += measured
    before = {c.name: NETWORK_ROUNDS - 1 for c in checks if c.network}
    verdict = decide(checks, after_t15=True, before=before)
    failing = [c.name for c in checks if c.cause is None and c.status is not Status.OK]
    failing = [n for n in failing if not (n == "upstream" and upstream.status is Status.UNKNOWN)]
    return {
        "room": room.id,
        "codec": device.id,
        "colour": str(verdict.colour),
        "reasons": list(verdict.reasons),
        "failing": failing,
        "checks": {c.name: {"status": str(c.status), "reason": c.reason} for c in checks},
        "incident": incident,
        "conference": live[0].id if live is not None else None,  # the conference running with the room
    }


def live_conference(tools: Tools, room: Room) -> tuple[Conference, CallTarget | None] | None:
    """The conference running now that has ``room``, and which call is its (``CallTarget``), or ``None``."""
    if tools.store is None:
        return None
    inventory = tools.inventory()
    now = time.time()
    listed = vcstore.list_conferences(tools.store, inventory.directory)
    for conf in listed:
        if not conf.start_at <= now < conf.end_at:
            continue
        if room.id not in {r.id for r in resolve_rooms(conf, inventory)}:
            continue
        mcu = resolve_mcu(conf, inventory)
        if mcu is None:
            return conf, None
        hosts = frozenset({mcu, str(inventory.device(mcu).address)})
        return conf, CallTarget(conf.id, hosts, frozenset(c.id for c in listed))
    return None


def conference_number(tools: Tools, conf: Conference) -> str | None:
    """The URI a codec dials to join ``conf``: ``<conference>@<MCU address>`` (as the live rounds dial)."""
    mcu = resolve_mcu(conf, tools.inventory())
    return f"{conf.id}@{tools.inventory().device(mcu).address}" if mcu is not None else None


# -- an interface's traffic --------------------------------------------------------------------------------


async def read_rate(tools: Tools, device_id: str, interface: str, interval_s: float = 1.0) -> dict[str, Any]:
    """The traffic of ``interface`` measured over two SNMP reads ``interval_s`` apart (bits per second)."""
    dev = tools.device(device_id)
    want = canonical(dev.platform, interface)

    async def octets() -> tuple[float, int, int]:
        sample = await tools.snmp.poll(dev)
        if not sample.ok:
            raise NetopsError(f"{dev.id}: SNMP: {sample.error}")
        for itf in sample.interfaces:
            if canonical(dev.platform, itf.name) == want:
                return time.monotonic(), int(itf.in_octets or 0), int(itf.out_octets or 0)
        raise NetopsError(f"{dev.id}: interface {interface} is not in its interface table")

    t0, in0, out0 = await octets()
    await asyncio.sleep(interval_s)
    t1, in1, out1 = await octets()
    span = max(t1 - t0, 1e-3)
    in_bps, out_bps = max(in1 - in0, 0) * 8 / span, max(out1 - out0, 0) * 8 / span
    return {"interface": interface, "in_bps": in_bps, "out_bps": out_bps,
            "mbps": max(in_bps, out_bps) / 1e6}  # fmt: skip


# -- facts for expressions ---------------------------------------------------------------------------------


def _site_of(inventory: Inventory, name: str) -> str:
    if name in inventory.sites:
        return name
    return inventory.device(name).site


def next_conference(
    inventory: Inventory, store: Store | None, site: str, within_min: float | None = None
) -> dict[str, Any] | None:
    """The conference running now or starting next whose path (its rooms up to the centre) holds ``site``;
    ``None`` if there is none (within ``within_min`` minutes, when given)."""
    if store is None:
        return None
    site = _site_of(inventory, site)
    devices = {d.id for d in inventory.devices_at(site) if d.platform.has_cli}
    now = time.time()
    for conf in vcstore.list_conferences(store, inventory.directory):
        if conf.end_at <= now:
            continue
        taking_part = {r.id for r in resolve_rooms(conf, inventory)}
        rooms = [r.id for r in inventory.rooms_at(site) if r.id in taking_part]
        if not (devices & conference_path(conf, inventory)) and not rooms:
            continue
        minutes = max(conf.start_at - now, 0.0) / 60
        if within_min is not None and minutes > within_min:
            continue
        running = conf.start_at <= now
        return {"id": conf.id, "title": conf.title, "start_at": conf.start_at, "end_at": conf.end_at,
                "minutes": round(minutes, 1), "running": running, "rooms": rooms,
                "frozen": conf.start_at - now <= DEFAULT_WINDOW_S,  # the freeze covers its path now
                "when": _when(conf.start_at, conf.end_at, now)}  # fmt: skip
    return None


def _when(start: float, end: float, now: float) -> str:
    """``is running (until 10:30 UTC)``, ``starts in 12 min``, ``starts in 3 h 47 min``, ``starts on ...``."""
    if start <= now:
        return f"is running (until {_stamp(end, '%H:%M UTC')})"
    minutes = max(1, round((start - now) / 60))
    if minutes < 60:
        return f"starts in {minutes} min"
    if minutes < 24 * 60:
        return f"starts in {minutes // 60} h {minutes % 60} min"
    return f"starts on {_stamp(start, '%Y-%m-%d %H:%M UTC')}"


def _stamp(t: float, form: str) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime(form)


def open_incident(inventory: Inventory, store: Store | None, subject: str) -> dict[str, Any] | None:
    """The newest open incident that affects ``subject`` (a site, a device or a room), or ``None``."""
    if store is None:
        return None
    for inc in queries.incidents(store, "open", limit=200):
        touched = {*(inc["affected_sites"] or []), *(inc["affected_devices"] or []),
                   *(inc["affected_rooms"] or []), *(inc["cause"] or [])}  # fmt: skip
        if subject in touched:
            return {"id": inc["id"], "kind": inc["kind"], "summary": inc["summary"], "key": inc["key"]}
    return None


def backup_link(inventory: Inventory, store: Store | None, device: str) -> dict[str, Any] | None:
    """The backup uplink of ``device`` and its state as polling sees it (``up``: True, False, None unknown)."""
    for link in inventory.links_of(device):
        if link.a.device == device and link.kind is LinkKind.BACKUP:
            up = None
            if store is not None:
                up = queries.link_states(store, Topology(inventory)).get(link.id)
            return {"link": link.id, "interface": link.a.interface, "peer": link.b.device,
                    "peer_interface": link.b.interface, "up": up}  # fmt: skip
    return None


def ups(store: Store | None, device: str) -> dict[str, Any] | None:
    """The UPS of ``device`` as last polled: ``on_battery``, ``minutes`` left, ``polled_at``."""
    if store is None:
        return None
    row = queries.device_rows(store).get(device)
    if row is None:
        return None
    return {"on_battery": row.ups_on_battery, "minutes": row.ups_minutes, "polled_at": row.polled_at}


def expression_facts(tools: Tools) -> dict[str, Callable[..., Any]]:
    """The fact functions every runbook expression may call."""
    return {
        "next_conference": lambda site, within_min=None: next_conference(
            tools.inventory(), tools.store, site, within_min
        ),
        "open_incident": lambda subject: open_incident(tools.inventory(), tools.store, subject),
        "backup_link": lambda device: backup_link(tools.inventory(), tools.store, device),
        "ups": lambda device: ups(tools.store, device),
    }


FACTS = ("next_conference", "open_incident", "backup_link", "ups")


# -- the conference freeze -------------------------------------------------------------------------------


def frozen_by(tools: Tools, device: str) -> str | None:
    """The conference whose freeze covers ``device`` now (``netops.changes.freeze``), or ``None``."""
    if tools.store is None:
        return None
    inventory = tools.inventory()
    conferences = vcstore.list_conferences(tools.store, inventory.directory)
    return frozen_devices(inventory, conferences, [device]).get(device)
