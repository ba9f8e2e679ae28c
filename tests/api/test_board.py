"""The NOC web board in a real headless Chromium, from the running demo: the prefectures appear coloured by
status; a lab fault turns the affected prefecture red; a screenshot is taken."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from netops.lab.testing import service_process, wait_until
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
    """The running demo (`netops demo`: the lab in the background, the service over it), with fast polls."""
    env = {
        "NETOPS_SECRETS_FILE": str(tmp_path / "secrets.yaml"),
        "NETOPS_STATE_DIR": str(tmp_path / "state"),
        "NETOPS_POLL_FAST_S": "2",
        "NETOPS_POLL_NORMAL_S": "2",
        "NETOPS_POLL_THRESHOLD": "1",
        "NETOPS_PLAYBOOKS": str(REPO / "tests" / "api" / "playbooks"),
    }
    port = free_port()
    args = ["demo", "--inventory", str(INVENTORY), "--port", str(port), "--control-port", str(free_port())]
    try:
        # SIGINT: the demo stops the service and the lab it started
        with service_process(
            args, tmp_path / "demo.log", port, env=env, cwd=REPO, stop_signal=signal.SIGINT
        ) as svc:
            made = run_netops("token", "create", "--name", "wall", "--role", "viewer", "--json", env=env)
            yield svc.base_url, json.loads(made.stdout)["token"], env
    finally:
        run = tmp_path / "state" / "lab.json"
        if run.exists():  # never leave a lab holding the test addresses
            with contextlib.suppress(ProcessLookupError):
                os.kill(json.loads(run.read_text())["pid"], signal.SIGKILL)


def wait_polled(base: str, token: str, want: dict[str, str]) -> None:
    def reached() -> bool:
        sites = httpx.get(f"{base}/status", headers={"Authorization": f"Bearer {token}"}).json()["sites"]
        return all(sites.get(k) == v for k, v in want.items())

    wait_until(f"status {want}", reached, every=0.5)


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
    # root cause v2: the silent router whose only link is seen down from the centre is the cause (down)
    wait_polled(base, token, {"hami": "down"})
    dom = chromium("--dump-dom", url, profile=tmp_path / "p2").stdout
    assert card_states(dom)["hami"] == "down"
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


def token(env: dict[str, str], name: str, role: str) -> str:
    made = run_netops("token", "create", "--name", name, "--role", role, "--json", env=env)
    assert made.returncode == 0, made.stderr
    return str(json.loads(made.stdout)["token"])


def test_device_conference_and_runbook_pages(
    service: tuple[str, str, dict[str, str]], tmp_path: Path
) -> None:
    base, viewer, env = service
    wait_polled(base, viewer, {"hami": "up"})

    def rates_known() -> bool:  # a second poll, so traffic rates exist
        auth = {"Authorization": f"Bearer {viewer}"}
        health = httpx.get(f"{base}/devices/hami-ce1/health", headers=auth).json()
        return any(i.get("in_bps") is not None for i in health.get("interfaces", []))

    wait_until("traffic rates of hami-ce1", rates_known, every=0.5)

    dom = chromium(
        "--dump-dom", f"{base}/board/device/hami-ce1#token={viewer}", profile=tmp_path / "d"
    ).stdout
    assert "hami-ce1 · 哈密市" in dom
    assert re.findall(r'data-interface="([^"]+)" data-oper="up"', dom)[:1] == ["GigabitEthernet1/0/1"]

    engineer = {"Authorization": f"Bearer {token(env, 'duty-engineer', 'engineer')}"}
    start = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 3600))
    made = httpx.post(
        f"{base}/conferences",
        headers=engineer,
        json={"id": "drill", "title": "应急演练", "start": start, "rooms": ["hami-vc"]},
    )
    assert made.status_code == 201, made.text
    assert httpx.post(f"{base}/conferences/drill/precheck", headers=engineer, timeout=60).status_code == 200
    dom = chromium(
        "--dump-dom", f"{base}/board/conference/drill#token={viewer}", profile=tmp_path / "c"
    ).stdout
    assert "应急演练" in dom
    assert re.search(r'data-room="hami-vc" data-colour="(GREEN|AMBER)"', dom), dom[-2000:]

    operator = {"Authorization": f"Bearer {token(env, 'on-call', 'operator')}"}
    run = httpx.post(f"{base}/runbooks/duty-check/runs", headers=operator, json={"params": {}})
    assert run.status_code == 202, run.text
    run_id = run.json()["id"] if "id" in run.json() else run.json()["run_id"]
    wait_until(
        "the run to reach its approval",
        lambda: httpx.get(f"{base}/runs/{run_id}", headers=operator).json()["state"] == "waiting",
    )
    dom = chromium("--dump-dom", f"{base}/board/runs#token={viewer}", profile=tmp_path / "r").stdout
    assert f'data-approve="{run_id}"' in dom and "duty-check" in dom
    shot = tmp_path / "runs.png"
    chromium(
        f"--screenshot={shot}",
        "--window-size=1200,700",
        f"{base}/board/runs#token={viewer}",
        profile=tmp_path / "r2",
    )
    assert shot.is_file() and shot.stat().st_size > 5_000
    # the approve button is only as strong as the token behind it: the API checks the role
    weak = httpx.post(
        f"{base}/runs/{run_id}/approve",
        headers={"Authorization": f"Bearer {viewer}"},
        json={"step": "confirm"},
    )
    assert weak.status_code == 403
    ok = httpx.post(f"{base}/runs/{run_id}/approve", headers=operator, json={"step": "confirm"})
    assert ok.status_code == 200, ok.text
