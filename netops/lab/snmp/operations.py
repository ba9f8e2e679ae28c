"""GET, GETNEXT and GETBULK against a ``MibView`` within a byte budget (RFC 3416 section 4.2).

Called by ``agent.py`` after the message passed its security checks; returns (error-status, error-index,
encoded varbinds, how many varbinds were encoded). GETBULK follows net-snmp: non-repeaters are clamped to the
varbind count, a negative max-repetitions counts as 0, a repeater past the end repeats its last OID with
endOfMibView, repetitions stop once every repeater is at the end, and repetitions are truncated (never the
non-repeaters) to fit the budget.
tooBig (empty varbind list) when not even the mandatory part fits.
"""

from __future__ import annotations

from netops.lab.snmp.mib import MibView
from netops.snmp.ber import END_OF_MIB_VIEW_VALUE, Oid, encode_oid
from netops.snmp.message import GET, GET_BULK, GET_NEXT, NO_ERROR, TOO_BIG, Pdu, encode_varbind

Answer = tuple[int, int, bytes, int]
_TOO_BIG: Answer = (TOO_BIG, 0, b"", 0)


def answer(view: MibView, pdu: Pdu, now: float, budget: int) -> Answer:
    if pdu.tag == GET:
        return _get(view, pdu, now, budget)
    if pdu.tag == GET_NEXT:
        return _get_next(view, [oid for oid, _ in pdu.varbinds], now, budget)
    if pdu.tag == GET_BULK:
        return _get_bulk(view, pdu, now, budget)
    raise ValueError(f"not a read PDU: 0x{pdu.tag:02x}")


def _get(view: MibView, pdu: Pdu, now: float, budget: int) -> Answer:
    parts = [encode_varbind(*view.get(oid, now)) for oid, _ in pdu.varbinds]
    body = b"".join(parts)
    return (NO_ERROR, 0, body, len(parts)) if len(body) <= budget else _TOO_BIG


def _next(view: MibView, oid: Oid, now: float) -> tuple[bytes, int]:
    """The encoded varbind after ``oid`` and the view index it came from (``len(view)`` at the end)."""
    i = view.next_after(oid)
    if i >= len(view):
        return encode_varbind(encode_oid(oid), END_OF_MIB_VIEW_VALUE), i
    return view.varbind_at(i, now), i


def _get_next(view: MibView, oids: list[Oid], now: float, budget: int) -> Answer:
    body = b"".join(_next(view, oid, now)[0] for oid in oids)
    return (NO_ERROR, 0, body, len(oids)) if len(body) <= budget else _TOO_BIG


def _get_bulk(view: MibView, pdu: Pdu, now: float, budget: int) -> Answer:
    oids = [oid for oid, _ in pdu.varbinds]
    non_repeaters = max(0, min(pdu.error_status, len(oids)))
    repetitions = max(0, pdu.error_index)
    parts: list[bytes] = []
    size = 0
    for oid in oids[:non_repeaters]:
        vb = _next(view, oid, now)[0]
        parts.append(vb)
        size += len(vb)
    if size > budget:
        return _TOO_BIG
    repeaters = oids[non_repeaters:]
    if not repeaters or repetitions == 0:
        return NO_ERROR, 0, b"".join(parts), len(parts)
    end = len(view)
    positions: list[int] = []
    ends: list[bytes] = []  # the endOfMibView varbind of a repeater that ran off the view
    for oid in repeaters:
        i = view.next_after(oid)
        positions.append(i)
        ends.append(encode_varbind(encode_oid(oid), END_OF_MIB_VIEW_VALUE) if i >= end else b"")
    for _ in range(repetitions):
        live = False
        for j, i in enumerate(positions):
            if i >= end:
                vb = ends[j]
            else:
                vb = view.varbind_at(i, now)
                positions[j] = i + 1
                if i + 1 >= end:
                    ends[j] = encode_varbind(view.encoded_oid(i), END_OF_MIB_VIEW_VALUE)
                live = True
            if size + len(vb) > budget:
                return (NO_ERROR, 0, b"".join(parts), len(parts)) if parts else _TOO_BIG
            parts.append(vb)
            size += len(vb)
        if not live:
            break
    return NO_ERROR, 0, b"".join(parts), len(parts)
