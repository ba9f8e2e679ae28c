"""H3C Comware 7 transactions: ``configuration commit delay <minutes>`` before the lines (they apply at
once); unless ``configuration commit`` follows in time, the device goes back to the configuration it had
when the delay started. There is no "revert now" command, so an abort converges back to the snapshot and
then stops the timer. ``save force`` saves without questions. Part of ``netops.drivers.platforms``.
"""

from __future__ import annotations

from netops.drivers.cli import CliSession
from netops.drivers.platforms.base import SYSTEM_VIEW, InterfaceState, Pending, PlatformDriver
from netops.errors import CommandRejected, DeviceError
from netops.inventory.models import Platform


class Comware7Driver(PlatformDriver):
    platform = Platform.H3C_COMWARE7

    def parse_interfaces(self, text: str) -> list[InterfaceState]:
        """``GE0/0/1  UP  UP  10.0.0.1  desc`` (Link ``ADM`` = administratively down)."""
        out = []
        for line in text.splitlines():
            w = line.split()
            if len(w) >= 3 and w[1] in ("UP", "DOWN", "ADM") and w[2] in ("UP", "DOWN"):
                out.append(InterfaceState(self.syntax.interface_name(w[0]), w[1] != "ADM", w[1] == "UP"))
        return out

    def parse_ospf(self, text: str) -> list[str]:
        """`` 10.0.0.1  10.74.0.1  1  37  Full/DR  GE0/0/0`` -> the neighbour's router id."""
        return [
            w[0] for w in (ln.split() for ln in text.splitlines()) if len(w) >= 6 and w[4].startswith("Full")
        ]

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
