"""``netops lab down`` returns once the lab's ports are free: a lab started again at once on the same control
port comes up (before, ``down`` returned while the control port was still taken and ``up`` failed to bind)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO, free_port, run_netops


def test_down_then_up_at_once_on_the_same_ports(tmp_path: Path) -> None:
    env = {"NETOPS_SECRETS_FILE": str(tmp_path / "secrets.yaml"), "NETOPS_STATE_DIR": str(tmp_path / "lab"),
           "NETOPS_MODE": "lab"}  # fmt: skip
    inventory = REPO / "tests" / "exporters" / "inventory"
    port = str(free_port())
    for _ in range(3):
        up = run_netops(
            "lab", "up", "--detach", "--inventory", str(inventory), "--control-port", port, env=env
        )
        assert up.returncode == 0, up.stdout + up.stderr
        status = run_netops("lab", "status", env=env)  # connections to the control API, closed by the lab
        assert status.returncode == 0, status.stderr
        down = run_netops("lab", "down", env=env)
        assert down.returncode == 0, down.stdout + down.stderr
        assert "ports are free" in down.stdout
