"""Parsers fail loudly: a line no parser reads is an ``UnreadableOutput`` naming the command and the line.

The texts here are written for these tests (no public, licensed capture of VRP ``display ospf peer brief`` or
Comware ``display ospf peer`` exists; see captures/SOURCES.md): their layout follows the vendors' command
references, their values are made up. Real captures are in ``test_captures.py``; the lab's output of every
command netops sends is read in ``test_lab_output.py``.
"""

from __future__ import annotations

import pytest

from netops.drivers import parsing
from netops.errors import UnreadableOutput
from netops.inventory.models import Platform

VRP8_BRIEF = """(M) Indicates MADJ neighbor


          OSPF Process 1 with Router ID 10.9.9.1
                   Peer Statistic Information
Total number of peer(s): 3
 Peer(s) in full state: 2
-----------------------------------------------------------------------------
 Area Id         Interface                  Neighbor id          State
 0.0.0.0         GigabitEthernet0/1/0       10.9.9.2             Full
 0.0.0.1         Eth-Trunk1.20              10.9.9.3(M)          Full
 0.0.0.1         Vlanif100                  10.9.9.4             Init
-----------------------------------------------------------------------------
"""

VRP5_BRIEF = """
\t OSPF Process 1 with Router ID 10.9.8.1
\t\t  Peer Statistic Information
 ----------------------------------------------------------------------------
 Area Id          Interface                        Neighbor id      State
 0.0.0.0          GigabitEthernet0/0/0             10.9.8.2         Full
 ----------------------------------------------------------------------------
\t OSPF Process 2 with Router ID 10.9.8.1
\t\t  Peer Statistic Information
 ----------------------------------------------------------------------------
 Area Id          Interface                        Neighbor id      State
 0.0.0.0          GigabitEthernet0/0/1             10.9.8.3         2-Way
 ----------------------------------------------------------------------------
"""

COMWARE = """
         OSPF Process 1 with Router ID 10.9.7.1
               Neighbor Brief Information

 Area: 0.0.0.0
 Router ID       Address         Pri Dead-Time  State             Interface
 10.9.7.2        10.0.0.2        1   34         Full/DR           GE0/1
 10.9.7.3        10.0.0.13       0   37         Full/ -           XGE1/0/1

 Area: 0.0.0.1
 Router ID       Address         Pri Dead-Time  State             Interface
 10.9.7.4        10.0.0.6        1   31         ExStart/BDR       Vlan100
"""

COMWARE_OLDER = """
                  OSPF Process 100 with Router ID 10.9.6.1
                        Neighbor Brief Information

 Area: 0.0.0.0
 Router ID       Address         Pri Dead-Time Interface       State
 10.9.6.2        10.0.6.2        1   37        Vlan3           Full/BDR
"""

VERBOSE = """
\t OSPF Process 1 with Router ID 10.9.8.1
\t\t Neighbors

 Area 0.0.0.0 interface 10.0.0.1(GigabitEthernet0/0/2)'s neighbors
 Router ID: 10.9.8.2         Address: 10.0.0.2         GR State: Normal
   State: Full  Mode:Nbr is  Slave  Priority: 1
"""


def rows(platform: Platform, text: str) -> list[tuple[str, str, str, bool]]:
    return [(n.router_id, n.interface, n.state, n.full) for n in parsing.ospf_neighbours(platform, "", text)]


def test_vrp8_brief_every_row_with_its_state() -> None:
    assert rows(Platform.HUAWEI_VRP8, VRP8_BRIEF) == [
        ("10.9.9.2", "GigabitEthernet0/1/0", "Full", True),
        ("10.9.9.3", "Eth-Trunk1.20", "Full", True),
        ("10.9.9.4", "Vlanif100", "Init", False),
    ]


def test_vrp5_brief_with_two_processes() -> None:
    assert rows(Platform.HUAWEI_VRP5, VRP5_BRIEF) == [
        ("10.9.8.2", "GigabitEthernet0/0/0", "Full", True),
        ("10.9.8.3", "GigabitEthernet0/0/1", "2-Way", False),
    ]


def test_vrp_brief_whose_total_differs_from_its_rows_is_an_error() -> None:
    text = VRP8_BRIEF.replace("Total number of peer(s): 3", "Total number of peer(s): 4")
    with pytest.raises(UnreadableOutput, match=r"says 4 peer\(s\), 3 row\(s\) read"):
        parsing.ospf_neighbours(Platform.HUAWEI_VRP8, "display ospf peer brief", text)


def test_the_verbose_form_is_not_read_as_a_table() -> None:
    """The old parser returned [] for this (so "no neighbour lost" was always true); now it is an error."""
    with pytest.raises(UnreadableOutput, match=r"'display ospf peer brief': cannot read line 'Neighbors'"):
        parsing.ospf_neighbours(Platform.HUAWEI_VRP8, "display ospf peer brief", VERBOSE)


def test_comware_peer_table_in_both_column_orders() -> None:
    assert rows(Platform.H3C_COMWARE7, COMWARE) == [
        ("10.9.7.2", "GigabitEthernet0/1", "Full/DR", True),
        ("10.9.7.3", "Ten-GigabitEthernet1/0/1", "Full/ -", True),
        ("10.9.7.4", "Vlan-interface100", "ExStart/BDR", False),
    ]
    assert rows(Platform.H3C_COMWARE7, COMWARE_OLDER) == [("10.9.6.2", "Vlan-interface3", "Full/BDR", True)]


def test_a_row_before_its_header_is_an_error() -> None:
    text = " 10.9.7.2        10.0.0.2        1   34         Full/DR           GE0/1\n"
    with pytest.raises(UnreadableOutput, match=r"'display ospf peer': cannot read line '10\.9\.7\.2"):
        parsing.ospf_neighbours(Platform.H3C_COMWARE7, "display ospf peer", text)


def test_an_ios_row_the_template_skips_is_an_error_not_a_drop() -> None:
    """ntc's IOS template ignores lines it does not match; netops checks every line was read."""
    text = (
        "Interface              IP-Address      OK? Method Status                Protocol\n"
        "GigabitEthernet0/1     10.0.0.1        YES NVRAM  up                    up\n"
        "GigabitEthernet0/2     unassigned      YES unset  reset                 down\n"
    )
    with pytest.raises(
        UnreadableOutput, match="'show ip interface brief': cannot read line 'GigabitEthernet0/2"
    ):
        parsing.interfaces(Platform.CISCO_IOS, "show ip interface brief", text)


def test_a_vrp_row_the_template_refuses_is_an_error_naming_it() -> None:
    text = (
        "Interface                   PHY   Protocol  InUti OutUti   inErrors  outErrors\n"
        "GigabitEthernet0/0/1        up    up           0%     0%          0          0\n"
        "GigabitEthernet0/0/2        testing up         0%     0%          0          0\n"
    )
    with pytest.raises(
        UnreadableOutput, match="'display interface brief': cannot read line 'GigabitEthernet0/0/2"
    ):
        parsing.interfaces(Platform.HUAWEI_VRP8, "display interface brief", text)


def test_vrp_legend_lines_the_template_does_not_list_are_legends() -> None:
    text = (
        "(ld): loop-detect trigger down\n(mf): mac-flapping blocked\n"
        "Interface                   PHY   Protocol  InUti OutUti   inErrors  outErrors\n"
        "GigabitEthernet0/0/1        up    up           0%     0%          0          0\n"
    )
    got = parsing.interfaces(Platform.HUAWEI_VRP5, "display interface brief", text)
    assert [(r.name, r.oper_up) for r in got] == [("GigabitEthernet0/0/1", True)]
