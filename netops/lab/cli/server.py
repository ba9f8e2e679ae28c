"""The lab's SSH server: one asyncssh listener per CLI device, on the device's own 127.x address and port.

Part of ``netops.lab.cli``; ``netops lab up`` calls ``start_ssh``. Each listener accepts TCP itself: when the
device does not answer (``DeviceState.answers`` is False: node down, cut off) the connection is accepted but
never gets the SSH banner (clients time out, as with a dead router behind a live carrier port); otherwise the
socket is handed to asyncssh. Password login checks the device's credential; the interactive shell echoes
what is typed, feeds whole lines to the engine (``engine.Session``) and writes back output and prompt in one
write, after ``DeviceState.slow_ms``. A session whose device stops answering goes silent.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import socket
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

import asyncssh

from netops.errors import LabError
from netops.inventory.models import Device, Platform
from netops.lab.cli.comware7 import Comware7Dialect
from netops.lab.cli.config import ConfigNode
from netops.lab.cli.engine import CliSettings, Dialect
from netops.lab.cli.facts import config_facts
from netops.lab.cli.ios import IosDialect
from netops.lab.cli.shell import Shell
from netops.lab.cli.store import DeviceConfig
from netops.lab.cli.vrp5 import Vrp5Dialect
from netops.lab.cli.vrp8 import Vrp8Dialect
from netops.lab.state import DeviceState, LabWorld
from netops.secrets import SecretStore

log = logging.getLogger(__name__)


def make_dialect(platform: Platform, enable_secret: str | None = None) -> Dialect:
    if platform is Platform.HUAWEI_VRP8:
        return Vrp8Dialect()
    if platform is Platform.HUAWEI_VRP5:
        return Vrp5Dialect()
    if platform is Platform.H3C_COMWARE7:
        return Comware7Dialect()
    if platform is Platform.CISCO_IOS:
        return IosDialect(enable_secret)
    raise LabError(f"platform {platform.value!r} has no CLI simulator")


@dataclass(slots=True)
class Listener:
    state: DeviceState
    username: str
    password: str
    dialect: Dialect
    sock: socket.socket
    options: Any = None  # asyncssh.SSHServerConnectionOptions, built once

    @property
    def device(self) -> Device:
        return self.state.device


class SshLab:
    """The running SSH side of one lab: listeners, live connections, login counters, the lab speed-up."""

    def __init__(self, world: LabWorld, settings: CliSettings) -> None:
        self.world = world
        self.settings = settings
        self.logins = 0
        self.failed_logins = 0
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self._listeners: dict[str, Listener] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._conns: set[asyncssh.SSHServerConnection] = set()
        self._closed = False

    @property
    def minute_seconds(self) -> float:
        """How many seconds a "minute" of Comware/IOS revert timers lasts (60 unless a test speeds it up)."""
        return self.settings.minute_seconds

    @minute_seconds.setter
    def minute_seconds(self, value: float) -> None:
        if value <= 0:
            raise LabError(f"minute_seconds must be positive, got {value}")
        self.settings.minute_seconds = value

    @property
    def devices(self) -> list[str]:
        return sorted(self._listeners)

    def address(self, device: str) -> tuple[str, int]:
        dev = self._listeners[device].device
        return str(dev.address), dev.ssh_port

    def store(self, device: str) -> DeviceConfig:
        """The device's configuration store (created from the inventory at first use)."""
        lst = self._listeners[device]
        if not isinstance(lst.state.cli, DeviceConfig):
            state, names, world = lst.state, lst.dialect.names, self.world
            initial = lst.dialect.initial_config(state, world.inventory)

            def changed(tree: ConfigNode, label: str) -> None:  # the running configuration drives the state
                world.apply_config(device, config_facts(state, tree, names), detail=f"commit {label}")

            world.set_baseline(device, config_facts(state, initial, names))
            state.cli = DeviceConfig(device, initial, lst.dialect.keys, on_change=changed)
        store: DeviceConfig = lst.state.cli
        return store

    # lifecycle ---------------------------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _listen(self, lst: Listener) -> None:
        self._listeners[lst.device.id] = lst
        lst.options = asyncssh.SSHServerConnectionOptions(
            server_host_keys=[self.host_key],
            server_factory=lambda: _Server(self, lst),
            line_editor=False,
            keepalive_interval=0,
            login_timeout=30,
        )
        self._spawn(self._accept(lst))

    async def _accept(self, lst: Listener) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(lst.sock)
            except OSError as exc:  # out of file descriptors and the like: keep the listener alive
                log.warning("%s: accept failed: %s", lst.device.id, exc)
                await asyncio.sleep(0.1)
                continue
            conn.setblocking(False)
            if lst.state.answers:
                self._spawn(self._serve(lst, conn))
            else:
                self._spawn(self._hold(conn))

    async def _hold(self, conn: socket.socket) -> None:
        """A device that does not answer: keep the TCP connection open and silent until the client leaves."""
        loop = asyncio.get_running_loop()
        try:
            while await loop.sock_recv(conn, 4096):
                pass
        except OSError:
            pass
        finally:
            conn.close()

    async def _serve(self, lst: Listener, conn: socket.socket) -> None:
        try:
            await asyncssh.run_server(conn, options=lst.options)
        except (asyncssh.Error, OSError, TimeoutError) as exc:
            log.debug("%s: SSH connection ended during login: %s", lst.device.id, exc.__class__.__name__)
            conn.close()
        except asyncio.CancelledError:
            conn.close()
            raise

    async def close(self) -> None:
        """Stop listening, drop every connection, cancel pending revert timers (their changes stay)."""
        if self._closed:
            return
        self._closed = True
        while self._tasks:  # shells may start while the first ones are being cancelled
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for conn in list(self._conns):
            conn.close()
        for conn in list(self._conns):
            await conn.wait_closed()
        for lst in self._listeners.values():
            lst.sock.close()
            if isinstance(lst.state.cli, DeviceConfig):
                lst.state.cli.disarm()


class _Server(asyncssh.SSHServer):
    def __init__(self, lab: SshLab, lst: Listener) -> None:
        self.lab = lab
        self.lst = lst
        self.conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.lab._conns.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.lab._conns.discard(self.conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        ok = hmac.compare_digest(username.encode(), self.lst.username.encode())
        ok &= hmac.compare_digest(password.encode(), self.lst.password.encode())
        if ok:
            self.lab.logins += 1
        else:
            self.lab.failed_logins += 1
            log.info("%s: login refused for user %r", self.lst.device.id, username)
        return ok

    def session_requested(self) -> Shell:
        user = self.conn.get_extra_info("username") if self.conn is not None else ""
        return Shell(self.lab, self.lst, str(user))


async def start_ssh(
    world: LabWorld,
    secrets: SecretStore,
    devices: Iterable[str] | None = None,
    *,
    minute_seconds: float = 60.0,
) -> SshLab:
    """Listen for SSH on every CLI device of ``world`` (or only ``devices``); return the running ``SshLab``.

    ``minute_seconds`` shortens the minute-based revert timers (Comware ``configuration commit delay``,
    IOS ``configure terminal revert timer``) for tests and demos. Raises ``LabError`` naming the device
    and address when a listener cannot bind (address or port in use), after closing the ones opened.
    """
    inv = world.inventory
    wanted = [inv.device(d) for d in devices] if devices is not None else list(inv.devices.values())
    chosen = [d for d in wanted if d.platform.has_cli]
    resolved: list[tuple[Device, str, str, str | None]] = []
    for dev in chosen:
        if dev.credential is None or dev.credential not in inv.credentials:
            raise LabError(f"{dev.id}: no credential for its SSH CLI (credential: {dev.credential!r})")
        cred = inv.credentials[dev.credential]
        enable = secrets.get(cred.enable) if cred.enable is not None else None
        resolved.append((dev, cred.username, secrets.get(cred.password), enable))
    lab = SshLab(world, CliSettings(minute_seconds=60.0))
    lab.minute_seconds = minute_seconds
    opened: list[Listener] = []
    try:
        for dev, username, password, enable in resolved:
            sock = _bind(dev)
            lst = Listener(world.device(dev.id), username, password, make_dialect(dev.platform, enable), sock)
            opened.append(lst)
            lab._listen(lst)
    except LabError:
        await lab.close()
        for lst in opened:
            lst.sock.close()
        raise
    log.info("SSH lab listening for %d devices", len(opened))
    return lab


def _bind(dev: Device) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((str(dev.address), dev.ssh_port))
        sock.listen(512)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise LabError(
            f"{dev.id}: cannot listen for SSH on {dev.address}:{dev.ssh_port}: {exc.strerror or exc}"
        ) from exc
    return sock
