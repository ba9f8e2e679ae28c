"""SSH CLI sessions over netmiko: open one per device, send commands and configuration lines, hang up fast.

Part of ``netops.drivers``: the platform transactions (``netops/drivers/platforms/``) and the change
engine (``netops/changes/``) talk to routers only through ``CliSession``. netmiko is blocking: callers run
sessions in a bounded thread pool. netmiko's own errors are translated once, here, into the netops tree
(``DeviceUnreachable``, ``AuthenticationFailed``, ``CommandRejected``); passwords never reach a message.

Speed: every command waits for a known prompt pattern (``expect``) instead of netmiko's prompt probe or its
2-second quiet-time reads (Huawei ``check_config_mode``, Comware's timing-based ``send_config_set``), and
``close`` leaves with ``return``/``quit`` (``end``/``exit``) instead of ``disconnect()``'s mode probes.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoBaseException,
    NetmikoTimeoutException,
    ReadTimeout,
)
from paramiko.ssh_exception import SSHException  # type: ignore[import-untyped]

from netops.drivers.masking import LOG_FILTER as LOG_FILTER
from netops.drivers.masking import register_secrets as register_secrets
from netops.errors import (
    AuthenticationFailed,
    CommandRejected,
    DeviceError,
    DeviceUnreachable,
    NetopsError,
)
from netops.inventory.models import Device, Inventory, Platform
from netops.secrets import SecretStore

log = logging.getLogger(__name__)


# a configuration or display command failed: VRP "Error:", Comware " % ", IOS "% "
ERROR_LINE = re.compile(r"^(Error:|\s*%\s)", re.M)
# any prompt of the four dialects: <name>, [~name-view], name#, name(config-if)#
ANY_PROMPT = r"(<[^<>\n]+>|\[[^\[\]\n]+\]|[\w.\-]+(\([\w\-]+\))?[#>])\s*$"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds: TCP connect, SSH banner, authentication, and one command's answer.

    The service takes them from ``NETOPS_SSH_LOGIN_TIMEOUT_S`` / ``NETOPS_SSH_COMMAND_TIMEOUT_S``
    (``Settings.ssh_timeouts``), the ``netops config`` commands from ``--timeout`` / ``--command-timeout``.
    The wait for the first prompt after authentication is netmiko's own (10-20 s by platform).
    """

    connect: float = 5.0
    banner: float = 5.0
    auth: float = 5.0
    command: float = 20.0

    @classmethod
    def of(cls, login_s: float, command_s: float) -> Timeouts:
        """``login_s`` for each login phase (TCP connect, SSH banner, authentication), ``command_s`` a command."""
        return cls(connect=login_s, banner=login_s, auth=login_s, command=command_s)


class CliSession:
    """One open SSH CLI session on one device (not thread-safe: one thread at a time uses it)."""

    def __init__(self, device: Device, conn: BaseConnection, timeouts: Timeouts) -> None:
        self.device = device
        self.conn = conn
        self.timeouts = timeouts
        self.commands = 0

    # -- opening ---------------------------------------------------------------------------------------
    @classmethod
    def open(
        cls, device: Device, inventory: Inventory, secrets: SecretStore, timeouts: Timeouts | None = None
    ) -> CliSession:
        """Log in. Raises ``DeviceUnreachable``/``AuthenticationFailed``/``DeviceError`` naming the device."""
        t = timeouts or Timeouts()
        device_type = device.platform.netmiko_device_type
        if device_type is None:
            raise DeviceError(device.id, f"platform {device.platform} has no SSH CLI")
        if device.credential is None or device.credential not in inventory.credentials:
            raise DeviceError(device.id, f"no credential {device.credential!r} in the inventory")
        cred = inventory.credentials[device.credential]
        password = secrets.get(cred.password)
        register_secrets([password])
        params: dict[str, object] = {
            "device_type": device_type,
            "host": str(device.address),
            "port": device.ssh_port,
            "username": cred.username,
            "password": password,
            "conn_timeout": t.connect,
            "banner_timeout": t.banner,
            "auth_timeout": t.auth,
            "fast_cli": True,
        }
        if cred.enable is not None:
            params["secret"] = secrets.get(cred.enable)
            register_secrets([str(params["secret"])])
        where = f"ssh {device.address}:{device.ssh_port}"
        try:
            conn: BaseConnection = ConnectHandler(**params)
        except NetmikoAuthenticationException as exc:
            raise AuthenticationFailed(device.id, f"{where}: login refused for {cred.username!r}") from exc
        except (NetmikoTimeoutException, ReadTimeout) as exc:
            raise DeviceUnreachable(device.id, f"{where}: no answer in time") from exc
        except (OSError, SSHException, EOFError) as exc:
            raise DeviceUnreachable(device.id, f"{where}: {exc.__class__.__name__}") from exc
        except NetmikoBaseException as exc:
            raise DeviceError(device.id, f"{where}: {exc.__class__.__name__}") from exc
        session = cls(device, conn, t)
        if device.platform is Platform.CISCO_IOS and cred.enable is not None:
            session._call(lambda: conn.enable(), "enable")
        return session

    # -- commands --------------------------------------------------------------------------------------
    def _call(self, fn: object, what: str) -> str:
        assert callable(fn)
        try:
            return str(fn())
        except (NetmikoTimeoutException, ReadTimeout) as exc:
            raise DeviceUnreachable(self.device.id, f"no answer to {what!r} in time") from exc
        except (OSError, SSHException, EOFError) as exc:
            raise DeviceUnreachable(self.device.id, f"session lost during {what!r}") from exc
        except NetmikoBaseException as exc:
            raise DeviceError(self.device.id, f"{what!r}: {exc.__class__.__name__}") from exc

    def send(self, command: str, expect: str = ANY_PROMPT, shown: str | None = None) -> str:
        """Send one line; return the output up to ``expect`` (a prompt by default), echo and prompt removed.

        ``shown`` replaces the command in error messages (a line that holds a secret)."""
        self.commands += 1
        out = self._call(
            lambda: self.conn.send_command(
                command,
                expect_string=expect,
                read_timeout=self.timeouts.command,
                strip_prompt=True,
                strip_command=False,
            ),
            shown or command.split()[0],
        )
        return _strip_echo(out, command)

    def check(self, command: str, expect: str = ANY_PROMPT, shown: str | None = None) -> str:
        """``send`` and raise ``CommandRejected`` when the device answers with an error."""
        out = self.send(command, expect, shown)
        m = ERROR_LINE.search(out)
        if m is not None:
            error = out[m.start() :].splitlines()[0].strip()
            raise CommandRejected(self.device.id, f"{shown or command!r} refused: {error}")
        return out

    def configure(self, lines: Sequence[str], shown: Sequence[str] | None = None) -> int:
        """Type configuration lines one by one (the caller is in configuration mode); stop at the first error.

        Returns how many lines were accepted; raises ``CommandRejected`` naming the refused line."""
        for i, line in enumerate(lines):
            self.check(line, shown=(shown[i] if shown is not None else line))
        return len(lines)

    # -- closing ---------------------------------------------------------------------------------------
    def close(self) -> None:
        """Leave the device (to the exec view, then log out) and close the client; never raises."""
        conn = self.conn
        try:
            if self.device.platform is Platform.CISCO_IOS:
                conn.write_channel("end\nexit\n")
            else:
                # "n": a VRP8 question about uncommitted edits is answered "no" (elsewhere: a harmless error)
                conn.write_channel("return\nn\nquit\n")
            channel = conn.remote_conn
            deadline = time.monotonic() + 2.0
            while not getattr(channel, "closed", True) and time.monotonic() < deadline:
                time.sleep(0.005)
        except (OSError, SSHException, EOFError, NetopsError, NetmikoBaseException) as exc:
            log.debug("%s: hang-up: %s", self.device.id, exc.__class__.__name__)
        try:
            conn.disconnect()
        except (OSError, SSHException, EOFError, NetmikoBaseException) as exc:
            log.debug("%s: disconnect: %s", self.device.id, exc.__class__.__name__)

    def __enter__(self) -> CliSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _strip_echo(output: str, command: str) -> str:
    """The output without the echoed command line (and any prompt text before it on that line)."""
    lines = output.replace("\r", "").split("\n")
    for i, line in enumerate(lines[:3]):
        if line.rstrip().endswith(command.strip()):
            return "\n".join(lines[i + 1 :])
    return "\n".join(lines)
