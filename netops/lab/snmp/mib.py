"""A device's MIB view: OIDs in lexicographic order with pre-encoded names and values (or value functions).

``device_view.py`` fills one ``MibView`` per device (lazily, on the first request); ``agent.py`` answers GET,
GETNEXT and GETBULK from it. Static values are encoded once; dynamic ones (counters, uptime, oper status,
CPU) are functions of the request time that read the live ``DeviceState``, so a fault shows in the very next
answer without any rebuild. Python tuples compare exactly like OIDs (arc by arc, a prefix first), so a
sorted list plus ``bisect`` is the whole index.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable

from netops.lab.snmp.ber import (
    END_OF_MIB_VIEW_VALUE,
    NO_SUCH_INSTANCE_VALUE,
    NO_SUCH_OBJECT_VALUE,
    Oid,
    encode_oid,
)

ValueFn = Callable[[float], bytes]
Value = bytes | ValueFn


class MibView:
    """Sorted (OID, value) pairs plus the object OIDs (scalars, columns) for noSuchObject/noSuchInstance."""

    __slots__ = ("_enc", "_index", "_lengths", "_objects", "_values", "oids")

    def __init__(self, entries: Iterable[tuple[Oid, Value]], objects: Iterable[Oid]) -> None:
        items = sorted(entries, key=lambda item: item[0])
        self.oids: list[Oid] = [oid for oid, _ in items]
        if len(set(self.oids)) != len(self.oids):
            dup = next(o for i, o in enumerate(self.oids) if i and self.oids[i - 1] == o)
            raise ValueError(f"duplicate OID {'.'.join(map(str, dup))} in MIB view")
        self._enc = [encode_oid(oid) for oid in self.oids]
        self._values: list[Value] = [value for _, value in items]
        self._index = {oid: i for i, oid in enumerate(self.oids)}
        self._objects = frozenset(objects)
        self._lengths = sorted({len(o) for o in self._objects})

    def __len__(self) -> int:
        return len(self.oids)

    def _value(self, i: int, now: float) -> bytes:
        value = self._values[i]
        return value if isinstance(value, bytes) else value(now)

    def get(self, oid: Oid, now: float) -> bytes:
        """The value TLV for an exact OID, or noSuchInstance / noSuchObject as net-snmp answers them."""
        i = self._index.get(oid)
        if i is not None:
            return self._value(i, now)
        for n in self._lengths:
            if n > len(oid):
                break
            if oid[:n] in self._objects:
                return NO_SUCH_INSTANCE_VALUE
        return NO_SUCH_OBJECT_VALUE

    def next_after(self, oid: Oid) -> int:
        """Index of the first OID strictly after ``oid``; ``len(self)`` at the end of the view."""
        return bisect_right(self.oids, oid)

    def encoded_at(self, i: int, now: float) -> tuple[Oid, bytes, bytes]:
        """(OID, encoded OID TLV, value TLV) of entry ``i``."""
        return self.oids[i], self._enc[i], self._value(i, now)

    @staticmethod
    def end_of_view() -> bytes:
        return END_OF_MIB_VIEW_VALUE
