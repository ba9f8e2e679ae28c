"""H3C Comware 7 transactions: ``configuration commit delay <minutes>`` before the lines (they apply at
once); unless ``configuration commit`` follows in time, the device goes back to the configuration it had
when the delay started. There is no "revert now" command, so an abort converges back to the snapshot and
then stops the timer. ``save force`` saves without questions. Part of ``netops.drivers.platforms``.
"""

from __future__ import annotations

from netops.drivers.cli import CliSession
from netops.drivers.platforms.base import SYSTEM_VIEW, Pending, PlatformDriver
from netops.errors import CommandRejected, DeviceError
from netops.inventory.models import Platform


class Comware7Driver(PlatformDriver):
    platform = Platform.H3C_COMWARE7
    show_ospf = "display ospf peer"  # Comware: the brief table (``verbose`` gives blocks)

    def begin(
        self,
        s: CliSession,
        commands: list[str],
        shown: list[str],
        before: str,
        confirm_s: float,
        minute_s: float,
    ) -> Pending:
        minutes = self.minutes(confirm_s, minute_s)
        self.enter(s)
        s.check(f"configuration commit delay {minutes}", SYSTEM_VIEW)
        try:
            self.apply(s, commands, shown)
        except (CommandRejected, DeviceError):
            self.converge(s, before, in_config=True)
            s.send("configuration commit", SYSTEM_VIEW)
            self.leave(s)
            raise
        self.leave(s)
        return Pending(s.device.id, before, commands, True, minutes * minute_s)

    def confirm(self, s: CliSession, pending: Pending) -> None:
        self.enter(s)
        s.check("configuration commit", SYSTEM_VIEW)
        self.leave(s)
        pending.confirmed = True

    def abort(self, s: CliSession, pending: Pending) -> None:
        self.enter(s)
        self.converge(s, pending.before, in_config=True)
        s.send("configuration commit", SYSTEM_VIEW)
        self.leave(s)

    def save(self, s: CliSession) -> None:
        s.check("save force")
