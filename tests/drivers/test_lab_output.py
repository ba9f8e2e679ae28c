"""The parsers on the lab's output, over SSH and SNMP, for every command netops sends: the lab prints the real
format (VRP ``display ospf peer`` verbose, ``brief`` the table; IOS ifName short) and netops reads all of it.

The inventory spells the IOS interfaces in full (``GigabitEthernet0/0/0``) while the lab's IOS SNMP agent
reports ifName short (``Gi0/0/0``), as a real IOS does: polling must still map a down interface to its link.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from netops.drivers.cli import CliSession
from netops.drivers.names import canonical
from netops.drivers.platforms import driver_for
from netops.drivers.snmp.source import SnmpSource
from netops.errors import UnreadableOutput
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory, Platform
from netops.inventory.topology import Topology
from netops.lab.testing import SUBNETS, InProcessLab, in_process_lab
from netops.polling.rootcause import links_down_from_interfaces
from netops.secrets import SecretStore
from tests.changes.changes_testlib import INVENTORY, ROUTERS, write_secrets

IOS_UPLINK = "kashgar-kashi-ce1"


@dataclass
class Lab:
    lab: InProcessLab
    inventory: Inventory
    secrets: SecretStore


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("lab-output")
    n = next(SUBNETS)
    text = INVENTORY.format(n=n).replace("Gi0/0/0", "GigabitEthernet0/0/0")
    # a backup uplink for one IOS CE (down, it leaves the CE reachable over its primary)
    for after, line in (
        (
            "description: to-kashgar, address: 10.74.0.10/30}",
            "{name: GigabitEthernet0/0/1, kind: uplink, description: backup, address: 10.74.0.25/30}",
        ),
        (
            "description: to-hetian, address: 10.74.0.21/30}",
            "{name: GE0/0/2, kind: downlink, description: backup-to-kashi, address: 10.74.0.26/30}",
        ),
    ):
        text = text.replace(after, f"{after}\n          - {line}", 1)
    text += '  - {a: "kashgar-kashi-ce1:GigabitEthernet0/0/1", b: "hotan-ce1:GE0/0/2", kind: backup}\n'
    (tmp / "inv").mkdir()
    (tmp / "inv" / "region.yaml").write_text(text, encoding="utf-8")
    inv = load_inventory(tmp / "inv")
    secrets = write_secrets(tmp / "secrets.yaml")
    with in_process_lab(inv, secrets, codecs=False) as running:
        yield Lab(running, inv, secrets)


@pytest.mark.parametrize("device", ROUTERS)
def test_every_interface_and_adjacency_the_lab_prints_is_read(lab: Lab, device: str) -> None:
    dev = lab.inventory.device(device)
    driver = driver_for(dev.platform)
    with CliSession.open(dev, lab.inventory, lab.secrets) as s:
        interfaces = {i.name: i for i in driver.interfaces(s)}
        neighbours = driver.ospf_neighbours(s)
    for itf in dev.interfaces:
        name = canonical(dev.platform, itf.name)
        assert name in interfaces, f"{device}: {name} not read from {driver.show_interfaces!r}"
        assert interfaces[name].admin_up
    expected = {
        nb.peer_address for nb in lab.lab.world.device(device).neighbors if nb.protocol == "ospf" and nb.up
    }
    assert {n.router_id for n in neighbours if n.full} == expected
    assert expected, f"{device} has OSPF neighbours in the lab"


def test_vrp_prints_the_verbose_form_for_plain_display_ospf_peer(lab: Lab) -> None:
    dev = lab.inventory.device("centre-core1")
    with CliSession.open(dev, lab.inventory, lab.secrets) as s:
        verbose = s.send("display ospf peer")
    assert "'s neighbors" in verbose and "Router ID:" in verbose and "State: Full" in verbose
    with pytest.raises(UnreadableOutput):  # the table parser refuses it instead of finding no neighbour
        driver_for(Platform.HUAWEI_VRP8).parse_ospf(verbose, dev.id)


def test_ios_ifname_is_short_and_polling_maps_it_to_the_inventory_link(lab: Lab) -> None:
    dev = lab.inventory.device(IOS_UPLINK)
    link = next(
        lk for lk in lab.inventory.links.values() if lk.a.device == IOS_UPLINK and lk.kind.value == "backup"
    )
    assert link.a.interface == "GigabitEthernet0/0/1"
    source = SnmpSource(lambda: lab.inventory, lab.secrets)
    lab.lab.call(lab.lab.world.set_link_down, link.id, True)
    try:
        sample = asyncio.run(source.poll(dev))
        assert sample.ok, sample.detail
        assert "Gi0/0/0" in {i.name for i in sample.interfaces}  # real IOS ifName
        assert sample.down_interfaces() == ["Gi0/0/1"]
        down = links_down_from_interfaces(Topology(lab.inventory), {dev.id: sample.down_interfaces()})
        assert down == {link.id}
        with CliSession.open(dev, lab.inventory, lab.secrets) as s:
            state = {i.name: i for i in driver_for(dev.platform).interfaces(s)}
        assert not state["GigabitEthernet0/0/1"].oper_up and state["GigabitEthernet0/0/0"].oper_up
    finally:
        lab.lab.call(lab.lab.world.set_link_down, link.id, False)
