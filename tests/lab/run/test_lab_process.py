"""``netops lab`` as a user runs it: up in the background, status, faults through the CLI and the control API,
their effect on real SSH/SNMP/SIP clients, refusal when an address is taken, down."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, run_netops

INVENTORY = Path(__file__).parent / "inventory"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {"NETOPS_SECRETS_FILE": str(tmp_path / "secrets.yaml"), "NETOPS_STATE_DIR": str(tmp_path / "state")}
    port = free_port()
    res = run_netops(
        "lab", "up", "--detach", "--inventory", str(INVENTORY), "--control-port", str(port), env=env
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "lab up (pid" in res.stdout
    run = json.loads((tmp_path / "state" / "lab.json").read_text())
    try:
        yield {**env, "control": f"http://127.0.0.1:{port}"}
    finally:
        down = run_netops("lab", "down", env=env)
        if down.returncode != 0:  # never leave a lab holding the test addresses
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(run["pid"]), signal.SIGKILL)
        assert down.returncode == 0, down.stderr


def snmp_get(community: str, host: str, oid: str, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    """net-snmp's snmpget; the default wait is for an agent that answers (the lab process may be scheduled late
    on a loaded machine), a test of silence passes a short ``timeout``."""
    return subprocess.run(
        [
            "snmpget",
            "-v2c",
            "-c",
            community,
            "-On",
            "-t",
            str(timeout),
            "-r",
            "0",
            "-m",
            "",
            f"{host}:10161",
            oid,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_lab_up_status_faults_down(lab: dict[str, str], tmp_path: Path) -> None:
    status = json.loads(run_netops("lab", "status", "--json", env=lab).stdout)
    assert status["devices"] == 6
    assert status["silent_devices"] == [] and status["faults"] == []
    community = next(
        line.split(": ", 1)[1]
        for line in Path(lab["NETOPS_SECRETS_FILE"]).read_text().splitlines()
        if line.startswith("run-community")
    )
    # the county router answers SNMP
    assert "hami-yiwu-ce1" in snmp_get(community, "127.69.14.31", "1.3.6.1.2.1.1.5.0").stdout

    # cut the county's only uplink through the CLI: the county goes silent, the far end sees it down
    res = run_netops("lab", "fault", "add", "link-down", "hami-yiwu-ce1--hami-ce1", env=lab)
    assert res.returncode == 0 and res.stdout.startswith("fault 1: link-down")
    assert snmp_get(community, "127.69.14.31", "1.3.6.1.2.1.1.5.0", timeout=0.5).returncode != 0  # timeout
    far = snmp_get(community, "127.69.14.1", "1.3.6.1.2.1.2.2.1.8.3")  # hami-ce1 ifOperStatus.3
    assert far.stdout.strip().endswith("INTEGER: 2")
    status = json.loads(run_netops("lab", "status", "--json", env=lab).stdout)
    assert status["silent_devices"] == ["hami-yiwu-ce1"]
    assert status["down_links"] == ["hami-yiwu-ce1--hami-ce1"]

    # a codec fault through the control API
    resp = httpx.post(f"{lab['control']}/faults", json={"kind": "camera-disconnected", "target": "hami-vc"})
    assert resp.status_code == 201
    listed = run_netops("lab", "fault", "list", env=lab).stdout
    assert "1: link-down hami-yiwu-ce1--hami-ce1" in listed and "2: camera-disconnected hami-vc" in listed

    # bad faults are usage errors with the reason
    bad = run_netops("lab", "fault", "add", "meltdown", "hami-ce1", env=lab)
    assert bad.returncode == 2 and "unknown fault kind 'meltdown'" in bad.stderr
    bad = run_netops("lab", "fault", "add", "node-down", "hami-ce9", env=lab)
    assert bad.returncode == 2 and "hami-ce9" in bad.stderr

    assert run_netops("lab", "fault", "clear", "1", env=lab).returncode == 0
    assert "hami-yiwu-ce1" in snmp_get(community, "127.69.14.31", "1.3.6.1.2.1.1.5.0").stdout
    assert run_netops("lab", "fault", "clear", "--all", env=lab).stdout.strip() == "cleared 1 fault(s)"


def test_second_lab_on_the_same_addresses_is_refused(lab: dict[str, str], tmp_path: Path) -> None:
    env = {**lab, "NETOPS_STATE_DIR": str(tmp_path / "other")}
    res = run_netops("lab", "up", "--inventory", str(INVENTORY), "--control-port", str(free_port()), env=env)
    assert res.returncode == 1
    assert "cannot bind" in res.stderr or "cannot listen" in res.stderr
    assert "127.69." in res.stderr
    again = run_netops("lab", "up", "--detach", "--inventory", str(INVENTORY), env=lab)
    assert again.returncode == 1 and "already running" in again.stderr


def test_non_loopback_inventory_is_refused(tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    inv.mkdir()
    text = (
        (INVENTORY / "lab.yaml")
        .read_text(encoding="utf-8")
        .replace("address: 127.69.2.1", "address: 192.0.2.1")
    )
    (inv / "lab.yaml").write_text(text, encoding="utf-8")
    res = run_netops(
        "lab",
        "up",
        "--inventory",
        str(inv),
        "--control-port",
        str(free_port()),
        env={"NETOPS_SECRETS_FILE": str(tmp_path / "s.yaml"), "NETOPS_STATE_DIR": str(tmp_path / "st")},
    )
    assert res.returncode == 1
    assert "binds only to 127.0.0.0/8" in res.stderr and "dept-audit-ce1 (192.0.2.1)" in res.stderr


def test_commands_without_a_running_lab(tmp_path: Path) -> None:
    env = {"NETOPS_STATE_DIR": str(tmp_path / "none")}
    res = run_netops("lab", "status", env=env)
    assert res.returncode == 1 and "no lab is running" in res.stderr
