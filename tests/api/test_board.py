"""The NOC web board in a real headless Chromium: the prefectures appear coloured by status from the running
service over the lab; a lab fault turns the affected prefecture red; a screenshot is taken."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, free_port, run_netops

INVENTORY = REPO / "tests" / "lab" / "run" / "inventory"


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium")
    assert exe, "Debian's chromium must be installed (scripts/install-system-deps.sh)"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=8000",
    ]
    return subprocess.run([exe, *flags, *args], capture_output=True, text=True, timeout=90, check=False)


def card_states(dom: str) -> dict[str, str]:
    return dict(re.findall(r'data-site="([a-z0-9-]+)" data-status="([a-z]+)"', dom))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    env = {
        "NETOPS_SECRETS_FILE": str(tmp_path / "secrets.yaml"),
        "NETOPS_STATE_DIR": str(tmp_path / "state"),
        "NETOPS_POLL_FAST_S": "2",
        "NETOPS_POLL_NORMAL_S": "2",
        "NETOPS_POLL_THRESHOLD": "1",
    }
    lab = run_netops(
        "lab", "up", "--detach", "--inventory", str(INVENTORY), "--control-port", str(free_port()), env=env
    )
    assert lab.returncode == 0, lab.stderr
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "netops",
            "serve",
            "--inventory",
            str(INVENTORY),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
            assert proc.poll() is None and time.monotonic() < deadline, (
                proc.stderr.read() if proc.stderr else ""
            )
        made = run_netops("token", "create", "--name", "wall", "--role", "viewer", "--json", env=env)
        yield base, json.loads(made.stdout)["token"], env
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
        run_netops("lab", "down", env=env)


def wait_polled(base: str, token: str, want: dict[str, str]) -> None:
    deadline = time.monotonic() + 30
    sites: dict[str, str] = {}
    while time.monotonic() < deadline:
        sites = httpx.get(f"{base}/status", headers={"Authorization": f"Bearer {token}"}).json()["sites"]
        if all(sites.get(k) == v for k, v in want.items()):
            return
        time.sleep(0.5)
    pytest.fail(f"status never reached {want}: {sites}")


def test_board_shows_the_region_and_turns_a_cut_prefecture_red(
    service: tuple[str, str, dict[str, str]], tmp_path: Path
) -> None:
    base, token, env = service
    wait_polled(base, token, {"hami": "up", "dept-audit": "up"})
    url = f"{base}/board#token={token}"
    dom = chromium("--dump-dom", url, profile=tmp_path / "p1").stdout
    assert card_states(dom) == {"hami": "up", "dept-audit": "up"}
    assert "哈密市" in dom and "审计厅" in dom  # Chinese names come through

    fault = run_netops("lab", "fault", "add", "link-down", "hami-ce1--centre-core1", env=env)
    assert fault.returncode == 0, fault.stderr
    wait_polled(base, token, {"hami": "unreachable"})
    dom = chromium("--dump-dom", url, profile=tmp_path / "p2").stdout
    assert card_states(dom)["hami"] == "unreachable"
    assert 'data-incident="' in dom  # the incident is listed beside the cards
    shot = tmp_path / "board.png"
    chromium(f"--screenshot={shot}", "--window-size=1400,900", url, profile=tmp_path / "p3")
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    print(f"board screenshot: {shot}")


def test_board_without_a_token_asks_for_one(service: tuple[str, str, dict[str, str]], tmp_path: Path) -> None:
    base, _, _ = service
    dom = chromium("--dump-dom", f"{base}/board", profile=tmp_path / "p").stdout
    assert 'id="login"' in dom and 'id="login" hidden' not in dom
    assert "data-site=" not in dom
