"""One canonical interface name per platform: the spellings of CLI tables, SNMP ifName/ifDescr and the
inventory compare equal."""

from __future__ import annotations

import pytest

from netops.drivers.names import canonical, same
from netops.inventory.models import Platform

IOS, VRP8, VRP5, CMW = Platform.CISCO_IOS, Platform.HUAWEI_VRP8, Platform.HUAWEI_VRP5, Platform.H3C_COMWARE7


@pytest.mark.parametrize(
    ("platform", "name", "full"),
    [
        (IOS, "Gi0/1", "GigabitEthernet0/1"),
        (IOS, "GigabitEthernet0/1", "GigabitEthernet0/1"),
        (IOS, "Gi0/2.101", "GigabitEthernet0/2.101"),
        (IOS, "Te1/0/1", "TenGigabitEthernet1/0/1"),
        (IOS, "Fa0/0", "FastEthernet0/0"),
        (IOS, "Po1", "Port-channel1"),
        (IOS, "Lo0", "Loopback0"),
        (IOS, "Vl1980", "Vlan1980"),
        (IOS, "Nu0", "Null0"),
        (IOS, "Se0/0/0:0", "Serial0/0/0:0"),
        (IOS, "Et0/0", "Ethernet0/0"),
        (VRP8, "GE0/0/1", "GigabitEthernet0/0/1"),
        (VRP8, "GigabitEthernet 0/0/1", "GigabitEthernet0/0/1"),
        (VRP8, "GigabitEthernet1/0/1.50(10G)", "GigabitEthernet1/0/1.50"),
        (VRP8, "GigabitEthernet0/0/5(v)", "GigabitEthernet0/0/5"),
        (VRP8, "XGE0/0/1", "XGigabitEthernet0/0/1"),
        (VRP8, "Eth-Trunk1", "Eth-Trunk1"),
        (VRP8, "Eth-Trunk4.10", "Eth-Trunk4.10"),
        (VRP5, "Vlanif100", "Vlanif100"),
        (VRP5, "Loop0", "LoopBack0"),
        (VRP5, "Loopback0", "LoopBack0"),
        (VRP8, "100GE1/0/1", "100GE1/0/1"),  # the full name on CloudEngine
        (VRP8, "Wlan-Radio0/0/0", "Wlan-Radio0/0/0"),  # unknown: as written
        (CMW, "GE0/0/1", "GigabitEthernet0/0/1"),
        (CMW, "XGE0/0/10", "Ten-GigabitEthernet0/0/10"),
        (CMW, "Vlan1", "Vlan-interface1"),
        (CMW, "Loop0", "LoopBack0"),
        (CMW, "InLoop0", "InLoopBack0"),
        (CMW, "RAGG1", "Route-Aggregation1"),
        (CMW, "BAGG1", "Bridge-Aggregation1"),
        (CMW, "MGE0/0/0", "M-GigabitEthernet0/0/0"),
        (CMW, "REG0", "Register-Tunnel0"),
        (CMW, "NULL0", "NULL0"),
    ],
)
def test_canonical(platform: Platform, name: str, full: str) -> None:
    assert canonical(platform, name) == full


def test_short_long_and_inventory_spellings_are_one_interface() -> None:
    assert same(IOS, "Gi0/1", "GigabitEthernet0/1")
    assert same(VRP8, "GE0/0/1", "GigabitEthernet0/0/1")
    assert not same(IOS, "Gi0/1", "GigabitEthernet0/10")
    assert not same(VRP8, "GE0/0/1", "XGigabitEthernet0/0/1")
