"""The readiness rule: from a room's checks (and how many rounds in a row each network check was bad) to a colour.

RED if a critical check FAILs, or is UNKNOWN at or after T-15; AMBER on any WARN, a non-critical FAIL, or a
critical UNKNOWN before T-15; GREEN otherwise. A critical *network* check (path, reachability, SIP) that
FAILs counts as RED only on its second consecutive bad round; on the first it makes the room AMBER. A check
whose ``cause`` names another check is left to that one (a silent codec is one reason, not ten).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from netops.vc.checks import Check, Status

NETWORK_ROUNDS = 2  # consecutive bad rounds before a network check makes a room RED


class Colour(StrEnum):
    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"

    @property
    def code(self) -> int:
        """0 green, 1 amber, 2 red: the metric value, and the sort key (worst first = highest)."""
        return _CODES[self]


_CODES = {Colour.GREEN: 0, Colour.AMBER: 1, Colour.RED: 2}


@dataclass(frozen=True, slots=True)
class Verdict:
    colour: Colour
    reasons: tuple[str, ...]  # "check: reason", the ones that decided the colour first
    streaks: dict[str, int]  # network check -> consecutive bad rounds, including this one


def streaks_after(checks: Sequence[Check], before: Mapping[str, int]) -> dict[str, int]:
    """A network check that FAILs extends its streak; anything else resets it."""
    return {
        c.name: before.get(c.name, 0) + 1
        for c in checks
        if c.network and c.cause is None and c.status is Status.FAIL
    }


def decide(checks: Sequence[Check], *, after_t15: bool, before: Mapping[str, int] | None = None) -> Verdict:
    streaks = streaks_after(checks, before or {})
    red: list[str] = []
    amber: list[str] = []
    for c in checks:
        if c.cause is not None or c.status is Status.OK:
            continue
        text = f"{c.name}: {c.reason}"
        if c.status is Status.WARN:
            amber.append(text)
        elif c.status is Status.FAIL:
            if not c.critical:
                amber.append(text)
            elif c.network and streaks.get(c.name, 0) < NETWORK_ROUNDS:
                amber.append(f"{text} (bad round {streaks.get(c.name, 0)} of {NETWORK_ROUNDS})")
            else:
                red.append(text)
        elif c.critical:  # UNKNOWN
            (red if after_t15 else amber).append(f"{text} (unknown)")
    colour = Colour.RED if red else Colour.AMBER if amber else Colour.GREEN
    return Verdict(colour, tuple(red + amber), streaks)


def unconfirmed(checks: Sequence[Check], streaks: Mapping[str, int]) -> list[str]:
    """The critical network checks that FAIL with fewer than ``NETWORK_ROUNDS`` bad rounds in a row (``streaks``
    of the round, this one included): the room is AMBER for them, RED if the next round finds them bad too."""
    return [
        c.name
        for c in checks
        if c.critical and c.network and c.cause is None and c.status is Status.FAIL
        and 0 < streaks.get(c.name, 0) < NETWORK_ROUNDS
    ]  # fmt: skip


def worst(colours: Sequence[Colour]) -> Colour:
    return max(colours, key=lambda c: c.code, default=Colour.GREEN)
