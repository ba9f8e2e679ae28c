"""The whole inventory folder is validated: ``netops inventory validate`` reports the model's problems, the
conference files', the templates' and unknown files together, each with file and line. The single mistakes
are cases in ``cases/`` (``test_invalid_cases.py``); here: the command, combinations, and the readers."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from netops.changes.template_checks import validate_inventory
from netops.errors import InventoryError
from netops.inventory.folder import OTHER_FOLDERS, validate_folder
from netops.inventory.loader import SKIPPED_DIRS
from netops.vc.conferences import ConferenceError, load_files
from tests.conftest import REPO, run_netops
from tests.inventory.test_invalid_cases import HERE, build_case


def overlay(target: Path, *cases: str) -> Path:
    """The base inventory with the files of several cases on top."""
    build_case(HERE / "cases" / cases[0], target)
    for case in cases[1:]:
        shutil.copytree(
            HERE / "cases" / case, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("expected.txt")
        )
    return target


def test_cli_validate_reports_every_folder_with_file_and_line(tmp_path: Path) -> None:
    inv = overlay(tmp_path / "inv", "template-undefined-variable", "conference-not-yaml")
    (inv / "sites.json").write_text("{}\n", encoding="utf-8")
    result = run_netops("inventory", "validate", str(inv))
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "conferences/region.yaml:6: YAML syntax error" in out
    assert "templates/shared/ntp.j2:3: centre-core1, centre-core2: undefined variable" in out
    assert "sites.json: unknown file" in out
    assert re.search(r"\b\d+ problem\(s\) in ", out)

    as_json = json.loads(run_netops("inventory", "validate", str(inv), "--json").stdout)
    assert as_json["valid"] is False
    found = {(p["file"], p["line"]) for p in as_json["problems"]}
    assert {("conferences/region.yaml", 6), ("templates/shared/ntp.j2", 3), ("sites.json", None)} <= found


def test_cli_validate_accepts_the_shipped_region() -> None:
    result = run_netops("inventory", "validate", str(REPO / "inventory"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("valid: ")


def test_folder_checks_run_when_the_model_is_broken(tmp_path: Path) -> None:
    inv = overlay(tmp_path / "inv", "yaml-syntax-error", "template-syntax-error", "conference-unknown-room")
    with pytest.raises(InventoryError) as info:
        validate_inventory(inv)
    reported = [str(p) for p in info.value.problems]
    assert any(p.startswith("links.yaml:3: YAML syntax error") for p in reported)
    assert any(p.startswith("templates/h3c_comware7/default.j2:7: Jinja2 syntax error") for p in reported)
    # what a conference names is only checked against an inventory that loaded
    assert not any("kashgr-vc" in p for p in reported)


def test_conference_reader_names_the_line_of_a_syntax_error(tmp_path: Path) -> None:
    """``netops vc list`` (and the prechecks) read the files with the same line-aware reader."""
    inv = build_case(HERE / "cases" / "conference-not-yaml", tmp_path / "inv")
    with pytest.raises(ConferenceError, match=re.escape("conferences/region.yaml:6: YAML syntax error")):
        load_files(inv)


def test_the_shipped_region_validates_whole() -> None:
    inv = validate_inventory(REPO / "inventory")
    assert len(inv.rooms) > 0


def test_missing_directory_is_one_problem(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="inventory directory does not exist"):
        validate_folder(tmp_path / "nowhere")


def test_layout_knows_the_folders_the_loader_skips() -> None:
    assert set(OTHER_FOLDERS) == SKIPPED_DIRS


def test_any_render_failure_is_a_problem_at_its_template_line(tmp_path: Path) -> None:
    inv = build_case(HERE / "cases" / "template-syntax-error", tmp_path / "inv")
    (inv / "templates" / "h3c_comware7" / "default.j2").write_text(
        'sysname {{ device.id }}\n{{ 1 + "a" }}\n', encoding="utf-8"
    )
    (inv / "templates" / "huawei_vrp8" / "default.j2").write_text(
        'sysname\n ip {{ "x" | ip }}\n', encoding="utf-8"
    )
    with pytest.raises(InventoryError) as info:
        validate_inventory(inv)
    assert [str(p) for p in info.value.problems] == [
        "templates/h3c_comware7/default.j2:2: kashgar-ce1, kashgar-shufu-ce1: TypeError: "
        "unsupported operand type(s) for +: 'int' and 'str'",
        "templates/huawei_vrp8/default.j2:2: centre-core1, centre-core2: 'x' is not an IPv4 address/prefix",
    ]
