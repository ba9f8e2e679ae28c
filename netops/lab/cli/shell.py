"""One interactive SSH shell of the lab CLI: echo, line assembly, engine calls, prompt, slowness, silence.

Part of ``netops.lab.cli``: ``server.py`` accepts the connection and checks the password; asyncssh then
hands the PTY session to a ``Shell``. Each typed character is echoed as it is processed (after the previous
line was answered, like a terminal driver); each whole line goes to ``engine.Session.handle`` after
``DeviceState.slow_ms``, and its output plus the next prompt go back in one write. While the device does not
answer (``DeviceState.answers`` False) nothing is echoed or answered.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import asyncssh

from netops.lab.cli.engine import Session

if TYPE_CHECKING:
    from netops.lab.cli.server import Listener, SshLab

log = logging.getLogger(__name__)


class Shell(asyncssh.SSHServerSession[str]):
    """One interactive shell: echo, line assembly, engine calls, prompt."""

    def __init__(self, lab: SshLab, lst: Listener, user: str) -> None:
        self.lab = lab
        self.lst = lst
        self.user = user
        self.chan: asyncssh.SSHServerChannel[str] | None = None
        self.session: Session | None = None
        self.pending = ""
        self.line = ""
        self.last_cr = False
        self.eof = False
        self.wakeup = asyncio.Event()

    # asyncssh callbacks ------------------------------------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes: object) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        return False

    def session_started(self) -> None:
        self.lab._spawn(self._run())

    def data_received(self, data: str, datatype: object) -> None:
        self.pending += data
        self.wakeup.set()

    def eof_received(self) -> bool:
        self.eof = True
        self.wakeup.set()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.wakeup.set()

    # the shell ---------------------------------------------------------------------------------------
    def _write(self, text: str) -> None:
        if self.chan is not None and text:
            try:
                self.chan.write(text.replace("\n", "\r\n"))
            except (BrokenPipeError, OSError):
                self.eof = True

    async def _delay(self) -> None:
        slow = self.lst.state.slow_ms
        if slow > 0:
            await asyncio.sleep(slow / 1000)

    async def _run(self) -> None:
        try:
            await self._shell()
        except Exception:
            # a simulator bug must not leave the client hanging: log it and end the session
            log.exception("%s: CLI session failed", self.lst.device.id)
            if self.chan is not None:
                self.chan.exit(1)

    async def _shell(self) -> None:
        lst = self.lst
        self.session = Session(
            lst.dialect,
            lst.state,
            self.lab.store(lst.device.id),
            self.lab.settings,
            self.user,
            self.lab.world.inventory,
            world=self.lab.world,
        )
        await self._delay()
        if lst.state.answers:
            self._write(lst.dialect.banner(self.session) + self.session.prompt())
        while not self.eof:
            await self.wakeup.wait()
            self.wakeup.clear()
            while self.pending and not self.eof:
                data, self.pending = self.pending, ""
                await self._feed(data)

    async def _feed(self, data: str) -> None:
        assert self.session is not None
        echo: list[str] = []
        for ch in data:
            echoing = self.session.question is None or self.session.question.echo
            if ch in "\r\n":
                if ch == "\n" and self.last_cr:
                    self.last_cr = False
                    continue
                self.last_cr = ch == "\r"
                echo.append("\r\n")
                if self.lst.state.answers:
                    self._write("".join(echo))
                echo.clear()
                line, self.line = self.line, ""
                await self._process(line)
                if self.eof:
                    return
                continue
            self.last_cr = False
            if ch == "\x1a" and self.session.in_config and self.session.question is None:  # Ctrl+Z
                self.line = ""
                if self.lst.state.answers:
                    self._write("".join(echo) + "^Z\n")
                echo.clear()
                await self._process(self.session.dialect.ctrl_z_line)
                if self.eof:
                    return
            elif ch in "\x7f\x08":
                if self.line:
                    self.line = self.line[:-1]
                    if echoing:
                        echo.append("\b \b")
            elif ch >= " " or ch == "\t":
                self.line += ch
                if echoing:
                    echo.append(ch)
        if echo and self.lst.state.answers:
            self._write("".join(echo))

    async def _process(self, line: str) -> None:
        session = self.session
        assert session is not None
        if not self.lst.state.answers:
            return  # the device went silent
        await self._delay()
        out = session.handle(line)
        if not self.lst.state.answers:
            return  # this very line cut the device off (a ``shutdown`` of its path): the answer is lost
        if session.closed:
            self._write(out)
            self.eof = True
            if self.chan is not None:
                self.chan.exit(0)
            return
        self._write(out if session.question is not None else out + session.prompt())
