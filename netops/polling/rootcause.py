"""Root cause v2 over one poll cycle: which devices are down, which only unreachable, and one finding per cause.

Inputs (``Observed``): the silent devices (timeouts after hysteresis), the links observed down (an end
interface oper-down on a device that answered), the devices that answer but cannot be read (``unmanaged``:
wrong credentials), the pending ones (failing, not yet ``threshold`` times), the exposed ones (silent, were
behind another cause that has just gone: they may be coming back), the flapping ones and the UPSs on battery.
Everything is computed with the inventory's topology, redundancy included:

- a silent device is ``down`` (a cause) when a neighbour that answers and reaches the centre still has a
  working link to it (its control plane hangs: its neighbours see the link up; a core router: the centre LAN;
  a neighbour behind it only from a poll after its last one, ``polled_at``), or when every link to a
  neighbour that answers is observed down and those links alone cut it off from the ways out in front of it
  (a dead router: three failed links ending at one silent router are one dead router, not three cut
  circuits; devices farther from the centre are behind it, never a way out), or it was a cause already
  (``prior``: its stored status is ``down``) and those links are still down, unless what it would now be
  behind went silent first (``last_ok``). Otherwise it is ``unreachable``: behind another cause. A silent
  device whose own failed links do not cut it off (a dual-homed county whose backup fails while its primary
  parent is dead) *joins* the cause beside it, its failed links recorded with that cause (``joined``: in its
  cause, not its ``root_links``: the outage lasts as long as the cause devices);
- an unmanaged device (SNMPv3 Report, wrong key, missing secret) is ``unmanaged``: it answers, so it is never
  an outage and never upstream of anything (its counties that answer are up); one ``unmanaged`` finding each;
- silent devices connected to each other form one cut-off component; each cause gets the members it cuts off
  by itself (topology what-if of the cause and the failed links, without those ending at another cause); a
  member no single cause explains goes to every cause beside it; a component with no cause device but
  failed border links gets a ``link`` finding; with neither, next to a ``pending`` or ``exposed`` device, it
  waits (that device's next poll decides);
- the kinds: ``device``; ``site`` (every router of a multi-router site is a cause); ``power`` (the device's
  UPS said on battery: alive, a warning with no extent; silent, the outage's cause); ``link``; ``unmanaged``;
  ``flapping`` (one per flapping device; findings whose causes all flap are suppressed into it);
- links down with nothing cut off (a primary uplink while the backup carries) are ``degraded``, no finding;
  the sites that now run on a backup link are listed. Links with an end that is not in service (staging or
  planned) are never reported down.
"""

from __future__ import annotations

import heapq
import weakref
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from netops.drivers.names import canonical
from netops.inventory.models import Inventory, Lifecycle
from netops.inventory.topology import CENTRE, Failure, Topology


class CauseKind(StrEnum):
    DEVICE = "device"
    LINK = "link"
    SITE = "site"
    POWER = "power"
    UNMANAGED = "unmanaged"
    FLAPPING = "flapping"


class DeviceStatus(StrEnum):
    UP = "up"
    DOWN = "down"  # a cause
    UNREACHABLE = "unreachable"  # behind a cause
    UNMANAGED = "unmanaged"  # answers, cannot be read (credentials)
    UNKNOWN = "unknown"  # never polled


OUTAGE_KINDS = frozenset({CauseKind.DEVICE, CauseKind.LINK, CauseKind.SITE, CauseKind.POWER})


@dataclass(frozen=True, slots=True)
class Finding:
    """One cause and everything it takes down. ``key`` is stable while the cause lasts."""

    key: str
    root_devices: tuple[str, ...]
    root_links: tuple[str, ...]  # the cause's links (kind link, or a device cause's own failed links: none)
    affected_devices: tuple[str, ...]  # every silent device it cuts off, its own devices included
    affected_sites: tuple[str, ...]  # sites that lost every routing device
    affected_rooms: tuple[str, ...]
    kind: CauseKind = CauseKind.DEVICE
    reason: str | None = None  # unmanaged: the poll error; power: "on battery"
    suppressed: tuple[str, ...] = ()  # flapping: causes held back (no incident of their own)
    explains: tuple[str, ...] = ()  # down links ending at the cause devices (a link incident joins this one)
    # failed links that joined a device cause (a dual-homed county's backup while its primary parent is dead):
    # part of the cause as shown, but the outage lasts as long as the cause devices, not these links
    joined: tuple[str, ...] = ()

    @property
    def cause(self) -> tuple[str, ...]:
        return (*self.root_devices, *self.root_links, *self.joined)

    @property
    def summary(self) -> str:
        devs = ", ".join(self.root_devices)
        if self.kind is CauseKind.UNMANAGED:
            return f"device {devs} unmanaged ({self.reason}): answers, cannot be read; no outage"
        if self.kind is CauseKind.FLAPPING:
            return f"device {devs} flapping" + (f" ({self.reason})" if self.reason else "")
        if self.kind is CauseKind.POWER and not self.affected_devices:
            return f"device {devs} on battery ({self.reason}): no outage yet"
        if self.kind is CauseKind.SITE:
            what = f"site down: {devs}"
        elif self.root_devices:
            what = f"device {devs} down" + (" (power)" if self.kind is CauseKind.POWER else "")
            if self.root_links or self.joined:
                what += " with link " + ", ".join((*self.root_links, *self.joined))
        elif self.root_links:
            what = "link " + ", ".join(self.root_links) + " down"
        else:
            more = " ..." if len(self.affected_devices) > 5 else ""
            what = "no answer from " + ", ".join(self.affected_devices[:5]) + more
        return (
            f"{what}: {_count(self.affected_sites, 'site')}, {_count(self.affected_devices, 'device')}, "
            f"{_count(self.affected_rooms, 'room')} cut off"
        )


def _count(items: tuple[str, ...], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Analysis:
    status: dict[str, str]  # device -> DeviceStatus value
    findings: tuple[Finding, ...]
    down_links: tuple[str, ...]
    degraded_links: tuple[str, ...]  # down, but nothing lost because of them alone
    on_backup: tuple[str, ...]  # sites reached only over a backup link now
    waiting: tuple[str, ...] = ()  # silent devices whose verdict waits for their next poll
    silent: frozenset[str] = field(default_factory=frozenset)

    def site_status(self, topology: Topology, site: str) -> str:
        """``down``/``unreachable`` when every routing device of the site is; else ``up``."""
        routers = topology.site_routers(site)
        states = {self.status.get(r, "up") for r in routers}
        if not routers or "up" in states:
            return "up"
        if states <= {"unmanaged"}:
            return "unmanaged"
        return "down" if "down" in states else ("unreachable" if "unreachable" in states else "up")


def in_service(inventory: Inventory, device: str) -> bool:
    dev = inventory.devices.get(device)
    return (
        dev is not None
        and dev.status is Lifecycle.ACTIVE
        and inventory.sites[dev.site].status is Lifecycle.ACTIVE
    )


def links_down_from_interfaces(topology: Topology, down_interfaces: Mapping[str, Iterable[str]]) -> set[str]:
    """Links in service with an end interface reported oper-down (while admin-up) by a device that answered.
    A link with an end that is not in service (a staging county) is never reported down."""
    inv = topology.inventory

    def key(device: str, name: str) -> tuple[str, str]:  # ifName ``Gi0/1`` = inventory ``GigabitEthernet0/1``
        return (device, canonical(inv.devices[device].platform, name) if device in inv.devices else name)

    ends = {
        key(end.device, end.interface): link.id
        for link in inv.links.values()
        if all(in_service(inv, e.device) for e in link.ends())
        for end in link.ends()
    }
    return {ends[k] for dev, itfs in down_interfaces.items() for itf in itfs if (k := key(dev, itf)) in ends}


def link_observations(
    topology: Topology, ends: Mapping[tuple[str, str], tuple[bool, bool, float]]
) -> dict[str, bool]:
    """In-service links as their ends that answer see them: ``ends`` maps (device, interface) to (admin up,
    oper up, when polled), for devices that answer and can be read. A link is down (False) when its newest
    observation says so (admin-up, oper-down); an end polled before the other saw it come back is stale.
    Links with no observed end are absent."""
    inv = topology.inventory
    out: dict[str, bool] = {}
    for link in inv.links.values():
        if not all(in_service(inv, e.device) for e in link.ends()):
            continue
        seen = [ends[(e.device, e.interface)] for e in link.ends() if (e.device, e.interface) in ends]
        if not seen:
            continue
        newest = max(at for _, _, at in seen)
        out[link.id] = not any(admin and not oper and at >= newest - 1e-6 for admin, oper, at in seen)
        if out[link.id] and not any(oper for _, oper, _ in seen):
            out[link.id] = False  # admin-down at an end: not up, not a failure either (never in down_links)
    return out


def down_from_observations(
    topology: Topology, ends: Mapping[tuple[str, str], tuple[bool, bool, float]]
) -> set[str]:
    """The links ``link_observations`` finds failed: the newest observation is admin-up and oper-down."""
    state = link_observations(topology, ends)
    newest: dict[str, float] = {}
    for link_id in state:
        link = topology.inventory.links[link_id]
        newest[link_id] = max(
            ends[(e.device, e.interface)][2] for e in link.ends() if (e.device, e.interface) in ends
        )
    return {
        link_id
        for link_id, up in state.items()
        if not up
        and any(
            ends[(e.device, e.interface)][0]
            and not ends[(e.device, e.interface)][1]
            and ends[(e.device, e.interface)][2] >= newest[link_id] - 1e-6
            for e in topology.inventory.links[link_id].ends()
            if (e.device, e.interface) in ends
        )
    }


def _behind(
    members: set[str],
    adjacency: Callable[[str], Iterable[tuple[str, str | None, object]]],
    reach: Collection[str],
    waiting: frozenset[str],
    working: Callable[[str | None], bool],
) -> bool:
    """A member waiting for its next poll, or a neighbour outside the members, cut off as well, still failing
    (its verdict decides whether the members are behind it)."""
    if members & waiting:
        return True
    return any(n in waiting for d in members for n, _, _ in adjacency(d) if n not in members)


def analyse(
    topology: Topology,
    silent: Iterable[str],
    down_links: Iterable[str],
    pending: Iterable[str] = (),
    *,
    unmanaged: Mapping[str, str] | None = None,
    exposed: Iterable[str] = (),
    flapping: Iterable[str] = (),
    on_battery: Iterable[str] = (),
    prior: Iterable[str] = (),
    confirmed: Iterable[str] | None = None,
    last_ok: Mapping[str, float | None] | None = None,
    polled_at: Mapping[str, float] | None = None,
) -> Analysis:
    """``prior``: silent devices stored ``down`` (a cause already); ``last_ok``: when each silent device last
    answered (None: never); with it, a prior cause stays one only while what it would now be behind failed
    after it (see ``_still_own``); without it, always. ``polled_at``: when each device was last polled; with
    it, a neighbour behind a silent device is its witness only from a poll after the device's last one."""
    inv = topology.inventory
    silent_set = frozenset(silent)
    pending_set = frozenset(pending) - silent_set
    link_set = frozenset(down_links)
    unmanaged_map = {d: r for d, r in (unmanaged or {}).items() if d not in silent_set}
    flapping_set = frozenset(flapping)
    battery = frozenset(on_battery)
    failure = Failure(devices=silent_set, links=link_set)
    reach = topology.reachable(failure)
    adjacency = topology.adjacency

    def working(link: str | None) -> bool:
        return link is None or link not in link_set

    answering = {d for d in inv.devices if d not in silent_set | pending_set and in_service(inv, d)}
    status: dict[str, str] = {d: DeviceStatus.UP.value for d in inv.devices}
    for dev in unmanaged_map:
        status[dev] = DeviceStatus.UNMANAGED.value
    held: set[str] = set()
    joined_links: dict[str, set[str]] = {}  # silent device that joined a cause -> its failed links
    exposed_set = frozenset(exposed)
    prior_set = frozenset(prior)
    depth = _depths(topology)

    def fresh(witness: str, dev: str) -> bool:
        """A neighbour behind ``dev`` (farther from the centre, or attached to it: a codec) tells of it only
        from an answer after ``dev``'s last failed poll: one from before (its group is polled later) says
        nothing of ``dev`` now (a county answered just before its prefecture router went silent: it still
        "sees the link up")."""
        farther = depth.get(witness, _FAR) > depth.get(dev, _FAR)
        if polled_at is None or not (farther or dev in inv.devices[witness].attached_to):
            return True
        return polled_at.get(witness, -_FAR) > polled_at.get(dev, _FAR)

    for dev in silent_set:
        # neighbours that answer: in management reach of the centre, whatever stale link rows say
        # (not one failing its polls: pending, its verdict decides); a core router's is the centre LAN
        edges = [
            (n, link)
            for n, link, _ in adjacency(dev)
            if n == CENTRE or (n not in pending_set and (n in reach or n in answering) and fresh(n, dev))
        ]
        verdict = DeviceStatus.UNREACHABLE
        if any(working(link) for _, link in edges):
            verdict = DeviceStatus.DOWN  # a neighbour sees the link up: the device itself (hung, or dead)
        elif edges:
            own = frozenset(link for _, link in edges if link is not None)
            # devices farther from the centre than this one are behind it, never in front: no way out for
            # it (a prefecture is not cut off "through" its dual-homed county's backup); one that answers
            # is a neighbour above, or behind one
            behind = {d for d in inv.devices if depth.get(d, _FAR) > depth.get(dev, _FAR)}
            if dev not in topology.reachable(Failure(devices=frozenset(behind), links=own)):
                verdict = DeviceStatus.DOWN  # its own failed links cut it off: a dead router
            elif dev in prior_set and _still_own(topology, dev, own, behind, silent_set, last_ok):
                verdict = DeviceStatus.DOWN  # a cause already, before what it would now be behind
            else:
                joined_links[dev] = set(own)
        if verdict is DeviceStatus.DOWN and dev in exposed_set:
            held.add(dev)  # it may be coming back: its next poll decides
            verdict = DeviceStatus.UNREACHABLE
        status[dev] = verdict.value

    findings: list[Finding] = []
    seen: set[str] = set()
    waiting = frozenset(held) | pending_set
    for start in sorted(silent_set):
        if start in seen:
            continue
        members = _component(start, silent_set, adjacency, working, seen)
        causes = sorted(d for d in members if status[d] == DeviceStatus.DOWN)
        if causes:
            findings += _cause_findings(topology, causes, members, link_set, joined_links, battery)
            continue
        border = sorted(
            {
                link
                for d in members
                for n, link, _ in adjacency(d)
                if link is not None and link in link_set and n not in members
            }
        )
        if _behind(members, adjacency, reach, waiting, working):
            continue  # statuses stand; the finding waits for the waiting device's verdict
        key = "link:" + ",".join(border) if border else "isolated:" + ",".join(sorted(members))
        kind = CauseKind.LINK if border else CauseKind.DEVICE
        sites, rooms = _extent_sites_rooms(topology, members)
        findings.append(Finding(key, (), tuple(border), tuple(sorted(members)), sites, rooms, kind=kind))

    both_ends = link_set if confirmed is None else link_set & frozenset(confirmed)
    findings += _link_findings(topology, both_ends, answering | set(unmanaged_map), findings)
    for dev in sorted(battery - silent_set):
        findings.append(
            Finding(f"power:{dev}", (dev,), (), (), (), (), kind=CauseKind.POWER, reason="on battery")
        )
    for dev, reason in sorted(unmanaged_map.items()):
        findings.append(
            Finding(f"unmanaged:{dev}", (dev,), (), (), (), (), kind=CauseKind.UNMANAGED, reason=reason)
        )
    findings = _fold_flapping(findings, flapping_set, status)

    cut_links = {link for f in findings if f.affected_devices for link in (*f.root_links, *f.joined)}
    degraded = sorted(link_set - cut_links)
    on_backup = topology.impact(Failure(links=link_set)).on_backup if link_set else ()
    findings.sort(key=lambda f: f.key)
    return Analysis(
        status=status,
        findings=tuple(findings),
        down_links=tuple(sorted(link_set)),
        degraded_links=tuple(degraded),
        on_backup=tuple(on_backup),
        waiting=tuple(sorted(held)),
        silent=silent_set,
    )


_FAR = float("inf")
_DEPTHS: weakref.WeakKeyDictionary[Topology, dict[str, float]] = weakref.WeakKeyDictionary()


def _depths(topology: Topology) -> dict[str, float]:
    """Each device's distance from the centre with nothing failed (the topology's link costs: a backup
    counts 10); devices with no path are absent."""
    cached = _DEPTHS.get(topology)
    if cached is not None:
        return cached
    best: dict[str, float] = {CENTRE: 0.0}
    heap: list[tuple[float, str]] = [(0.0, CENTRE)]
    while heap:
        cost, node = heapq.heappop(heap)
        if cost > best.get(node, _FAR):
            continue
        for nxt, _, step in topology.adjacency(node):
            if cost + step < best.get(nxt, _FAR):
                best[nxt] = cost + step
                heapq.heappush(heap, (cost + step, nxt))
    best.pop(CENTRE)
    _DEPTHS[topology] = best
    return best


def _still_own(
    topology: Topology,
    dev: str,
    own: frozenset[str],
    behind: set[str],
    silent: frozenset[str],
    last_ok: Mapping[str, float | None] | None,
) -> bool:
    """A device stored ``down`` whose own failed links no longer cut it off alone (a silent device in front of
    it offers a way out): it stays the cause when it went silent first, i.e. the silent devices it would now
    be behind answered after it did (a dual-homed county dead, then its primary parent: its outage goes on).
    A device that went silent after them (a prefecture on its backup uplink, the core router in front of it
    dead, then the backup cut) was judged on a stale answer: it joins them. Without ``last_ok``: it stays."""
    if last_ok is None:
        return True
    mine = last_ok.get(dev)
    since = -_FAR if mine is None else mine
    later = {d for d in silent - behind if d != dev and (last_ok.get(d) or -_FAR) > since}
    return dev not in topology.reachable(Failure(devices=frozenset(behind | later), links=own))


def _component(
    start: str,
    silent: frozenset[str],
    adjacency: Callable[[str], Iterable[tuple[str, str | None, object]]],
    working: Callable[[str | None], bool],
    seen: set[str],
) -> set[str]:
    """Silent devices connected to ``start`` over links not observed down."""
    members = {start}
    stack = [start]
    seen.add(start)
    while stack:
        node = stack.pop()
        for nxt, link, _ in adjacency(node):
            if nxt in silent and nxt not in seen and working(link):
                seen.add(nxt)
                members.add(nxt)
                stack.append(nxt)
    return members


def _extent_sites_rooms(
    topology: Topology, devices: Collection[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    inv = topology.inventory
    sites = sorted(
        {
            inv.devices[d].site
            for d in devices
            if all(r in devices for r in topology.site_routers(inv.devices[d].site))
        }
    )
    rooms = sorted(r.id for r in inv.rooms.values() if r.codec in devices)
    return tuple(sites), tuple(rooms)


def _cause_findings(
    topology: Topology,
    causes: list[str],
    members: set[str],
    link_set: frozenset[str],
    joined_links: Mapping[str, set[str]],
    battery: frozenset[str],
) -> list[Finding]:
    """One finding per cause (a multi-router site whose routers are all causes: one ``site`` finding). Each
    gets the members its own failure cuts off (with the failed links); a member no single cause explains goes
    to every cause beside it."""
    inv = topology.inventory
    groups: list[tuple[str, ...]] = []
    done: set[str] = set()
    for dev in causes:
        if dev in done:
            continue
        site = inv.devices[dev].site
        routers = [r for r in topology.site_routers(site) if in_service(inv, r)]
        if len(routers) > 1 and all(r in causes for r in routers):
            groups.append(tuple(sorted(routers)))
            done.update(routers)
        else:
            groups.append((dev,))
            done.add(dev)

    def ends_at(devices: Collection[str]) -> set[str]:
        return {link for d in devices for _, link, _ in topology.adjacency(d) if link in link_set}

    extents: list[set[str]] = []
    for group in groups:
        # the what-if of this cause and the failed links, but not the links another cause explains (they
        # end at a dead router: its failure, not this one's, cuts off what is behind them)
        others = [d for g in groups if g != group for d in g]
        links = frozenset(link_set - ends_at(others) | ends_at(group))
        lost = set(topology.impact(Failure(devices=frozenset(group), links=links)).lost_devices)
        extents.append({*group, *(m for m in members if m in lost and m not in others)})
    rest = members - set().union(*extents)
    out = []
    for group, extent in zip(groups, extents, strict=True):
        extent |= rest
        joined = sorted({link for d in extent if d in joined_links for link in joined_links[d]})
        sites, rooms = _extent_sites_rooms(topology, extent)
        if len(group) > 1:
            kind, key = CauseKind.SITE, f"site:{inv.devices[group[0]].site}"
        elif group[0] in battery:
            kind, key = CauseKind.POWER, f"power:{group[0]}"
        else:
            kind, key = CauseKind.DEVICE, f"device:{group[0]}"
        reason = "was on battery" if kind is CauseKind.POWER else None
        explains = sorted(
            {
                link
                for d in group
                for _, link, _ in topology.adjacency(d)
                if link is not None and link in link_set
            }
        )
        finding = Finding(key, group, (), tuple(sorted(extent)), sites, rooms, kind=kind)
        out.append(replace(finding, reason=reason, explains=tuple(explains), joined=tuple(joined)))
    return out


def _link_findings(
    topology: Topology, link_set: frozenset[str], answering: Collection[str], causes: list[Finding]
) -> list[Finding]:
    """Down links whose two ends answer and see it down (``confirmed``: not an end that has not been polled
    since): the link is the cause (no outage: something else carries), one finding per lower (child) end,
    so a prefecture's two uplinks are one finding."""
    inv = topology.inventory
    explained = {link for f in causes for link in (*f.root_links, *f.joined, *f.explains)}
    groups: dict[str, list[str]] = {}
    for link_id in sorted(link_set - explained):
        link = inv.links[link_id]
        if link.a.device in answering and link.b.device in answering:
            groups.setdefault(link.a.device, []).append(link_id)
    return [
        Finding("link:" + ",".join(ids), (), tuple(ids), (), (), (), kind=CauseKind.LINK)
        for ids in groups.values()
    ]


def _fold_flapping(
    findings: list[Finding], flapping: frozenset[str], status: Mapping[str, str]
) -> list[Finding]:
    """One ``flapping`` finding per flapping device; findings whose cause devices all flap are held back in
    it (suppressed children: no incident, no runbook of their own)."""
    if not flapping:
        return findings
    kept: list[Finding] = []
    children: dict[str, list[str]] = {d: [] for d in flapping}
    for f in findings:
        if f.root_devices and f.kind is not CauseKind.UNMANAGED and set(f.root_devices) <= flapping:
            for d in f.root_devices:
                children[d].append(f.key)
        else:
            kept.append(f)
    for dev in sorted(flapping):
        now = status.get(dev, DeviceStatus.UP.value)
        kept.append(
            Finding(
                f"flapping:{dev}",
                (dev,),
                (),
                (),
                (),
                (),
                kind=CauseKind.FLAPPING,
                reason=f"now {now}",
                suppressed=tuple(sorted(children[dev])),
            )
        )
    return kept
