"""Block-aware diffs per platform: device output parsed (headers, separators, Comware indentation),
order-insensitive, keys that replace, ``undo``/``no`` forms, interface names, masking."""

from __future__ import annotations

from netops.changes.diff import mask, unavailable
from netops.drivers.platforms.remediation import diff_texts
from netops.drivers.platforms.syntax import syntax_for
from netops.inventory.models import Platform

VRP = syntax_for(Platform.HUAWEI_VRP8)
IOS = syntax_for(Platform.CISCO_IOS)
COMWARE = syntax_for(Platform.H3C_COMWARE7)

VRP_RUNNING = """\
!Software Version V800R011C00SPC607B607
!Last configuration was updated at 2026-11-25 09:00:00+00:00 by netops
#
sysname r1
#
interface GigabitEthernet0/0/1
 description old
 ip address 10.0.0.1 255.255.255.252
#
interface LoopBack9
 ip address 10.9.9.9 255.255.255.255
#
ospf 1 router-id 127.0.0.1
 area 0.0.0.0
  network 10.0.0.0 0.0.0.3
#
ntp-service unicast-server 127.1.2.1
ntp-service unicast-server 127.1.2.2
#
return
"""


def test_same_configuration_in_another_order_and_spelling_is_no_diff() -> None:
    intended = """\
ntp-service unicast-server 127.1.2.2
ntp-service unicast-server 127.1.2.1
ospf 1 router-id 127.0.0.1
 area 0
  network 10.0.0.0 0.0.0.3
interface LoopBack9
 ip address 10.9.9.9 255.255.255.255
interface GE0/0/1
 ip address 10.0.0.1 255.255.255.252
 description old
sysname r1
"""
    rem = diff_texts(VRP, VRP_RUNNING, intended)
    assert rem.empty and rem.commands == []


def test_vrp_remediation_replaces_keys_negates_the_rest_and_leaves_blocks() -> None:
    intended = """\
sysname r1
interface GE0/0/1
 description new
 ip address 10.0.0.1 255.255.255.252
ospf 1 router-id 127.0.0.1
 area 0.0.0.0
  network 10.0.0.0 0.0.0.3
  network 10.1.0.0 0.0.0.255
ntp-service unicast-server 127.1.2.1
acl number 3000
 rule 5 permit ip dscp af41
"""
    rem = diff_texts(VRP, VRP_RUNNING, intended)
    assert rem.commands == [
        "undo interface LoopBack9",  # a logical interface is deleted
        "undo ntp-service unicast-server 127.1.2.2",
        "interface GigabitEthernet0/0/1",
        "description new",  # replaces the old description: no undo
        "quit",
        "ospf 1 router-id 127.0.0.1",
        "area 0.0.0.0",
        "network 10.1.0.0 0.0.0.255",
        "quit",
        "quit",
        "acl number 3000",
        "rule 5 permit ip dscp af41",
        "quit",
    ]
    text = rem.text()
    assert "  interface GigabitEthernet0/0/1\n-  description old\n+  description new\n" in text
    assert "- interface LoopBack9\n-  ip address 10.9.9.9 255.255.255.255\n" in text
    assert "+ acl number 3000\n+  rule 5 permit ip dscp af41\n" in text


def test_physical_interface_not_intended_has_its_contents_negated() -> None:
    rem = diff_texts(VRP, VRP_RUNNING, "sysname r1\n")
    assert rem.commands[:4] == [
        "interface GigabitEthernet0/0/1",
        "undo description old",
        "undo ip address 10.0.0.1 255.255.255.252",
        "quit",
    ]
    assert "undo ospf 1 router-id 127.0.0.1" in rem.commands


def test_ios_headers_version_and_no_forms() -> None:
    running = """\
Building configuration...

Current configuration : 343 bytes
!
! Last configuration change at 09:42:51 UTC Wed Nov 25 2026 by netops
!
version 15.7
hostname r2
!
interface GigabitEthernet0/0/0
 ip address 10.0.0.2 255.255.255.252
 shutdown
!
router ospf 1
 router-id 127.0.0.2
 network 10.0.0.0 0.0.0.3 area 0
!
snmp-server location old-place
end
"""
    intended = """\
hostname r2
interface Gi0/0/0
 ip address 10.0.0.2 255.255.255.252
router ospf 1
 router-id 127.0.0.2
 network 10.0.0.0 0.0.0.3 area 0
snmp-server location kashi
logging host 127.1.0.6
"""
    rem = diff_texts(IOS, running, intended)
    assert rem.commands == [
        "interface GigabitEthernet0/0/0",
        "no shutdown",
        "exit",
        "snmp-server location kashi",
        "logging host 127.1.0.6",
    ]  # "version 15.7" is the device's own line: never removed


def test_comware_indented_top_level_lines() -> None:
    running = """\
#
 version 7.1.064, Release 0821P11
#
 sysname r3
#
interface GigabitEthernet0/0/0
 description up
#
 snmp-agent
 snmp-agent sys-info version v2c
#
return
"""
    intended = "sysname r3\ninterface GE0/0/0\n description up\nsnmp-agent\nsnmp-agent sys-info version v2c\n"
    assert diff_texts(COMWARE, running, intended).empty


def test_masking_of_known_values_and_secret_arguments() -> None:
    text = (
        "snmp-agent community read cipher Abc123\nlocal-user x password irreversible-cipher Q9\nuse Zz-9 here"
    )
    masked = mask(text, ["Zz-9"])
    assert masked == (
        "snmp-agent community read cipher ******\nlocal-user x password irreversible-cipher ******\nuse ****** here"
    )
    gone = unavailable("r1", "login refused; password Zz-9", ["Zz-9"])
    assert not gone.empty and gone.text() == "# r1: no diff available: login refused; password ******\n"
