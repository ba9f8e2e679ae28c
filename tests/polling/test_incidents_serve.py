"""The incident lifecycle through the real ``netops serve`` over ``netops lab up`` (separate processes): a dead
prefecture router is one ``device`` incident (not its links, no "uplinks down" site state), acknowledged, kept
with its id and acknowledgement across a service restart, resolved once when the router is back, and nothing
opened by the recovery. The expected extent is the topology's what-if."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from netops.inventory import Topology, load_inventory
from netops.lab.testing import (
    free_port,
    lab_process,
    service_process,
    wait_until,
    write_inventory,
    write_secrets,
)
from tests.conftest import run_netops
from tests.polling.test_incidents_lab import LAB_SECRETS, REGION, extent

ENV = {"NETOPS_MODE": "lab", "NETOPS_POLL_FAST_S": "1", "NETOPS_POLL_NORMAL_S": "1"}


def test_device_incident_survives_a_restart_with_its_ack_and_recovery_opens_nothing(tmp_path: Path) -> None:
    inv_dir = write_inventory(tmp_path / "region", REGION / "region.yaml.tmpl", {"net": 74})
    topo = Topology(load_inventory(inv_dir))
    secrets = write_secrets(tmp_path / "secrets.yaml", LAB_SECRETS)
    state = tmp_path / "state"
    env = {**ENV, "NETOPS_SECRETS_FILE": str(secrets)}
    args = ["serve", "--inventory", str(inv_dir), "--state-dir", str(state), "--port"]
    imp = topo.impact(topo.failure(["pa-ce1"]))
    want = {
        "sites": sorted(imp.lost_sites),
        "devices": sorted(imp.lost_devices),
        "rooms": sorted(imp.lost_rooms),
    }

    made = run_netops("token", "create", "--name", "t", "--role", "viewer", "--json", "--state-dir", str(state),
                      env=env)  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    headers = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}

    def get(base: str, path: str) -> Any:
        resp = httpx.get(base + path, headers=headers, timeout=30)
        resp.raise_for_status()
        return resp.json()

    with lab_process(inv_dir, secrets, tmp_path / "lab") as lab:
        fault = httpx.post(
            lab.control_url + "/faults", json={"kind": "node-down", "target": "pa-ce1"}, timeout=30
        )
        fault.raise_for_status()
        port = free_port()
        with service_process([*args, str(port)], tmp_path / "serve-1.log", port, env=env) as svc:
            base = svc.base_url
            [inc] = wait_until(
                "the device incident with its full extent",
                lambda: [i for i in get(base, "/incidents?state=open") if extent(i) == want],
            )
            assert (inc["kind"], inc["cause"]) == ("device", ["pa-ce1"])
            st = get(base, "/status")
            assert st["sites"]["pa"] == "down" and st["devices"]["pa-c1-ce1"] == "unreachable"
            ack = run_netops("ack", str(inc["id"]), "--note", "on it", "--state-dir", str(state), env=env)
            assert ack.returncode == 0, ack.stdout + ack.stderr
        port = free_port()
        with service_process([*args, str(port)], tmp_path / "serve-2.log", port, env=env) as svc:
            base = svc.base_url

            def stamp() -> float:
                return float(get(base, "/status")["polled_at"] or 0)

            first = wait_until("a poll after the restart", stamp)
            wait_until("three more seconds of polls", lambda: stamp() > first + 3)
            [same] = get(base, "/incidents?state=all&limit=100")
            assert same["id"] == inc["id"] and same["state"] == "open" and same["acknowledged_by"]
            assert extent(same) == want
            httpx.delete(f"{lab.control_url}/faults/{fault.json()['id']}", timeout=30).raise_for_status()
            wait_until("resolved", lambda: get(base, "/incidents?state=open") == [])
            back = wait_until("a poll after the recovery", stamp)
            wait_until("three more seconds of polls", lambda: stamp() > back + 3)
            [done] = get(base, "/incidents?state=all&limit=100")
            assert done["id"] == inc["id"] and done["state"] == "resolved" and done["acknowledged_by"]
            assert extent(done, peak=True) == want
