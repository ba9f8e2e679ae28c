"""The one error tree of netops.

    NetopsError
    ├── InventoryError            the inventory could not be loaded; carries every problem found
    ├── SecretError               a secret reference could not be resolved
    ├── SettingsError             the service settings are unusable
    ├── NotFoundError             an id that names nothing (site, device, link, room, ...)
    ├── LabError                  the lab could not start or be driven (address taken, unknown fault, ...)
    ├── StoreError                the database could not be opened or migrated
    └── DeviceError               one device failed; callers turn it into a per-device result
        ├── DeviceUnreachable     no answer (timeout, connection refused)
        ├── AuthenticationFailed  the device refused the credentials
        └── CommandRejected       the device answered with an error for a command

Library code raises these; the API maps them to HTTP status codes in one place, the CLI to exit codes.
Lower-level exceptions are translated once, with ``raise ... from exc``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


class NetopsError(Exception):
    """Root of every error netops raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file: where, which field, what was expected."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class InventoryError(NetopsError):
    """The inventory has problems; ``problems`` lists all of them, in file and line order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.field))
        count = len(self.problems)
        head = "\n".join(str(p) for p in self.problems[:50])
        more = f"\n... and {count - 50} more" if count > 50 else ""
        super().__init__(f"inventory has {count} problem{'s' if count != 1 else ''}:\n{head}{more}")


class SecretError(NetopsError):
    """A secret named by the inventory is not set in the environment or the secrets file."""


class SettingsError(NetopsError):
    """Settings that the service refuses to run with."""


class NotFoundError(NetopsError):
    """An id that names nothing of the kind asked for."""

    def __init__(self, kind: str, ident: str, known: list[str] | None = None) -> None:
        self.kind = kind
        self.ident = ident
        hint = ""
        if known:
            close = difflib.get_close_matches(ident, known, n=5, cutoff=0.6)
            if close:
                hint = f" (did you mean: {', '.join(close)}?)"
        super().__init__(f"no {kind} named {ident!r}{hint}")


class LabError(NetopsError):
    """The lab could not start, stop or apply a fault."""


class StoreError(NetopsError):
    """The database could not be opened or migrated."""


class DeviceError(NetopsError):
    """One device failed. Runners catch this and record it as that device's result."""

    def __init__(self, device: str, message: str) -> None:
        self.device = device
        super().__init__(f"{device}: {message}")


class DeviceUnreachable(DeviceError):
    """The device did not answer in time or refused the connection."""


class AuthenticationFailed(DeviceError):
    """The device refused the credentials."""


class CommandRejected(DeviceError):
    """The device answered a command with an error."""
