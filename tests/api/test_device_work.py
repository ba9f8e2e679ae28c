"""Per-request device work is bounded (issue 18 item 8): eighty viewers asking a dead device for its
configuration diff take the shared device-work pool's slots and no more (each admitted one ends as 502
``device_failed`` naming the device, as docs/api.md says); the rest get 503 problem details with ``Retry-After``,
and ``/status`` answers meanwhile. The dead device is a real listener on its management
address that accepts SSH connections and never says a word (netmiko waits for a banner that never comes).

The service's SSH login timeout is long (300 s) and the device hangs up when the test says so: the admitted calls
hold their slots until every other request has been answered, however slowly a loaded machine sends the eighty
(with the default 5 s, a slot freed before the last requests came in and admitted more of them)."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

from netops.api.app import create_app
from netops.api.devicework import DeviceWork
from netops.auth.tokens import Role, create_token
from netops.lab.testing import wait_until, write_secrets
from netops.runtime import Runtime
from netops.secrets import SecretStore
from netops.settings import Settings
from tests.conftest import TESTS, served_app

DEAD = ("127.90.10.1", 10022)  # kashgar-ce1's SSH in tests/inventory/base
SLOTS = 4
CALLS = 80


class SilentSsh:
    """Accepts TCP connections and keeps them open without a byte: a device whose SSH daemon hangs."""

    def __init__(self) -> None:
        self.sock = socket.create_server(DEAD, backlog=256)
        self.accepted = 0
        self.open: list[socket.socket] = []
        self.peak = 0
        self._stop = False
        self._hung_up = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                self._reap()
                continue
            except OSError:
                return
            self.accepted += 1
            self.open.append(conn)
            self._reap()
            self.peak = max(self.peak, len(self.open))

    def hang_up(self) -> None:
        """Close every connection (and any later one) at once: the waiting clients read end-of-file."""
        self._hung_up = True

    def _reap(self) -> None:
        alive = []
        for conn in self.open:
            if self._hung_up:
                conn.close()
                continue
            conn.setblocking(False)
            try:
                gone = conn.recv(4096) == b""
            except BlockingIOError:
                gone = False
            except OSError:
                gone = True
            if gone:
                conn.close()
            else:
                alive.append(conn)
        self.open = alive

    def close(self) -> None:
        self._stop = True
        self.thread.join(5)
        self.sock.close()
        for conn in self.open:
            conn.close()


@pytest.fixture(scope="module")
def dead_device_api(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, DeviceWork, str, SilentSsh]]:
    tmp = tmp_path_factory.mktemp("device-work")
    inventory = tmp / "inventory"
    shutil.copytree(TESTS / "inventory" / "base", inventory)
    (inventory / "templates" / "h3c_comware7").mkdir(parents=True)
    (inventory / "templates" / "h3c_comware7" / "default.j2").write_text("sysname {{ device.id }}\n")
    secrets = tmp / "secrets.yaml"
    write_secrets(secrets, {"lab-cli-password": "lab-cli-s3cret", "lab-snmp-community": "lab-community"})
    # the admitted calls wait for the banner until the device hangs up (SilentSsh.hang_up), not 5 s
    settings = Settings(
        inventory=inventory, state_dir=tmp / "state", poll_enabled=False, ssh_login_timeout_s=300
    )
    rt = Runtime.start(settings)
    rt.secrets = SecretStore(secrets)
    app = create_app(settings, rt)
    work = app.state.device_work = DeviceWork(slots=SLOTS, queue_s=0.2, timeout_s=120)
    token = create_token(rt.store, "noc", Role.VIEWER)[1]
    silent = SilentSsh()
    try:
        with served_app(app) as url:
            yield url, work, token, silent
    finally:
        silent.close()


def _done(futures: list[Future[httpx.Response]]) -> int:
    return sum(f.done() for f in futures)


def test_80_diffs_of_a_dead_device_take_the_pool_slots_only(
    dead_device_api: tuple[str, DeviceWork, str, SilentSsh],
) -> None:
    url, work, token, silent = dead_device_api
    headers = {"Authorization": f"Bearer {token}"}

    def diff(_i: int) -> httpx.Response:
        return httpx.get(f"{url}/devices/kashgar-ce1/config/diff", headers=headers, timeout=300)

    with ThreadPoolExecutor(max_workers=CALLS) as pool:
        futures = [pool.submit(diff, i) for i in range(CALLS)]
        wait_until("the device-work pool full", lambda: work.busy == SLOTS)
        status = httpx.get(f"{url}/status", headers=headers, timeout=60)
        busy_after_status = work.busy
        # the admitted calls hold their slots until the device hangs up: every other request is answered first
        wait_until("every request but the admitted ones answered", lambda: _done(futures) >= CALLS - SLOTS)
        assert work.busy == SLOTS
        silent.hang_up()
        answers = [f.result() for f in futures]
    assert status.status_code == 200, status.text
    codes = [a.status_code for a in answers]
    refused = [a for a in answers if a.status_code == 503]
    assert len(refused) == CALLS - SLOTS, codes  # all but the calls that took the slots
    assert all(a.headers["retry-after"] for a in refused)
    assert refused[0].headers["content-type"].startswith("application/problem+json")
    assert refused[0].json()["error"] == "busy"
    assert set(codes) <= {502, 503}, codes  # admitted calls end as 502 device_failed (documented), never 500
    failed = [a for a in answers if a.status_code == 502]
    assert failed and failed[0].headers["content-type"].startswith("application/problem+json")
    problem = failed[0].json()
    assert problem["error"] == "device_failed" and problem["device"] == "kashgar-ce1", problem
    assert "running configuration not read" in problem["detail"]
    assert work.peak == SLOTS and silent.peak <= SLOTS  # never more device work at once than the pool has
    assert silent.accepted == codes.count(502)
    assert busy_after_status >= 1 or codes.count(502) >= 1
