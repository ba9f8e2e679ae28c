"""Root cause over one poll cycle: which devices are down, which only unreachable, and one finding per cause.

Input: the devices that are silent (after hysteresis) and the links observed down (an end interface oper-down
on a device that answered). Everything is computed with the inventory's topology, redundancy included:

- a silent device is ``down`` (a root cause) when a neighbour over a working link still reaches the centre and
  answers; otherwise it is ``unreachable``: it sits behind something else that failed;
- silent devices connected to each other form one cut-off component; the component's root cause is its
  ``down`` devices, or, when it has none, the failed links on its border (a prefecture whose two uplinks are
  both down: one finding, root cause those two links, its counties and rooms ``unreachable``);
- a silent component with neither, next to a device that is cut off too but whose hysteresis is still counting
  (``pending``: it failed its last poll, not yet ``threshold`` times), gets no finding yet: that device's next
  polls decide it (it goes silent and the component joins its finding). Pollers that poll the two at different
  moments (shards, groups with different intervals) would otherwise open a short-lived ``isolated`` incident;
- links down with nothing cut off (a primary uplink while the backup carries the traffic) are ``degraded``:
  no outage, but the sites that now run on a backup link are listed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from netops.inventory.topology import Failure, Topology


@dataclass(frozen=True, slots=True)
class Finding:
    """One root cause and everything it takes down. ``key`` is stable while the cause lasts."""

    key: str
    root_devices: tuple[str, ...]
    root_links: tuple[str, ...]
    affected_devices: tuple[str, ...]  # every silent device of the component, root devices included
    affected_sites: tuple[str, ...]  # sites that lost every routing device
    affected_rooms: tuple[str, ...]

    @property
    def summary(self) -> str:
        if self.root_devices:
            what = "device " + ", ".join(self.root_devices) + " down"
        elif self.root_links:
            what = "link " + ", ".join(self.root_links) + " down"
        else:
            what = (
                "no answer from "
                + ", ".join(self.affected_devices[:5])
                + (" ..." if len(self.affected_devices) > 5 else "")
            )
        return (
            f"{what}: {_count(self.affected_sites, 'site')}, {_count(self.affected_devices, 'device')}, "
            f"{_count(self.affected_rooms, 'room')} cut off"
        )


def _count(items: tuple[str, ...], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


@dataclass(frozen=True, slots=True)
class Analysis:
    status: dict[str, str]  # device -> "up" | "down" | "unreachable"
    findings: tuple[Finding, ...]
    down_links: tuple[str, ...]
    degraded_links: tuple[str, ...]  # down, but nothing lost because of them alone
    on_backup: tuple[str, ...]  # sites reached only over a backup link now

    def site_status(self, topology: Topology, site: str) -> str:
        """``down``/``unreachable`` when every routing device of the site is; else ``up``."""
        routers = topology.site_routers(site)
        states = {self.status.get(r, "up") for r in routers}
        if not routers or "up" in states:
            return "up"
        return "down" if "down" in states else "unreachable"


def links_down_from_interfaces(topology: Topology, down_interfaces: Mapping[str, Iterable[str]]) -> set[str]:
    """Links with an end interface reported oper-down (while admin-up) by a device that answered."""
    ends = {
        (end.device, end.interface): link.id
        for link in topology.inventory.links.values()
        for end in link.ends()
    }
    return {ends[(dev, itf)] for dev, itfs in down_interfaces.items() for itf in itfs if (dev, itf) in ends}


def _behind_pending(
    members: set[str],
    adjacency: Callable[[str], Iterable[tuple[str, str | None, object]]],
    reach: Collection[str],
    pending: frozenset[str],
    working: Callable[[str | None], bool],
) -> bool:
    """A neighbour over a working link, outside the members, cut off as well, and still failing."""
    return any(
        n in pending and n not in reach and working(link)
        for d in members
        for n, link, _ in adjacency(d)
        if n not in members
    )


def analyse(
    topology: Topology, silent: Iterable[str], down_links: Iterable[str], pending: Iterable[str] = ()
) -> Analysis:
    inv = topology.inventory
    silent_set = frozenset(silent)
    pending_set = frozenset(pending) - silent_set
    link_set = frozenset(down_links)
    failure = Failure(devices=silent_set, links=link_set)
    reach = topology.reachable(failure)
    adjacency = topology.adjacency

    def working(link: str | None) -> bool:
        return link is None or link not in link_set

    status = {d: "up" for d in inv.devices}
    for dev in silent_set:
        alive_neighbour = any(n in reach and working(link) for n, link, _ in adjacency(dev))
        status[dev] = "down" if alive_neighbour else "unreachable"

    # components of silent devices over working edges
    findings: list[Finding] = []
    seen: set[str] = set()
    for start in sorted(silent_set):
        if start in seen:
            continue
        component: list[str] = []
        stack = [start]
        seen.add(start)
        while stack:
            node = stack.pop()
            component.append(node)
            for nxt, link, _ in adjacency(node):
                if nxt in silent_set and nxt not in seen and working(link):
                    seen.add(nxt)
                    stack.append(nxt)
        members = set(component)
        roots = sorted(d for d in members if status[d] == "down")
        border = sorted(
            {
                link
                for d in members
                for n, link, _ in adjacency(d)
                if link is not None and link in link_set and n not in members
            }
        )
        root_links = () if roots else tuple(border)
        if not roots and not border and _behind_pending(members, adjacency, reach, pending_set, working):
            continue  # statuses stand; the finding waits for the pending neighbour's verdict
        key = (
            ("device:" + ",".join(roots))
            if roots
            else ("link:" + ",".join(border) if border else "isolated:" + ",".join(sorted(members)))
        )
        sites = sorted(
            {
                inv.devices[d].site
                for d in members
                if all(r in members for r in topology.site_routers(inv.devices[d].site))
            }
        )
        rooms = sorted(r.id for r in inv.rooms.values() if r.codec in members)
        findings.append(
            Finding(key, tuple(roots), root_links, tuple(sorted(members)), tuple(sites), tuple(rooms))
        )

    cut_links = {link for f in findings for link in f.root_links}
    degraded = sorted(link_set - cut_links)
    on_backup = topology.impact(Failure(links=link_set)).on_backup if link_set else ()
    findings.sort(key=lambda f: f.key)
    return Analysis(
        status=status,
        findings=tuple(findings),
        down_links=tuple(sorted(link_set)),
        degraded_links=tuple(degraded),
        on_backup=tuple(on_backup),
    )
