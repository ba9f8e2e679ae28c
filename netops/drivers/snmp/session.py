"""What the poller needs from an SNMP session, whatever implements it (pysnmp, or netops' own codec).

Values come back as plain Python: ``int`` (INTEGER, counters, gauges, TimeTicks in hundredths), ``bytes``
(OCTET STRING, IpAddress as 4 octets), ``tuple`` (OBJECT IDENTIFIER), ``None`` (noSuchObject, noSuchInstance).
Failures raise the driver errors below (``DeviceError`` subclasses), which the source turns into samples.
"""

from __future__ import annotations

from typing import Protocol

from netops.drivers.snmp.oids import Oid
from netops.errors import AuthenticationFailed, DeviceError, DeviceUnreachable

Value = int | bytes | tuple[int, ...] | None
Table = dict[Oid, dict[Oid, Value]]  # column -> row index -> value


class SnmpTimeout(DeviceUnreachable):
    """No answer within the timeout and retries."""


class SnmpAuthError(AuthenticationFailed):
    """Wrong community gets no answer (a timeout); this is the v3 case: unknown user, wrong digest, ..."""


class SnmpProtocolError(DeviceError):
    """An answer that makes no sense (error-status, non-increasing OIDs, undecodable)."""


class SnmpSession(Protocol):
    async def get(self, oids: list[Oid]) -> dict[Oid, Value]: ...

    async def walk_columns(self, columns: tuple[Oid, ...], max_repetitions: int = 25) -> Table:
        """Walk table columns side by side with GETBULK until each leaves its subtree."""
        ...

    def close(self) -> None: ...
