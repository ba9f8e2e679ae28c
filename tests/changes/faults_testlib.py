"""Fault injection for the change journal tests (issue 18): netmiko sessions that die at a chosen command, an
independent netmiko checker (plain ``ConnectHandler``, none of netops' driver code) that says whether a
device runs its OLD or NEW configuration, and a module-wide lab whose devices are put back between cases.

``drop_session`` patches ``netmiko.BaseConnection.send_command`` (the transport library, not netops): when
the trigger matches a command sent to the device's address, the command is either never sent (the session
dies before it) or sent and answered with the answer thrown away (the session dies right after the device
acted on it); then the SSH channel is closed and ``OSError`` raised, as when a socket dies.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import NetmikoBaseException

from netops.changes import records
from netops.inventory.models import Platform
from tests.changes.changes_testlib import PASSWORD, Lab

# one router per platform of the changes lab
PLATFORM_DEVICES = {
    "vrp8": "hotan-ce1",
    "vrp5": "kashgar-shufu-ce1",
    "comware7": "kashgar-ce1",
    "ios": "kashgar-kashi-ce1",
}
ENTER = {
    Platform.HUAWEI_VRP8: "system-view",
    Platform.HUAWEI_VRP5: "system-view",
    Platform.H3C_COMWARE7: "system-view",
    Platform.CISCO_IOS: "configure terminal revert timer",
}
CONFIRM = {  # VRP5 has no confirm: its "confirm" step is the save
    Platform.HUAWEI_VRP8: "commit",
    Platform.HUAWEI_VRP5: "save",
    Platform.H3C_COMWARE7: "configuration commit",
    Platform.CISCO_IOS: "configure confirm",
}
SHOW_INTERFACES = {
    Platform.HUAWEI_VRP8: "display interface brief",
    Platform.HUAWEI_VRP5: "display interface brief",
    Platform.H3C_COMWARE7: "display interface brief",
    Platform.CISCO_IOS: "show ip interface brief",
}
SHOW_RUNNING = {
    Platform.HUAWEI_VRP8: "display current-configuration",
    Platform.HUAWEI_VRP5: "display current-configuration",
    Platform.H3C_COMWARE7: "display current-configuration",
    Platform.CISCO_IOS: "show running-config",
}
OLD_OUTCOMES = {"reverted", "rejected", "failed", "rolled-back"}
NEW_OUTCOMES = {"confirmed"}


@dataclass
class Trigger:
    """Which command kills the session: a predicate over (connection, command), fired once."""

    match: Callable[[BaseConnection, str], bool]
    answered: bool  # True: the device gets the command and answers; the answer is lost
    silent_after: bool = False  # True: every later command to the device dies too (it stays unreachable)
    fired: threading.Event = field(default_factory=threading.Event)
    seen: list[str] = field(default_factory=list)


def _hang_up(conn: BaseConnection) -> None:
    channel = conn.remote_conn
    if channel is not None:
        channel.close()


@contextmanager
def drop_session(address: str, trigger: Trigger) -> Iterator[Trigger]:
    original = BaseConnection.send_command
    lock = threading.Lock()

    def send_command(self: BaseConnection, command_string: str, *args: Any, **kwargs: Any) -> Any:
        if self.host == address and trigger.fired.is_set() and trigger.silent_after:
            _hang_up(self)
            raise OSError(f"session dropped at {command_string!r} (the device stays silent)")
        if self.host == address and not trigger.fired.is_set():
            with lock:
                hit = not trigger.fired.is_set() and trigger.match(self, command_string)
                if hit:
                    trigger.fired.set()
            if hit:
                trigger.seen.append(command_string)
                if trigger.answered:
                    original(self, command_string, *args, **kwargs)
                _hang_up(self)
                raise OSError(f"session dropped at {command_string!r} (fault injection)")
        return original(self, command_string, *args, **kwargs)

    BaseConnection.send_command = send_command  # type: ignore[method-assign]
    try:
        yield trigger
    finally:
        BaseConnection.send_command = original  # type: ignore[method-assign]


def nth(command: str | Callable[[str], bool], n: int = 1) -> Callable[[BaseConnection, str], bool]:
    """The ``n``th command (1-based) that equals / starts with ``command`` (or satisfies it)."""
    count = 0

    def match(_conn: BaseConnection, sent: str) -> bool:
        nonlocal count
        ok = command(sent) if callable(command) else (sent == command or sent.startswith(command + " "))
        if ok:
            count += 1
        return ok and count == n

    return match


def lines_after(enter: str, n: int) -> Callable[[BaseConnection, str], bool]:
    """The ``n``th configuration line typed after the session entered configuration mode (``enter``)."""
    entered, count = False, 0

    def match(_conn: BaseConnection, sent: str) -> bool:
        nonlocal entered, count
        if sent.startswith(enter):
            entered = True
            return False
        if entered:
            count += 1
        return entered and count == n

    return match


def first_on_another_session(after: str) -> Callable[[BaseConnection, str], bool]:
    """The first command of a session opened after ``after`` was sent on another one (a rollback's). The armed
    session is held (not only its ``id()``): once closed and freed, a new session could get the same id and its
    commands would never match (the rollback fault then never fired)."""
    armed: BaseConnection | None = None

    def match(conn: BaseConnection, sent: str) -> bool:
        nonlocal armed
        if armed is None:
            if sent == after:
                armed = conn
            return False
        return conn is not armed

    return match


# -- the independent checker --------------------------------------------------------------------------------
VOLATILE = re.compile(r"^(!|#|Building configuration|Current configuration|.*Last configuration change)")


class Checker:
    """Reads running configurations over plain netmiko sessions (netops' drivers not involved), one session
    per device kept open for the module (a Huawei login costs netmiko seconds of prompt probing)."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.conns: dict[str, BaseConnection] = {}

    def _connect(self, device: str) -> BaseConnection:
        dev = self.lab.inventory.device(device)
        return ConnectHandler(
            device_type=dev.platform.netmiko_device_type,
            host=str(dev.address),
            port=dev.ssh_port,
            username="netops",
            password=PASSWORD,
            fast_cli=True,
        )

    def running(self, device: str) -> str:
        platform = self.lab.inventory.device(device).platform
        for attempt in (1, 2):
            conn = self.conns.get(device) or self._connect(device)
            self.conns[device] = conn
            try:
                text = str(conn.send_command(SHOW_RUNNING[platform], read_timeout=30))
                break
            except (OSError, EOFError, NetmikoBaseException):
                self.conns.pop(device, None)
                if attempt == 2:
                    raise
        lines = [ln.rstrip() for ln in text.replace("\r", "").splitlines()]
        return "\n".join(ln for ln in lines if ln.strip() and not VOLATILE.match(ln.strip()))

    def forget(self, device: str) -> None:
        """Drop the kept session (its device went silent: the session is dead)."""
        conn = self.conns.pop(device, None)
        if conn is not None:
            with contextlib.suppress(OSError, EOFError, NetmikoBaseException):
                _hang_up(conn)

    def landing(self, device: str, old: str, new: str) -> str:
        now = self.running(device)
        return "OLD" if now == old else "NEW" if now == new else "HALF"

    def close(self) -> None:
        for conn in self.conns.values():
            with contextlib.suppress(OSError, EOFError, NetmikoBaseException):
                conn.disconnect()
        self.conns.clear()


def recorded(store: Any, change_id: str, device: str) -> dict[str, Any]:
    return next(d for d in records.get_change(store, change_id)["devices"] if d["device"] == device)


def as_landing(outcome: str) -> str:
    return "OLD" if outcome in OLD_OUTCOMES else "NEW" if outcome in NEW_OUTCOMES else outcome.upper()


def reset_device(lab: Lab, device: str, initial: Any) -> None:
    """Back to ``initial`` (the lab's tree taken at the start), no timer pending (between cases)."""

    def reset() -> None:
        store = lab.ssh.store(device)
        store.disarm()
        if store.running != initial:
            store._set_running(initial.copy(), "test", "reset")  # as a rollback does (events included)

    lab.loop.call(reset)


def initial_tree(lab: Lab, device: str) -> Any:
    return lab.loop.call(lambda: lab.ssh.store(device).running.copy())
