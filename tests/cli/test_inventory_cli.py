"""The ``netops inventory`` commands as a user runs them: output, ``--json``, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import run_netops


def test_validate_valid_inventory_prints_counts(base_inventory: Path) -> None:
    res = run_netops("inventory", "validate", str(base_inventory))
    assert res.returncode == 0, res.stderr
    assert "valid" in res.stdout
    assert "3 sites, 5 devices, 4 links, 1 rooms" in res.stdout
    assert "h3c_comware7 2" in res.stdout


def test_validate_json(base_inventory: Path) -> None:
    res = run_netops("inventory", "validate", "--inventory", str(base_inventory), "--json")
    assert res.returncode == 0
    data = json.loads(res.stdout)
    assert data["valid"] is True
    assert data["devices_by_role"] == {"ce": 2, "codec": 1, "core": 2}


def test_validate_reports_every_problem_and_exits_1(base_inventory: Path, tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(base_inventory, inv)
    links = (inv / "links.yaml").read_text(encoding="utf-8")
    links = links.replace("b: kashgar-ce1:GE1/0/2", "b: kashgar-ce1:GE1/0/7")
    (inv / "links.yaml").write_text(
        links + "  - {a: nowhere:GE0, b: centre-core2:GE0/0/1}\n", encoding="utf-8"
    )
    res = run_netops("inventory", "validate", str(inv))
    assert res.returncode == 1
    assert "links.yaml:5: b: device 'kashgar-ce1' has no interface 'GE1/0/7'" in res.stdout
    assert "links.yaml:6: a: link 'nowhere:GE0' names unknown device 'nowhere'" in res.stdout
    assert "2 problem(s)" in res.stdout
    data = json.loads(run_netops("inventory", "validate", str(inv), "--json").stdout)
    assert data["valid"] is False
    assert {(p["file"], p["line"]) for p in data["problems"]} == {("links.yaml", 5), ("links.yaml", 6)}


def test_yaml_syntax_error_has_line_and_no_traceback(base_inventory: Path, tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(base_inventory, inv)
    (inv / "links.yaml").write_text("links:\n  - {a: x:y, b: z:w\n  - {a: 1}\n", encoding="utf-8")
    res = run_netops("inventory", "validate", str(inv))
    assert res.returncode == 1
    assert "links.yaml:3: YAML syntax error" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr


def test_missing_directory_is_a_problem(tmp_path: Path) -> None:
    res = run_netops("inventory", "validate", str(tmp_path / "nope"))
    assert res.returncode == 1
    assert "inventory directory does not exist" in res.stdout


def test_usage_error_exits_2(base_inventory: Path) -> None:
    assert run_netops("inventory", "validate", "--no-such-flag").returncode == 2
    res = run_netops("inventory", "show", "kashgar-ce9", "-i", str(base_inventory))
    assert res.returncode == 2
    assert "no site, device, link or room named 'kashgar-ce9'" in res.stderr
    assert "kashgar-ce1" in res.stderr  # suggestion


def test_show_device_resolves_inherited_values(base_inventory: Path) -> None:
    res = run_netops("inventory", "show", "kashgar-shufu-ce1", "-i", str(base_inventory), "--json")
    assert res.returncode == 0
    data = json.loads(res.stdout)
    assert data["platform"] == "h3c_comware7"  # from kashgar's defaults
    assert data["snmp_profile"] == "lab-v3"  # the region centre's defaults reach down to its counties
    assert data["ssh_port"] == 10022
    assert [hop["device"] for hop in data["upstream_path"]] == [
        "centre-core1",
        "kashgar-ce1",
        "kashgar-shufu-ce1",
    ]
    human = run_netops("inventory", "show", "kashgar", "-i", str(base_inventory))
    assert "喀什地区" in human.stdout


def test_tree(base_inventory: Path) -> None:
    res = run_netops("inventory", "tree", "-i", str(base_inventory))
    assert res.returncode == 0
    lines = res.stdout.splitlines()
    assert lines[0].startswith("centre 自治区人民政府办公厅")
    assert any("kashgar 喀什地区" in line for line in lines)
    assert any("kashgar-shufu 疏附县" in line for line in lines)
    data = json.loads(run_netops("inventory", "tree", "-i", str(base_inventory), "--json").stdout)
    assert data["children"][0]["children"][0]["id"] == "kashgar-shufu"


def test_impact_primary_uplink_backup_takes_over(base_inventory: Path) -> None:
    res = run_netops("inventory", "impact", "kashgar-ce1--centre-core1", "-i", str(base_inventory), "--json")
    assert res.returncode == 0
    data = json.loads(res.stdout)
    assert data["loses_service"] is False
    assert {s["id"] for s in data["on_backup"]} == {"kashgar", "kashgar-shufu"}
    human = run_netops("inventory", "impact", "kashgar-ce1--centre-core1", "-i", str(base_inventory))
    assert "no loss of service" in human.stdout
    assert "running on backup links: 2" in human.stdout


def test_impact_both_uplinks(base_inventory: Path) -> None:
    res = run_netops(
        "inventory",
        "impact",
        "kashgar-ce1--centre-core1",
        "kashgar-ce1:GE1/0/1",
        "-i",
        str(base_inventory),
        "--json",
    )
    data = json.loads(res.stdout)
    assert [s["id"] for s in data["lost_sites"]] == ["kashgar", "kashgar-shufu"]
    assert [r["id"] for r in data["lost_rooms"]] == ["kashgar-vc"]
    assert set(data["lost_devices"]) == {"kashgar-ce1", "kashgar-codec", "kashgar-shufu-ce1"}


def test_impact_unknown_id_is_usage_error(base_inventory: Path) -> None:
    res = run_netops("inventory", "impact", "no-such-link", "-i", str(base_inventory))
    assert res.returncode == 2


def test_progress_counts_late_sites(base_inventory: Path, tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(base_inventory, inv)
    (inv / "planned.yaml").write_text(
        "sites:\n"
        "  - {id: kashgar-shule, name: 疏勒县, parent: kashgar, status: planned, target_date: 2026-06-30}\n"
        "  - {id: kashgar-zepu, name: 泽普县, parent: kashgar, status: staging, target_date: 2027-03-31}\n",
        encoding="utf-8",
    )
    res = run_netops("inventory", "progress", "-i", str(inv), "--today", "2026-11-25", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    row = next(r for r in data["prefectures"] if r["id"] == "kashgar")
    assert (row["nodes"], row["active"], row["planned"], row["staging"], row["late"]) == (4, 2, 1, 1, 1)
    assert row["late_sites"][0]["id"] == "kashgar-shule"
    human = run_netops("inventory", "progress", "-i", str(inv), "--today", "2026-11-25")
    assert "late: kashgar-shule 疏勒县 (target 2026-06-30)" in human.stdout
    assert run_netops("inventory", "progress", "-i", str(inv), "--today", "tomorrow").returncode == 2


def test_inventory_env_variable(base_inventory: Path, tmp_path: Path) -> None:
    res = run_netops(
        "inventory", "validate", "--json", env={"NETOPS_INVENTORY": str(base_inventory)}, cwd=tmp_path
    )
    assert json.loads(res.stdout)["devices"] == 5
