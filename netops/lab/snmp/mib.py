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

from netops.snmp.ber import (
    NO_SUCH_INSTANCE_VALUE,
    NO_SUCH_OBJECT_VALUE,
    Oid,
    encode_oid,
)
from netops.snmp.message import encode_varbind

ValueFn = Callable[[float], bytes]
Value = bytes | ValueFn


class MibView:
    """Sorted (OID, value) pairs plus the object OIDs (scalars, columns) for noSuchObject/noSuchInstance."""

    __slots__ = ("_enc", "_index", "_lengths", "_objects", "_static", "_values", "oids")

    def __init__(self, entries: Iterable[tuple[Oid, Value]], objects: Iterable[Oid]) -> None:
        items = sorted(entries, key=lambda item: item[0])
        self.oids: list[Oid] = [oid for oid, _ in items]
        if len(set(self.oids)) != len(self.oids):
            dup = next(o for i, o in enumerate(self.oids) if i and self.oids[i - 1] == o)
            raise ValueError(f"duplicate OID {'.'.join(map(str, dup))} in MIB view")
        self._enc = [encode_oid(oid) for oid in self.oids]
        self._values: list[Value] = [value for _, value in items]
        # whole varbinds of static values, encoded once; None where the value is computed per request
        self._static: list[bytes | None] = [
            encode_varbind(enc, value) if isinstance(value, bytes) else None
            for enc, value in zip(self._enc, self._values, strict=True)
        ]
        self._index = {oid: i for i, oid in enumerate(self.oids)}
        self._objects = frozenset(objects)
        self._lengths = sorted({len(o) for o in self._objects})

    def __len__(self) -> int:
        return len(self.oids)

    def _value(self, i: int, now: float) -> bytes:
        value = self._values[i]
        return value if isinstance(value, bytes) else value(now)

    def get(self, oid: Oid, now: float) -> tuple[bytes, bytes]:
        """(encoded OID, value TLV) for an exact OID; noSuchInstance when ``oid`` is, or is below, a served
        object (scalar or column) but not an instance of it, else noSuchObject (what net-snmp answers)."""
        i = self._index.get(oid)
        if i is not None:
            return self._enc[i], self._value(i, now)
        for n in self._lengths:
            if n > len(oid):
                break
            if oid[:n] in self._objects:
                return encode_oid(oid), NO_SUCH_INSTANCE_VALUE
        return encode_oid(oid), NO_SUCH_OBJECT_VALUE

    def next_after(self, oid: Oid) -> int:
        """Index of the first OID strictly after ``oid``; ``len(self)`` at the end of the view."""
        return bisect_right(self.oids, oid)

    def varbind_at(self, i: int, now: float) -> bytes:
        """The whole encoded varbind of entry ``i``."""
        static = self._static[i]
        if static is not None:
            return static
        value = self._values[i]
        assert not isinstance(value, bytes)
        return encode_varbind(self._enc[i], value(now))

    def encoded_oid(self, i: int) -> bytes:
        return self._enc[i]
