"""The graph of the network: which devices reach the region centre, by which path, and what a failure cuts off.

Nodes are devices plus one virtual node, the centre LAN where the NOC sits (connected to the core routers
of the region site). Edges are the inventory's links (primary cost 1, backup cost 10, so a backup is used only
when needed) and the in-site attachments (codec -> switch -> CE router). A failure set names devices, links
or whole sites. Everything here is pure computation over the frozen ``Inventory``; status polling uses
``classify_down`` for root cause, ``netops inventory impact`` uses ``impact``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from netops.errors import NotFoundError
from netops.inventory.models import Inventory, LinkKind, Role, Tier

CENTRE = "@centre"  # the virtual node: the centre LAN, where the NOC and netops sit
_COST = {LinkKind.PRIMARY: 1, LinkKind.BACKUP: 10}


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of an upstream path: arrive at ``device`` over ``link`` (None for an in-site attachment)."""

    device: str
    link: str | None


@dataclass(frozen=True, slots=True)
class Failure:
    """A resolved failure set: the devices and links that are out of service."""

    devices: frozenset[str] = frozenset()
    links: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Impact:
    """What a failure set does to the region."""

    failure: Failure
    lost_devices: tuple[str, ...]  # up themselves but without a path to the centre
    lost_sites: tuple[str, ...]  # no routing device of the site reaches the centre
    lost_rooms: tuple[str, ...]  # codec failed or cut off
    on_backup: tuple[str, ...] = field(default=())  # sites still reached, but now only over a backup link

    @property
    def loses_service(self) -> bool:
        return bool(self.lost_sites or self.lost_devices or self.lost_rooms or self.failure.devices)


class Topology:
    """Adjacency built once from an inventory; queries take a failure set and answer in O(V + E log V)."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        # adjacency: node -> list of (neighbour, link id or None, cost)
        self._adj: dict[str, list[tuple[str, str | None, int]]] = {d: [] for d in inventory.devices}
        self._adj[CENTRE] = []
        for link in inventory.links.values():
            cost = _COST[link.kind]
            self._adj[link.a.device].append((link.b.device, link.id, cost))
            self._adj[link.b.device].append((link.a.device, link.id, cost))
        for dev in inventory.devices.values():
            for parent in dev.attached_to:
                if parent in self._adj:
                    self._adj[dev.id].append((parent, None, 0))
                    self._adj[parent].append((dev.id, None, 0))
        centre = inventory.centre.id
        at_centre = [d for d in inventory.devices.values() if d.site == centre]
        anchors = [d for d in at_centre if d.role is Role.CORE] or [d for d in at_centre if d.role.routes]
        for dev in anchors:
            self._adj[CENTRE].append((dev.id, None, 0))
            self._adj[dev.id].append((CENTRE, None, 0))
        self._baseline = self._paths(Failure())

    # failure sets -------------------------------------------------------------------------------------
    def failure(self, idents: Iterable[str]) -> Failure:
        """Resolve ids of devices, links (or ``device:interface`` of a link end) and sites into a failure set."""
        devices: set[str] = set()
        links: set[str] = set()
        inv = self.inventory
        ends = {str(end): lk.id for lk in inv.links.values() for end in lk.ends()}
        for ident in idents:
            if ident in inv.devices:
                devices.add(ident)
            elif ident in inv.links:
                links.add(ident)
            elif ident in ends:
                links.add(ends[ident])
            elif ident in inv.sites:
                devices.update(d.id for d in inv.devices_at(ident))
            else:
                raise NotFoundError("device, link or site", ident, [*inv.devices, *inv.links, *inv.sites])
        return Failure(frozenset(devices), frozenset(links))

    # queries ------------------------------------------------------------------------------------------
    def _paths(self, failure: Failure) -> dict[str, tuple[int, str, str | None, bool]]:
        """Dijkstra from the centre: node -> (cost, previous node, link used, path uses a backup link)."""
        best: dict[str, tuple[int, str, str | None, bool]] = {CENTRE: (0, "", None, False)}
        heap: list[tuple[int, str]] = [(0, CENTRE)]
        backup_links = {lk.id for lk in self.inventory.links.values() if lk.kind is LinkKind.BACKUP}
        done: set[str] = set()
        while heap:
            cost, node = heapq.heappop(heap)
            if node in done:
                continue
            done.add(node)
            on_backup = best[node][3]
            for nxt, link, step in self._adj[node]:
                if nxt in failure.devices or (link is not None and link in failure.links) or nxt in done:
                    continue
                new = cost + step
                if nxt not in best or new < best[nxt][0]:
                    best[nxt] = (new, node, link, on_backup or (link in backup_links))
                    heapq.heappush(heap, (new, nxt))
        return best

    def reachable(self, failure: Failure = Failure()) -> set[str]:
        """Devices with a path to the centre under ``failure``."""
        paths = self._baseline if not (failure.devices or failure.links) else self._paths(failure)
        return {n for n in paths if n != CENTRE}

    def upstream_path(self, device: str, failure: Failure = Failure()) -> list[Hop]:
        """The path from the centre down to ``device`` (first hop first); empty if it has none."""
        self.inventory.device(device)
        paths = self._baseline if not (failure.devices or failure.links) else self._paths(failure)
        if device not in paths:
            return []
        hops: list[Hop] = []
        node = device
        while node != CENTRE:
            _, prev, link, _ = paths[node]
            hops.append(Hop(node, link))
            node = prev
        hops.reverse()
        return hops

    def adjacency(self, node: str) -> list[tuple[str, str | None, int]]:
        """Neighbours of a device: (neighbour, link id or None for an in-site attachment, cost)."""
        return self._adj.get(node, [])

    def site_routers(self, site: str) -> list[str]:
        devs = self.inventory.devices_at(site)
        routers = [d.id for d in devs if d.role.routes]
        return routers or [d.id for d in devs]

    def impact(self, failure: Failure) -> Impact:
        """What ``failure`` cuts off, compared with nothing failed: devices, sites or rooms that had no path
        to begin with (planned nodes not yet connected) are not counted as lost."""
        inv = self.inventory
        base = self._baseline
        paths = self._paths(failure)
        lost_devices = sorted(
            d for d in inv.devices if d in base and d not in paths and d not in failure.devices
        )
        lost_sites: list[str] = []
        on_backup: list[str] = []
        for site in inv.sites.values():
            routers = [r for r in self.site_routers(site.id) if r in base]
            if not routers:
                continue
            alive = [r for r in routers if r in paths]
            if not alive:
                lost_sites.append(site.id)
            elif all(paths[r][3] for r in alive) and not all(base[r][3] for r in routers):
                on_backup.append(site.id)
        lost_rooms = sorted(r.id for r in inv.rooms.values() if r.codec in base and r.codec not in paths)
        return Impact(
            failure=failure,
            lost_devices=tuple(lost_devices),
            lost_sites=tuple(sorted(lost_sites)),
            lost_rooms=tuple(lost_rooms),
            on_backup=tuple(sorted(on_backup)),
        )

    def classify_down(self, down: Iterable[str]) -> dict[str, str]:
        """For devices observed down: ``"down"`` if it is a root cause, ``"unreachable"`` if it sits behind one.

        A down device is a root cause when one of its neighbours still reaches the centre (so the device itself
        is what fails), otherwise it is only cut off by something upstream.
        """
        down_set = frozenset(down)
        paths = self._paths(Failure(devices=down_set))
        out: dict[str, str] = {}
        for dev in sorted(down_set):
            out[dev] = "unreachable"
            for nxt, _link, _ in self._adj.get(dev, []):
                if nxt in paths:
                    out[dev] = "down"
                    break
        return out

    def unreachable_sites(self) -> list[str]:
        """Sites of any tier that have no path to the centre with nothing failed (an inventory error)."""
        return [
            s
            for s in self.inventory.sites
            if s != self.inventory.centre.id and not any(r in self._baseline for r in self.site_routers(s))
        ]


def prefecture_of(inventory: Inventory, site: str) -> str | None:
    s = inventory.site(site)
    return s.prefecture if s.tier is not Tier.REGION else None
