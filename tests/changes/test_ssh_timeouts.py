"""SSH timeouts as settings: ``NETOPS_SSH_LOGIN_TIMEOUT_S`` (TCP connect, SSH banner, authentication, each) and
``NETOPS_SSH_COMMAND_TIMEOUT_S`` for every SSH session of ``netops serve``, and ``--timeout`` /
``--command-timeout`` (else the same settings) on ``netops config``.

A device slow to log in: the lab's ``slow`` fault delays the device's answers in its shell (the first prompt,
every command), not the SSH banner or the authentication, so it cannot make a login slow. ``SlowLogin`` here
does: a TCP relay in front of the device's SSH port that holds back the device's first bytes (its SSH banner)
for ``delay`` seconds, on every connection, as a device whose login is slow does on every login (a busy
control plane, a far AAA server). The service's inventory points the device's ``ssh_port`` at the relay; its
SNMP agent is reached directly. The relay's delay is a lower bound, and each test's timeout is well below it
where a login must fail (a loaded machine only makes the failing side later) and far above it where the login
must succeed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from netops.drivers.cli import Timeouts
from netops.errors import SettingsError
from netops.lab.faults import FaultBook
from netops.lab.testing import free_port, service_process, wait_until
from netops.lab.testing import write_inventory as write_inventory_files
from netops.settings import Settings
from tests.changes.changes_testlib import INVENTORY, PASSWORD, Lab
from tests.conftest import REPO, run_netops

SLOW = "hotan-ce1"  # huawei_vrp8, 127.74.N.5: the device behind the relay
LOGIN_ADDRESS = "127.74.{n}.5"


class SlowLogin:
    """A TCP relay on the lab's loop: ``port`` at the device's address forwards to its SSH port; the device's
    bytes reach the client ``delay`` seconds after the relay accepted the connection, the client's at once."""

    def __init__(self, lab: Lab, device: str, delay: float) -> None:
        dev = lab.inventory.device(device)
        self.lab = lab
        self.host, self.target = str(dev.address), dev.ssh_port
        self.delay = delay
        self.port = free_port(self.host)
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._relay, self.host, self.port)

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            try:
                device_r, device_w = await asyncio.open_connection(self.host, self.target)
            except OSError:
                return
            await asyncio.gather(
                self._pipe(client_r, device_w, 0.0), self._pipe(device_r, client_w, self.delay)
            )
        finally:
            client_w.close()
            self._tasks.discard(task)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, delay: float) -> None:
        try:
            if delay:
                await asyncio.sleep(delay)
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except OSError:
            pass
        finally:
            dst.close()

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @contextlib.contextmanager
    def running(self) -> Iterator[SlowLogin]:
        self.lab.loop.run(self._start())
        try:
            yield self
        finally:
            self.lab.loop.run(self._stop())


def relayed_inventory(lab: Lab, target: Path, relay: SlowLogin) -> Path:
    """The lab's inventory with ``SLOW``'s SSH port pointing at the relay (its templates linked in)."""
    address = LOGIN_ADDRESS.format(n=lab.subnet)
    text = INVENTORY.format(n=lab.subnet)
    line = f"        address: {address}\n"
    assert text.count(line) == 1
    write_inventory_files(target, text.replace(line, f"{line}        ssh_port: {relay.port}\n"))
    (target / "templates").symlink_to((lab.inventory_dir / "templates").resolve())
    return target


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Callable[..., dict[str, str]]:
    """The environment of a netops process: none of the caller's SSH settings or database, plus ``extra``."""
    for name in ("NETOPS_SSH_LOGIN_TIMEOUT_S", "NETOPS_SSH_COMMAND_TIMEOUT_S", "NETOPS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)

    def env(lab: Lab, **extra: str) -> dict[str, str]:
        assert lab.secrets.path is not None
        return {"NETOPS_SECRETS_FILE": str(lab.secrets.path), "NETOPS_MODE": "lab", **extra}

    return env


# -- the service ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("login_timeout", "delay", "outcome"),
    [("60", 6.0, "confirmed"), (None, 30.0, "failed")],
    ids=["login-6s-timeout-60s-confirmed", "login-30s-default-5s-failed"],
)
def test_served_push_to_a_device_slow_to_log_in(
    lab: Lab,
    tmp_path: Path,
    clean_env: Callable[..., dict[str, str]],
    login_timeout: str | None,
    delay: float,
    outcome: str,
) -> None:
    """``POST /changes`` on ``netops serve`` to a device whose every login is slow (its SSH banner): 6 s with
    ``NETOPS_SSH_LOGIN_TIMEOUT_S=60``: the push logs in, the post-checks log in again, the change is confirmed
    on the device; 30 s with the default (5 s): the first login fails (after 5 s), the device is ``failed`` and
    untouched. (6 s is longer than the default allows; the failing side's 30 s leaves no doubt.)"""
    from netops.auth.tokens import Role, create_token
    from netops.store.db import open_store

    before = lab.running(SLOW)
    relay = SlowLogin(lab, SLOW, delay=delay)
    inv = relayed_inventory(lab, tmp_path / "served-inventory", relay)
    state = tmp_path / "state"
    extra = {"NETOPS_SSH_LOGIN_TIMEOUT_S": login_timeout} if login_timeout else {}
    env = clean_env(lab, NETOPS_POLL_ENABLED="false", NETOPS_BACKUP_INTERVAL_S="0", **extra)
    port = free_port()
    args = ["serve", "--inventory", str(inv), "--port", str(port), "--state-dir", str(state)]
    log = tmp_path / "serve.log"
    state.mkdir()
    store = open_store(f"sqlite:///{state / 'netops.db'}")  # the service's database, migrated: a token in it
    try:
        token = create_token(store, "eng", Role.ENGINEER)[1]
    finally:
        store.close()
    headers = {"Authorization": f"Bearer {token}"}
    with (
        relay.running(),
        service_process([*args, "--log-level", "info"], log, port, env=env, cwd=REPO) as svc,
    ):
        body = {"devices": [SLOW], "reason": "slow login", "confirm_s": 120.0, "minute_s": 1.0}
        started = httpx.post(f"{svc.base_url}/changes", json=body, headers=headers, timeout=30)
        assert started.status_code == 202, started.text
        change_id = started.json()["change"]

        def finished() -> dict[str, Any] | None:
            got = httpx.get(f"{svc.base_url}/changes/{change_id}", headers=headers, timeout=30)
            assert got.status_code == 200, got.text
            data: dict[str, Any] = got.json()
            return data if data["state"] not in ("planned", "running") else None

        change = wait_until(f"change {change_id} to finish", finished, every=0.2)
    (device,) = change["devices"]
    assert device["outcome"] == outcome, device
    if outcome == "confirmed":
        assert change["state"] == "done"
        assert {c["name"]: c["ok"] for c in device["checks"]}.get("ssh") is True, device["checks"]
        assert relay.connections >= 2  # the push's login and the post-check's login both waited the delay
        assert lab.running(SLOW) != before
    else:
        assert "no answer in time" in (device["detail"] or ""), device
        assert relay.connections == 1
        assert lab.running(SLOW) == before  # nothing was changed
    assert PASSWORD not in svc.output()


@pytest.mark.parametrize("variable", ["NETOPS_SSH_LOGIN_TIMEOUT_S", "NETOPS_SSH_COMMAND_TIMEOUT_S"])
@pytest.mark.parametrize("value", ["0", "-7.5", "nan", "inf", "1e9", "soon", ""])
def test_refused_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A value out of its rule (not a number, not above 0, not finite, over the cap) is one ``SettingsError``
    line naming the variable and the rule, never pydantic's traceback."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as refused:
        Settings()
    message = str(refused.value)
    assert message.startswith(f"invalid settings: {variable}: ") and "\n" not in message, message


def test_refused_setting_stops_the_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``netops serve`` with a refused value stops at start: exit 1, that one line, the value not repeated
    (``netops config`` the same: ``test_config_env_setting_refused_like_the_service``)."""
    value = "-7.5"
    monkeypatch.setenv("NETOPS_SSH_LOGIN_TIMEOUT_S", value)
    with pytest.raises(SettingsError) as refused:
        Settings()
    port = str(free_port())
    ran = run_netops("serve", "--inventory", str(REPO / "tests" / "inventory" / "base"), "--port", port,
                     "--state-dir", str(tmp_path / "state"))  # fmt: skip
    assert ran.returncode == 1, ran.stdout + ran.stderr
    lines = [line for line in ran.stderr.splitlines() if line.strip()]
    assert lines == [f"error: {refused.value}"], ran.stderr
    assert value not in ran.stdout + ran.stderr


def test_settings_give_every_phase_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Login phases share one value; the defaults are today's (5 s each login phase, 20 s a command)."""
    for name in ("NETOPS_SSH_LOGIN_TIMEOUT_S", "NETOPS_SSH_COMMAND_TIMEOUT_S"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().ssh_timeouts == Timeouts() == Timeouts(5.0, 5.0, 5.0, 20.0)
    monkeypatch.setenv("NETOPS_SSH_LOGIN_TIMEOUT_S", "42")
    monkeypatch.setenv("NETOPS_SSH_COMMAND_TIMEOUT_S", "90.5")
    assert Settings().ssh_timeouts == Timeouts(connect=42.0, banner=42.0, auth=42.0, command=90.5)


def test_backups_wait_30_s_a_command_unless_the_setting_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduled backup (and ``netops config backup``) reads a whole configuration: its command waits
    30 s by default, the login the setting's; a set command timeout is used as it is."""
    for name in ("NETOPS_SSH_LOGIN_TIMEOUT_S", "NETOPS_SSH_COMMAND_TIMEOUT_S"):
        monkeypatch.delenv(name, raising=False)
    assert Settings().backup_ssh_timeouts == Timeouts(5.0, 5.0, 5.0, 30.0)
    monkeypatch.setenv("NETOPS_SSH_LOGIN_TIMEOUT_S", "42")
    assert Settings().backup_ssh_timeouts == Timeouts(42.0, 42.0, 42.0, 30.0)
    monkeypatch.setenv("NETOPS_SSH_COMMAND_TIMEOUT_S", "12")
    assert Settings().backup_ssh_timeouts == Timeouts(42.0, 42.0, 42.0, 12.0)


def test_runbook_pusher_of_the_service_uses_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runbooks' change engine built for the service (``from_runtime``) pushes with the service's
    timeouts (the runbook push itself over a slow login: ``test_served_push...`` covers the same options)."""
    from netops.runbooks.change_engine import ChangeEnginePusher
    from netops.runtime import Runtime

    monkeypatch.delenv("NETOPS_DATABASE_URL", raising=False)
    settings = Settings(
        inventory=REPO / "tests" / "inventory" / "base",
        state_dir=tmp_path,
        ssh_login_timeout_s=33.0,
        ssh_command_timeout_s=77.0,
    )
    runtime = Runtime.start(settings)
    try:
        pusher = ChangeEnginePusher.from_runtime(runtime)
        assert pusher.timeouts == Timeouts(33.0, 33.0, 33.0, 77.0)
        assert pusher._options(300.0).timeouts == pusher.timeouts
    finally:
        runtime.store.close()


# -- netops config -------------------------------------------------------------------------------------------
def backup(inv: Path, state: Path, env: dict[str, str], *options: str) -> tuple[int, dict[str, Any], str]:
    """``netops config backup --device SLOW --json OPTIONS``: exit code, the device's result, all output."""
    ran = run_netops("config", "backup", "--device", SLOW, "-i", str(inv), "--state-dir", str(state), "--json",
                     *options, env=env, timeout=120)  # fmt: skip
    results = json.loads(ran.stdout) if ran.stdout.strip() else [{}]
    return ran.returncode, results[0], ran.stdout + ran.stderr


def test_config_timeout_option_and_setting_for_a_slow_login(
    lab: Lab, tmp_path: Path, clean_env: Callable[..., dict[str, str]]
) -> None:
    """``NETOPS_SSH_LOGIN_TIMEOUT_S=1``: behind a 30 s login the backup's login fails (exit 1, "no answer in
    time"). With the setting at 60 s, ``push --timeout 1`` fails the same login: the option, not the setting,
    reached the push's session. Behind a 2 s login, one the setting of 1 s would refuse, ``--timeout 60``
    overrides it: the backup is stored."""
    relay = SlowLogin(lab, SLOW, delay=30.0)
    inv = relayed_inventory(lab, tmp_path / "relayed", relay)
    state = tmp_path / "state"
    env = clean_env(lab, NETOPS_SSH_LOGIN_TIMEOUT_S="1")
    with relay.running():
        code, result, output = backup(inv, state, env)
        assert (code, result.get("outcome")) == (1, "failed"), output
        assert "no answer in time" in (result["detail"] or ""), result
        pushed = run_netops("config", "push", "--apply", "--device", SLOW, "-i", str(inv), "--state-dir", str(state),
                            "--reason", "slow login", "--json", "--timeout", "1",
                            env={**env, "NETOPS_SSH_LOGIN_TIMEOUT_S": "60"}, timeout=120)  # fmt: skip
        assert pushed.returncode == 1, pushed.stdout + pushed.stderr
        assert json.loads(pushed.stdout)["summary"].get("failed") == 1, pushed.stdout
        assert relay.connections == 2  # one login each: nothing was tried again
        relay.delay = 2.0  # read by each new connection
        code, result, output = backup(inv, state, env, "--timeout", "60")
        assert code == 0 and result["outcome"] in ("stored", "unchanged"), output
    assert PASSWORD not in output


def test_config_command_timeout_option_and_setting_for_slow_answers(
    lab: Lab, tmp_path: Path, clean_env: Callable[..., dict[str, str]]
) -> None:
    """The lab's ``slow`` fault (every answer 0.2 s late): ``NETOPS_SSH_COMMAND_TIMEOUT_S=0.05`` fails the
    backup's display (exit 1, no answer in time); ``--command-timeout 60`` overrides it and the backup is stored."""
    lab.loop.call(FaultBook(lab.world).apply, "slow", SLOW, {"ms": 200})
    state = tmp_path / "state"
    env = clean_env(lab, NETOPS_SSH_COMMAND_TIMEOUT_S="0.05")
    code, result, output = backup(lab.inventory_dir, state, env)
    assert (code, result.get("outcome")) == (1, "failed"), output
    assert "no answer to 'display' in time" in (result["detail"] or ""), result
    code, result, output = backup(lab.inventory_dir, state, env, "--command-timeout", "60")
    assert code == 0 and result["outcome"] in ("stored", "unchanged"), output


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [("diff", "--timeout", "0"), ("push", "--command-timeout", "nan"), ("backup", "--timeout", "301"),
     ("rollback", "--command-timeout", "-1")],
)  # fmt: skip
def test_config_commands_refuse_a_bad_timeout_option(command: str, option: str, value: str) -> None:
    """Every SSH command of ``netops config`` takes the options and refuses a value out of range (exit 2,
    naming the option) before it touches anything."""
    ran = run_netops(
        "config", command, option, value, "--inventory", str(REPO / "tests" / "inventory" / "base")
    )
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert f"Invalid value for '{option}'" in ran.stderr and "expected seconds above 0" in ran.stderr, (
        ran.stderr
    )


def test_config_env_setting_refused_like_the_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad ``NETOPS_SSH_COMMAND_TIMEOUT_S`` stops ``netops config push`` with the service's one line, exit 1."""
    monkeypatch.setenv("NETOPS_SSH_COMMAND_TIMEOUT_S", "-1")
    ran = run_netops("config", "push", "--apply", "--all", "--inventory", str(REPO / "tests" / "inventory" / "base"),
                     "--state-dir", str(tmp_path / "state"))  # fmt: skip
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert (
        ran.stderr.strip()
        == "error: invalid settings: NETOPS_SSH_COMMAND_TIMEOUT_S: Input should be greater than 0"
    )
    assert not (tmp_path / "state").exists()  # refused before anything was created
