"""Build one device's ``MibView`` from its live ``DeviceState``: the MIBs a real router of its platform serves.

Called once per device by ``agent.py`` on its first request; dynamic values are closures over the state
objects, evaluated at request time, so faults (link down, reboot, high CPU, UPS on battery) show at once.
Served (see ``docs/lab-snmp.md``): SNMPv2-MIB system, IF-MIB ifNumber/ifTable/ifXTable, ENTITY-MIB
entPhysicalTable, vendor CPU/memory (Huawei hwEntityState, H3C hh3cEntityExtState, Cisco cpmCPUTotal and
ciscoMemoryPool), OSPF-MIB ospfNbrTable, BGP4-MIB bgpLocalAs/bgpPeerTable, UPS-MIB (``device.ups``) and
SNMP-FRAMEWORK-MIB snmpEngine.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from netops.inventory.models import InterfaceKind, Platform
from netops.lab.snmp.mib import MibView, Value
from netops.lab.snmp.platforms import PLATFORMS, Entity, if_name, if_type, long_name, sys_descr
from netops.lab.snmp.probes import add_probes
from netops.lab.state import (
    DeviceIdentity,
    DeviceState,
    InterfaceState,
    LabWorld,
    Neighbor,
    bgp_asn,
    identity_of,
    interface_mac,
)
from netops.snmp.ber import (
    COUNTER32,
    COUNTER64,
    GAUGE32,
    TIMETICKS,
    Oid,
    encode_integer,
    encode_ip,
    encode_octets,
    encode_oid,
    encode_unsigned,
)

SYSTEM: Oid = (1, 3, 6, 1, 2, 1, 1)
IF_NUMBER: Oid = (1, 3, 6, 1, 2, 1, 2, 1)
IF_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IFX_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
OSPF_NBR_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 14, 10, 1)
BGP_LOCAL_AS: Oid = (1, 3, 6, 1, 2, 1, 15, 2)
BGP_PEER_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 15, 3, 1)
ENT_PHYSICAL_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1)
UPS: Oid = (1, 3, 6, 1, 2, 1, 33, 1)
IP_FORWARDING: Oid = (1, 3, 6, 1, 2, 1, 4, 1)
IP_ADDR_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 4, 20, 1)
LLDP_LOC: Oid = (1, 0, 8802, 1, 1, 2, 1, 3)
LLDP_REM_ENTRY: Oid = (1, 0, 8802, 1, 1, 2, 1, 4, 1, 1)
SNMP_ENGINE: Oid = (1, 3, 6, 1, 6, 3, 10, 2, 1)
HW_ENTITY_STATE_ENTRY: Oid = (1, 3, 6, 1, 4, 1, 2011, 5, 25, 31, 1, 1, 1, 1)  # .5 cpu, .7 memory
HH3C_ENTITY_EXT_STATE_ENTRY: Oid = (1, 3, 6, 1, 4, 1, 25506, 2, 6, 1, 1, 1, 1)  # .6 cpu, .8 memory
CPM_CPU_TOTAL_ENTRY: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 109, 1, 1, 1, 1)
CISCO_MEMORY_POOL_ENTRY: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 48, 1, 1, 1)

MAX32 = 2**32 - 1
PACKET_BYTES = 700  # average packet size used to derive packet counters from octets
CISCO_PROCESSOR_POOL = 2_000_000_000  # bytes; used + free fit a Gauge32
CISCO_IO_POOL = 100_000_000

EngineClock = Callable[[float], tuple[int, int]]  # now -> (snmpEngineBoots, snmpEngineTime)


class _Entries:
    def __init__(self) -> None:
        self.entries: list[tuple[Oid, Value]] = []
        self.objects: set[Oid] = set()

    def scalar(self, obj: Oid, value: Value) -> None:
        self.objects.add(obj)
        self.entries.append(((*obj, 0), value))

    def cell(self, entry: Oid, column: int, index: Oid, value: Value) -> None:
        self.objects.add((*entry, column))
        self.entries.append(((*entry, column, *index), value))


def _int(v: int) -> bytes:
    return encode_integer(v)


def _text(s: str) -> bytes:
    return encode_octets(s.encode("utf-8"))


def _ip_bytes(text: str) -> bytes:
    return ipaddress.IPv4Address(text).packed


def _ticks(seconds: float) -> bytes:
    return encode_unsigned(int(max(0.0, seconds) * 100) % 2**32, TIMETICKS)


def build_view(world: LabWorld, state: DeviceState, engine_id: bytes, clock: EngineClock) -> MibView:
    dev = state.device
    info = PLATFORMS[dev.platform]
    site = world.inventory.site(dev.site)
    out = _Entries()

    # SNMPv2-MIB system group
    contact = site.contacts[0] if site.contacts else None
    contact_text = f"{contact.name} {contact.phone or ''}".strip() if contact else "noc@netops.lab"
    services = 6 if dev.role.routes else (72 if dev.platform in (Platform.CODEC, Platform.MCU) else 2)
    ident = state.identity or identity_of(dev)
    out.scalar((*SYSTEM, 1), _text(sys_descr(info, ident)))
    out.scalar((*SYSTEM, 2), encode_oid(info.sys_object_id))
    out.scalar((*SYSTEM, 3), lambda now: _ticks(state.uptime_s(now)))
    out.scalar((*SYSTEM, 4), _text(contact_text))
    out.scalar((*SYSTEM, 5), _text(dev.id))
    out.scalar((*SYSTEM, 6), _text(site.name))
    out.scalar((*SYSTEM, 7), _int(services))

    _interfaces(out, state, info.oui)
    _entities(out, state, info.entities, ident)
    _neighbors(out, world, state)
    _ip_addresses(out, state)
    _lldp(out, world, state, ident)
    if dev.ups:
        _ups(out, state)
    add_probes(out, world, state)  # NQA-MIB / DISMAN-PING-MIB / CISCO-RTTMON-MIB (lab/snmp/probes.py)
    out.scalar((*SNMP_ENGINE, 1), encode_octets(engine_id))
    out.scalar((*SNMP_ENGINE, 2), lambda now: _int(clock(now)[0]))
    out.scalar((*SNMP_ENGINE, 3), lambda now: _int(clock(now)[1]))
    out.scalar((*SNMP_ENGINE, 4), _int(65507))
    return MibView(out.entries, out.objects)


def _interfaces(out: _Entries, state: DeviceState, oui: bytes) -> None:
    dev = state.device
    out.scalar(IF_NUMBER, _int(len(state.interfaces)))
    for itf in state.interfaces:
        idx = (itf.index,)
        loop = itf.kind is InterfaceKind.LOOPBACK or itf.name.lower().startswith("lo")
        mac = b"" if loop else interface_mac(dev, itf.name)
        speed = 0 if loop else itf.speed_mbps

        def c(column: int, value: Value, table: Oid = IF_ENTRY, idx: Oid = idx) -> None:
            out.cell(table, column, idx, value)

        c(1, _int(itf.index))
        c(2, _text(long_name(dev.platform.vendor, itf.name)))
        c(3, _int(if_type(itf.name, loop)))
        c(4, _int(1500))
        c(5, encode_unsigned(min(speed * 1_000_000, MAX32), GAUGE32))
        c(6, encode_octets(mac))
        c(7, _admin(itf))
        c(8, _oper(itf))
        c(9, _last_change(state, itf))
        c(10, _counter(itf, 0, 1, 2**32, COUNTER32))
        c(11, _counter(itf, 0, PACKET_BYTES, 2**32, COUNTER32))
        c(
            12, _counter(itf, 0, PACKET_BYTES * 100, 2**32, COUNTER32)
        )  # ifInNUcastPkts (deprecated, still read)
        c(13, _discards(itf))
        c(14, _counter(itf, 2, 1, 2**32, COUNTER32))
        c(15, encode_unsigned(0, COUNTER32))
        c(16, _counter(itf, 1, 1, 2**32, COUNTER32))
        c(17, _counter(itf, 1, PACKET_BYTES, 2**32, COUNTER32))
        c(18, _counter(itf, 1, PACKET_BYTES * 100, 2**32, COUNTER32))  # ifOutNUcastPkts
        c(19, encode_unsigned(0, COUNTER32))
        c(20, encode_unsigned(0, COUNTER32))
        # IF-MIB ifXTable
        c(1, _text(if_name(dev.platform.vendor, itf.name)), IFX_ENTRY)
        c(6, _counter(itf, 0, 1, 2**64, COUNTER64), IFX_ENTRY)
        c(7, _counter(itf, 0, PACKET_BYTES, 2**64, COUNTER64), IFX_ENTRY)
        c(10, _counter(itf, 1, 1, 2**64, COUNTER64), IFX_ENTRY)
        c(11, _counter(itf, 1, PACKET_BYTES, 2**64, COUNTER64), IFX_ENTRY)
        c(14, _int(1), IFX_ENTRY)  # ifLinkUpDownTrapEnable enabled(1)
        c(15, encode_unsigned(speed, GAUGE32), IFX_ENTRY)
        c(16, _int(2), IFX_ENTRY)  # ifPromiscuousMode false(2)
        c(17, _int(2 if loop else 1), IFX_ENTRY)  # ifConnectorPresent
        c(18, _text(itf.description), IFX_ENTRY)
        c(19, encode_unsigned(0, TIMETICKS), IFX_ENTRY)


def _admin(itf: InterfaceState) -> Value:
    return lambda now: _int(1 if itf.admin_up else 2)


def _oper(itf: InterfaceState) -> Value:
    return lambda now: _int(1 if itf.oper_up else 2)


def _discards(itf: InterfaceState) -> Value:
    return lambda now: encode_unsigned(itf.discards % 2**32, COUNTER32)


def _last_change(state: DeviceState, itf: InterfaceState) -> Value:
    return lambda now: _ticks(itf.last_change - state.boot_time)


def _counter(itf: InterfaceState, which: int, divisor: int, modulo: int, tag: int) -> Value:
    """A counter derived from ``counters(now)``: 0 = HC in octets, 1 = HC out octets, 2 = in errors."""

    def value(now: float) -> bytes:
        return encode_unsigned((itf.counters(now)[which] // divisor) % modulo, tag)

    return value


def _entities(out: _Entries, state: DeviceState, entities: tuple[Entity, ...], ident: DeviceIdentity) -> None:
    platform = state.device.platform
    chassis = entities[0].index
    for ent in entities:
        idx = (ent.index,)
        top = ent.index == chassis
        out.cell(ENT_PHYSICAL_ENTRY, 2, idx, _text(ent.descr))
        out.cell(ENT_PHYSICAL_ENTRY, 4, idx, _int(0 if top else chassis))
        out.cell(ENT_PHYSICAL_ENTRY, 5, idx, _int(ent.klass))
        out.cell(ENT_PHYSICAL_ENTRY, 7, idx, _text(ent.name))
        # the chassis carries the device's identity (the CLI's `display esn` / `show inventory` say the same)
        out.cell(
            ENT_PHYSICAL_ENTRY, 10, idx, _text(f"{ident.version} {ident.release}".strip() if top else "")
        )
        out.cell(ENT_PHYSICAL_ENTRY, 11, idx, _text(ident.serial if top else ""))
        out.cell(ENT_PHYSICAL_ENTRY, 12, idx, _text(ident.vendor))
        out.cell(ENT_PHYSICAL_ENTRY, 13, idx, _text(ident.model if top else ""))
        cpu = _percent(state, "cpu") if ent.main else _int(0)
        mem = _percent(state, "mem") if ent.main else _int(0)
        if platform in (Platform.HUAWEI_VRP8, Platform.HUAWEI_VRP5):
            out.cell(HW_ENTITY_STATE_ENTRY, 5, idx, cpu)
            out.cell(HW_ENTITY_STATE_ENTRY, 7, idx, mem)
        elif platform is Platform.H3C_COMWARE7:
            out.cell(HH3C_ENTITY_EXT_STATE_ENTRY, 6, idx, cpu)
            out.cell(HH3C_ENTITY_EXT_STATE_ENTRY, 8, idx, mem)
    if platform is Platform.CISCO_IOS:
        main = next(e for e in entities if e.main)
        cpu_fn = _percent(state, "cpu")
        out.cell(CPM_CPU_TOTAL_ENTRY, 2, (1,), _int(main.index))  # cpmCPUTotalPhysicalIndex
        for column in (6, 7, 8):  # cpmCPUTotal5secRev, 1minRev, 5minRev
            out.cell(CPM_CPU_TOTAL_ENTRY, column, (1,), cpu_fn)
        _cisco_pool(out, 1, "Processor", CISCO_PROCESSOR_POOL, lambda: state.memory_percent)
        _cisco_pool(out, 2, "I/O", CISCO_IO_POOL, lambda: 30.0)


def _percent(state: DeviceState, what: str) -> Value:
    if what == "cpu":
        return lambda now: _int(max(0, min(100, round(state.cpu_percent))))
    return lambda now: _int(max(0, min(100, round(state.memory_percent))))


def _cisco_pool(out: _Entries, index: int, name: str, size: int, percent: Callable[[], float]) -> None:
    def used(now: float) -> bytes:
        return encode_unsigned(int(size * max(0.0, min(100.0, percent())) / 100), GAUGE32)

    def free(now: float) -> bytes:
        return encode_unsigned(size - int(size * max(0.0, min(100.0, percent())) / 100), GAUGE32)

    idx = (index,)
    out.cell(CISCO_MEMORY_POOL_ENTRY, 2, idx, _text(name))  # ciscoMemoryPoolName
    out.cell(CISCO_MEMORY_POOL_ENTRY, 4, idx, _int(1))  # ciscoMemoryPoolValid true(1)
    out.cell(CISCO_MEMORY_POOL_ENTRY, 5, idx, used)
    out.cell(CISCO_MEMORY_POOL_ENTRY, 6, idx, free)


def _peer_ip(world: LabWorld, state: DeviceState, nb: Neighbor, own: bool) -> str:
    """The address on the link (the inventory's interface address) or, without one, the router id."""
    inv = world.inventory
    fallback = str(state.device.address) if own else nb.peer_address
    link = inv.links.get(nb.link)
    if link is None:
        return fallback
    end = link.other(nb.peer_device) if own else link.other(state.device.id)
    device = inv.devices.get(end.device)
    itf = next((i for i in device.interfaces if i.name == end.interface), None) if device else None
    if itf is None or not itf.address:
        return fallback
    try:
        return str(ipaddress.IPv4Interface(itf.address).ip)
    except ValueError:
        return fallback


def asn_of(world: LabWorld, device: str) -> int:
    """A device's BGP AS: ``vars.bgp_asn`` from the inventory, else a stable private AS."""
    return bgp_asn(world.inventory.devices[device])


def _up_down(nb: Neighbor, up: bytes, down: bytes) -> Value:
    return lambda now: up if nb.up else down


def _neighbors(out: _Entries, world: LabWorld, state: DeviceState) -> None:
    seen: set[Oid] = set()
    for nb in state.neighbors:
        remote = _ip_bytes(_peer_ip(world, state, nb, own=False))
        router_id = _ip_bytes(nb.peer_address)
        if nb.protocol == "ospf":
            if not nb.up:
                continue  # a lost neighbour's row is removed (real agents drop it after the dead interval)
            idx = (*remote, 0)
            if idx in seen:
                continue
            seen.add(idx)
            out.cell(OSPF_NBR_ENTRY, 1, idx, encode_ip(remote))
            out.cell(OSPF_NBR_ENTRY, 2, idx, _int(0))
            out.cell(OSPF_NBR_ENTRY, 3, idx, encode_ip(router_id))
            out.cell(OSPF_NBR_ENTRY, 4, idx, _int(2))  # ospfNbrOptions: E bit
            out.cell(OSPF_NBR_ENTRY, 5, idx, _int(1))  # ospfNbrPriority
            out.cell(OSPF_NBR_ENTRY, 6, idx, _up_down(nb, _int(8), _int(1)))  # full / down
    peers = world.bgp_peers(state.device.id)
    for peer in peers:  # the peers the running configuration names; a removed peer statement removes the row
        raw = _ip_bytes(peer.address)
        bidx = tuple(raw)
        if (9, *bidx) in seen:
            continue
        seen.add((9, *bidx))
        session, down = peer.neighbor, _int(3)  # active(3): configured, the session is not up
        if session is None:
            out.cell(BGP_PEER_ENTRY, 1, bidx, encode_ip(bytes(4)))
            out.cell(BGP_PEER_ENTRY, 2, bidx, down)
        else:  # bgpPeerIdentifier 0.0.0.0 while not established
            out.cell(
                BGP_PEER_ENTRY,
                1,
                bidx,
                _up_down(session, encode_ip(_ip_bytes(session.peer_address)), encode_ip(bytes(4))),
            )
            out.cell(BGP_PEER_ENTRY, 2, bidx, _up_down(session, _int(6), down))  # established(6)
        out.cell(BGP_PEER_ENTRY, 3, bidx, _int(2))  # bgpPeerAdminStatus start(2)
        out.cell(BGP_PEER_ENTRY, 4, bidx, _int(4))  # bgpPeerNegotiatedVersion
        out.cell(BGP_PEER_ENTRY, 5, bidx, encode_ip(_ip_bytes(peer.local_address)))
        out.cell(BGP_PEER_ENTRY, 7, bidx, encode_ip(raw))
        out.cell(BGP_PEER_ENTRY, 9, bidx, _int(peer.remote_as))
    if peers or (state.config is not None and state.config.bgp_asn is not None):
        local_as = state.config.bgp_asn if state.config is not None else None
        out.scalar(BGP_LOCAL_AS, _int(local_as or asn_of(world, state.device.id)))


def _ups(out: _Entries, state: DeviceState) -> None:
    since: list[float] = []  # when the UPS was first seen on battery, for upsSecondsOnBattery

    def seconds_on_battery(now: float) -> bytes:
        if not state.on_battery:
            since.clear()
            return _int(0)
        if not since:
            since.append(now)
        return _int(int(now - since[0]))

    out.scalar((*UPS, 1, 1), _text("Eaton"))  # upsIdentManufacturer
    out.scalar((*UPS, 1, 2), _text("9SX 3000i"))  # upsIdentModel
    # upsBatteryStatus: normal(2), low(3) when on battery with 10 minutes or less
    out.scalar((*UPS, 2, 1), lambda now: _int(3 if state.on_battery and state.battery_minutes <= 10 else 2))
    out.scalar((*UPS, 2, 2), seconds_on_battery)
    out.scalar((*UPS, 2, 3), lambda now: _int(max(0, state.battery_minutes)))
    out.scalar(
        (*UPS, 2, 4),
        lambda now: _int(100 if not state.on_battery else max(0, min(100, 2 * state.battery_minutes))),
    )
    out.scalar((*UPS, 4, 1), lambda now: _int(5 if state.on_battery else 3))  # battery(5) / normal(3)


def _ip_addresses(out: _Entries, state: DeviceState) -> None:
    """IP-MIB ipForwarding and ipAddrTable: the primary addresses the running configuration gives (the
    inventory's without a CLI); the view is rebuilt when the configuration changes."""
    out.scalar(IP_FORWARDING, _int(1 if state.device.role.routes else 2))
    for itf in state.interfaces:
        cfg = state.config.interfaces.get(itf.name) if state.config is not None else None
        addr = cfg.address if cfg is not None else None
        if cfg is None:
            inv = next((i for i in state.device.interfaces if i.name == itf.name), None)
            try:
                addr = ipaddress.IPv4Interface(inv.address) if inv is not None and inv.address else None
            except ValueError:
                addr = None
        if addr is None:
            continue
        idx = tuple(addr.ip.packed)
        out.cell(IP_ADDR_ENTRY, 1, idx, encode_ip(addr.ip.packed))  # ipAdEntAddr
        out.cell(IP_ADDR_ENTRY, 2, idx, _int(itf.index))  # ipAdEntIfIndex
        out.cell(IP_ADDR_ENTRY, 3, idx, encode_ip(addr.netmask.packed))  # ipAdEntNetMask
        out.cell(IP_ADDR_ENTRY, 4, idx, _int(1))  # ipAdEntBcastAddr
        out.cell(IP_ADDR_ENTRY, 5, idx, _int(18024))  # ipAdEntReasmMaxSize


def _lldp(out: _Entries, world: LabWorld, state: DeviceState, ident: DeviceIdentity) -> None:
    """LLDP-MIB: the local chassis (macAddress(4), the identity's MAC) and one lldpRemTable row per link whose
    local interface is up (index: time mark 0, local port = ifIndex, remote index 1); the CLI's LLDP
    displays show the same neighbours."""
    if not state.device.platform.has_cli:
        return
    out.scalar((*LLDP_LOC, 1), _int(4))
    out.scalar((*LLDP_LOC, 2), encode_octets(bytes.fromhex(ident.mac.replace("-", ""))))
    out.scalar((*LLDP_LOC, 3), _text(state.device.id))
    from netops.lab.cli.displays import lldp_neighbours  # the one definition of who is an LLDP neighbour

    for nb in lldp_neighbours(world, state):
        itf = state.interface(nb.local)
        if itf is None:
            continue
        idx = (0, itf.index, 1)
        out.cell(LLDP_REM_ENTRY, 4, idx, _int(4))  # lldpRemChassisIdSubtype macAddress
        out.cell(LLDP_REM_ENTRY, 5, idx, encode_octets(bytes.fromhex(nb.chassis_mac.replace("-", ""))))
        out.cell(LLDP_REM_ENTRY, 6, idx, _int(5))  # lldpRemPortIdSubtype interfaceName
        out.cell(LLDP_REM_ENTRY, 7, idx, _text(nb.port))
        out.cell(LLDP_REM_ENTRY, 8, idx, _text(nb.port_description))
        out.cell(LLDP_REM_ENTRY, 9, idx, _text(nb.system_name))
        out.cell(LLDP_REM_ENTRY, 10, idx, _text(nb.system_description))
        out.cell(LLDP_REM_ENTRY, 11, idx, encode_octets(b"\x28\x00"))  # bridge, router
        out.cell(LLDP_REM_ENTRY, 12, idx, encode_octets(b"\x08\x00"))  # router
