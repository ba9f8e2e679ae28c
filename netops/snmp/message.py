"""SNMP messages and PDUs (RFC 3416, RFC 3412) on top of ``ber.py``.

Sits between the BER primitives and the agent: ``agent.py`` decodes requests with ``decode_message`` /
``decode_v3`` and encodes answers with ``encode_community`` / ``encode_v3``; ``usm.py`` authenticates and
encrypts what ``encode_v3`` lays out (it returns where the authentication parameters sit). Varbinds stay as
``(oid, value TLV bytes)`` so the agent can answer with values the MIB encoded once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netops.snmp.ber import (
    INTEGER,
    NULL_VALUE,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    SEQUENCE,
    BerError,
    Oid,
    decode_integer,
    decode_oid,
    decode_tlv,
    encode_integer,
    encode_length,
    encode_oid,
    expect,
    tlv,
)

GET = 0xA0
GET_NEXT = 0xA1
RESPONSE = 0xA2
SET = 0xA3
GET_BULK = 0xA5
INFORM = 0xA6
TRAP_V2 = 0xA7
REPORT = 0xA8
PDU_TAGS = frozenset({GET, GET_NEXT, RESPONSE, SET, GET_BULK, INFORM, TRAP_V2, REPORT})

V1, V2C, V3 = 0, 1, 3

# error-status values (RFC 3416)
NO_ERROR = 0
TOO_BIG = 1
GEN_ERR = 5
NO_ACCESS = 6
AUTHORIZATION_ERROR = 16

# msgFlags bits (RFC 3412)
FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04
USM_SECURITY_MODEL = 3

VarBind = tuple[Oid, bytes]


@dataclass(slots=True)
class Pdu:
    tag: int
    request_id: int
    error_status: int = 0  # non-repeaters for GETBULK
    error_index: int = 0  # max-repetitions for GETBULK
    varbinds: list[VarBind] = field(default_factory=list)


@dataclass(slots=True)
class CommunityMessage:
    version: int  # V1 or V2C
    community: bytes
    pdu: Pdu


@dataclass(slots=True)
class V3Message:
    msg_id: int
    max_size: int
    flags: int
    security_model: int
    engine_id: bytes
    engine_boots: int
    engine_time: int
    user: bytes
    auth_params: bytes
    auth_offset: int  # where auth_params start inside the whole message (to zero them for the HMAC)
    priv_params: bytes
    scoped: bytes  # the scopedPDU TLV (plaintext) or the encrypted octets (when FLAG_PRIV)


@dataclass(slots=True)
class ScopedPdu:
    context_engine_id: bytes
    context_name: bytes
    pdu: Pdu


# --- PDUs ------------------------------------------------------------------------------------------------
def decode_pdu(buf: bytes, pos: int, end: int) -> Pdu:
    tag, start, stop = decode_tlv(buf, pos, end)
    if tag not in PDU_TAGS:
        raise BerError(f"unknown PDU tag 0x{tag:02x}")
    s, e = expect(buf, start, stop, INTEGER)
    request_id = decode_integer(buf, s, e)
    s, e2 = expect(buf, e, stop, INTEGER)
    status = decode_integer(buf, s, e2)
    s, e3 = expect(buf, e2, stop, INTEGER)
    index = decode_integer(buf, s, e3)
    pos, vend = expect(buf, e3, stop, SEQUENCE)
    varbinds: list[VarBind] = []
    while pos < vend:
        vstart, vstop = expect(buf, pos, vend, SEQUENCE)
        ostart, ostop = expect(buf, vstart, vstop, OBJECT_IDENTIFIER)
        oid = decode_oid(buf, ostart, ostop)
        _, _, value_end = decode_tlv(buf, ostop, vstop)
        if value_end != vstop:
            raise BerError("trailing bytes in varbind")
        varbinds.append((oid, buf[ostop:vstop]))
        pos = vstop
    return Pdu(tag, request_id, status, index, varbinds)


def encode_varbind(encoded_oid: bytes, value: bytes) -> bytes:
    n = len(encoded_oid) + len(value)
    if n < 128:
        return bytes((SEQUENCE, n)) + encoded_oid + value
    return b"\x30" + encode_length(n) + encoded_oid + value


def encode_pdu(tag: int, request_id: int, error_status: int, error_index: int, varbinds: bytes) -> bytes:
    """A PDU around ``varbinds``, the concatenation of ``encode_varbind`` results."""
    body = (
        encode_integer(request_id)
        + encode_integer(error_status)
        + encode_integer(error_index)
        + tlv(SEQUENCE, varbinds)
    )
    return tlv(tag, body)


def encode_request(pdu: Pdu) -> bytes:
    """Encode a whole ``Pdu`` (used by clients and tests; the agent encodes varbinds itself)."""
    vbs = b"".join(encode_varbind(encode_oid(oid), value or NULL_VALUE) for oid, value in pdu.varbinds)
    return encode_pdu(pdu.tag, pdu.request_id, pdu.error_status, pdu.error_index, vbs)


# --- v1 / v2c --------------------------------------------------------------------------------------------
def message_version(buf: bytes) -> tuple[int, int, int]:
    """(version, position after the version field, end of the message) of any SNMP message."""
    start, end = expect(buf, 0, len(buf), SEQUENCE)
    s, e = expect(buf, start, end, INTEGER)
    return decode_integer(buf, s, e), e, end


def decode_community(buf: bytes, pos: int, end: int, version: int) -> CommunityMessage:
    s, e = expect(buf, pos, end, OCTET_STRING)
    return CommunityMessage(version, buf[s:e], decode_pdu(buf, e, end))


def encode_community(version: int, community: bytes, pdu: bytes) -> bytes:
    return tlv(SEQUENCE, encode_integer(version) + tlv(OCTET_STRING, community) + pdu)


def decode_message(buf: bytes) -> CommunityMessage:
    version, pos, end = message_version(buf)
    if version not in (V1, V2C):
        raise BerError(f"not a community message (version {version})")
    return decode_community(buf, pos, end, version)


# --- v3 --------------------------------------------------------------------------------------------------
def decode_v3(buf: bytes, pos: int, end: int) -> V3Message:
    gs, ge = expect(buf, pos, end, SEQUENCE)
    s, e = expect(buf, gs, ge, INTEGER)
    msg_id = decode_integer(buf, s, e)
    s, e = expect(buf, e, ge, INTEGER)
    max_size = decode_integer(buf, s, e)
    s, e = expect(buf, e, ge, OCTET_STRING)
    if e - s != 1:
        raise BerError("msgFlags must be one octet")
    flags = buf[s]
    s, e = expect(buf, e, ge, INTEGER)
    model = decode_integer(buf, s, e)
    ss, se = expect(buf, ge, end, OCTET_STRING)
    us, ue = expect(buf, ss, se, SEQUENCE)
    s, e = expect(buf, us, ue, OCTET_STRING)
    engine_id = buf[s:e]
    s, e = expect(buf, e, ue, INTEGER)
    boots = decode_integer(buf, s, e)
    s, e = expect(buf, e, ue, INTEGER)
    etime = decode_integer(buf, s, e)
    s, e = expect(buf, e, ue, OCTET_STRING)
    user = buf[s:e]
    auth_s, auth_e = expect(buf, e, ue, OCTET_STRING)
    ps, pe = expect(buf, auth_e, ue, OCTET_STRING)
    tag, ds, de = decode_tlv(buf, se, end)
    if tag == SEQUENCE:
        scoped = buf[se:de]
    elif tag == OCTET_STRING:
        scoped = buf[ds:de]
    else:
        raise BerError("bad scopedPduData")
    return V3Message(
        msg_id,
        max_size,
        flags,
        model,
        engine_id,
        boots,
        etime,
        user,
        buf[auth_s:auth_e],
        auth_s,
        buf[ps:pe],
        scoped,
    )


def decode_scoped_pdu(buf: bytes) -> ScopedPdu:
    """A scopedPDU TLV; trailing bytes (AES-CFB has no padding, DES would) are ignored as RFC 3414 allows."""
    start, end = expect(buf, 0, len(buf), SEQUENCE)
    s, e = expect(buf, start, end, OCTET_STRING)
    engine = buf[s:e]
    s, e2 = expect(buf, e, end, OCTET_STRING)
    return ScopedPdu(engine, buf[s:e2], decode_pdu(buf, e2, end))


def encode_scoped_pdu(context_engine_id: bytes, context_name: bytes, pdu: bytes) -> bytes:
    return tlv(SEQUENCE, tlv(OCTET_STRING, context_engine_id) + tlv(OCTET_STRING, context_name) + pdu)


def encode_v3(
    msg_id: int,
    max_size: int,
    flags: int,
    engine_id: bytes,
    boots: int,
    etime: int,
    user: bytes,
    auth_len: int,
    priv_params: bytes,
    scoped_data: bytes,
) -> tuple[bytes, int]:
    """A v3 message with ``auth_len`` zero octets as msgAuthenticationParameters, and where they start.

    ``scoped_data`` is the complete scopedPduData TLV: the scopedPDU SEQUENCE, or an OCTET STRING of
    encrypted octets.
    """
    header = tlv(
        SEQUENCE,
        encode_integer(msg_id)
        + encode_integer(max_size)
        + bytes((OCTET_STRING, 1, flags))
        + encode_integer(USM_SECURITY_MODEL),
    )
    before_auth = (
        tlv(OCTET_STRING, engine_id) + encode_integer(boots) + encode_integer(etime) + tlv(OCTET_STRING, user)
    )
    usm_body = before_auth + tlv(OCTET_STRING, bytes(auth_len)) + tlv(OCTET_STRING, priv_params)
    usm_seq_head = bytes((SEQUENCE,)) + encode_length(len(usm_body))
    sec_params_len = len(usm_seq_head) + len(usm_body)
    sec_head = bytes((OCTET_STRING,)) + encode_length(sec_params_len)
    version = encode_integer(V3)
    body_len = len(version) + len(header) + len(sec_head) + sec_params_len + len(scoped_data)
    outer_head = bytes((SEQUENCE,)) + encode_length(body_len)
    message = b"".join((outer_head, version, header, sec_head, usm_seq_head, usm_body, scoped_data))
    auth_offset = (
        len(outer_head)
        + len(version)
        + len(header)
        + len(sec_head)
        + len(usm_seq_head)
        + len(before_auth)
        + 2
    )
    return message, auth_offset
