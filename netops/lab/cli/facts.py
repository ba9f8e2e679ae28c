"""Facts a simulated device shows, read from the inventory, the lab state and its running configuration.

Part of ``netops.lab.cli``. Dialects build their texts (``display version``, ``show ip interface brief``,
the first running configuration) from these neutral values, so every platform reports the same world:
interface oper status from ``InterfaceState.oper_up`` (admin status from ``shutdown`` in the running
configuration), OSPF neighbours from ``DeviceState.neighbors``, CPU/memory from the state.
No secret is ever read here: SNMP communities and keys are left out of generated configurations.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from netops.inventory.models import Device, InterfaceKind, Inventory, Role
from netops.lab.cli.config import ConfigNode
from netops.lab.state import (
    ConfigFacts,
    DeviceIdentity,
    DeviceState,
    InterfaceConfig,
    bgp_asn,
    identity_of,
)

log = logging.getLogger(__name__)


class InterfaceNames:
    """Canonical interface names of one platform: ``GE0/0/1`` -> ``GigabitEthernet0/0/1``."""

    def __init__(self, full: tuple[str, ...], abbrev: dict[str, str], short: dict[str, str]) -> None:
        self.full = full
        self.abbrev = {k.lower(): v for k, v in abbrev.items()}
        self.short = short  # canonical prefix -> the short form some outputs use

    def canonical(self, name: str) -> str:
        m = re.match(r"^([A-Za-z][A-Za-z-]*)\s*(\d.*)$", name.strip())
        if m is None:
            return name.strip()
        prefix, number = m.group(1), m.group(2).replace(" ", "")
        full = self.abbrev.get(prefix.lower())
        if full is None:
            full = next((f for f in self.full if f.lower().startswith(prefix.lower())), prefix)
        return full + number

    def shorten(self, name: str) -> str:
        for full, short in self.short.items():
            if name.startswith(full) and name[len(full) : len(full) + 1].isdigit():
                return short + name[len(full) :]
        return name

    def same(self, a: str, b: str) -> bool:
        return self.canonical(a).lower() == self.canonical(b).lower()


def ip_mask(address: str) -> tuple[str, str, str, str] | None:
    """'10.1.2.1/30' -> (ip, mask, network, wildcard); None for what is not an IPv4 interface address."""
    try:
        itf = IPv4Interface(address)
    except ValueError:
        log.warning("interface address %r is not an IPv4 address/prefix; left out of the lab config", address)
        return None
    return str(itf.ip), str(itf.netmask), str(itf.network.network_address), str(itf.network.hostmask)


@dataclass(frozen=True, slots=True)
class InterfaceRow:
    name: str
    admin_up: bool
    oper_up: bool
    ip: str | None
    mask: str | None
    description: str


def interface_rows(state: DeviceState, running: ConfigNode, names: InterfaceNames) -> list[InterfaceRow]:
    """Interfaces as the running configuration declares them, with oper status from the lab state."""
    rows: list[InterfaceRow] = []
    for node in running.children:
        if not node.line.startswith("interface "):
            continue
        name = node.line.split(None, 1)[1]
        itf = next((i for i in state.interfaces if names.same(i.name, name)), None)
        admin = not any(c.line == "shutdown" for c in node.children)
        if itf is not None:
            link = itf.link_up and state.answers
        else:  # created by configuration: logical interfaces are up, physical ones have no cable
            link = name.lower().startswith(("loop", "vlan", "null", "tunnel"))
        ip = mask = None
        desc = ""
        for c in node.children:
            words = c.line.split()
            if len(words) >= 4 and words[:2] == ["ip", "address"] and not c.line.endswith(" sub"):
                ip, mask = words[2], words[3]
            elif words and words[0] == "description":
                desc = c.line.split(None, 1)[1] if len(words) > 1 else ""
        rows.append(InterfaceRow(name, admin, admin and link, ip, mask, desc))
    return rows


@dataclass(frozen=True, slots=True)
class PeerRow:
    router_id: str
    address: str
    interface: str  # canonical local interface


def ospf_peers(state: DeviceState, inventory: Inventory, names: InterfaceNames) -> list[PeerRow]:
    """Full OSPF adjacencies (neighbours that are up); a neighbour that went down is not listed."""
    rows = []
    for nb in state.neighbors:
        if nb.protocol != "ospf" or not nb.up:
            continue
        address = nb.peer_address
        peer = inventory.devices.get(nb.peer_device)
        link = inventory.links.get(nb.link)
        if peer is not None and link is not None:
            end = link.a if link.a.device == peer.id else link.b
            for itf in peer.interfaces:
                if itf.name == end.interface and itf.address:
                    address = (ip_mask(itf.address) or (address,))[0]
        rows.append(PeerRow(nb.peer_address, address, names.canonical(nb.interface)))
    return rows


def identity(state: DeviceState) -> DeviceIdentity:
    """The device's model, version and serial: the one identity SNMP renders too."""
    return state.identity or identity_of(state.device)


def uptime_clock(state: DeviceState) -> str:
    """``hh:mm:ss`` since the device started (VRP's ``Neighbor is up for``, IOS route ages)."""
    hours, rest = divmod(int(state.uptime_s()), 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def uptime_text(state: DeviceState, weeks: bool = False) -> str:
    total = int(state.uptime_s())
    days, rest = divmod(total, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if weeks:
        return f"{days // 7} weeks, {days % 7} days, {hours} hours, {minutes} minutes"
    return f"{days} days, {hours} hours, {minutes} minutes"


def timestamp(when: float | None = None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime(time.time() if when is None else when))


@dataclass(frozen=True, slots=True)
class BootFacts:
    """What the first running configuration of a device is generated from."""

    hostname: str
    interfaces: list[tuple[str, str, tuple[str, str, str, str] | None]]  # (canonical name, description, ip)
    router_id: str
    routed: bool
    location: str
    snmp_version: str | None  # "2c", "3" or None
    snmp_user: str | None
    ntp_server: str | None
    bgp_asn: int | None = None  # the device's AS when it has internet links (BGP towards the far end)
    bgp_peers: tuple[tuple[str, int], ...] = ()  # (far end's link address, its AS) per internet link


def boot_facts(state: DeviceState, inventory: Inventory, names: InterfaceNames) -> BootFacts:
    dev: Device = state.device
    site = inventory.sites.get(dev.site)
    itfs = [
        (names.canonical(i.name), i.description, ip_mask(i.address) if i.address else None)
        for i in dev.interfaces
    ]
    profile = inventory.snmp_profiles.get(dev.snmp_profile or "")
    ntp = dev.vars.get("ntp_server")
    if not isinstance(ntp, str):
        centre = inventory.centre.id
        core = next((d for d in inventory.devices.values() if d.site == centre and d.role is Role.CORE), None)
        ntp = str(core.address) if core is not None and core.id != dev.id else None
    location = (site.name_en or site.id) if site is not None else dev.site
    peers: list[tuple[str, int]] = []
    for link in inventory.links.values():
        if link.medium != "internet" or dev.id not in (link.a.device, link.b.device):
            continue
        far = link.b if link.a.device == dev.id else link.a
        far_dev = inventory.devices[far.device]
        addr = next((i.address for i in far_dev.interfaces if i.name == far.interface and i.address), None)
        # the link address, else (an unaddressed link) the far end's management address (loopback peering)
        peers.append((str(IPv4Interface(addr).ip) if addr else str(far_dev.address), bgp_asn(far_dev)))
    return BootFacts(
        hostname=dev.id,
        interfaces=itfs,
        router_id=str(dev.address),
        routed=dev.role.routes or any(i.kind is InterfaceKind.UPLINK for i in dev.interfaces),
        location=location,
        snmp_version=profile.version if profile is not None else None,
        snmp_user=profile.user if profile is not None else None,
        ntp_server=ntp,
        bgp_asn=bgp_asn(dev) if peers else None,
        bgp_peers=tuple(peers),
    )


def _bgp(running: ConfigNode) -> tuple[int | None, dict[str, int]]:
    """The BGP process: VRP/Comware ``bgp N`` > ``peer A as-number M``, IOS ``router bgp N`` > ``neighbor A
    remote-as M`` -> (N, {A: M}); (None, {}) without one."""
    for node in running.children:
        w = node.line.split()
        if len(w) == 2 and w[0] == "bgp" and w[1].isdigit():
            key, field = "peer", "as-number"
        elif len(w) == 3 and w[:2] == ["router", "bgp"] and w[2].isdigit():
            key, field = "neighbor", "remote-as"
        else:
            continue
        peers: dict[str, int] = {}
        for child in node.children:
            c = child.line.split()
            if len(c) == 4 and c[0] == key and c[2] == field and c[3].isdigit():
                peers[c[1]] = int(c[3])
        return int(w[-1]), peers
    return None, {}


def _ospf_networks(running: ConfigNode) -> list[IPv4Network]:
    """The OSPF ``network`` statements: VRP ``ospf N`` > ``area A`` > ``network NET WILD``, IOS ``router ospf N``
    > ``network NET WILD area A``."""
    nets: list[IPv4Network] = []
    for node in running.children:
        words = node.line.split()
        if not words or not (words[0] == "ospf" or words[:2] == ["router", "ospf"]):
            continue
        for _depth, child in node.walk():
            w = child.line.split()
            if len(w) >= 3 and w[0] == "network":
                try:
                    wild = int(IPv4Address(w[2]))
                    prefix = 32 - wild.bit_length()
                    nets.append(IPv4Network(f"{w[1]}/{prefix}", strict=False))
                except ValueError:
                    continue
    return nets


def config_facts(state: DeviceState, running: ConfigNode, names: InterfaceNames) -> ConfigFacts:
    """What the running configuration says about each inventory interface: ``shutdown``, its primary address,
    and whether OSPF runs on it (a ``network`` statement covering the address, VRP ``ospf enable``, IOS
    ``ip ospf N area A``). ``LabWorld.apply_config`` turns this into interface and adjacency state."""
    nets = _ospf_networks(running)
    blocks = {n.line.split(None, 1)[1]: n for n in running.children if n.line.startswith("interface ")}
    out: dict[str, InterfaceConfig] = {}
    for itf in state.interfaces:
        node = next((n for name, n in blocks.items() if names.same(name, itf.name)), None)
        if node is None:
            out[itf.name] = InterfaceConfig(admin_up=True, address=None, ospf=False)
            continue
        admin = not any(c.line == "shutdown" for c in node.children)
        address: IPv4Interface | None = None
        ospf = False
        for c in node.children:
            w = c.line.split()
            if len(w) == 4 and w[:2] == ["ip", "address"]:
                try:
                    address = IPv4Interface(f"{w[2]}/{w[3]}")
                except ValueError:
                    address = None
            elif w[:2] == ["ospf", "enable"] or (w[:2] == ["ip", "ospf"] and "area" in w):
                ospf = True
        if address is not None and any(address.ip in net for net in nets):
            ospf = True
        out[itf.name] = InterfaceConfig(admin_up=admin, address=address, ospf=ospf)
    asn, peers = _bgp(running)
    return ConfigFacts(out, bgp_asn=asn, bgp_peers=peers)
