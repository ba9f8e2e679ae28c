"""Huawei VRP5 transactions: lines apply at once and there is no confirmed commit, so a change is undone
by converging back to the snapshot taken before it (the inverse commands). Part of
``netops.drivers.platforms``.

The change is one unit that can be converged back from *any* session: a refused line converges back on the
live session; a session that dies mid-apply is not touched again (its commands would hit a dead channel):
the caller (``netops.changes.push``) converges from a fresh session, and the journal says ``half`` until
it has. If netops dies between applying and confirming, the journal's snapshot lets the next start
converge back (``netops.changes.journal.reconcile``).
"""

from __future__ import annotations

from netops.drivers.cli import CliSession
from netops.drivers.platforms.base import Pending, PlatformDriver
from netops.errors import CommandRejected
from netops.inventory.models import Platform


class Vrp5Driver(PlatformDriver):
    platform = Platform.HUAWEI_VRP5

    def begin(
        self,
        s: CliSession,
        commands: list[str],
        shown: list[str],
        before: str,
        confirm_s: float,
        minute_s: float,
    ) -> Pending:
        self.enter(s)
        try:
            self.apply(s, commands, shown)
        except CommandRejected:
            self.converge(s, before, in_config=True)
            self.leave(s)
            raise
        self.leave(s)
        pending = Pending(s.device.id, before, commands, False, 0.0)
        pending.notes.append("VRP5 has no confirmed commit: applied at once, reverted by inverse commands")
        return pending

    def confirm(self, s: CliSession, pending: Pending) -> None:
        pending.confirmed = True

    def abort(self, s: CliSession, pending: Pending) -> None:
        self.converge(s, pending.before, in_config=False)
