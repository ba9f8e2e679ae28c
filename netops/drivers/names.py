"""Canonical interface names per platform: one function, ``canonical(platform, name)``, for every place that
compares an interface name with another (CLI parsing, SNMP ifName/ifDescr, the inventory, configuration text).

Part of ``netops.drivers``. Devices spell one interface several ways: IOS ``show ip interface brief`` says
``GigabitEthernet0/1`` and its SNMP ifName says ``Gi0/1``; VRP configuration says ``GigabitEthernet0/0/1``,
engineers and inventories write ``GE0/0/1``, and ``display interface brief`` may add a speed or state tag
(``GigabitEthernet1/0/0(10G)``, ``GigabitEthernet0/0/5(v)``); Comware's brief tables say ``GE0/0/1``,
``XGE0/0/10``, ``Vlan1``, ``Loop0`` for ``Vlan-interface1`` and ``LoopBack0``. ``canonical`` gives the full
name the platform uses in its configuration, so that all of these compare equal. Names it does not know
(``Wlan-Radio0/0/0``, ``100GE1/0/1``) come back trimmed and otherwise unchanged.
"""

from __future__ import annotations

import re
from functools import lru_cache

from netops.inventory.models import Platform

# per dialect: lower-case abbreviation -> the full name the platform's configuration uses
_HUAWEI = {
    "ge": "GigabitEthernet",
    "gigabitethernet": "GigabitEthernet",
    "xge": "XGigabitEthernet",
    "xgigabitethernet": "XGigabitEthernet",
    "multige": "MultiGE",
    "eth-trunk": "Eth-Trunk",
    "eth": "Ethernet",
    "ethernet": "Ethernet",
    "lo": "LoopBack",
    "loop": "LoopBack",
    "loopback": "LoopBack",
    "vlanif": "Vlanif",
    "tun": "Tunnel",
    "tunnel": "Tunnel",
    "null": "NULL",
    "meth": "MEth",
    "serial": "Serial",
    "vt": "Virtual-Template",
    "virtual-template": "Virtual-Template",
    "dialer": "Dialer",
    "cellular": "Cellular",
    "aux": "Aux",
}
_COMWARE = {
    "ge": "GigabitEthernet",
    "gigabitethernet": "GigabitEthernet",
    "xge": "Ten-GigabitEthernet",
    "ten-gigabitethernet": "Ten-GigabitEthernet",
    "fge": "FortyGigE",
    "fortygige": "FortyGigE",
    "hge": "HundredGigE",
    "hundredgige": "HundredGigE",
    "wge": "TwentyFiveGigE",
    "twentyfivegige": "TwentyFiveGigE",
    "mge": "M-GigabitEthernet",
    "m-ge": "M-GigabitEthernet",
    "m-gigabitethernet": "M-GigabitEthernet",
    "loop": "LoopBack",
    "loopback": "LoopBack",
    "inloop": "InLoopBack",
    "inloopback": "InLoopBack",
    "vlan": "Vlan-interface",
    "vlan-int": "Vlan-interface",
    "vlan-interface": "Vlan-interface",
    "ragg": "Route-Aggregation",
    "route-aggregation": "Route-Aggregation",
    "bagg": "Bridge-Aggregation",
    "bridge-aggregation": "Bridge-Aggregation",
    "tun": "Tunnel",
    "tunnel": "Tunnel",
    "null": "NULL",
    "reg": "Register-Tunnel",
    "register-tunnel": "Register-Tunnel",
    "mp": "MP-group",
    "mp-group": "MP-group",
    "ser": "Serial",
    "serial": "Serial",
    "dia": "Dialer",
    "dialer": "Dialer",
    "cellular": "Cellular",
    "aux": "Aux",
}
_IOS = {
    "ge": "GigabitEthernet",
    "gi": "GigabitEthernet",
    "gig": "GigabitEthernet",
    "gigabitethernet": "GigabitEthernet",
    "te": "TenGigabitEthernet",
    "ten": "TenGigabitEthernet",
    "tengigabitethernet": "TenGigabitEthernet",
    "twe": "TwentyFiveGigE",
    "twentyfivegige": "TwentyFiveGigE",
    "fo": "FortyGigabitEthernet",
    "fortygigabitethernet": "FortyGigabitEthernet",
    "hu": "HundredGigE",
    "hundredgige": "HundredGigE",
    "fa": "FastEthernet",
    "fastethernet": "FastEthernet",
    "et": "Ethernet",
    "eth": "Ethernet",
    "ethernet": "Ethernet",
    "lo": "Loopback",
    "loopback": "Loopback",
    "po": "Port-channel",
    "port-channel": "Port-channel",
    "se": "Serial",
    "serial": "Serial",
    "vl": "Vlan",
    "vlan": "Vlan",
    "tu": "Tunnel",
    "tunnel": "Tunnel",
    "nu": "Null",
    "null": "Null",
    "di": "Dialer",
    "dialer": "Dialer",
    "vi": "Virtual-Access",
    "virtual-access": "Virtual-Access",
    "vt": "Virtual-Template",
    "virtual-template": "Virtual-Template",
    "mu": "Multilink",
    "multilink": "Multilink",
    "ce": "Cellular",
    "cellular": "Cellular",
    "bdi": "BDI",
    "nvi": "NVI",
}
TABLES: dict[Platform, dict[str, str]] = {
    Platform.HUAWEI_VRP8: _HUAWEI,
    Platform.HUAWEI_VRP5: _HUAWEI,
    Platform.H3C_COMWARE7: _COMWARE,
    Platform.CISCO_IOS: _IOS,
}

_SPLIT = re.compile(r"^([A-Za-z][A-Za-z-]*?)\s*(\d[\d/:.]*)$")
# VRP ``display interface brief`` tags after the number: ``(10G)``, ``(100G)``, ``(v)``, ``(l)``...
_TAG = re.compile(r"\([0-9A-Za-z]+\)$")


@lru_cache(maxsize=65536)
def canonical(platform: Platform, name: str) -> str:
    """The full name ``platform`` uses in its configuration: ``canonical(CISCO_IOS, "Gi0/1")`` ->
    ``GigabitEthernet0/1``; ``canonical(HUAWEI_VRP8, "GE0/0/1")`` -> ``GigabitEthernet0/0/1``."""
    text = name.strip()
    while (tag := _TAG.search(text)) is not None and tag.start() > 0:
        text = text[: tag.start()].rstrip()
    m = _SPLIT.match(text)
    if m is None:
        return text
    prefix, number = m.group(1), m.group(2)
    table = TABLES.get(platform, {})
    full = table.get(prefix.lower())
    if full is None:  # an unambiguous start of a full name (``Gigabit0/1``), else as written
        fulls = {f for f in table.values() if f.lower().startswith(prefix.lower())}
        full = fulls.pop() if len(fulls) == 1 else prefix
    return full + number


def same(platform: Platform, a: str, b: str) -> bool:
    """Whether two spellings name one interface of a ``platform`` device."""
    return canonical(platform, a).lower() == canonical(platform, b).lower()
