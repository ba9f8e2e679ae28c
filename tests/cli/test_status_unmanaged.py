"""``netops status`` with a device whose credentials are wrong (unmanaged): the tree shows it as such (it used
to crash with KeyError 'unmanaged') and the command exits 1 (a problem to act on), as a user runs it against
``netops lab up`` (the scenario suite's small region)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.lab.testing import SUBNETS, LabProcess, lab_process, write_inventory, write_secrets
from tests.conftest import run_netops

SMALL = Path(__file__).parents[1] / "scenarios" / "regions" / "small.yaml.tmpl"


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], LabProcess]]:
    tmp = tmp_path_factory.mktemp("status-unmanaged")
    inventory = write_inventory(tmp / "inventory", SMALL, {"net": next(SUBNETS)})
    secrets = write_secrets(tmp / "secrets.yaml", {})
    with lab_process(inventory, secrets, tmp / "lab") as lab:
        env = {
            "NETOPS_SECRETS_FILE": str(secrets),
            "NETOPS_MODE": "lab",
            "NETOPS_STATE_DIR": str(tmp / "state"),
        }
        yield inventory, env, lab


def test_status_shows_an_unmanaged_device_and_exits_1(
    region: tuple[Path, dict[str, str], LabProcess],
) -> None:
    inventory, env, _lab = region
    wrong = {**env, "NETOPS_SECRET_SCEN_COMMUNITY_PA_C1": "not-the-community"}
    polled = run_netops("poll", "once", "--inventory", str(inventory), "--json", env=wrong)
    assert polled.returncode == 1, polled.stdout + polled.stderr
    assert {r["device"]: r["status"] for r in json.loads(polled.stdout)["devices"]}[
        "pa-c1-ce1"
    ] == "unmanaged"

    tree = run_netops("status", "--inventory", str(inventory), "--depth", "3", env=env)
    assert tree.returncode == 1, tree.stdout + tree.stderr
    assert "Traceback" not in tree.stderr, tree.stderr
    line = next(x for x in tree.stdout.splitlines() if "pa-c1-ce1" in x)
    assert "unmanaged" in line, tree.stdout

    data = run_netops("status", "--inventory", str(inventory), "--json", env=env)
    assert data.returncode == 1, data.stdout + data.stderr
    assert json.loads(data.stdout)["devices"]["pa-c1-ce1"] == "unmanaged"
