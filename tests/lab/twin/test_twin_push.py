"""The proof of issue 14 (items 4 and 5): a push that shuts a county's only uplink, through ``netops config
push`` in its own process. Killed before the confirm, the county is cut off in the lab and comes back by
itself when the device's revert timer expires, and the change record says so after a restart (JOURNAL's
reconcile). Alive, netops sees the county go silent and the device's timer reverts it. A pushed shutdown of a
primary uplink that keeps the router reachable (backup) is caught by the post-checks (OSPF adjacency and
interface state, which the lab derives from the running configuration) and reverted at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netops.lab.testing import spawn, wait_until
from tests.lab.twin.twin_testlib import IF_OPER, Twin, expire_revert_timer, intended_inventory, twin_lab

COUNTY, PREF = "kashgar-kashi-ce1", "kashgar-ce1"


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    with twin_lab(tmp_path_factory.mktemp("twin-push")) as t:
        yield t


def _env(twin: Twin, tmp: Path) -> dict[str, str]:
    return {"NETOPS_SECRETS_FILE": str(twin.secrets.path), "NETOPS_STATE_DIR": str(tmp / "state")}


def _netops(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netops", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **env},
        timeout=180,
        check=False,
    )


def _push_args(inventory: Path, device: str, confirm_s: float) -> list[str]:
    return [
        "config",
        "push",
        "--apply",
        "--device",
        device,
        "--confirm-s",
        str(confirm_s),
        "--minute-s",
        "1",
        "--reason",
        "twin: shut the uplink",
        "--inventory",
        str(inventory),
    ]


def _running(twin: Twin, device: str) -> str:
    return "\n".join(twin.lab.call(lambda: twin.lab.ssh.store(device).running.text_lines()))


def _changes(env: dict[str, str]) -> list[dict[str, Any]]:
    done = _netops(["config", "changes", "--json"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.stdout)
    return list(data if isinstance(data, list) else data.get("changes", []))


def _show(env: dict[str, str], change: str) -> dict[str, Any]:
    done = _netops(["config", "show", change, "--json"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    shown: dict[str, Any] = json.loads(done.stdout)
    return shown


def test_push_killed_before_the_confirm_county_cut_off_then_back_by_its_timer(
    twin: Twin, tmp_path: Path
) -> None:
    env = _env(twin, tmp_path)
    intended = intended_inventory(tmp_path / "intended", twin.subnet, {COUNTY: ["Gi0/0/0"]})
    before = _running(twin, COUNTY)
    reverts = twin.lab.call(lambda: twin.lab.ssh.store(COUNTY).reverts)

    # a trial of 120 lab minutes: it cannot run out while the test still looks at the cut-off county, however
    # slow the machine; once netops is dead the test lets it run out (the device's own expiry)
    proc = spawn(_push_args(intended, COUNTY, 120), tmp_path / "push.log", env=env)
    try:
        # the push reaches the uplink's `shutdown`: the county goes silent in the lab
        wait_until(
            "the county cut off by the push", lambda: not twin.answers(COUNTY) or proc.poll() is not None
        )
        assert proc.poll() is None, (tmp_path / "push.log").read_text()
        assert twin.snmp("snmpget", COUNTY, f"{IF_OPER}.1", timeout=0.3) is None
        assert "10.79.0.10.0" not in twin.ospf_rows(PREF)
        os.killpg(proc.pid, signal.SIGKILL)  # netops dies before the confirm
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
    # nobody confirms: the county's own revert timer brings the uplink, and the county, back
    expire_revert_timer(twin, COUNTY)
    wait_until("the county to answer again after its trial timer", lambda: twin.answers(COUNTY))
    assert twin.lab.call(lambda: twin.lab.ssh.store(COUNTY).reverts) == reverts + 1
    assert _running(twin, COUNTY) == before
    assert twin.ospf_rows(PREF).get("10.79.0.10.0") == 8
    # after a restart of netops the record says what happened (JOURNAL's reconcile at the start of a command)
    changes = _changes(env)  # a new netops process: it reconciles what the killed one left
    assert changes, "no change recorded"
    shown = _show(env, changes[0]["id"])
    device = next(d for d in shown["devices"] if d["device"] == COUNTY)
    assert shown["state"] == "interrupted", shown
    assert device["outcome"] == "reverted", device


def test_push_alive_county_silent_then_reverted_by_its_timer(twin: Twin, tmp_path: Path) -> None:
    env = _env(twin, tmp_path)
    intended = intended_inventory(tmp_path / "intended", twin.subnet, {COUNTY: ["Gi0/0/0"]})
    before = _running(twin, COUNTY)
    done = _netops([*_push_args(intended, COUNTY, 8), "--json"], env)
    result = json.loads(done.stdout)
    shown = _show(env, result["change"])
    device = next(d for d in shown["devices"] if d["device"] == COUNTY)
    assert device["outcome"] == "reverted", device
    wait_until("the county to answer again after its trial timer", lambda: twin.answers(COUNTY))
    assert _running(twin, COUNTY) == before


def test_push_shutting_a_primary_uplink_is_caught_by_the_post_checks_and_reverted(
    twin: Twin, tmp_path: Path
) -> None:
    env = _env(twin, tmp_path)
    intended = intended_inventory(tmp_path / "intended", twin.subnet, {PREF: ["GE0/0/0"]})
    before = _running(twin, PREF)
    done = _netops([*_push_args(intended, PREF, 30), "--json"], env)
    result = json.loads(done.stdout)
    shown = _show(env, result["change"])
    device = next(d for d in shown["devices"] if d["device"] == PREF)
    assert device["outcome"] == "reverted", device
    checks = {c["name"]: c["ok"] for c in device["checks"]}
    assert checks["ssh"] and checks["snmp"]  # still reachable over the backup uplink
    assert checks["uplinks"] is False and checks["neighbours"] is False, device["checks"]
    assert _running(twin, PREF) == before  # reverted at once, not by the timer
    assert twin.lab.call(lambda: twin.lab.ssh.store(PREF).pending) is None
