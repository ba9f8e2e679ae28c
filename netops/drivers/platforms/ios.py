"""Cisco IOS transactions: ``configure terminal revert timer <minutes>`` enters configuration mode and
starts a timer; unless ``configure confirm`` follows in time the running configuration goes back;
``configure revert now`` goes back at once. A confirmed change is undone by converging back to the
snapshot. ``write memory`` saves. Part of ``netops.drivers.platforms``.
"""

from __future__ import annotations

from netops.drivers.cli import CliSession
from netops.drivers.platforms.base import Pending, PlatformDriver
from netops.errors import CommandRejected, DeviceError
from netops.inventory.models import Platform

CONFIG = r"\(config[^)]*\)#\s*$"
EXEC = r"#\s*$"


class IosDriver(PlatformDriver):
    platform = Platform.CISCO_IOS
    show_running = "show running-config"
    show_interfaces = "show ip interface brief"
    show_ospf = "show ip ospf neighbor"
    enter_config = "configure terminal"
    leave_config = "end"

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
        s.check(f"configure terminal revert timer {minutes}", CONFIG)
        try:
            self.apply(s, commands, shown)
        except (CommandRejected, DeviceError):
            s.send("end", EXEC)
            s.send("configure revert now", EXEC)
            raise
        s.send("end", EXEC)
        return Pending(s.device.id, before, commands, True, minutes * minute_s)

    def confirm(self, s: CliSession, pending: Pending) -> None:
        s.check("configure confirm", EXEC)
        pending.confirmed = True

    def abort(self, s: CliSession, pending: Pending) -> None:
        s.check("configure revert now", EXEC)

    def rollback(self, s: CliSession, pending: Pending) -> None:
        if not pending.confirmed:
            self.abort(s, pending)
        else:
            super().rollback(s, pending)

    def save(self, s: CliSession) -> None:
        s.check("write memory", EXEC)
