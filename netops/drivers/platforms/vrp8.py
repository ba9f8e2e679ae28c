"""Huawei VRP8 transactions: edits go to the candidate; ``commit trial <s>`` applies them and reverts after
``s`` seconds unless a later ``commit`` confirms; ``abort trial`` reverts at once; ``rollback configuration
to commit-id <id>`` (user view) undoes a confirmed change. Part of ``netops.drivers.platforms``.

A refused line clears the candidate (``clear configuration candidate``) so nothing is committed and
leaving system view asks no question.
"""

from __future__ import annotations

import re

from netops.drivers.cli import CliSession
from netops.drivers.platforms.base import SYSTEM_VIEW, Pending, PlatformDriver
from netops.errors import CommandRejected, DeviceError
from netops.inventory.models import Platform


class Vrp8Driver(PlatformDriver):
    platform = Platform.HUAWEI_VRP8

    def last_commit_id(self, s: CliSession) -> str | None:
        text = s.send("display configuration commit list")
        m = re.search(r"^\s*1\s+(\d+)\s", text, re.M)  # newest first
        return m.group(1) if m else None

    def begin(
        self,
        s: CliSession,
        commands: list[str],
        shown: list[str],
        before: str,
        confirm_s: float,
        minute_s: float,
    ) -> Pending:
        commit_id = self.last_commit_id(s)
        seconds = max(1, round(confirm_s))
        self.enter(s)
        try:
            self.apply(s, commands, shown)
        except (CommandRejected, DeviceError):
            s.send("clear configuration candidate", SYSTEM_VIEW)
            self.leave(s)
            raise
        s.check(f"commit trial {seconds}", SYSTEM_VIEW)
        self.leave(s)
        return Pending(s.device.id, before, commands, True, seconds, commit_id)

    def confirm(self, s: CliSession, pending: Pending) -> None:
        self.enter(s)
        s.check("commit", SYSTEM_VIEW)
        self.leave(s)
        pending.confirmed = True

    def abort(self, s: CliSession, pending: Pending) -> None:
        s.check("abort trial")

    def converge(self, s: CliSession, target: str, in_config: bool) -> list[str]:
        """Edits go to the candidate: commit them (outside a session that is already in system view)."""
        if in_config:
            return super().converge(s, target, in_config=True)
        commands = self.remediation(s, target)
        if commands:
            self.enter(s)
            try:
                self.apply(s, commands)
                s.check("commit", SYSTEM_VIEW)
            finally:
                self.leave(s)
        return commands

    def rollback(self, s: CliSession, pending: Pending) -> None:
        if not pending.confirmed:
            self.abort(s, pending)
        elif pending.commit_id is not None:
            s.check(f"rollback configuration to commit-id {pending.commit_id}")
        else:
            super().rollback(s, pending)
