"""The scenario suite (issue 13): one test per scenario file in ``cases/``, run against the lab and the real
``netops serve``; and the cross-check of the suite's own what-if against ``netops inventory impact``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netops.lab.testing import write_inventory
from tests.conftest import run_netops
from tests.scenarios.harness import SMALL_TEMPLATE, case_paths, every_what_if, load_case, run_case
from tests.scenarios.whatif import impact, load_topology

REPO = Path(__file__).resolve().parents[2]


def _params() -> list[Any]:
    params = []
    for path in case_paths():
        case = load_case(path)
        marks: list[Any] = []
        if case.get("xfail"):
            # strict unless the case says the failure is intermittent (xfail_strict: false, with the reason)
            strict = bool(case.get("xfail_strict", True))
            marks.append(pytest.mark.xfail(strict=strict, reason=str(case["xfail"])))
        if case.get("slow"):
            marks.append(pytest.mark.slow)
        if case.get("timeout"):
            marks.append(pytest.mark.timeout(int(case["timeout"])))
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.parametrize("path", _params())
def test_scenario(path: Path, tmp_path: Path) -> None:
    run_case(load_case(path), tmp_path)


def _what_if_params() -> list[Any]:
    sets: dict[tuple[str, tuple[str, ...]], None] = {}
    for path in case_paths():
        case = load_case(path)
        region = str(case.get("region", "small"))
        for failed in every_what_if(case):
            sets[(region, tuple(failed))] = None
    return [pytest.param(region, list(failed), id=f"{region}:{'+'.join(failed)}") for region, failed in sets]


@pytest.mark.parametrize(("region", "failed"), _what_if_params())
def test_what_if_agrees_with_cli(region: str, failed: list[str], tmp_path: Path) -> None:
    """The suite's expectations come from its own what-if; `netops inventory impact` must say the same."""
    inv = (
        REPO / "inventory" if region == "shipped" else write_inventory(tmp_path, SMALL_TEMPLATE, {"net": 99})
    )
    mine = impact(load_topology(inv), failed).as_dict()
    proc = run_netops("inventory", "impact", "--inventory", str(inv), "--json", *failed)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cli = json.loads(proc.stdout)
    theirs = {
        "sites": sorted(s["id"] for s in cli["lost_sites"]),
        "devices": sorted(cli["lost_devices"]),
        "rooms": sorted(r["id"] for r in cli["lost_rooms"]),
        "on_backup": sorted(s["id"] for s in cli["on_backup"]),
    }
    assert mine == theirs
