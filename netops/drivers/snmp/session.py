"""What the poller needs from an SNMP session, whatever implements it (pysnmp, or netops' own codec).

Values come back as plain Python: ``int`` (INTEGER, counters, gauges, TimeTicks in hundredths), ``bytes``
(OCTET STRING, IpAddress as 4 octets), ``tuple`` (OBJECT IDENTIFIER), ``None`` (noSuchObject, noSuchInstance).
Failures raise the driver errors below (``DeviceError`` subclasses), which the source turns into samples.
"""

from __future__ import annotations

from typing import Protocol

from netops.drivers.snmp.oids import Oid
from netops.errors import SnmpAuthError as SnmpAuthError
from netops.errors import SnmpProtocolError as SnmpProtocolError
from netops.errors import SnmpTimeout as SnmpTimeout

Value = int | bytes | tuple[int, ...] | None
Table = dict[Oid, dict[Oid, Value]]  # column -> row index -> value


class SnmpSession(Protocol):
    async def get(self, oids: list[Oid]) -> dict[Oid, Value]: ...

    async def walk_columns(self, columns: tuple[Oid, ...], max_repetitions: int = 25) -> Table:
        """Walk table columns side by side with GETBULK until each leaves its subtree."""
        ...

    def close(self) -> None: ...
