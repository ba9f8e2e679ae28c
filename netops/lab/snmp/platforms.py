"""What each simulated platform's SNMP agent says about itself: sysDescr, sysObjectID, engine enterprise,
the physical entities whose CPU/memory rows it serves, and how it spells interface names.

Pure data read by ``device_view.py`` (which builds the MIB view) and ``agent.py`` (the engine id's enterprise).
The entity indexes are documented in ``docs/lab-snmp.md``; pollers must pick the main board (entPhysicalClass
module(9)) among the rows, as on the real devices.
"""

from __future__ import annotations

from dataclasses import dataclass

from netops.inventory.models import Platform
from netops.lab.state import DeviceIdentity

# entPhysicalClass values (ENTITY-MIB PhysicalClass)
CHASSIS, POWER_SUPPLY, FAN, MODULE = 3, 6, 7, 9


@dataclass(frozen=True, slots=True)
class Entity:
    index: int  # entPhysicalIndex, also the index of the vendor CPU/memory rows
    name: str  # entPhysicalName
    descr: str  # entPhysicalDescr
    klass: int  # entPhysicalClass
    main: bool = False  # the board whose CPU/memory the device reports


@dataclass(frozen=True, slots=True)
class PlatformInfo:
    enterprise: int
    sys_object_id: tuple[int, ...]
    default_model: str
    descr: str  # format string with {model}, {version}, {release}, {product} (``DeviceIdentity``)
    oui: bytes  # first three octets of ifPhysAddress
    entities: tuple[Entity, ...]


_HUAWEI_ENTITIES = (
    Entity(16777216, "Chassis", "Chassis", CHASSIS),
    Entity(16842753, "MPU Board 1", "Main Processing Unit", MODULE, main=True),
    Entity(16973825, "POWER Card 1", "Power Module", POWER_SUPPLY),
    Entity(17039361, "FAN Card 1", "Fan Module", FAN),
)
_H3C_ENTITIES = (
    Entity(1, "Chassis", "Chassis", CHASSIS),
    Entity(2, "Slot 0", "Main Board", MODULE, main=True),
    Entity(27, "Power 0", "Power Supply", POWER_SUPPLY),
    Entity(31, "Fan 0", "Fan Tray", FAN),
)
_CISCO_ENTITIES = (
    Entity(1, "Chassis", "Cisco ISR Chassis", CHASSIS),
    Entity(2, "module R0", "Cisco Route Processor", MODULE, main=True),
    Entity(3, "Power Supply Module 0", "250W AC Power Supply", POWER_SUPPLY),
    Entity(4, "Fan Tray", "Cisco Fan Tray", FAN),
)
_SIMPLE_ENTITIES = (Entity(1, "Chassis", "Chassis", CHASSIS, main=True),)

PLATFORMS: dict[Platform, PlatformInfo] = {
    Platform.HUAWEI_VRP8: PlatformInfo(
        2011,
        (1, 3, 6, 1, 4, 1, 2011, 2, 62, 2, 9),
        "NE40E-X3A",
        "Huawei Versatile Routing Platform Software\r\n"
        "VRP (R) software, Version {version} ({product} {release})\r\n"
        "Copyright (C) 2012-2019 Huawei Technologies Co., Ltd.\r\nHUAWEI {model}\r\n",
        b"\x00\xe0\xfc",
        _HUAWEI_ENTITIES,
    ),
    Platform.HUAWEI_VRP5: PlatformInfo(
        2011,
        (1, 3, 6, 1, 4, 1, 2011, 2, 224, 67),
        "AR2220E",
        "Huawei Versatile Routing Platform Software\r\n"
        "VRP (R) software, Version {version} ({product} {release})\r\n"
        "Copyright (C) 2011-2018 HUAWEI TECH CO., LTD\r\nHuawei {model} Router",
        b"\x70\x7b\xe8",
        _HUAWEI_ENTITIES,
    ),
    Platform.H3C_COMWARE7: PlatformInfo(
        25506,
        (1, 3, 6, 1, 4, 1, 25506, 11, 1, 138),
        "MSR3620",
        "H3C Comware Platform Software, Software Version {version}, {release}\r\n"
        "H3C {model}\r\nCopyright (c) 2004-2020 New H3C Technologies Co., Ltd. All rights reserved.",
        b"\x3c\x8c\x40",
        _H3C_ENTITIES,
    ),
    Platform.CISCO_IOS: PlatformInfo(
        9,
        (1, 3, 6, 1, 4, 1, 9, 1, 1861),
        "ISR4331/K9",
        "Cisco IOS Software [Fuji], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version {version}, "
        "RELEASE SOFTWARE ({release})\r\nTechnical Support: http://www.cisco.com/techsupport\r\n"
        "Copyright (c) 1986-2020 by Cisco Systems, Inc.\r\nCompiled Thu 30-Jan-20 02:09 by mcpre",
        b"\x00\x1e\x49",
        _CISCO_ENTITIES,
    ),
    Platform.CODEC: PlatformInfo(
        5596,
        (1, 3, 6, 1, 4, 1, 5596, 150, 6, 4, 1),
        "Room Kit",
        "Cisco Codec\r\nSoftwareID: {version}\r\nMCU: Cisco Webex {model}\r\n",
        b"\x00\x50\x60",
        _SIMPLE_ENTITIES,
    ),
    Platform.MCU: PlatformInfo(
        2011,
        (1, 3, 6, 1, 4, 1, 2011, 6, 122, 1),
        "VP9660",
        "HUAWEI {model} Multipoint Control Unit, Version {version}",
        b"\x00\x18\x82",
        _SIMPLE_ENTITIES,
    ),
}

# inventory abbreviation -> the long form the vendor uses in ifDescr (and, but for IOS, in ifName)
_LONG_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "huawei": (
        ("XGE", "XGigabitEthernet"),
        ("GE", "GigabitEthernet"),
        ("Eth-Trunk", "Eth-Trunk"),
        ("Eth", "Ethernet"),
        ("Loop", "LoopBack"),
        ("Lo", "LoopBack"),
        ("MEth", "MEth"),
        ("Vlanif", "Vlanif"),
        ("Tun", "Tunnel"),
    ),
    "h3c": (
        ("XGE", "Ten-GigabitEthernet"),
        ("GE", "GigabitEthernet"),
        ("Loop", "LoopBack"),
        ("Lo", "LoopBack"),
        ("InLoop", "InLoopBack"),
        ("M-GE", "M-GigabitEthernet"),
        ("MGE", "M-GigabitEthernet"),
        ("Vlan-int", "Vlan-interface"),
        ("Vlan", "Vlan-interface"),
        ("RAGG", "Route-Aggregation"),
        ("BAGG", "Bridge-Aggregation"),
        ("Tun", "Tunnel"),
    ),
    "cisco": (
        ("Te", "TenGigabitEthernet"),
        ("Gi", "GigabitEthernet"),
        ("Fa", "FastEthernet"),
        ("Lo", "Loopback"),
        ("Tu", "Tunnel"),
        ("Se", "Serial"),
    ),
}


def sys_descr(info: PlatformInfo, ident: DeviceIdentity) -> str:
    """sysDescr from the device's identity, worded as the platform words it (the CLI renders the same)."""
    return info.descr.format(
        model=ident.model, version=ident.version, release=ident.release, product=product(ident)
    )


def product(ident: DeviceIdentity) -> str:
    """The product family VRP prints beside the release: ``NE40E`` of ``NE40E-X8A``, ``NetEngine 8000`` of
    ``NetEngine 8000 M8``; a VRP5 AR prints its model."""
    model = ident.model
    if ident.vendor == "Huawei" and ident.model.startswith("AR"):
        return model
    if "-" in model:
        return model.split("-")[0]
    return model.rsplit(" ", 1)[0] if " " in model else model


def long_name(vendor: str, name: str) -> str:
    """``GE0/0/1`` -> ``GigabitEthernet0/0/1`` in the vendor's spelling; unknown prefixes stay as they are."""
    table = _LONG_NAMES.get(vendor, ())
    for _short, full in table:
        if name.startswith(full) and name[len(full) : len(full) + 1].isdigit():
            return name
    for short, full in table:
        if name.startswith(short) and name[len(short) : len(short) + 1].isdigit():
            return full + name[len(short) :]
    return name


# IOS reports ifName in its short form (``Gi0/1``) and ifDescr in the long one
_IOS_SHORT = (
    ("TenGigabitEthernet", "Te"),
    ("GigabitEthernet", "Gi"),
    ("FastEthernet", "Fa"),
    ("Ethernet", "Et"),
    ("Loopback", "Lo"),
    ("Port-channel", "Po"),
    ("Tunnel", "Tu"),
    ("Serial", "Se"),
    ("Vlan", "Vl"),
    ("Null", "Nu"),
)


def if_name(vendor: str, name: str) -> str:
    """ifName as the vendor's agent fills it: IOS's short form (``GigabitEthernet0/1`` -> ``Gi0/1``), VRP's and
    Comware's long one (``GE0/0/1`` -> ``GigabitEthernet0/0/1``, as in their configuration), whatever spelling
    the inventory uses."""
    full = long_name(vendor, name)
    if vendor != "cisco":
        return full
    for long, short in _IOS_SHORT:
        if full.startswith(long) and full[len(long) : len(long) + 1].isdigit():
            return short + full[len(long) :]
    return full


def if_type(name: str, loopback: bool) -> int:
    """IANAifType: softwareLoopback(24), l3ipvlan(136), tunnel(131), ppp(23), else ethernetCsmacd(6)."""
    low = name.lower()
    if loopback or low.startswith("lo"):
        return 24
    if low.startswith("vlan"):
        return 136
    if low.startswith("tu"):
        return 131
    if low.startswith(("se", "serial")):
        return 23
    return 6
