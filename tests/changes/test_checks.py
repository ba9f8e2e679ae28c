"""Post-check verdicts: regressions only (what was down before is not blamed on the change)."""

from __future__ import annotations

from pathlib import Path

from netops.changes.checks import View, evaluate
from netops.drivers.platforms import InterfaceState, driver_for
from netops.inventory.loader import load_inventory
from tests.changes.changes_testlib import write_inventory

UP = InterfaceState("GigabitEthernet0/0/0", True, True)
DOWN = InterfaceState("GigabitEthernet0/0/0", True, False)
ADMIN_DOWN = InterfaceState("GigabitEthernet0/0/0", False, False)


def verdicts(tmp_path: Path, before: View, after: View) -> dict[str, tuple[bool, str]]:
    inv = load_inventory(write_inventory(tmp_path / "inv", 1))
    dev = inv.device("kashgar-shufu-ce1")
    return {
        c.name: (c.ok, c.detail) for c in evaluate(dev, driver_for(dev.platform), before, after, snmp=True)
    }


def view(itf: InterfaceState, neighbours: set[str], errors: int) -> View:
    return View({itf.name: itf}, neighbours, {"GigabitEthernet0/0/0": errors})


def test_all_good(tmp_path: Path) -> None:
    got = verdicts(tmp_path, view(UP, {"1.1.1.1"}, 5), view(UP, {"1.1.1.1", "2.2.2.2"}, 5))
    assert {k: ok for k, (ok, _) in got.items()} == dict.fromkeys(
        ("ssh", "snmp", "uplinks", "neighbours", "errors"), True
    )


def test_regressions_fail_with_reasons(tmp_path: Path) -> None:
    after = view(ADMIN_DOWN, set(), 9)
    after.ssh_error, after.snmp_error = "no answer", "timeout"
    got = verdicts(tmp_path, view(UP, {"1.1.1.1"}, 5), after)
    assert got["ssh"] == (False, "new SSH login failed: no answer")
    assert got["snmp"] == (False, "SNMP does not answer: timeout")
    assert got["uplinks"] == (False, "uplink down after the change: GigabitEthernet0/0/0")
    assert got["neighbours"] == (False, "OSPF neighbours lost: 1.1.1.1")
    assert got["errors"] == (False, "interface errors grew on: GigabitEthernet0/0/0")


def test_what_was_down_before_is_not_blamed(tmp_path: Path) -> None:
    got = verdicts(tmp_path, view(DOWN, set(), 5), view(DOWN, set(), 5))
    assert got["uplinks"][0] and got["neighbours"][0] and got["errors"][0]
    unknown = verdicts(tmp_path, View(), View())  # nothing could be read before: only ssh/snmp judged
    assert set(unknown) == {"ssh", "snmp"}
