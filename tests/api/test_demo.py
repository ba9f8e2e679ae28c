"""``netops demo`` (the README's first command) starts the lab and the service, polls, and stops both on Ctrl-C."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from netops.lab.testing import wait_until
from tests.conftest import demo_env, demo_service, run_netops


def test_demo_polls_the_lab_and_stops_cleanly(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = demo_env(tmp_path)
    polled: dict[str, Any] = {}
    with demo_service(state, tmp_path / "demo.log", env) as svc:
        made = run_netops(
            "token",
            "create",
            "--name",
            "test",
            "--role",
            "viewer",
            "--state-dir",
            str(state),
            "--json",
            env=env,
        )
        auth = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}

        def all_up() -> bool:
            polled.update(httpx.get(f"{svc.base_url}/status", timeout=5, headers=auth).json())
            return bool(polled["device_counts"]["up"] == 6)

        wait_until("the demo to poll all six devices up", all_up, every=0.5)
        assert (state / "lab.json").is_file()
    output = svc.output()
    proc = svc.proc
    assert proc.returncode == 0, output
    assert f"service    {svc.base_url}" in output
    assert "lab down" in output
    assert "token      nto_" in output  # the demo hands out its own operator token
    assert "conference demo-" in output
    assert "Traceback" not in output
    assert not (state / "lab.json").exists()
