"""netops' parsers on real device output: the corpus listed in ``captures/SOURCES.md``.

Each capture must parse without an unread line and give the rows its source expects (ntc-templates'
``parsed_sample``, NAPALM's expected result, or the count below the header): interface name, admin and oper
state from the source's own fields. The corpus is found in ``$NETOPS_CAPTURES``, ``tests/drivers/captures/``
or ``../shared/data/captures/`` (see SOURCES.md for why); a capture that is not there is skipped, naming it.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from netops.drivers import parsing
from netops.drivers.names import canonical
from netops.inventory.models import Platform

HERE = Path(__file__).parent / "captures"
PLATFORMS = {
    "huawei_vrp": Platform.HUAWEI_VRP8,
    "hp_comware": Platform.H3C_COMWARE7,
    "cisco_ios": Platform.CISCO_IOS,
}


@dataclass(frozen=True)
class Capture:
    file: str  # <platform>/<command>/<name>.raw
    sha256: str
    rows: int

    @property
    def platform(self) -> Platform:
        return PLATFORMS[self.file.split("/")[0]]

    @property
    def command(self) -> str:
        return self.file.split("/")[1].replace("_", " ")


def manifest() -> list[Capture]:
    out = []
    for line in (HERE / "SOURCES.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and cells[0].endswith(".raw"):
            out.append(Capture(cells[0], cells[5], int(cells[6])))
    return out


def corpus() -> Path | None:
    for where in (
        os.environ.get("NETOPS_CAPTURES"),
        HERE,
        Path(__file__).parents[3] / "shared/data/captures",
    ):
        if where and any((Path(where) / p).is_dir() for p in PLATFORMS):
            return Path(where)
    return None


def read(c: Capture) -> str:
    root = corpus()
    if root is None or not (root / c.file).is_file():
        pytest.skip(f"capture {c.file} is not in this checkout (SOURCES.md says where it comes from)")
    data = (root / c.file).read_bytes()
    assert hashlib.sha256(data).hexdigest() == c.sha256, f"{c.file} is not the file SOURCES.md names"
    return data.decode()


def test_the_manifest_lists_every_command_netops_parses_with_a_template() -> None:
    listed = {(c.platform, c.command) for c in manifest()}
    assert listed == {
        (Platform.HUAWEI_VRP8, "display interface brief"),
        (Platform.H3C_COMWARE7, "display interface brief"),
        (Platform.CISCO_IOS, "show ip interface brief"),
        (Platform.CISCO_IOS, "show ip ospf neighbor"),
    }


@pytest.mark.parametrize("capture", manifest(), ids=lambda c: c.file)
def test_every_row_of_a_real_capture_is_read(capture: Capture) -> None:
    text = read(capture)
    if "ospf" in capture.command:
        got = parsing.ospf_neighbours(capture.platform, capture.command, text)
        assert len(got) == capture.rows
        assert all(n.router_id and n.interface and n.state for n in got)
    else:
        rows = parsing.interfaces(capture.platform, capture.command, text)
        assert len(rows) == capture.rows
        assert len({r.name for r in rows}) == len(rows), "two rows read as one interface"


@pytest.mark.parametrize("capture", [c for c in manifest() if "/ntc_" in c.file], ids=lambda c: c.file)
def test_rows_match_ntc_templates_expected_values(capture: Capture) -> None:
    text = read(capture)
    expected_file = Path(capture.file).with_suffix(".yml")
    root = corpus()
    assert root is not None
    expected = yaml.safe_load((root / expected_file).read_text())["parsed_sample"]
    p = capture.platform
    if "ospf" in capture.command:
        got = parsing.ospf_neighbours(p, capture.command, text)
        want = [(e["neighbor_id"], canonical(p, e["interface"]), e["state"]) for e in expected]
        assert [(n.router_id, n.interface, n.state) for n in got] == want
        return
    got_rows = parsing.interfaces(p, capture.command, text)
    names = [canonical(p, e["interface"]) for e in expected]
    assert [r.name for r in got_rows] == names
    for r, e in zip(got_rows, expected, strict=True):
        if p is Platform.CISCO_IOS:
            assert (r.admin_up, r.oper_up) == (
                e["status"] not in ("administratively down", "deleted"),
                e["status"] == e["proto"] == "up",
            )
        elif p is Platform.H3C_COMWARE7:
            assert r.admin_up == (e["link"] != "ADM")
            assert r.oper_up == (e["link"] == "UP" and e["protocol"] in ("", "UP", "UP(s)"))
        else:
            assert r.admin_up == (e["phy"] != "*down")
            assert r.oper_up == (e["phy"] in ("up", "up(s)") and e["protocol"] in ("up", "up(s)"))


def test_the_odd_rows_of_real_captures_are_kept() -> None:
    """The rows netops' former parsers dropped: VRP ``^down``, ``up(l)``, ``up(s)``, speed tags and Eth-Trunk
    members; Comware ``UP(s)``, ``--`` and bridge-mode ports; each with its true state."""
    by_file = {c.file: c for c in manifest()}

    def rows(file: str) -> dict[str, parsing.InterfaceState]:
        c = by_file[file]
        return {r.name: r for r in parsing.interfaces(c.platform, c.command, read(c))}

    vrp = rows("huawei_vrp/display_interface_brief/ntc_huawei_vrp_display_interface_brief2.raw")
    assert vrp["GigabitEthernet0/0/1"].status == "^down/down" and vrp["GigabitEthernet0/0/1"].admin_up
    assert vrp["GigabitEthernet0/0/2"].status == "up(l)/up" and not vrp["GigabitEthernet0/0/2"].oper_up
    assert (
        vrp["GigabitEthernet0/0/5"].status == "up/down"
    )  # ``GigabitEthernet0/0/5(v)``: the tag is not the name
    assert vrp["Dialer1"].oper_up and vrp["NULL0"].oper_up  # up(s): spoofing
    trunks = rows("huawei_vrp/display_interface_brief/ntc_huawei_vrp_display_interface_brief.raw")
    assert (
        trunks["GigabitEthernet15/1/0"].oper_up and not trunks["Eth-Trunk4"].oper_up
    )  # member up, trunk protocol down
    assert "Eth-Trunk4.10" in trunks
    cmw = rows(
        "hp_comware/display_interface_brief/ntc_hp_comware_display_interface_brief_release_9119P17.raw"
    )
    assert cmw["NULL0"].status == "UP/UP(s)" and cmw["NULL0"].oper_up
    assert cmw["Register-Tunnel0"].status == "UP/--"
    assert not cmw["GigabitEthernet0/0/0"].admin_up  # ADM
    assert cmw["GigabitEthernet0/0/3"].oper_up and not cmw["GigabitEthernet0/0/2"].oper_up  # bridge mode
    assert cmw["Ten-GigabitEthernet0/0/10"].status == "DOWN/DOWN"
