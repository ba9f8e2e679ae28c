"""Post-check verdicts: regressions fail, what was down before is not blamed, and what cannot be read after
the change fails closed (the device reverts). The device is a VRP5 county CE whose inventory spells its
interfaces ``GE0/0/0`` (uplink) and ``GE0/0/1`` (lan); the displays say ``GigabitEthernet0/0/0``."""

from __future__ import annotations

import pytest

from netops.changes.checks import View, add_snmp, evaluate, service_interfaces
from netops.drivers.platforms import InterfaceState, OspfNeighbour, driver_for
from netops.inventory.loader import load_inventory
from netops.inventory.models import Device
from netops.polling.model import DeviceSample, InterfaceSample
from tests.changes.changes_testlib import write_inventory

UPLINK, LAN = "GigabitEthernet0/0/0", "GigabitEthernet0/0/1"
NB = OspfNeighbour("1.1.1.1", UPLINK, "Full")


def up(name: str) -> InterfaceState:
    return InterfaceState(name, True, True, "up/up")


def down(name: str, admin: bool = True) -> InterfaceState:
    return InterfaceState(name, admin, False, "down/down" if admin else "*down/down")


@pytest.fixture(scope="module")
def device(tmp_path_factory: pytest.TempPathFactory) -> Device:
    inv = load_inventory(write_inventory(tmp_path_factory.mktemp("checks") / "inv", 1))
    return inv.device("kashgar-shufu-ce1")


def verdicts(device: Device, before: View, after: View) -> dict[str, tuple[bool, str]]:
    checks = evaluate(device, driver_for(device.platform), before, after, snmp=True)
    return {c.name: (c.ok, c.detail) for c in checks}


def view(*itfs: InterfaceState, neighbours: tuple[OspfNeighbour, ...] = (NB,), errors: int = 5) -> View:
    return View(
        {i.name: i for i in itfs}, {n.key: n for n in neighbours}, {UPLINK: errors, LAN: errors, "NULL0": 0}
    )


def test_service_interfaces_are_the_uplink_and_the_lan_in_canonical_spelling(device: Device) -> None:
    assert service_interfaces(device) == [UPLINK, LAN]


def test_all_good(device: Device) -> None:
    more = (NB, OspfNeighbour("2.2.2.2", LAN, "Full"))
    got = verdicts(device, view(up(UPLINK), up(LAN)), view(up(UPLINK), up(LAN), neighbours=more))
    assert {k: ok for k, (ok, _) in got.items()} == dict.fromkeys(
        ("ssh", "snmp", "uplinks", "neighbours", "errors"), True
    )
    assert got["uplinks"][1] == "2 service interface(s) up (uplink, lan)"
    assert got["neighbours"][1] == "2 OSPF neighbour(s) full"


def test_regressions_fail_with_reasons(device: Device) -> None:
    after = view(down(UPLINK, admin=False), down(LAN), neighbours=(), errors=9)
    after.ssh_error, after.snmp_error = "no answer", "timeout"
    got = verdicts(device, view(up(UPLINK), up(LAN)), after)
    assert got["ssh"] == (False, "new SSH login failed: no answer")
    assert got["snmp"] == (False, "SNMP does not answer: timeout")
    assert got["uplinks"] == (
        False,
        f"uplink down after the change: {UPLINK} (*down/down); lan down after the change: {LAN} (down/down)",
    )
    assert got["neighbours"] == (False, f"OSPF neighbours lost: 1.1.1.1 on {UPLINK}")
    assert got["errors"] == (False, f"interface errors grew on: {UPLINK}, {LAN}")


def test_a_neighbour_that_leaves_full_is_lost(device: Device) -> None:
    after = view(up(UPLINK), up(LAN), neighbours=(OspfNeighbour("1.1.1.1", UPLINK, "ExStart"),))
    assert verdicts(device, view(up(UPLINK), up(LAN)), after)["neighbours"][0] is False


def test_what_was_down_before_is_not_blamed(device: Device) -> None:
    before = view(up(UPLINK), down(LAN), neighbours=())
    got = verdicts(device, before, view(up(UPLINK), down(LAN), neighbours=()))
    assert got["uplinks"] == (
        True,
        f"1 service interface(s) up (uplink, lan); down before the change already: {LAN}",
    )
    assert got["neighbours"][0] and got["errors"][0]


def test_a_service_interface_the_baseline_did_not_see_is_checked_too(device: Device) -> None:
    """The former check compared only interfaces seen before: a LAN port the parser dropped was never checked."""
    got = verdicts(device, view(up(UPLINK)), view(up(UPLINK), down(LAN)))
    assert got["uplinks"] == (False, f"lan down after the change: {LAN} (down/down)")


def test_what_cannot_be_read_after_the_change_fails(device: Device) -> None:
    before = view(up(UPLINK), up(LAN))
    missing = verdicts(device, before, view(up(UPLINK)))  # the LAN port is not in the table any more
    assert missing["uplinks"] == (False, f"not in the interface table after the change: {LAN}")

    unread = View(read_errors={"interfaces": "x: cannot read line 'A B C'", "neighbours": "x: no table"})
    got = verdicts(device, before, unread)
    assert got["uplinks"] == (
        False,
        "interfaces could not be read after the change: x: cannot read line 'A B C'",
    )
    assert got["neighbours"] == (False, "OSPF neighbours could not be read after the change: x: no table")
    assert got["errors"] == (
        False,
        "interface error counters could not be read after the change: no SNMP answer",
    )

    no_login = View(ssh_error="timeout")
    got = verdicts(device, before, no_login)
    assert got["uplinks"] == (False, "interfaces could not be read after the change: no SSH session: timeout")

    no_counter = view(up(UPLINK), up(LAN))
    no_counter.errors = {UPLINK: 5}
    assert verdicts(device, before, no_counter)["errors"] == (False, f"no SNMP error counters for: {LAN}")


def test_nothing_read_before_is_no_pass(device: Device) -> None:
    got = verdicts(device, View(), view(up(UPLINK), up(LAN)))
    assert got["uplinks"][0] is True  # every service interface is up now: nothing was lost
    assert got["neighbours"] == (False, "no OSPF baseline to compare with: not read")
    assert got["errors"] == (False, "no error-counter baseline to compare with: not read")


def test_snmp_counters_match_whatever_spelling_ifname_uses(device: Device) -> None:
    def sample(names: list[str]) -> DeviceSample:
        itfs = tuple(
            InterfaceSample(i, n, "", True, True, 10**9, 0, 0, 1, 2, 0, 0) for i, n in enumerate(names, 1)
        )
        return DeviceSample(device=device.id, polled_at=0.0, duration_s=0.0, ok=True, interfaces=itfs)

    v = View()
    add_snmp(v, sample(["GE0/0/0", "GigabitEthernet0/0/1(10G)"]), device.platform)
    assert v.errors == {UPLINK: 3, LAN: 3}
