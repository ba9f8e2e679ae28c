"""The per-device configuration store of the lab CLI: running and saved trees, commit points, revert timers.

Part of ``netops.lab.cli``. One ``DeviceConfig`` lives in ``DeviceState.cli`` for the whole lab run, so a
configuration pushed in one SSH session is seen by the next. Sessions call it from the lab's event loop only.

Transactions, as the platforms have them:
- every change of the running tree is a *commit point* (VRP8 shows them in ``display configuration commit
  list``; the others keep them internally);
- a *pending revert* (VRP8 ``commit trial``, Comware ``configuration commit delay``, IOS ``configure terminal
  revert timer``) is an asyncio timer holding the tree to go back to; ``confirm`` cancels it, expiry or
  ``abort`` restores the tree (and records a commit point labelled ``rollback``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from netops.lab.cli.config import ConfigNode, Edit, Keys

log = logging.getLogger(__name__)

FIRST_COMMIT_ID = 1000000001
MAX_COMMIT_POINTS = 50


@dataclass(frozen=True, slots=True)
class CommitPoint:
    id: int
    label: str
    user: str
    time: float
    config: ConfigNode  # the running configuration right after this commit (never mutated)


@dataclass(slots=True)
class PendingRevert:
    """A change that goes back by itself at ``deadline`` unless confirmed."""

    kind: str  # "trial" (VRP8), "commit-delay" (Comware), "revert-timer" (IOS)
    previous: ConfigNode
    deadline: float  # loop time
    handle: asyncio.TimerHandle


class DeviceConfig:
    """Running/saved configuration and transaction history of one simulated device."""

    def __init__(
        self,
        device: str,
        initial: ConfigNode,
        keys: Keys,
        on_change: Callable[[ConfigNode, str], None] | None = None,
    ) -> None:
        self.device = device
        self.on_change = on_change  # called with the new running tree and its label after every change
        self.keys = keys
        self.running = initial
        self.saved = initial.copy()
        self.saves = 0
        self.commits: list[CommitPoint] = [CommitPoint(FIRST_COMMIT_ID, "initial", "-", time.time(), initial)]
        self.pending: PendingRevert | None = None
        self.reverts = 0  # how many times a pending revert expired (observable by tests)

    # -- changes ---------------------------------------------------------------------------------------
    def apply(self, edits: Sequence[Edit], user: str, label: str = "-") -> CommitPoint | None:
        """Apply edits to the running tree as one commit point (None when nothing changed)."""
        new = self.keys.apply_all(self.running, edits)
        return self._set_running(new, user, label)

    def _set_running(self, new: ConfigNode, user: str, label: str) -> CommitPoint | None:
        if new == self.running:
            return None
        self.running = new
        point = CommitPoint(self.commits[-1].id + 1, label, user, time.time(), new.copy())
        self.commits.append(point)
        del self.commits[:-MAX_COMMIT_POINTS]
        if self.on_change is not None:
            self.on_change(new, label)
        return point

    def save(self) -> None:
        self.saved = self.running.copy()
        self.saves += 1

    # -- rollback --------------------------------------------------------------------------------------
    def point(self, commit_id: int) -> CommitPoint | None:
        return next((p for p in self.commits if p.id == commit_id), None)

    def rollback_to(self, commit_id: int, user: str) -> bool:
        point = self.point(commit_id)
        if point is None:
            return False
        self._set_running(point.config.copy(), user, "rollback")
        return True

    def rollback_last(self, count: int, user: str) -> bool:
        """Undo the last ``count`` commit points (the configuration as it was before them)."""
        if count < 1 or count >= len(self.commits):
            return False
        self._set_running(self.commits[-1 - count].config.copy(), user, "rollback")
        return True

    # -- pending reverts -------------------------------------------------------------------------------
    def arm(self, kind: str, previous: ConfigNode, seconds: float) -> None:
        """Start (or restart) a revert timer: after ``seconds`` the running tree goes back to ``previous``.

        Restarting while a revert is pending keeps the older target: the change is still unconfirmed."""
        if self.pending is not None:
            previous = self.pending.previous
        self.disarm()
        loop = asyncio.get_running_loop()
        handle = loop.call_later(seconds, self._expire)
        self.pending = PendingRevert(kind, previous.copy(), loop.time() + seconds, handle)
        log.debug("%s: %s armed for %.1f s", self.device, kind, seconds)

    def disarm(self) -> PendingRevert | None:
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.handle.cancel()
        return pending

    def confirm(self) -> bool:
        """Keep the change: cancel the pending revert. False when nothing was pending."""
        return self.disarm() is not None

    def revert_now(self, user: str = "-") -> bool:
        """Go back to the configuration before the pending change at once (``abort trial``)."""
        pending = self.disarm()
        if pending is None:
            return False
        self._set_running(pending.previous, user, "rollback")
        return True

    def expire_now(self) -> bool:
        """Let the pending revert run out now, as its timer does (the rollback, counted in ``reverts``): tests
        arm long timers, so that a loaded machine cannot run one out early, and end them here. False when none
        is pending."""
        if self.pending is None:
            return False
        self.pending.handle.cancel()
        self._expire()
        return True

    def seconds_left(self) -> float | None:
        if self.pending is None:
            return None
        return max(0.0, self.pending.deadline - asyncio.get_running_loop().time())

    def _expire(self) -> None:
        pending, self.pending = self.pending, None
        if pending is None:
            return
        self.reverts += 1
        log.info("%s: %s expired without confirmation, configuration rolled back", self.device, pending.kind)
        self._set_running(pending.previous, "-", "rollback")
