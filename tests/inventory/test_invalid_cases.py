"""Every folder under cases/ overlays the valid base inventory with broken files (subfolders such as
``conferences/`` and ``templates/`` included); ``expected.txt`` lists the problems (``file:line: text``) that
validating the whole folder must report, all of them at once (``# exactly``: and no others)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from netops.changes.template_checks import validate_inventory
from netops.errors import InventoryError
from netops.inventory import load_inventory

HERE = Path(__file__).parent
CASES = sorted(p for p in (HERE / "cases").iterdir() if p.is_dir())


def build_case(case: Path, target: Path) -> Path:
    shutil.copytree(HERE / "base", target)
    shutil.copytree(case, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("expected.txt"))
    return target


def test_base_inventory_is_valid() -> None:
    inv = load_inventory(HERE / "base")
    assert len(inv.devices) == 5
    assert validate_inventory(HERE / "base").digest == inv.digest


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_inventory_case(case: Path, tmp_path: Path) -> None:
    lines = [line for line in (case / "expected.txt").read_text(encoding="utf-8").splitlines() if line]
    exactly = lines[0].startswith("# exactly")  # no follow-on noise: only these problems
    expected = [line for line in lines if not line.startswith("#")]
    with pytest.raises(InventoryError) as info:
        validate_inventory(build_case(case, tmp_path / "inv"))
    reported = [str(p) for p in info.value.problems]
    for want in expected:
        assert any(want in got for got in reported), f"missing {want!r}; reported:\n" + "\n".join(reported)
    if exactly:
        assert len(reported) == len(expected), "unexpected extra problems:\n" + "\n".join(reported)


def test_at_least_ten_kinds_of_mistakes() -> None:
    assert len(CASES) >= 10
