"""An independent what-if for the scenario suite: which sites, devices and rooms lose their path to the centre
when a set of devices, links (or ``device:interface`` link ends) and sites fail, and which sites still work
only over a backup link.

Written from the inventory format (docs/inventory.md) alone, without netops' loader or topology: it reads the
YAML files itself and runs a breadth-first search from the centre LAN (a virtual node attached to the region
site's core routers) over the links and the in-site attachments, skipping failed elements. A site is lost when
none of its routers reaches the centre; it is on backup when it is reached, but not over primary links only.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROUTING_ROLES = frozenset({"core", "ce", "internet-exit"})
LAN = "@centre-lan"


@dataclass(frozen=True)
class Impact:
    lost_sites: frozenset[str]
    lost_devices: frozenset[str]  # cut off, not counting the failed devices themselves
    lost_rooms: frozenset[str]
    on_backup: frozenset[str]
    failed_devices: frozenset[str]

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "sites": sorted(self.lost_sites),
            "devices": sorted(self.lost_devices),
            "rooms": sorted(self.lost_rooms),
            "on_backup": sorted(self.on_backup),
        }


@dataclass
class Topology:
    site_parent: dict[str, str | None] = field(default_factory=dict)
    site_tier: dict[str, str] = field(default_factory=dict)
    site_status: dict[str, str] = field(default_factory=dict)
    device_site: dict[str, str] = field(default_factory=dict)
    device_role: dict[str, str] = field(default_factory=dict)
    device_status: dict[str, str] = field(default_factory=dict)
    room_codec: dict[str, str] = field(default_factory=dict)
    # link id -> (a device, a interface, b device, b interface, kind)
    links: dict[str, tuple[str, str, str, str, str]] = field(default_factory=dict)
    attachments: list[tuple[str, str]] = field(default_factory=list)

    def active_devices(self) -> set[str]:
        return {d for d, s in self.device_status.items() if s == "active"}

    def active_sites(self) -> set[str]:
        return {s for s, st in self.site_status.items() if st == "active"}

    def region_site(self) -> str:
        return next(s for s, tier in self.site_tier.items() if tier == "region")

    def prefecture_of(self, site: str) -> str | None:
        cur: str | None = site
        while cur is not None:
            if self.site_tier.get(cur) == "prefecture":
                return cur
            cur = self.site_parent.get(cur)
        return None


def _files(root: Path) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).parts
        if rel[0] in ("templates", "conferences") or not path.is_file():
            continue
        if path.suffix in (".yaml", ".yml"):
            yield path


def load_topology(root: Path) -> Topology:
    topo = Topology()
    raw_links: list[dict[str, Any]] = []
    for path in _files(root):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for site in doc.get("sites") or []:
            sid = site["id"]
            topo.site_parent[sid] = site.get("parent")
            topo.site_status[sid] = site.get("status", "active")
            tier = site.get("tier")
            if tier is None:
                tier = "region" if site.get("parent") is None else ""
            topo.site_tier[sid] = tier
            for dev in site.get("devices") or []:
                topo.device_site[dev["id"]] = sid
                topo.device_role[dev["id"]] = dev["role"]
                topo.device_status[dev["id"]] = dev.get("status", topo.site_status[sid])
                for other in dev.get("attached_to") or []:
                    topo.attachments.append((dev["id"], other))
            for room in site.get("rooms") or []:
                topo.room_codec[room["id"]] = room["codec"]
        raw_links.extend(doc.get("links") or [])
    # tiers left open: under the region -> prefecture, under a prefecture -> county
    for sid, tier in list(topo.site_tier.items()):
        if not tier:
            parent = topo.site_parent[sid]
            ptier = topo.site_tier.get(parent or "", "")
            topo.site_tier[sid] = "prefecture" if ptier == "region" else "county"
    # default attachments inside a site: switch -> routers; codec/mcu -> switches, else routers
    explicit = {a for a, _ in topo.attachments}
    by_site: dict[str, list[str]] = {}
    for dev, sid in topo.device_site.items():
        by_site.setdefault(sid, []).append(dev)
    for devs in by_site.values():
        routers = [d for d in devs if topo.device_role[d] in ROUTING_ROLES]
        switches = [d for d in devs if topo.device_role[d] == "switch"]
        for dev in devs:
            if dev in explicit:
                continue
            role = topo.device_role[dev]
            if role == "switch":
                targets = routers
            elif role in ("codec", "mcu"):
                targets = switches or routers
            else:
                continue
            topo.attachments.extend((dev, t) for t in targets)
    for link in raw_links:
        a_dev, a_if = str(link["a"]).split(":", 1)
        b_dev, b_if = str(link["b"]).split(":", 1)
        kind = link.get("kind", "primary")
        lid = link.get("id") or f"{a_dev}--{b_dev}" + ("-backup" if kind == "backup" else "")
        topo.links[lid] = (a_dev, a_if, b_dev, b_if, kind)
    return topo


def impact(topo: Topology, failed: Iterable[str], *, active_only: bool = False) -> Impact:
    """What is cut off when ``failed`` (device, link, ``device:interface`` or site ids) fail. With
    ``active_only``, only active sites, devices (and rooms whose codec is active) are reported: what a poller
    that polls active devices can see."""
    failed = set(failed)
    failed_devices = {d for d in failed if d in topo.device_site}
    failed_devices |= {d for d, s in topo.device_site.items() if s in failed}
    failed_links = {lid for lid in failed if lid in topo.links}
    for lid, (a_dev, a_if, b_dev, b_if, _) in topo.links.items():
        if f"{a_dev}:{a_if}" in failed or f"{b_dev}:{b_if}" in failed:
            failed_links.add(lid)
    unknown = failed - failed_devices - failed_links - set(topo.site_parent)
    unknown -= {e for e in failed if ":" in e}
    if unknown:
        raise KeyError(f"what-if: unknown ids {sorted(unknown)}")

    def reach(primary_only: bool) -> set[str]:
        adj: dict[str, set[str]] = {}

        def edge(x: str, y: str) -> None:
            adj.setdefault(x, set()).add(y)
            adj.setdefault(y, set()).add(x)

        region = topo.region_site()
        for dev, sid in topo.device_site.items():
            if sid == region and topo.device_role[dev] == "core":
                edge(LAN, dev)
        for a, b in topo.attachments:
            edge(a, b)
        for lid, (a_dev, _, b_dev, _, kind) in topo.links.items():
            if lid in failed_links or (primary_only and kind == "backup"):
                continue
            edge(a_dev, b_dev)
        seen = {LAN}
        todo = deque([LAN])
        while todo:
            cur = todo.popleft()
            for nxt in adj.get(cur, ()):
                if nxt not in seen and nxt not in failed_devices:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    full, primary = reach(False), reach(True)
    # impact is relative to the intact network: a planned site without a link is not lost by a failure
    saved, failed_devices, failed_links = (failed_devices, failed_links), set(), set()
    base_full, base_primary = reach(False), reach(True)
    failed_devices, failed_links = saved
    devices = set(topo.device_site)
    sites = set(topo.site_parent)
    rooms = set(topo.room_codec)
    if active_only:
        devices &= topo.active_devices()
        sites &= topo.active_sites()
        rooms = {r for r in rooms if topo.room_codec[r] in devices}

    def routers(site: str) -> list[str]:
        return [d for d, s in topo.device_site.items() if s == site and topo.device_role[d] in ROUTING_ROLES]

    def served(site: str, seen: set[str]) -> bool:
        return any(r in seen for r in routers(site))

    lost_sites = {s for s in sites if served(s, base_full) and not served(s, full)}
    on_backup = {
        s
        for s in sites - lost_sites
        if served(s, full) and not served(s, primary) and served(s, base_primary)
    }
    lost_devices = {d for d in devices if d in base_full and d not in full and d not in failed_devices}
    lost_rooms = {r for r in rooms if topo.room_codec[r] in base_full and topo.room_codec[r] not in full}
    return Impact(
        frozenset(lost_sites),
        frozenset(lost_devices),
        frozenset(lost_rooms),
        frozenset(on_backup),
        frozenset(failed_devices & devices),
    )
