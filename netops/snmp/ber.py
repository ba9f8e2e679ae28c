"""BER primitives for the SNMP subset the lab agents speak (X.690, as RFC 3416/3417 use it).

The lowest layer of ``netops.lab.snmp``: ``message.py`` builds SNMP messages out of these, ``mib.py`` stores
pre-encoded OIDs and values, ``agent.py`` never touches bytes below this level. Written by hand because
pyasn1 (what pysnmp's agent side uses) costs ~100x more per message than a lab of ~300 agents in one process
can afford; the test suite checks these functions against pyasn1's encoder with hypothesis.

Decoding works on ``(buffer, start, end)`` positions so that nothing is copied until a value is needed and the
USM layer can locate ``msgAuthenticationParameters`` inside the original message.
"""

from __future__ import annotations

# universal and SMI application tags
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
# varbind exceptions (RFC 3416), context-specific primitive, empty
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82

UNSIGNED_TAGS = frozenset({COUNTER32, GAUGE32, TIMETICKS, COUNTER64})
_UNSIGNED_LIMIT = {COUNTER32: 2**32, GAUGE32: 2**32, TIMETICKS: 2**32, COUNTER64: 2**64}

Oid = tuple[int, ...]


class BerError(ValueError):
    """The bytes are not the BER this codec accepts (truncated, wrong tag, bad length)."""


# --- encoding --------------------------------------------------------------------------------------------
_SHORT_LENGTHS = [bytes([n]) for n in range(128)]


def encode_length(n: int) -> bytes:
    if n < 128:
        return _SHORT_LENGTHS[n]
    if n < 256:
        return b"\x81" + bytes([n])
    if n < 65536:
        return b"\x82" + n.to_bytes(2, "big")
    size = (n.bit_length() + 7) // 8
    return bytes([0x80 | size]) + n.to_bytes(size, "big")


def tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 128:
        return bytes((tag, n)) + value
    return bytes((tag,)) + encode_length(n) + value


def encode_integer(value: int, tag: int = INTEGER) -> bytes:
    """Signed two's-complement INTEGER (also used for the PDU header fields)."""
    if -128 <= value < 128:
        return bytes((tag, 1, value & 0xFF))
    size = (value + (value < 0)).bit_length() // 8 + 1
    return bytes((tag, size)) + value.to_bytes(size, "big", signed=True)


def encode_unsigned(value: int, tag: int) -> bytes:
    """Counter32, Gauge32, TimeTicks, Counter64: unsigned, encoded as a non-negative INTEGER."""
    if not 0 <= value < _UNSIGNED_LIMIT[tag]:
        raise BerError(f"value {value} out of range for tag 0x{tag:02x}")
    if value < 128:
        return bytes((tag, 1, value))
    size = value.bit_length() // 8 + 1
    return bytes((tag, size)) + value.to_bytes(size, "big")


def encode_octets(value: bytes, tag: int = OCTET_STRING) -> bytes:
    return tlv(tag, value)


def encode_ip(value: bytes) -> bytes:
    if len(value) != 4:
        raise BerError(f"IpAddress must be 4 octets, got {len(value)}")
    return b"\x40\x04" + value


def oid_body(oid: Oid) -> bytes:
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] > 39):
        raise BerError(f"invalid OID {format_oid(oid)}")
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        if arc < 0:
            raise BerError(f"invalid OID {format_oid(oid)}")
        if arc < 128:
            out.append(arc)
            continue
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


def encode_oid(oid: Oid) -> bytes:
    return tlv(OBJECT_IDENTIFIER, oid_body(oid))


NULL_VALUE = b"\x05\x00"
NO_SUCH_OBJECT_VALUE = b"\x80\x00"
NO_SUCH_INSTANCE_VALUE = b"\x81\x00"
END_OF_MIB_VIEW_VALUE = b"\x82\x00"


# --- decoding --------------------------------------------------------------------------------------------
def decode_tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """The TLV starting at ``pos`` (before ``end``): (tag, value start, value end)."""
    if pos + 2 > end:
        raise BerError("truncated TLV header")
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise BerError("multi-byte tags are not used by SNMP")
    n = buf[pos + 1]
    pos += 2
    if n & 0x80:
        size = n & 0x7F
        if size == 0 or size > 4 or pos + size > end:
            raise BerError("unsupported or truncated length")
        n = int.from_bytes(buf[pos : pos + size], "big")
        pos += size
    stop = pos + n
    if stop > end:
        raise BerError("value runs past the end of its container")
    return tag, pos, stop


def expect(buf: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    """Like ``decode_tlv`` but requires ``tag``; returns (value start, value end)."""
    got, start, stop = decode_tlv(buf, pos, end)
    if got != tag:
        raise BerError(f"expected tag 0x{tag:02x}, found 0x{got:02x}")
    return start, stop


def decode_integer(buf: bytes, start: int, stop: int) -> int:
    if start == stop or stop - start > 9:
        raise BerError("bad INTEGER length")
    return int.from_bytes(buf[start:stop], "big", signed=True)


def decode_unsigned(buf: bytes, start: int, stop: int, tag: int) -> int:
    if start == stop or stop - start > 9:
        raise BerError("bad unsigned length")
    value = int.from_bytes(buf[start:stop], "big", signed=False)
    if buf[start] & 0x80:  # a negative two's-complement encoding: not valid for these types
        raise BerError("negative unsigned value")
    if value >= _UNSIGNED_LIMIT[tag]:
        raise BerError("unsigned value out of range")
    return value


def decode_oid(buf: bytes, start: int, stop: int) -> Oid:
    if start == stop or stop - start > 1408:
        raise BerError("bad OID length")
    arcs: list[int] = []
    value = 0
    for i in range(start, stop):
        byte = buf[i]
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if buf[stop - 1] & 0x80:
        raise BerError("truncated OID arc")
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    return (*head, *arcs[1:])


def parse_oid(text: str) -> Oid:
    return tuple(int(part) for part in text.strip(".").split("."))


def format_oid(oid: Oid) -> str:
    return ".".join(str(arc) for arc in oid)


# --- values as Python objects (tests, reports, the benchmark's client) ------------------------------------
ValueObject = int | bytes | Oid | None


def decode_value(tlv_bytes: bytes) -> tuple[int, ValueObject]:
    """A whole value TLV as (tag, Python value): int, bytes, OID tuple, or None for NULL/exceptions."""
    tag, start, stop = decode_tlv(tlv_bytes, 0, len(tlv_bytes))
    if stop != len(tlv_bytes):
        raise BerError("trailing bytes after value")
    if tag == INTEGER:
        return tag, decode_integer(tlv_bytes, start, stop)
    if tag in UNSIGNED_TAGS:
        return tag, decode_unsigned(tlv_bytes, start, stop, tag)
    if tag in (OCTET_STRING, IP_ADDRESS, OPAQUE):
        return tag, tlv_bytes[start:stop]
    if tag == OBJECT_IDENTIFIER:
        return tag, decode_oid(tlv_bytes, start, stop)
    if tag in (NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW):
        if start != stop:
            raise BerError("NULL-like value with content")
        return tag, None
    raise BerError(f"unsupported value tag 0x{tag:02x}")


def encode_value(tag: int, value: ValueObject) -> bytes:
    """Inverse of ``decode_value``."""
    if tag == INTEGER and isinstance(value, int):
        return encode_integer(value)
    if tag in UNSIGNED_TAGS and isinstance(value, int):
        return encode_unsigned(value, tag)
    if tag == IP_ADDRESS and isinstance(value, bytes):
        return encode_ip(value)
    if tag in (OCTET_STRING, OPAQUE) and isinstance(value, bytes):
        return tlv(tag, value)
    if tag == OBJECT_IDENTIFIER and isinstance(value, tuple):
        return encode_oid(value)
    if tag in (NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW) and value is None:
        return bytes((tag, 0))
    raise BerError(f"cannot encode {value!r} with tag 0x{tag:02x}")
