"""``netops demo`` (the README's first command) starts the lab and the service, polls, and stops both on Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

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
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netops",
            "demo",
            "--inventory",
            str(INVENTORY),
            "--port",
            str(port),
            "--control-port",
            str(control),
            "--state-dir",
            str(state),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        polled: dict[str, Any] = {}
        token = ""
        while time.monotonic() < deadline:
            try:
                if not token and httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
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
                    token = json.loads(made.stdout)["token"]
                polled = httpx.get(
                    f"http://127.0.0.1:{port}/status", timeout=2, headers={"Authorization": f"Bearer {token}"}
                ).json()
                if polled["device_counts"]["up"] == 6:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.5)
        assert polled.get("device_counts", {}).get("up") == 6, polled
        assert (state / "lab.json").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
        if (state / "lab.json").exists():  # never leave a lab holding the test addresses
            with contextlib.suppress(ProcessLookupError):
                os.kill(json.loads((state / "lab.json").read_text())["pid"], signal.SIGKILL)
    assert proc.returncode == 0, output
    assert f"service    http://127.0.0.1:{port}" in output
    assert "lab down" in output
    assert "token      nto_" in output  # the demo hands out its own operator token
    assert "conference demo-" in output
    assert "Traceback" not in output
    assert not (state / "lab.json").exists()
