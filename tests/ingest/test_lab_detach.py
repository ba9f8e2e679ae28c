"""``netops lab up --detach`` passes ``--trap-collector`` / ``--syslog-collector`` on to the background lab (its
devices then send there), and ``netops lab up`` starts the inventory's simulated services (lab/services.py)."""

from __future__ import annotations

import socket
from pathlib import Path

from netops.lab.testing import wait_until
from tests.conftest import REPO, free_port, run_netops


def test_detached_lab_sends_to_the_collectors_it_was_given_and_runs_the_services(tmp_path: Path) -> None:
    env = {"NETOPS_SECRETS_FILE": str(tmp_path / "secrets.yaml"), "NETOPS_STATE_DIR": str(tmp_path / "lab"),
           "NETOPS_MODE": "lab"}  # fmt: skip
    traps = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    syslog = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for sock in (traps, syslog):
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
        trap_at = f"127.0.0.1:{traps.getsockname()[1]}"
        syslog_at = f"127.0.0.1:{syslog.getsockname()[1]}"
        up = run_netops(
            "lab", "up", "--detach", "--inventory", str(REPO / "inventory"), "--control-port", str(free_port()),
            "--trap-collector", trap_at, "--syslog-collector", syslog_at, env=env,
        )  # fmt: skip
        assert up.returncode == 0, up.stdout + up.stderr
        try:
            assert (tmp_path / "lab" / "services" / "lab-ca.crt").is_file()  # the services' CA: they started
            fault = run_netops("lab", "fault", "add", "node-down", "hami-ce1", env=env)
            assert fault.returncode == 0, fault.stdout + fault.stderr

            def received(sock: socket.socket) -> bytes | None:
                try:
                    return sock.recv(65535)
                except BlockingIOError:
                    return None

            assert wait_until("a trap from the detached lab", lambda: received(traps))
            assert wait_until("a syslog message from the detached lab", lambda: received(syslog))
        finally:
            down = run_netops("lab", "down", env=env)
            assert down.returncode == 0, down.stdout + down.stderr
    finally:
        traps.close()
        syslog.close()
