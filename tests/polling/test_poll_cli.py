"""``netops poll once`` as a user runs it, against ``netops lab up`` (the scenario suite's small region):
a wrong SNMPv2c community gives plain timeouts, and the router that still sends its SSH banner is shown
``unmanaged`` ("SNMP silent, device answers on SSH"), not down; progress on stderr with ``--progress``, never
with ``--json``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from netops.lab.testing import SUBNETS, LabProcess, lab_process, write_inventory, write_secrets
from tests.conftest import run_netops

SMALL = Path(__file__).parents[1] / "scenarios" / "regions" / "small.yaml.tmpl"


def answering(region: Path) -> None:
    """``poll once`` is one poll of every device by a fresh process (threshold 1, no confirming poll): the
    scenario region's 0.3 s SNMP timeout would make a live device's late answer on a loaded machine a failed
    poll (exit 1, a device not ``up``). The profiles wait 1 s here (the two silenced routers wait it out)."""
    text, profiles = re.subn(r"timeout_s: 0\.3,", "timeout_s: 1,", region.read_text(encoding="utf-8"))
    assert profiles >= 4, f"{region}: the scenario region's SNMP profiles changed ({profiles} with 0.3 s)"
    region.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], LabProcess]]:
    tmp = tmp_path_factory.mktemp("poll-cli")
    inventory = write_inventory(tmp / "inventory", SMALL, {"net": next(SUBNETS)})
    answering(inventory / "region.yaml")
    secrets = write_secrets(tmp / "secrets.yaml", {})
    with lab_process(inventory, secrets, tmp / "lab") as lab:
        env = {
            "NETOPS_SECRETS_FILE": str(secrets),
            "NETOPS_MODE": "lab",
            "NETOPS_STATE_DIR": str(tmp / "state"),
        }
        yield inventory, env, lab


def test_wrong_v2c_community_is_unmanaged_not_down(region: tuple[Path, dict[str, str], LabProcess]) -> None:
    inventory, env, lab = region
    wrong = {**env, "NETOPS_SECRET_SCEN_COMMUNITY_PA_C1": "not-the-community"}
    done = run_netops("poll", "once", "--inventory", str(inventory), "--json", "--progress", env=wrong)
    assert done.returncode == 1, done.stdout + done.stderr  # a device failed its poll
    assert "poll 1/" not in done.stderr  # never progress with --json
    rows = {r["device"]: r for r in json.loads(done.stdout)["devices"]}
    ce = rows["pa-c1-ce1"]
    assert (ce["status"], ce["ok"], ce["error"]) == ("unmanaged", False, "snmp-silent")
    assert "SNMP silent, device answers on SSH" in ce["detail"] and "SSH-2.0" in ce["detail"]
    assert rows["pa-c1-codec"]["status"] == "up" and rows["pa-ce1"]["status"] == "up"
    assert {r["status"] for d, r in rows.items() if d != "pa-c1-ce1"} == {"up"}

    # a dead router: no banner on its SSH port, so down, not unmanaged
    fault = httpx.post(
        lab.control_url + "/faults", json={"kind": "node-down", "target": "pa-c2-ce1"}, timeout=30
    )
    fault.raise_for_status()
    try:
        dead = run_netops(
            "poll", "once", "--inventory", str(inventory), "--device", "pa-c2-ce1", "--json", env=env
        )
        assert dead.returncode == 1, dead.stdout + dead.stderr
        row = {r["device"]: r for r in json.loads(dead.stdout)["devices"]}["pa-c2-ce1"]
        assert (row["status"], row["error"]) == ("down", "timeout")
    finally:
        httpx.delete(f"{lab.control_url}/faults/{fault.json()['id']}", timeout=30).raise_for_status()


def test_progress_on_stderr_with_the_flag(region: tuple[Path, dict[str, str], LabProcess]) -> None:
    inventory, env, _ = region
    done = run_netops("poll", "once", "--inventory", str(inventory), "--progress", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("poll ")]
    total = int(lines[0].split()[1].split("/")[1])
    assert len(lines) == total and lines[-1].startswith(f"poll {total}/{total} ")
    assert "devices polled" in done.stdout
    quiet = run_netops("poll", "once", "--inventory", str(inventory), "--json", env=env)
    assert quiet.returncode == 0 and not [ln for ln in quiet.stderr.splitlines() if ln.startswith("poll ")]
    json.loads(quiet.stdout)
