"""The simulated state of the lab network: one ``LabWorld`` shared by every simulator of one lab run.

The SSH CLI (``lab/cli``), the SNMP agents (``lab/snmp``) and the codecs (``lab/codec``) only *read* this
state to answer (and the CLI keeps its running configuration in ``DeviceState.cli``); faults (``lab/faults``)
*change* it through ``LabWorld`` methods, which recompute what follows: interfaces oper-down at both ends of a
failed link, devices without a path to the centre stop answering (``answers`` is False), counters stop.

The running configuration is part of the state (the twin): every commit or revert of a lab CLI hands the
device's ``ConfigFacts`` (per interface: admin state, address, covered by OSPF) to ``LabWorld.apply_config``.
``shutdown`` puts this end admin/oper down and the far end oper down; an adjacency needs both ends up, their
addresses in one subnet and (OSPF) the interface in an OSPF network statement, compared with the facts of the
device's first configuration (``baseline``) so an untouched lab looks exactly as before; a link without its
adjacency carries no management traffic, so devices behind it stop answering until the configuration
comes back (a confirmed-commit timer).

Time: ``sysUpTime`` comes from ``DeviceState.boot_time`` (wall clock); counters integrate a per-interface
rate over the time the interface was oper-up, so they advance like real traffic and stop when it stops.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Interface
from typing import Any

from netops.inventory.models import Device, Interface, InterfaceKind, Inventory, Link, Platform, Role
from netops.inventory.topology import Failure, Topology

log = logging.getLogger(__name__)


class LabEventKind(enum.StrEnum):
    """What a real device would tell its trap/syslog collector about."""

    LINK_DOWN = "link-down"  # an interface went oper-down (IF-MIB linkDown)
    LINK_UP = "link-up"  # an interface went oper-up (IF-MIB linkUp)
    NEIGHBOR_DOWN = "neighbor-down"  # a routing adjacency left Full / Established
    NEIGHBOR_UP = "neighbor-up"
    COLD_START = "cold-start"  # the device came back from power-off (SNMPv2-MIB coldStart)
    WARM_START = "warm-start"  # the device restarted its software (warmStart)
    CONFIG_CHANGED = "config-changed"  # the running configuration changed (a commit, a revert)


@dataclass(frozen=True, slots=True)
class LabEvent:
    """One state change of one lab device, as the device itself would report it.

    Emitted by ``LabWorld`` after every change (``recompute``, ``reboot``, ``notify``) to the subscribers
    (``LabWorld.subscribe``): the lab's trap and syslog senders turn them into datagrams. Only devices that
    ``answers`` report anything (a powered-off or cut-off router sends nothing; its neighbours do).
    """

    kind: LabEventKind
    device: str
    interface: str = ""  # LINK_*: the interface; NEIGHBOR_*: the local interface of the adjacency
    if_index: int = 0
    peer_device: str = ""  # NEIGHBOR_*: the neighbour's device id
    peer_address: str = ""  # NEIGHBOR_*: its router id
    protocol: str = ""  # NEIGHBOR_*: "ospf" or "bgp"
    detail: str = ""  # CONFIG_CHANGED: who/what changed it


LabListener = Callable[[LabEvent], None]


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """Who a device says it is: one model from which the CLI (``display version``/``device``/``esn``, ``show
    version``/``inventory``) and SNMP (sysDescr, ENTITY-MIB) all render, so they never disagree."""

    vendor: str  # "Huawei", "H3C", "Cisco"
    model: str  # the inventory's ``model``, else the platform's usual one
    version: str  # the software version as the platform prints it: "8.180", "5.170", "7.1.064", "16.9.5"
    release: str  # "V800R011C00SPC200", "V200R010C10SPC700", "Release 0821P16", "fc1"
    serial: str  # ESN / serial number of the chassis
    mac: str  # the chassis (base) MAC address, "00e0-fc12-3456"


_IDENTITY = {  # vendor, usual model, version, release, OUI of its MAC addresses
    Platform.HUAWEI_VRP8: ("Huawei", "NE40E-X8A", "8.180", "V800R011C00SPC200", "00e0fc"),
    Platform.HUAWEI_VRP5: ("Huawei", "AR2220E", "5.170", "V200R010C10SPC700", "707be8"),
    Platform.H3C_COMWARE7: ("H3C", "MSR3620", "7.1.064", "Release 0821P16", "3c8c40"),
    Platform.CISCO_IOS: ("Cisco", "ISR4331/K9", "16.9.5", "fc1", "001e49"),
    Platform.CODEC: ("Cisco", "Room Kit", "ce9.15.3", "", "005060"),
    Platform.MCU: ("Huawei", "VP9660", "V600R019C00", "", "001882"),
}


def interface_mac(device: Device, name: str) -> bytes:
    """The MAC address of one interface (SNMP ifPhysAddress and the CLI's ``Hardware address``)."""
    oui = bytes.fromhex(_IDENTITY[device.platform][4])
    return oui + hashlib.sha256(f"{device.id}/{name}".encode()).digest()[:3]


def mac_text(mac: bytes, style: str = "huawei") -> str:
    """``00e0-fc12-3456`` (Huawei/H3C), ``001e.4912.3456`` (Cisco) or ``00:e0:fc:12:34:56`` (LLDP)."""
    h = mac.hex()
    if style == "cisco":
        return f"{h[0:4]}.{h[4:8]}.{h[8:12]}"
    if style == "colon":
        return ":".join(h[i : i + 2] for i in range(0, 12, 2))
    return f"{h[0:4]}-{h[4:8]}-{h[8:12]}"


def identity_of(device: Device) -> DeviceIdentity:
    """The stable identity of a lab device (same values every run: derived from its id)."""
    vendor, model, version, release, oui = _IDENTITY[device.platform]
    seed = _seed(device.id, "serial")
    digits = f"{seed % 10**12:012d}"
    if vendor == "Cisco":  # FDO + year and week + 4 characters, as on ISR chassis
        serial = f"FDO{21 + seed % 5}{10 + seed % 40}{digits[-4:]}"
    elif vendor == "H3C":  # 20 characters: 219801A + material + date + serial
        serial = f"219801A{digits[:3]}{'HJKLMN'[seed % 6]}{digits[3:12]}"
    else:  # Huawei ESN: 21, 8-character material code, vendor 10, year/month, 6-digit serial
        serial = f"210235{digits[:4]}10{'JKLMN'[seed % 5]}{1 + seed % 9}{digits[4:10]}"
    return DeviceIdentity(
        vendor,
        device.model or model,
        version,
        release,
        serial,
        mac_text(bytes.fromhex(oui) + (seed >> 40 & 0xFFFFFF).to_bytes(3, "big")),
    )


@dataclass(frozen=True, slots=True)
class InterfaceConfig:
    """What a device's running configuration says about one of its interfaces."""

    admin_up: bool = True  # no ``shutdown``
    address: IPv4Interface | None = None  # the primary ``ip address``
    ospf: bool = False  # the address is covered by an OSPF ``network`` statement (or ``ospf enable``)


@dataclass(frozen=True, slots=True)
class ConfigFacts:
    """The running configuration of one device as far as the simulated network cares (per inventory name)."""

    interfaces: Mapping[str, InterfaceConfig] = field(default_factory=dict)
    bgp_asn: int | None = None  # ``bgp N`` / ``router bgp N``; None: no BGP process
    bgp_peers: Mapping[str, int] = field(default_factory=dict)  # peer address -> its AS (as-number/remote-as)


def bgp_asn(device: Device) -> int:
    """A device's BGP AS: ``vars.bgp_asn`` from the inventory, else a stable private AS (64512-65511)."""
    value = device.vars.get("bgp_asn")
    if isinstance(value, int) and 0 < value < 2**32:
        return value
    return 64512 + int.from_bytes(hashlib.sha256(device.id.encode()).digest()[:4], "big") % 1000


@dataclass(frozen=True, slots=True)
class BgpPeer:
    """One BGP peer of a device as its CLI (``display bgp peer``, ``show ip bgp summary``) and BGP4-MIB show it:
    a peer the running configuration names (or, for a device without a CLI, the inventory's link)."""

    address: str  # the peer's address as configured (the far end's link address)
    remote_as: int
    local_address: str  # this end's address on the link ("0.0.0.0" when no link leads to the peer)
    neighbor: Neighbor | None  # the adjacency over the link to that address, if any
    up: bool  # Established
    since: float  # when the session last went up or down (wall clock)


def _seed(*parts: str) -> int:
    """A stable pseudo-random number per name, so a lab run looks the same every time."""
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:8], "big")


@dataclass(slots=True)
class InterfaceState:
    index: int  # ifIndex, 1-based, stable
    name: str
    description: str  # ifAlias
    kind: InterfaceKind
    speed_mbps: int
    admin_up: bool = True
    link_up: bool = True  # the far end and the circuit are up (False when a link-down fault is on it)
    rate_in_bps: float = 0.0  # simulated traffic while up
    rate_out_bps: float = 0.0
    error_rate_per_s: float = 0.0  # a fault sets this; errors accumulate while it is set
    # accumulated values at ``since`` (HC octets, packets, errors)
    acc_in: float = 0.0
    acc_out: float = 0.0
    acc_errors: float = 0.0
    discards: int = 0
    since: float = field(default_factory=time.time)
    last_change: float = field(default_factory=time.time)  # ifLastChange source (wall clock)

    @property
    def oper_up(self) -> bool:
        return self.admin_up and self.link_up

    def _advance(self, now: float) -> None:
        dt = max(0.0, now - self.since)
        if self.oper_up:
            self.acc_in += self.rate_in_bps / 8 * dt
            self.acc_out += self.rate_out_bps / 8 * dt
        self.acc_errors += self.error_rate_per_s * dt
        self.since = now

    def set_link(self, up: bool, now: float | None = None) -> None:
        now = time.time() if now is None else now
        if up != self.link_up:
            self._advance(now)
            was = self.oper_up
            self.link_up = up
            if was != self.oper_up:
                self.last_change = now

    def set_admin(self, up: bool, now: float | None = None) -> None:
        now = time.time() if now is None else now
        if up != self.admin_up:
            self._advance(now)
            was = self.oper_up
            self.admin_up = up
            if was != self.oper_up:
                self.last_change = now

    def restart_counters(self, now: float) -> None:
        """The device rebooted: every counter starts again from zero."""
        self.acc_in = self.acc_out = self.acc_errors = 0.0
        self.discards = 0
        self.since = now

    def set_error_rate(self, per_s: float, now: float | None = None) -> None:
        self._advance(time.time() if now is None else now)
        self.error_rate_per_s = per_s

    def counters(self, now: float | None = None) -> tuple[int, int, int]:
        """(HC in octets, HC out octets, in errors) at ``now``; 64-bit wrap applied."""
        now = time.time() if now is None else now
        dt = max(0.0, now - self.since)
        cin, cout = self.acc_in, self.acc_out
        if self.oper_up:
            cin += self.rate_in_bps / 8 * dt
            cout += self.rate_out_bps / 8 * dt
        errors = self.acc_errors + self.error_rate_per_s * dt
        return int(cin) % 2**64, int(cout) % 2**64, int(errors) % 2**32


@dataclass(slots=True)
class Neighbor:
    """A routing adjacency over a link, as OSPF-MIB / BGP4-MIB and ``display ospf peer`` show it."""

    protocol: str  # "ospf" or "bgp"
    peer_device: str
    peer_address: str  # the peer's router id (its management address; a value, never a target)
    interface: str
    link: str
    up: bool = True
    since: float = field(default_factory=time.time)  # when ``up`` last changed (the session's Up/Down time)
    lost_at: float | None = (
        None  # OSPF: hellos stopped at this time, the neighbour is kept until the dead interval
    )


@dataclass(slots=True)
class CodecState:
    """What a conference-room codec reports through its status API."""

    registered: bool = True
    camera_connected: bool = True
    microphones_connected: int = 2
    display_connected: bool = True
    standby: bool = False
    diagnostics: list[str] = field(default_factory=list)  # active self-diagnostic alerts
    call_state: str = "idle"  # "idle" or "connected"
    call_number: str = ""  # the number the codec dialled for its current call (Call/RemoteNumber)


@dataclass(slots=True)
class McuState:
    """What the MCU reports through its status API: port capacity and conferences in progress."""

    total_ports: int = 40
    ports_in_use: int = 0
    active_conferences: int = 0


@dataclass(frozen=True, slots=True)
class Impairment:
    """Path quality between a room and the MCU, applied by the probe reflector."""

    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    loss_ratio: float = 0.0


@dataclass(slots=True)
class DeviceState:
    device: Device
    boot_time: float  # wall-clock seconds; sysUpTime = now - boot_time
    interfaces: list[InterfaceState]
    neighbors: list[Neighbor] = field(default_factory=list)
    cpu_percent: float = 12.0
    memory_percent: float = 35.0
    node_down: bool = False  # a node-down fault: powered off
    reachable: bool = True  # has a path to the centre under the current faults
    slow_ms: float = 0.0  # extra delay before every answer (a slow device)
    rejected_lines: list[str] = field(
        default_factory=list
    )  # configuration lines the device refuses (regexes)
    on_battery: bool = False  # UPS on battery (only if device.ups)
    battery_minutes: int = 45
    codec: CodecState | None = None
    mcu: McuState | None = None
    impairment: Impairment = Impairment()
    identity: DeviceIdentity | None = None  # model, version, serial (set by LabWorld for every device)
    cli: Any = None  # the CLI simulator keeps its running configuration and commit history here
    config: ConfigFacts | None = None  # what the running configuration says (None: no CLI, the inventory)
    baseline: ConfigFacts | None = None  # the same for the device's first configuration
    generation: int = 0  # bumped when rows appear or go (adjacencies, configuration): SNMP views rebuild

    @property
    def answers(self) -> bool:
        """Whether SSH, SNMP, HTTP, SIP and probes to this device get any answer at all."""
        return self.reachable and not self.node_down

    def uptime_s(self, now: float | None = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.boot_time)

    def interface(self, name: str) -> InterfaceState | None:
        for itf in self.interfaces:
            if itf.name == name:
                return itf
        return None


def _inventory_address(dev: Device, name: str) -> IPv4Interface | None:
    for itf in dev.interfaces:
        if itf.name == name and itf.address:
            try:
                return IPv4Interface(itf.address)
            except ValueError:
                return None
    return None


def _same_subnet(a: IPv4Interface | None, b: IPv4Interface | None) -> bool:
    """Two link ends can talk: both addressed, one subnet, two different hosts (unaddressed: no check)."""
    if a is None or b is None:
        return a is None and b is None
    return a.network == b.network and a.ip != b.ip


def _interface_state(dev: Device, itf: Interface, index: int, links: dict[str, Link]) -> InterfaceState:
    speed = itf.speed_mbps
    bandwidth = speed
    for link in links.values():
        if any(end.device == dev.id and end.interface == itf.name for end in link.ends()):
            bandwidth = min(speed, link.bandwidth_mbps)
    # a steady 5-40 % load of the circuit (or 1-5 % of a LAN port), different per interface
    seed = _seed(dev.id, itf.name)
    share = (
        (0.05 + (seed % 35) / 100)
        if itf.kind in (InterfaceKind.UPLINK, InterfaceKind.DOWNLINK)
        else (0.01 + (seed % 5) / 100)
    )
    rate = bandwidth * 1_000_000 * share
    if itf.kind in (InterfaceKind.LOOPBACK,):
        rate = 0.0
    return InterfaceState(
        index=index,
        name=itf.name,
        description=itf.description,
        kind=itf.kind,
        speed_mbps=speed,
        rate_in_bps=rate,
        rate_out_bps=rate * (0.6 + (seed >> 8) % 40 / 100),
        acc_in=float(seed % 2**40),
        acc_out=float((seed >> 16) % 2**40),
    )


OSPF_DEAD_S = (
    40.0  # the OSPF dead interval on broadcast and P2P links: VRP, Comware and IOS default (4 x hello)
)


def _dead_interval_from_env() -> float:
    """``NETOPS_LAB_OSPF_DEAD_S`` (seconds; 0: a lost neighbour goes at once), else the vendors' 40 s."""
    try:
        return max(0.0, float(os.environ.get("NETOPS_LAB_OSPF_DEAD_S", OSPF_DEAD_S)))
    except ValueError:
        return OSPF_DEAD_S


class LabWorld:
    """All device states of one lab run, plus the topology that decides who still answers.

    ``ospf_dead_s``: how long an OSPF neighbour stays Full after its hellos stop while the local interface stays
    up (the far end died behind a carrier circuit, the circuit failed silently, the far end changed its own
    configuration); an end whose own interface goes down, or whose own configuration ends the adjacency, drops
    it at once, as real routers do. ``None``: ``NETOPS_LAB_OSPF_DEAD_S``, else 40 s (the vendors' default).
    The expiry is scheduled on the running event loop (the lab's); without one it happens at the next
    ``recompute`` after the interval."""

    def __init__(
        self, inventory: Inventory, now: float | None = None, ospf_dead_s: float | None = None
    ) -> None:
        now = time.time() if now is None else now
        self.inventory = inventory
        self.topology = Topology(inventory)
        self.ospf_dead_s = _dead_interval_from_env() if ospf_dead_s is None else max(0.0, ospf_dead_s)
        self.down_links: set[str] = set()
        self.silent_links: set[str] = set()  # failed circuits whose ports stay up at both ends (MSTP, SDH)
        self.silent_nodes: set[str] = set()  # powered-off devices whose far ends keep their ports up
        self.devices: dict[str, DeviceState] = {}
        self._listeners: list[LabListener] = []
        self._addresses: dict[tuple[str, str], IPv4Interface | None] = {}  # inventory addresses, parsed once
        links = dict(inventory.links)
        for dev in inventory.devices.values():
            itfs = [_interface_state(dev, itf, i + 1, links) for i, itf in enumerate(dev.interfaces)]
            seed = _seed(dev.id)
            state = DeviceState(
                device=dev,
                boot_time=now - 3600 * 24 * (1 + seed % 90) - seed % 3600,  # up for 1-90 days
                interfaces=itfs,
                cpu_percent=float(5 + seed % 20),
                memory_percent=float(25 + (seed >> 8) % 30),
                codec=CodecState() if dev.role is Role.CODEC else None,
                mcu=McuState() if dev.role is Role.MCU else None,
                identity=identity_of(dev),
            )
            self.devices[dev.id] = state
        for link in inventory.links.values():
            a, b = self.devices[link.a.device], self.devices[link.b.device]
            protocol = "bgp" if link.medium == "internet" else "ospf"
            since = max(a.boot_time, b.boot_time)  # up since the later of the two came up
            a.neighbors.append(
                Neighbor(protocol, b.device.id, str(b.device.address), link.a.interface, link.id, since=since)
            )
            b.neighbors.append(
                Neighbor(protocol, a.device.id, str(a.device.address), link.b.interface, link.id, since=since)
            )

    def device(self, ident: str) -> DeviceState:
        return self.devices[ident]

    # events -------------------------------------------------------------------------------------------
    def subscribe(self, listener: LabListener) -> Callable[[], None]:
        """Call ``listener`` with every ``LabEvent`` from now on; returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def notify(self, event: LabEvent, force: bool = False) -> None:
        """Hand one event to every listener (a listener that raises is logged, never breaks the lab).

        Events of a device that does not answer are dropped unless ``force`` (it answered a moment ago)."""
        if not force and event.device in self.devices and not self.devices[event.device].answers:
            return
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's fault must not undo a state change half-way
                log.exception("lab event listener failed on %s", event)

    def _snapshot(self) -> dict[tuple[str, str, str], bool]:
        snap: dict[tuple[str, str, str], bool] = {}
        for ident, state in self.devices.items():
            for itf in state.interfaces:
                snap[(ident, "if", itf.name)] = itf.oper_up
            for nb in state.neighbors:
                snap[(ident, "nb", nb.link)] = nb.up
        return snap

    def _emit_changes(self, before: dict[tuple[str, str, str], bool]) -> None:
        if not self._listeners:
            return
        for key, up in self._snapshot().items():
            if before.get(key, up) == up:
                continue
            ident, what, name = key
            state = self.devices[ident]
            if what == "if":
                itf = state.interface(name)
                self.notify(
                    LabEvent(
                        LabEventKind.LINK_UP if up else LabEventKind.LINK_DOWN,
                        ident,
                        interface=name,
                        if_index=itf.index if itf else 0,
                    )
                )
            else:
                nb = next(n for n in state.neighbors if n.link == name)
                itf = state.interface(nb.interface)
                self.notify(
                    LabEvent(
                        LabEventKind.NEIGHBOR_UP if up else LabEventKind.NEIGHBOR_DOWN,
                        ident,
                        interface=nb.interface,
                        if_index=itf.index if itf else 0,
                        peer_device=nb.peer_device,
                        peer_address=nb.peer_address,
                        protocol=nb.protocol,
                    )
                )

    def failure(self) -> Failure:
        return Failure(
            devices=frozenset(d for d, s in self.devices.items() if s.node_down),
            links=frozenset(self.down_links),
        )

    def recompute(self, now: float | None = None) -> None:
        """Re-derive link and interface state and who answers, after any fault change.

        Every change of state (a fault, a configuration change) ends with a call to this method, which then
        emits the ``LabEvent``s of what changed (interfaces and adjacencies going down or up) to subscribers.
        """
        now = time.time() if now is None else now
        before = self._snapshot()
        self._recompute(now)
        self._bump_generations(before)
        self._emit_changes(before)

    def _bump_generations(self, before: dict[tuple[str, str, str], bool]) -> None:
        changed = {key[0] for key, up in self._snapshot().items() if key[1] == "nb" and before.get(key) != up}
        for ident in changed:
            self.devices[ident].generation += 1

    def _recompute(self, now: float) -> None:
        for state in self.devices.values():
            facts = state.config
            for itf in state.interfaces:
                cfg = facts.interfaces.get(itf.name) if facts is not None else None
                itf.set_admin(cfg.admin_up if cfg is not None else True, now)
        unrouted: set[str] = set()  # links up but without their adjacency: no management traffic over them
        for link in self.inventory.links.values():
            a, b = self.devices[link.a.device], self.devices[link.b.device]
            carrier = link.id not in self.down_links and not a.node_down and not b.node_down
            admin = all(
                itf is None or itf.admin_up
                for itf in (a.interface(link.a.interface), b.interface(link.b.interface))
            )
            up = carrier and admin  # a shut end: this end admin down, the far end loses the carrier
            for state, end, far in ((a, link.a, b), (b, link.b, a)):
                end_itf = state.interface(end.interface)
                if end_itf is not None:
                    end_itf.set_link(admin and self._sees_carrier(link.id, state, far), now)
            routed = up and self._adjacent(link)
            if carrier and not routed:
                unrouted.add(link.id)
            for state, end in ((a, link.a), (b, link.b)):
                for nb in state.neighbors:
                    if nb.link == link.id:
                        self._set_neighbor(nb, state, end.interface, link, routed, now)
        failure = self.failure()
        reachable = self.topology.reachable(
            Failure(devices=failure.devices, links=failure.links | frozenset(unrouted))
        )
        for ident, state in self.devices.items():
            state.reachable = ident in reachable
            if state.node_down:
                for itf in state.interfaces:
                    itf.set_link(False, now)

    def _sees_carrier(self, link: str, state: DeviceState, far: DeviceState) -> bool:
        """Whether this end's port stays up: not on a failed circuit, not towards a dead far end, unless the
        circuit hides the failure (a silent link fault, a silent node-down behind a carrier circuit)."""
        if state.node_down:
            return False
        if link in self.down_links and link not in self.silent_links:
            return False
        return not far.node_down or far.device.id in self.silent_nodes

    def _set_neighbor(
        self, nb: Neighbor, state: DeviceState, interface: str, link: Link, routed: bool, now: float
    ) -> None:
        """Up when the adjacency is possible; lost at once when this end's own interface went down or its
        own configuration ended it; else (OSPF) kept Full until the dead interval after its hellos stopped."""
        if routed:
            nb.lost_at = None
            if not nb.up:
                nb.up, nb.since = True, now
            return
        if not nb.up:
            return
        itf = state.interface(interface)
        at_once = (
            nb.protocol != "ospf"
            or self.ospf_dead_s <= 0
            or state.node_down
            or itf is None
            or not itf.oper_up
            or self._own_config_ends(state, interface)
        )
        if not at_once:
            if nb.lost_at is None:
                nb.lost_at = now
                self._schedule(self.ospf_dead_s)
            if now - nb.lost_at < self.ospf_dead_s:
                return  # hellos stopped; the neighbour stays Full until the dead interval
        nb.up, nb.since, nb.lost_at = False, now, None

    @staticmethod
    def _own_config_ends(state: DeviceState, interface: str) -> bool:
        """This end's own configuration changed what the adjacency needs (address, OSPF on the interface)."""
        now_cfg = state.config.interfaces.get(interface) if state.config is not None else None
        base_cfg = state.baseline.interfaces.get(interface) if state.baseline is not None else None
        if now_cfg is None or base_cfg is None:
            return False
        return (now_cfg.address, now_cfg.ospf) != (base_cfg.address, base_cfg.ospf)

    def _schedule(self, delay: float) -> None:
        """Recompute once ``delay`` has passed (on the lab's running event loop; none: at the next change)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        loop.call_later(delay + 0.01, self.recompute)

    def _adjacent(self, link: Link) -> bool:
        """Whether the configurations of both ends still allow the adjacency they had at the start (BGP: and
        each end names the other's link address as a peer with the AS the other runs)."""
        if link.medium == "internet" and not self._bgp_configured(link):
            return False
        ends = []
        for end in link.ends():
            state = self.devices[end.device]
            now_cfg = state.config.interfaces.get(end.interface) if state.config is not None else None
            base_cfg = state.baseline.interfaces.get(end.interface) if state.baseline is not None else None
            ends.append((state, end.interface, now_cfg, base_cfg))
        if all(now is None or now == base for _s, _n, now, base in ends):
            return True  # neither end changed what matters here
        now_addr: list[IPv4Interface | None] = []
        base_addr: list[IPv4Interface | None] = []
        for state, name, now_cfg, base_cfg in ends:
            if now_cfg is None or base_cfg is None:  # no CLI (or not started): the inventory's address
                inv = self._inventory_address(state.device, name)
                now_addr.append(inv)
                base_addr.append(inv)
                continue
            if link.medium != "internet" and base_cfg.ospf and not now_cfg.ospf:
                return False  # the network statement that covered the interface is gone
            if base_cfg.address is not None and now_cfg.address is None:
                return False  # the address is gone
            now_addr.append(now_cfg.address)
            base_addr.append(base_cfg.address)
        return _same_subnet(now_addr[0], now_addr[1]) or not _same_subnet(base_addr[0], base_addr[1])

    def link_address(self, device: str, interface: str) -> IPv4Interface | None:
        """The address of one interface: the running configuration's, else (no CLI yet) the inventory's."""
        state = self.devices[device]
        cfg = state.config.interfaces.get(interface) if state.config is not None else None
        if cfg is not None:
            return cfg.address
        return self._inventory_address(state.device, interface)

    def peer_address(self, device: str, interface: str) -> str:
        """The address a BGP peer of ``device`` names for it over ``interface``: the link address, else (an
        unaddressed link) its management address, as a loopback peering would."""
        addr = self.link_address(device, interface)
        return str(addr.ip) if addr is not None else str(self.devices[device].device.address)

    def _local_as(self, device: str) -> int | None:
        state = self.devices[device]
        return state.config.bgp_asn if state.config is not None else bgp_asn(state.device)

    def _bgp_configured(self, link: Link) -> bool:
        """Both ends' configurations have a peer statement for the other's link address with its AS (a device
        without a CLI runs what the inventory implies)."""
        for end, far in ((link.a, link.b), (link.b, link.a)):
            cfg = self.devices[end.device].config
            if cfg is None:
                continue
            far_as = self._local_as(far.device)
            if cfg.bgp_asn is None or far_as is None:
                return False
            if cfg.bgp_peers.get(self.peer_address(far.device, far.interface)) != far_as:
                return False
        return True

    def _far_end(self, state: DeviceState, nb: Neighbor) -> tuple[str, str]:
        link = self.inventory.links[nb.link]
        far = link.b if (link.a.device, link.a.interface) == (state.device.id, nb.interface) else link.a
        return far.device, far.interface

    def bgp_peers(self, device: str) -> list[BgpPeer]:
        """The BGP peers of ``device`` in its running configuration (or the inventory's internet links when it
        has no CLI), each Established when the adjacency over the link to that address is up."""
        state = self.devices[device]
        by_address: dict[str, Neighbor] = {}
        for nb in state.neighbors:
            if nb.protocol == "bgp":
                by_address[self.peer_address(*self._far_end(state, nb))] = nb
        if state.config is not None:
            configured = dict(state.config.bgp_peers)
        else:
            configured = {a: bgp_asn(self.devices[nb.peer_device].device) for a, nb in by_address.items()}
        out = []
        for address, remote_as in configured.items():
            found = by_address.get(address)
            out.append(
                BgpPeer(
                    address,
                    remote_as,
                    self.peer_address(device, found.interface) if found is not None else "0.0.0.0",
                    found,
                    found is not None and found.up,
                    found.since if found is not None else state.boot_time,
                )
            )
        return out

    def _inventory_address(self, device: Device, name: str) -> IPv4Interface | None:
        key = (device.id, name)
        if key not in self._addresses:
            self._addresses[key] = _inventory_address(device, name)
        return self._addresses[key]

    def apply_config(self, device: str, facts: ConfigFacts, detail: str = "") -> None:
        """A commit or revert changed the running configuration of ``device``: recompute what follows and
        emit ``CONFIG_CHANGED`` (also when the change just cut the device off: it was sent on the way out)."""
        state = self.devices[self.inventory.device(device).id]
        if state.baseline is None:
            state.baseline = facts
        answered = state.answers
        state.config = facts
        state.generation += 1
        self.recompute()
        self.notify(
            LabEvent(LabEventKind.CONFIG_CHANGED, state.device.id, detail=detail),
            force=answered and not state.node_down,
        )

    def set_baseline(self, device: str, facts: ConfigFacts) -> None:
        """The facts of the device's first configuration (before any change): the reference of ``_adjacent``."""
        state = self.devices[self.inventory.device(device).id]
        state.baseline = facts
        if state.config is None:
            state.config = facts

    def set_link_down(self, link: str, down: bool, silent: bool = False) -> None:
        """A circuit fails (``down``) or comes back. ``silent``: it fails without either port noticing (MSTP,
        SDH): both stay up, and their OSPF neighbours are kept until the dead interval."""
        self.inventory.link(link)
        if down:
            self.down_links.add(link)
            if silent:
                self.silent_links.add(link)
        else:
            self.down_links.discard(link)
            self.silent_links.discard(link)
        self.recompute()

    def set_node_down(self, device: str, down: bool, silent: bool = False) -> None:
        """The device powers off (``down``) or on. ``silent``: its neighbours' ports stay up (carrier circuits
        between them), so they keep their OSPF adjacencies to it until the dead interval."""
        state = self.devices[self.inventory.device(device).id]
        if down and silent:
            self.silent_nodes.add(state.device.id)
        elif not down:
            self.silent_nodes.discard(state.device.id)
        before = self._snapshot()
        powered_on = state.node_down and not down
        if powered_on:
            state.boot_time = time.time()  # it comes back from a (re)boot
            for itf in state.interfaces:
                itf.set_link(True)
        state.node_down = down
        self._recompute(time.time())
        self._bump_generations(before)
        if powered_on:  # a real router sends coldStart first, then linkUp per interface
            self.notify(LabEvent(LabEventKind.COLD_START, state.device.id))
        self._emit_changes(before)

    def reboot(self, device: str, now: float | None = None) -> None:
        """The device restarts now: sysUpTime (and the SNMP engine's boots) and its counters start again."""
        now = time.time() if now is None else now
        state = self.devices[self.inventory.device(device).id]
        state.boot_time = now
        for itf in state.interfaces:
            itf.restart_counters(now)
        self.notify(LabEvent(LabEventKind.WARM_START, state.device.id))
