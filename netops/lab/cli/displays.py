"""Neutral facts behind the lab CLI's longer displays: interface details, LLDP neighbours, routes and ARP.

Part of ``netops.lab.cli``. Each dialect renders these in its platform's real layout (``display interface``,
``show interfaces``, ``display lldp neighbor brief``, ``show lldp neighbors detail``, ``show ip route``,
``display arp`` ...). Everything comes from the one simulated state: interface admin/oper status and counters
from ``InterfaceState`` (admin status from the running configuration), addresses from the running
configuration (the inventory for devices without a CLI), neighbours from links that are up, routes from the
OSPF adjacencies that are up (connected networks of every router reachable over them), MAC addresses and
identities from ``lab.state`` (the same values SNMP serves).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv4Network

from netops.lab.cli.facts import InterfaceNames, InterfaceRow
from netops.lab.snmp.platforms import PLATFORMS, long_name, sys_descr
from netops.lab.state import BgpPeer, DeviceState, InterfaceState, LabWorld, identity_of, interface_mac

PACKET_BYTES = 700  # the average packet size SNMP's packet counters use too


@dataclass(frozen=True, slots=True)
class InterfaceDetail:
    row: InterfaceRow
    state: InterfaceState | None  # None: an interface created by configuration (a loopback)
    mac: bytes
    in_octets: int
    out_octets: int
    in_errors: int
    rate_in_bps: int
    rate_out_bps: int

    @property
    def prefixlen(self) -> int | None:
        if self.row.ip is None or self.row.mask is None:
            return None
        return IPv4Interface(f"{self.row.ip}/{self.row.mask}").network.prefixlen

    @property
    def in_packets(self) -> int:
        return self.in_octets // PACKET_BYTES

    @property
    def out_packets(self) -> int:
        return self.out_octets // PACKET_BYTES


def interface_details(
    state: DeviceState, rows: list[InterfaceRow], names: InterfaceNames
) -> list[InterfaceDetail]:
    out = []
    for r in rows:
        itf = next((i for i in state.interfaces if names.same(i.name, r.name)), None)
        if itf is not None:
            cin, cout, errs = itf.counters()
            up = itf.oper_up
            rin, rout = (int(itf.rate_in_bps), int(itf.rate_out_bps)) if up else (0, 0)
            out.append(
                InterfaceDetail(r, itf, interface_mac(state.device, itf.name), cin, cout, errs, rin, rout)
            )
        else:
            out.append(InterfaceDetail(r, None, interface_mac(state.device, r.name), 0, 0, 0, 0, 0))
    return out


@dataclass(frozen=True, slots=True)
class LldpNeighbour:
    local: str  # local interface name as the inventory spells it
    system_name: str
    port: str  # the remote port in its vendor's long form
    port_description: str
    chassis_mac: str  # "00e0-fc12-3456"
    system_description: str
    management_address: str


def lldp_neighbours(world: LabWorld, state: DeviceState) -> list[LldpNeighbour]:
    """The far ends of links whose local interface is oper-up (LLDP runs below IP: adjacencies do not matter)."""
    out = []
    inv = world.inventory
    for link in inv.links.values():
        for near, far in ((link.a, link.b), (link.b, link.a)):
            if near.device != state.device.id:
                continue
            itf = state.interface(near.interface)
            if itf is None or not itf.oper_up:
                continue
            peer = world.devices[far.device]
            ident = peer.identity or identity_of(peer.device)
            peer_itf = peer.interface(far.interface)
            descr = sys_descr(PLATFORMS[peer.device.platform], ident).split("\r\n")[0]
            out.append(
                LldpNeighbour(
                    near.interface,
                    peer.device.id,
                    long_name(peer.device.platform.vendor, far.interface),
                    peer_itf.description if peer_itf is not None else "",
                    ident.mac,
                    descr,
                    str(peer.device.address),
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class Route:
    network: IPv4Network
    protocol: str  # "connected", "local", "ospf"
    interface: str  # inventory name of the outgoing interface
    next_hop: str | None  # None for connected/local
    cost: int = 0


def _addresses(world: LabWorld, state: DeviceState) -> list[tuple[str, IPv4Interface]]:
    """(interface, address) of every oper-up interface: from the running configuration, else the inventory."""
    out = []
    for itf in state.interfaces:
        if not itf.oper_up:
            continue
        cfg = state.config.interfaces.get(itf.name) if state.config is not None else None
        addr = cfg.address if cfg is not None else None
        if cfg is None:
            inv = next((i for i in state.device.interfaces if i.name == itf.name), None)
            if inv is not None and inv.address:
                try:
                    addr = IPv4Interface(inv.address)
                except ValueError:
                    addr = None
        if addr is not None:
            out.append((itf.name, addr))
    return out


def routes(world: LabWorld, state: DeviceState) -> list[Route]:
    """Connected and local routes, then OSPF routes to the connected networks of every router reachable over
    adjacencies that are up (shortest path, cost 1 per hop + 1), first hop = the neighbour's link address."""
    table: dict[IPv4Network, Route] = {}
    for name, addr in _addresses(world, state):
        table[addr.network] = Route(addr.network, "connected", name, None)
        if addr.network.prefixlen < 32:
            host = IPv4Network(f"{addr.ip}/32")
            table.setdefault(host, Route(host, "local", name, None))
    seen = {state.device.id}
    queue: deque[tuple[str, str, str, int]] = deque()  # device, first-hop interface, next hop, hops
    for nb in state.neighbors:
        if nb.protocol != "ospf" or not nb.up or nb.peer_device in seen:
            continue
        link = world.inventory.links.get(nb.link)
        if link is None:
            continue
        far = link.other(state.device.id)
        peer = world.devices[far.device]
        hop = next((str(a.ip) for n, a in _addresses(world, peer) if n == far.interface), nb.peer_address)
        seen.add(nb.peer_device)
        queue.append((nb.peer_device, nb.interface, hop, 1))
    while queue:
        device, out_itf, hop, hops = queue.popleft()
        peer = world.devices[device]
        for _name, addr in _addresses(world, peer):
            if addr.network not in table:
                table[addr.network] = Route(addr.network, "ospf", out_itf, hop, hops + 1)
        for nb in peer.neighbors:
            if nb.protocol == "ospf" and nb.up and nb.peer_device not in seen:
                seen.add(nb.peer_device)
                queue.append((nb.peer_device, out_itf, hop, hops + 1))
    return sorted(table.values(), key=lambda r: (int(r.network.network_address), r.network.prefixlen))


@dataclass(frozen=True, slots=True)
class ArpEntry:
    ip: str
    mac: bytes
    interface: str  # inventory name
    own: bool  # the router's own address (Huawei type I, IOS age "-")


def arp(world: LabWorld, state: DeviceState) -> list[ArpEntry]:
    """Own addresses of oper-up interfaces, and the far end's address on every link that is up."""
    out = []
    own = dict(_addresses(world, state))
    for name, addr in own.items():
        if addr.network.prefixlen < 32:
            out.append(ArpEntry(str(addr.ip), interface_mac(state.device, name), name, True))
    for link in world.inventory.links.values():
        for near, far in ((link.a, link.b), (link.b, link.a)):
            if near.device != state.device.id or near.interface not in own:
                continue
            peer = world.devices[far.device]
            theirs = dict(_addresses(world, peer)).get(far.interface)
            if theirs is not None and theirs.network == own[near.interface].network:
                out.append(
                    ArpEntry(str(theirs.ip), interface_mac(peer.device, far.interface), near.interface, False)
                )
    return out


@dataclass(frozen=True, slots=True)
class BgpRow:
    """One BGP peer as the CLIs print it: the lab's ``BgpPeer`` plus message counts and its age."""

    peer: BgpPeer
    received: int  # BGP messages: OPEN, UPDATEs and a keepalive a minute while Established
    sent: int
    age_s: float  # seconds since the session last went up or down
    prefixes: int  # prefixes received (the far end's connected network) while Established


def bgp_rows(world: LabWorld | None, state: DeviceState, now: float | None = None) -> list[BgpRow]:
    """The device's BGP peers (those its running configuration names), in address order."""
    if world is None:
        return []
    now = time.time() if now is None else now
    out = []
    for p in sorted(world.bgp_peers(state.device.id), key=lambda p: IPv4Interface(p.address).ip):
        age = max(0.0, now - p.since)
        keepalives = int(age // 60) if p.up else 0
        out.append(BgpRow(p, 4 + keepalives if p.up else 0, 5 + keepalives if p.up else 0, age, int(p.up)))
    return out


def bgp_age(seconds: float, style: str) -> str:
    """Up/Down: VRP ``00:12:04`` / ``626h43m``, Comware ``0286h47m``, IOS ``00:12:04`` / ``1d02h`` / ``3w0d``."""
    s = int(seconds)
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    if style == "comware":
        return f"{h:04d}h{m:02d}m"
    if h < 24:
        return f"{h:02d}:{m:02d}:{sec:02d}"
    if style == "vrp":
        return f"{h}h{m}m"
    days = h // 24
    return f"{days}d{h % 24:02d}h" if days < 7 else f"{days // 7}w{days % 7}d"
