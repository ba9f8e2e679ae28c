"""Running vs intended, per device: fetch over SSH, compare block-aware, mask secrets.

Second step of the change flow (render -> **diff** -> push), also the drift report. The comparison itself
is the platform's (``netops.drivers.platforms.remediation``); this module fetches the running configuration
(netmiko, blocking: call it from a thread pool), renders the intended one, and packages the result.

When no true diff can be had (the device did not answer, the login failed, the output was not a
configuration) the result says so with ``available=False`` and a reason: the intended lines are never shown
as if they were a diff. A secret the device shows encrypted (``%^%#...%^%#``, ``$c$3$...``, ``password 7 ...``)
is compared by its place, not its value (``netops.changes.encrypted``): such lines are listed as unverified,
never as a difference. Secret values (the ones the templates used, the inventory's secrets, and anything
that looks like a community/password/key argument) are masked in every text this module returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from netops.changes.encrypted import reconcile
from netops.changes.render import RenderedConfig
from netops.drivers.masking import MASK, mask
from netops.drivers.platforms.remediation import Change, Remediation, diff_texts
from netops.drivers.platforms.syntax import syntax_for
from netops.inventory.models import Device

__all__ = ["MASK", "ConfigDiff", "compare", "mask", "unavailable"]


@dataclass(slots=True)
class ConfigDiff:
    """Running vs intended of one device. ``commands`` hold real values (to send); show ``masked_*``."""

    device: str
    available: bool  # False: no true diff could be had (see ``reason``)
    changes: list[Change] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    reason: str | None = None
    secrets: frozenset[str] = frozenset()
    template_digest: str | None = None
    templates: dict[str, str] = field(default_factory=dict)
    # intended secret lines (masked) the device shows encrypted: in place, value not comparable
    unverified: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.available and not self.changes

    @property
    def lines(self) -> int:
        return len(self.changes)

    def text(self) -> str:
        if not self.available:
            return f"# {self.device}: no diff available: {self.reason}\n"
        text = mask(Remediation(self.changes, self.commands).text(), self.secrets)
        if self.unverified:
            text += (
                f"# {len(self.unverified)} secret line(s) the device shows encrypted, in place, value not "
                f"comparable: {'; '.join(mask(u, self.secrets) for u in self.unverified)}\n"
            )
        return text

    def masked_commands(self) -> list[str]:
        return [mask(c, self.secrets) for c in self.commands]

    def as_dict(self) -> dict[str, object]:
        return {
            "device": self.device,
            "available": self.available,
            "reason": self.reason,
            "lines": self.lines if self.available else None,
            "diff": self.text(),
            "commands": self.masked_commands(),
            "template_digest": self.template_digest,
            "unverified": [mask(u, self.secrets) for u in self.unverified],
        }


def compare(device: Device, running: str, intended: RenderedConfig) -> ConfigDiff:
    """The diff of a device whose running configuration has been read."""
    running, unverified = reconcile(running, intended.text)
    rem = diff_texts(syntax_for(device.platform), running, intended.text)
    return ConfigDiff(
        device.id,
        True,
        rem.changes,
        rem.commands,
        secrets=intended.secrets,
        template_digest=intended.digest,
        templates=intended.templates,
        unverified=unverified,
    )


def unavailable(device: str, reason: str, secrets: Iterable[str] = ()) -> ConfigDiff:
    return ConfigDiff(device, False, reason=mask(reason, secrets), secrets=frozenset(secrets))
