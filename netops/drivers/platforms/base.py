"""The transaction contract every platform driver fulfils, and what the drivers share.

Part of ``netops.drivers.platforms`` (used by ``netops.changes.push``). A driver works on an open
``CliSession`` (netmiko, blocking) and knows its platform's commands for: reading the running
configuration, applying remediation under a *confirmed commit* (a change that reverts by itself unless
confirmed: VRP8 ``commit trial``, Comware ``configuration commit delay``, IOS ``configure terminal revert
timer``; VRP5 has none), confirming, aborting (revert now), rolling back a confirmed change, saving, and the
displays the post-checks read (interface states, OSPF neighbours: parsed by ``netops.drivers.parsing``).

Where a platform has no native way back, the driver *converges to the snapshot*: it reads the running
configuration, diffs it against the configuration taken before the change, and types the remediation.
A refused line makes ``begin`` clean up (candidate cleared, change reverted) and raise ``CommandRejected``.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from netops.drivers import parsing
from netops.drivers.cli import CliSession
from netops.drivers.parsing import InterfaceState, OspfNeighbour
from netops.drivers.platforms.remediation import diff_texts
from netops.drivers.platforms.syntax import Syntax, syntax_for
from netops.errors import DeviceError
from netops.inventory.models import Platform

log = logging.getLogger(__name__)

SYSTEM_VIEW = r"\]\s*$"
USER_VIEW = r">\s*$"
YES_NO = r"\[Y/N\]:?\s*$"
MASKED = "******"


@dataclass(slots=True)
class Pending:
    """A change applied under a confirmed commit, not yet confirmed (or confirmed and still undoable)."""

    device: str
    before: str  # the running configuration before the change (the snapshot)
    commands: list[str]
    auto_revert: bool  # the device reverts by itself unless confirmed (False on VRP5)
    revert_after_s: float  # when the device reverts by itself
    commit_id: str | None = None  # VRP8: the commit point before the change
    confirmed: bool = False
    notes: list[str] = field(default_factory=list)


class PlatformDriver(ABC):
    """Base of the four drivers; subclasses set ``platform`` and override the transaction steps."""

    platform: Platform
    show_running = "display current-configuration"
    show_interfaces = "display interface brief"
    show_ospf = "display ospf peer brief"  # plain ``display ospf peer`` is verbose (one block per neighbour)
    enter_config = "system-view"
    leave_config = "return"

    @property
    def syntax(self) -> Syntax:
        return syntax_for(self.platform)

    # -- reading ---------------------------------------------------------------------------------------
    def running(self, s: CliSession) -> str:
        text = s.send(self.show_running)
        if not text.strip() or re.search(r"^(Error:|\s*%\s)", text, re.M):
            raise DeviceError(s.device.id, f"{self.show_running!r} gave no configuration")
        return text

    def interfaces(self, s: CliSession) -> list[InterfaceState]:
        """Every row of the interface table (``UnreadableOutput`` for a line nobody reads)."""
        return self.parse_interfaces(s.send(self.show_interfaces), s.device.id)

    def ospf_neighbours(self, s: CliSession) -> list[OspfNeighbour]:
        """Every OSPF adjacency, whatever its state (``UnreadableOutput`` for a line nobody reads)."""
        return self.parse_ospf(s.send(self.show_ospf), s.device.id)

    def parse_interfaces(self, text: str, device: str = "?") -> list[InterfaceState]:
        return parsing.interfaces(self.platform, self.show_interfaces, text, device)

    def parse_ospf(self, text: str, device: str = "?") -> list[OspfNeighbour]:
        return parsing.ospf_neighbours(self.platform, self.show_ospf, text, device)

    # -- transactions ----------------------------------------------------------------------------------
    @abstractmethod
    def begin(
        self,
        s: CliSession,
        commands: list[str],
        shown: list[str],
        before: str,
        confirm_s: float,
        minute_s: float,
    ) -> Pending:
        """Apply ``commands`` (``shown``: the same, masked, for messages) so that the device reverts by
        itself after ``confirm_s`` seconds unless confirmed; ``minute_s``: how long a device "minute" lasts
        (60; less in the lab). A refused line: clean up (nothing stays changed), raise ``CommandRejected``."""
        ...

    @abstractmethod
    def confirm(self, s: CliSession, pending: Pending) -> None: ...

    @abstractmethod
    def abort(self, s: CliSession, pending: Pending) -> None:
        """Revert a pending (unconfirmed) change now."""
        ...

    def rollback(self, s: CliSession, pending: Pending) -> None:
        """Undo a change, confirmed or not: back to the snapshot."""
        self.converge(s, pending.before, in_config=False)

    def save(self, s: CliSession) -> None:
        s.send("save", YES_NO)
        s.check("y")

    # -- shared steps ----------------------------------------------------------------------------------
    def enter(self, s: CliSession) -> None:
        s.check(self.enter_config, SYSTEM_VIEW if self.platform is not Platform.CISCO_IOS else r"#\s*$")

    def leave(self, s: CliSession) -> None:
        s.send(self.leave_config)

    def apply(self, s: CliSession, commands: list[str], shown: list[str] | None = None) -> None:
        s.configure(commands, shown)

    def remediation(self, s: CliSession, target: str) -> list[str]:
        """The commands from the running configuration to ``target`` (never a masked secret)."""
        commands = diff_texts(self.syntax, self.running(s), target).commands
        if any(MASKED in c for c in commands):  # a secret the snapshot only shows masked: never type it
            raise DeviceError(
                s.device.id, "converging back needs a secret line the snapshot only holds masked: by hand"
            )
        return commands

    def converge(self, s: CliSession, target: str, in_config: bool) -> list[str]:
        """Make the running configuration equal ``target`` (a snapshot) by typing the remediation."""
        commands = self.remediation(s, target)
        if not commands:
            return []
        if not in_config:
            self.enter(s)
        try:
            self.apply(s, commands)
        finally:
            if not in_config:
                self.leave(s)
        log.info("%s: converged back to the snapshot with %d commands", s.device.id, len(commands))
        return commands

    @staticmethod
    def minutes(confirm_s: float, minute_s: float) -> int:
        """A revert timer in device minutes (at least 1) covering ``confirm_s`` seconds."""
        return max(1, int(-(-confirm_s // minute_s)))
