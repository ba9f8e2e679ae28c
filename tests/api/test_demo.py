"""``netops demo`` (the README's first command) starts the lab and the service, polls, and stops both on Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path
from typing import Any

import httpx

from netops.lab.testing import service_process, wait_until
from tests.conftest import REPO, free_port, run_netops

INVENTORY = REPO / "tests" / "lab" / "run" / "inventory"


def test_demo_polls_the_lab_and_stops_cleanly(tmp_path: Path) -> None:
    port, control = free_port(), free_port()
    state = tmp_path / "state"
    env = {
        "NETOPS_SECRETS_FILE": str(tmp_path / "secrets.yaml"),
        "PATH": "/usr/bin:/bin",
        "NO_COLOR": "1",
        "NETOPS_POLL_FAST_S": "4",
        "NETOPS_POLL_NORMAL_S": "4",
    }
    args = ["demo", "--inventory", str(INVENTORY), "--port", str(port), "--control-port", str(control)]
    polled: dict[str, Any] = {}
    try:
        with service_process(
            [*args, "--state-dir", str(state)],
            tmp_path / "demo.log",
            port,
            env=env,
            cwd=REPO,
            stop_signal=signal.SIGINT,
        ) as svc:
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
    finally:
        if (state / "lab.json").exists():  # never leave a lab holding the test addresses
            with contextlib.suppress(ProcessLookupError):
                os.kill(json.loads((state / "lab.json").read_text())["pid"], signal.SIGKILL)
    proc = svc.proc
    assert proc.returncode == 0, output
    assert f"service    http://127.0.0.1:{port}" in output
    assert "lab down" in output
    assert "token      nto_" in output  # the demo hands out its own operator token
    assert "conference demo-" in output
    assert "Traceback" not in output
    assert not (state / "lab.json").exists()
