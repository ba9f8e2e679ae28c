"""The one error tree of netops.

    NetopsError
    ├── InventoryError            the inventory could not be loaded; carries every problem found
    ├── SecretError               a secret reference could not be resolved
    ├── SettingsError             the service settings are unusable
    ├── LabError                  the lab could not start or be driven (address taken, unknown fault, ...)
    ├── StoreError                the database could not be opened or migrated
    ├── NotFoundError             an id that names nothing (site, device, run, change, ...)      HTTP 404
    ├── PermissionDeniedError     the caller's role does not allow this                          HTTP 403
    │   └── Forbidden             a role too weak for a runbook approval (runbooks)
    ├── ConflictError             contradicts the current state                                  HTTP 409
    │   ├── RunConflict           a run cannot do that now: key held, finished, wrong step (runbooks)
    │   ├── ConferenceConflict    the id is taken, or the conference comes from a file (vc)
    │   ├── StepFailed            a step ran and its result says no (engine-internal: becomes step data)
    │   └── StepCancelled         a cancel reached a running step (engine-internal: becomes step data)
    ├── InvalidInputError         input netops refuses: parameters, files, templates, bodies     HTTP 422
    │   ├── ParamError            runbook parameters or approval inputs; ``problems`` names each
    │   ├── RunbookError          runbook files have problems; ``problems`` (file:line)
    │   ├── ExpressionError       a runbook template or expression that does not parse or evaluate
    │   ├── TemplateError         a configuration template missing, invalid or using an unknown variable
    │   ├── ThresholdError        a conference threshold setting unknown or not a number
    │   ├── ConferenceError       a conference that cannot be loaded, created or changed
    │   └── UnsupportedPlatform   no configuration driver for a device's platform
    └── DeviceError               one device failed; callers turn it into a per-device result    HTTP 502
        ├── DeviceUnreachable     no answer (timeout, connection refused)
        │   └── SnmpTimeout       no SNMP answer within the timeout and retries
        ├── AuthenticationFailed  the device refused the credentials
        │   └── SnmpAuthError     SNMPv3: unknown user, wrong digest, ...
        ├── CommandRejected       the device answered with an error for a command
        ├── UnreadableOutput      a line of a display netops cannot read (names the command and the line)
        ├── SnmpProtocolError     an SNMP answer that makes no sense
        └── BackupRejected        what the device sent is not a configuration

Library code raises these; the API maps them to HTTP answers in one place (``netops/api/errors.py``, by the
bases above; InventoryError 422, StoreError 503, the rest 500), the CLI to exit codes. Domain modules
re-export their classes (``from netops.runbooks.engine import RunConflict`` works). Lower-level exceptions
are translated once, with ``raise ... from exc``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any


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


class ConflictError(NetopsError):
    """The request contradicts the current state (already running, locked, already decided). HTTP 409."""


class InvalidInputError(NetopsError):
    """Input that netops refuses: a bad parameter, template, file or request body. HTTP 422, CLI exit 2."""


class PermissionDeniedError(NetopsError):
    """The caller's role does not allow this action. HTTP 403."""


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


# -- the domain errors, grouped under the bases above (re-exported by the modules that raise them) ----------


class UnreadableOutput(DeviceError):
    """A display whose output holds a line no parser reads: never dropped silently."""


class Forbidden(PermissionDeniedError):
    """The caller's role is too weak for this runbook approval."""


class RunConflict(ConflictError):
    """The run cannot do that now (another run holds the concurrency key, a finished run, a wrong step)."""


class StepFailed(ConflictError):
    """The step ran and its result says no (an expectation not met, a rejection, a failed push).

    Engine-internal: ``steps.run_step`` turns it into the step's ``failed`` state and output."""

    def __init__(self, message: str, output: dict[str, Any] | None = None) -> None:
        self.output = output or {}
        super().__init__(message)


class StepCancelled(ConflictError):
    """A cancel was requested while the step ran or waited (engine-internal: the step ends ``cancelled``)."""


class ParamError(InvalidInputError):
    """Parameters (or approval inputs) that do not fit the runbook; ``problems`` names each one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class RunbookError(InvalidInputError):
    """Runbook files have problems; ``problems`` lists all of them, in file and line order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.field))
        head = "\n".join(str(p) for p in self.problems[:50])
        n = len(self.problems)
        super().__init__(f"runbooks have {n} problem{'s' if n != 1 else ''}:\n{head}")


class ExpressionError(InvalidInputError):
    """A runbook template or expression could not be parsed or evaluated."""


class TemplateError(InvalidInputError):
    """A configuration template is missing, invalid, or uses a variable the device does not have."""


class ThresholdError(InvalidInputError):
    """A threshold setting that is unknown or not a number."""


class ConferenceError(InvalidInputError):
    """A conference that cannot be loaded, created or changed (bad file, unknown room, read-only)."""


class ConferenceConflict(ConflictError):
    """The id is taken, or the conference is defined in a file and cannot be changed through the API."""


class UnsupportedPlatform(InvalidInputError):
    """A platform that has no configuration driver."""


class SnmpTimeout(DeviceUnreachable):
    """No SNMP answer within the timeout and retries."""


class SnmpAuthError(AuthenticationFailed):
    """Wrong community gets no answer (a timeout); this is the v3 case: unknown user, wrong digest, ..."""


class SnmpProtocolError(DeviceError):
    """An SNMP answer that makes no sense (error-status, non-increasing OIDs, undecodable)."""


class BackupRejected(DeviceError):
    """What the device sent is not a configuration (kept out of the store)."""
