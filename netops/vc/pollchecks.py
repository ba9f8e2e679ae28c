"""Room and MCU checks fed by polling (issue 4's store): upstream incident, bandwidth headroom, CE router health,
backup link. One ``PollView`` is read per round, so 200 rooms cost a handful of queries, not thousands.

Without poll data (polling not running, or older than ``poll_max_age_s``) these checks are UNKNOWN and not
critical: the direct probes of ``checks.py`` decide then. With data, a room in an open incident's
``affected_rooms`` (or on a site that is down / unreachable) FAILs ``upstream``, critical, with the incident id.

So does a room that an open outage's confirmed cause cuts off in the topology (``cut_off``): an incident lists
a room only once polling has found the devices behind its cause silent too, one poll (of another poll group) or
more after the cause itself. Until then the room's own site still reads ``up`` from its last poll, before the
cut; the cause alone (a prefecture router down, both links of a site down) already says the room has no path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from netops.drivers.names import same
from netops.inventory.models import Device, InterfaceKind, Link, LinkEnd, LinkKind, Room
from netops.inventory.topology import Failure, Topology
from netops.polling import queries
from netops.polling.rootcause import OUTAGE_KINDS
from netops.store.db import Store
from netops.vc.checks import Check, Status
from netops.vc.thresholds import Thresholds


@dataclass(slots=True)
class PollView:
    """What polling knows at the start of a round."""

    store: Store
    topology: Topology
    now: float
    max_age_s: float
    status: dict[str, Any]
    cpu: dict[str, float | None]
    polled_at: dict[str, float]
    _rates: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    cut_off: dict[str, dict[str, Any]] = field(default_factory=dict)  # room -> the incident cutting it off

    @classmethod
    def load(cls, store: Store, topology: Topology, th: Thresholds, now: float | None = None) -> PollView:
        rows = queries.device_rows(store)
        status = queries.status(store, topology)
        return cls(
            store=store,
            topology=topology,
            now=time.time() if now is None else now,
            max_age_s=th.poll_max_age_s,
            status=status,
            cpu={d: r.cpu_ratio for d, r in rows.items()},
            polled_at={d: r.polled_at for d, r in rows.items()},
            cut_off=cut_off(topology, status),
        )

    def fresh(self, device: str) -> bool:
        at = self.polled_at.get(device)
        return at is not None and self.now - at <= self.max_age_s

    def rates(self, device: str) -> dict[str, dict[str, Any]]:
        if device not in self._rates:
            self._rates[device] = queries.interface_rates(self.store, device)
        return self._rates[device]

    def rate(self, device: str, interface: str) -> dict[str, Any] | None:
        """One interface's rates; the polled ifName (``Gi0/1``) matches the inventory's ``GigabitEthernet0/1``."""
        dev = self.topology.inventory.devices.get(device)
        rates = self.rates(device)
        if dev is None:
            return rates.get(interface)
        return next((r for n, r in rates.items() if same(dev.platform, n, interface)), None)

    def incident_for(self, room: str) -> dict[str, Any] | None:
        """The open incident that lists ``room`` as cut off, else the one whose confirmed cause cuts it off."""
        listed = (i for i in self.status["open_incidents"] if room in (i["affected_rooms"] or []))
        return next(listed, None) or self.cut_off.get(room)


def cut_off(topology: Topology, status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The rooms with no path to the centre around the causes of the open outages (devices polling has down,
    links down), each with the incident whose cause lies on its path (the first such incident otherwise).
    Recovering incidents (their cause answers again) and those whose cause is no outage (unmanaged,
    flapping, a UPS on battery with nothing down yet) cut nothing off."""
    inv = topology.inventory
    devices = status["devices"]
    causes: list[tuple[dict[str, Any], set[str]]] = []
    for inc in status["open_incidents"]:
        if inc["kind"] not in OUTAGE_KINDS or inc["recovering_since"] is not None:
            continue
        down = {d for d in inc["cause"] if d in inv.devices and devices.get(d) == "down"}
        links = {lk for lk in inc["cause"] if lk in inv.links and lk in status["down_links"]}
        if down or links:
            causes.append((inc, down | links))
    if not causes:
        return {}
    failed = set().union(*(c for _, c in causes))
    lost = topology.impact(Failure(frozenset(failed & set(inv.devices)), frozenset(failed & set(inv.links))))
    out: dict[str, dict[str, Any]] = {}
    for room_id in lost.lost_rooms:
        room = inv.rooms[room_id]
        path = {x for h in topology.upstream_path(room.codec) for x in (h.device, h.link) if x}
        path |= {lk.id for lk, _ in path_backups(topology, room)}
        out[room_id] = next((inc for inc, cause in causes if cause & path), causes[0][0])
    return out


def _unknown(name: str, reason: str) -> Check:
    return Check(name, Status.UNKNOWN, reason, critical=False)


def upstream_check(view: PollView, room: Room) -> Check:
    incident = view.incident_for(room.id)
    if incident is not None:
        return Check("upstream", Status.FAIL, f"unreachable: behind incident #{incident['id']} ({incident['summary']})",
                     f"incident-{incident['id']}")  # fmt: skip
    site = view.status["sites"].get(room.site, "unknown")
    if site == "unknown" or not any(view.fresh(r) for r in view.topology.site_routers(room.site)):
        return _unknown("upstream", "no poll data for the site's routers")
    if site in ("down", "unreachable"):
        return Check("upstream", Status.FAIL, f"unreachable: site {room.site} is {site}", site)
    return Check("upstream", Status.OK, f"site {room.site} up", site)


def _headroom(name: str, label: str, device: str, itf: str, need_bps: float, view: PollView) -> Check:
    rates = view.rate(device, itf)
    if rates is None or not view.fresh(device):
        return _unknown(name, f"no poll data for {device}:{itf}")
    if not rates["oper_up"]:
        return Check(
            name, Status.FAIL, f"{label} {device}:{itf} is down", 0.0, "bps", critical=False, network=True
        )
    if rates["in_bps"] is None or rates["out_bps"] is None:
        return _unknown(name, f"{device}:{itf} polled once; no rate yet")
    free = rates["speed_bps"] - max(rates["in_bps"], rates["out_bps"])
    text = f"{label} {device}:{itf} {free / 1e6:.1f} Mbit/s free, {need_bps / 1e6:.1f} needed"
    status = Status.OK if free >= need_bps else Status.FAIL
    return Check(name, status, text, free, "bps", critical=False, network=True)


def _facing(view: PollView, parent: str, codec: str) -> str | None:
    """The interface of ``parent`` whose description names ``codec`` (the room's access port)."""
    dev = view.topology.inventory.devices.get(parent)
    if dev is None:
        return None
    return next((i.name for i in dev.interfaces if codec in i.description.split()), None)


def bandwidth_checks(view: PollView, room: Room, codec: Device, need_bps: float) -> list[Check]:
    """Free capacity on the codec's access port and on each working uplink of the site's CE routers."""
    out: list[Check] = []
    port = next(((p, i) for p in codec.attached_to if (i := _facing(view, p, codec.id)) is not None), None)
    if port is None:
        out.append(_unknown("bandwidth_access", f"no interface in the inventory faces {codec.id}"))
    else:
        out.append(_headroom("bandwidth_access", "access port", port[0], port[1], need_bps, view))
    inv = view.topology.inventory
    uplinks = [
        (r, i.name)
        for r in view.topology.site_routers(room.site)
        if r in inv.devices
        for i in inv.devices[r].interfaces
        if i.kind is InterfaceKind.UPLINK
    ]
    results = [_headroom("bandwidth_uplink", "uplink", d, i, need_bps, view) for d, i in uplinks]
    usable = [c for c in results if c.status is Status.OK]
    if not uplinks:
        out.append(_unknown("bandwidth_uplink", f"site {room.site} has no uplink interface in the inventory"))
    elif usable:
        out.append(max(usable, key=lambda c: c.value if isinstance(c.value, float) else 0.0))
    else:
        out.append(next((c for c in results if c.status is Status.FAIL), results[0]))
    return out


def ce_health_check(view: PollView, room: Room, th: Thresholds) -> Check:
    routers = [r for r in view.topology.site_routers(room.site) if view.fresh(r)]
    if not routers:
        return _unknown("ce_health", "no poll data for the site's routers")
    devices = view.status["devices"]
    down = [r for r in routers if devices.get(r) != "up"]
    if down:
        return Check(
            "ce_health", Status.FAIL, f"router {', '.join(down)} not answering polls", critical=False
        )
    worst = max(routers, key=lambda r: view.cpu.get(r) or 0.0)
    cpu = view.cpu.get(worst)
    if cpu is None:
        return Check("ce_health", Status.OK, f"{', '.join(routers)} up", None, critical=False)
    return _ratio_band("ce_health", f"{worst} CPU", cpu, th.cpu_warn_ratio, th.cpu_fail_ratio)


def _ratio_band(name: str, label: str, value: float, warn: float, fail: float) -> Check:
    status = Status.FAIL if value > fail else Status.WARN if value > warn else Status.OK
    return Check(name, status, f"{label} {value * 100:.0f} %", value, "ratio", critical=False)


def path_backups(topology: Topology, room: Room) -> list[tuple[Link, LinkEnd]]:
    """The backup links that protect the room's own path to the centre (where the MCU is), with the end on the
    path: a backup link whose lower end (the one farther from the centre) is a device of the room's path. The
    backups of other sites that end on a router of the path (a prefecture's counties, the prefectures ending
    at the centre's second core) protect other rooms, not this one."""
    inv = topology.inventory
    path = [h.device for h in topology.upstream_path(room.codec)] if room.codec in inv.devices else []
    if not path:  # no path at all (planned site): fall back to the site's own routers
        path = list(topology.site_routers(room.site))
    on_path = set(path)
    depth = {d: len(topology.upstream_path(d)) for d in on_path}
    found: list[tuple[Link, LinkEnd]] = []
    for dev in path:
        for lk in inv.links_of(dev):
            if lk.kind is not LinkKind.BACKUP:
                continue
            here, there = (lk.a, lk.b) if lk.a.device == dev else (lk.b, lk.a)
            far = len(topology.upstream_path(there.device)) if there.device in inv.devices else 0
            if (there.device not in on_path and far > depth[dev]) or any(f[0].id == lk.id for f in found):
                continue  # the other end is lower: that site's backup, not this path's
            found.append((lk, here))
    return found


def backup_check(view: PollView, room: Room) -> Check:
    backups = path_backups(view.topology, room)
    if not backups:
        return Check("backup_link", Status.OK, "no backup link on this room's path", "none", critical=False)
    for link, end in backups:
        rates = view.rate(end.device, end.interface)
        if rates is None or not view.fresh(end.device):
            return _unknown("backup_link", f"no poll data for {end}")
        if not rates["oper_up"]:
            return Check(
                "backup_link", Status.WARN, f"backup link {link.id} is down", link.id, critical=False
            )
    names = ", ".join(lk.id for lk, _ in backups)
    return Check("backup_link", Status.OK, f"backup link {names} up", backups[0][0].id, critical=False)


def room_poll_checks(
    view: PollView, room: Room, codec: Device, need_bps: float, th: Thresholds
) -> list[Check]:
    return [
        upstream_check(view, room),
        *bandwidth_checks(view, room, codec, need_bps),
        ce_health_check(view, room, th),
        backup_check(view, room),
    ]


def mcu_uplink_check(view: PollView, mcu: Device, need_bps: float) -> Check:
    """Headroom on the MCU's access port for every room of the conference at once."""
    port = next(((p, i) for p in mcu.attached_to if (i := _facing(view, p, mcu.id)) is not None), None)
    if port is None:
        return _unknown("mcu_uplink", f"no interface in the inventory faces {mcu.id}")
    check = _headroom("mcu_uplink", "MCU port", port[0], port[1], need_bps, view)
    critical = check.status is not Status.UNKNOWN
    return Check(check.name, check.status, check.reason, check.value, check.unit, critical=critical)
