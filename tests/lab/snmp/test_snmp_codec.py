"""The hand-written BER codec and message layer agree with pyasn1/pysnmp's encoding and round-trip."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder as asn1_decoder
from pyasn1.codec.ber import encoder as asn1_encoder
from pyasn1.type import univ
from pysnmp.proto import api, rfc1902, rfc1905

from netops.snmp import ber
from netops.snmp.message import (
    GET_BULK,
    RESPONSE,
    V2C,
    Pdu,
    decode_message,
    decode_scoped_pdu,
    decode_v3,
    encode_community,
    encode_pdu,
    encode_request,
    encode_scoped_pdu,
    encode_v3,
    encode_varbind,
    message_version,
)

arcs = st.integers(min_value=0, max_value=2**32 - 1)
oids = st.one_of(
    st.tuples(st.integers(0, 1), st.integers(0, 39)).flatmap(
        lambda head: st.lists(arcs, max_size=20).map(lambda rest: (*head, *rest))
    ),
    st.tuples(st.just(2), st.integers(0, 2**20)).flatmap(
        lambda head: st.lists(arcs, max_size=5).map(lambda rest: (*head, *rest))
    ),
)
int32 = st.integers(-(2**31), 2**31 - 1)
uint32 = st.integers(0, 2**32 - 1)


def asn1(value: Any) -> bytes:
    out: bytes = asn1_encoder.encode(value)
    return out


def pyasn1_minimal(value: int) -> bool:
    """pyasn1 encodes -(2**k) with a redundant 0xff octet (X.690 8.3.2 wants the minimal form we emit)."""
    return not (value < 0 and (-value) & (-value - 1) == 0)


def check_integer(value: int) -> None:
    ours = ber.encode_integer(value)
    decoded, rest = asn1_decoder.decode(ours, asn1Spec=univ.Integer())
    assert rest == b"" and int(decoded) == value
    if pyasn1_minimal(value):
        assert ours == asn1(univ.Integer(value))
    assert ber.decode_value(ours) == (ber.INTEGER, value)


@given(int32)
def test_integer_matches_pyasn1(value: int) -> None:
    check_integer(value)


def test_minimal_negative_integers() -> None:
    assert ber.encode_integer(-128) == b"\x02\x01\x80"
    assert ber.encode_integer(-32768) == b"\x02\x02\x80\x00"
    check_integer(-128)


@given(st.integers(-(2**63), 2**63 - 1))
def test_wide_integers_round_trip(value: int) -> None:
    check_integer(value)


@given(uint32)
def test_unsigned_32_types_match_pysnmp(value: int) -> None:
    for tag, kind in (
        (ber.COUNTER32, rfc1902.Counter32),
        (ber.GAUGE32, rfc1902.Gauge32),
        (ber.TIMETICKS, rfc1902.TimeTicks),
    ):
        encoded = ber.encode_unsigned(value, tag)
        assert encoded == asn1(kind(value))
        assert ber.decode_value(encoded) == (tag, value)


@given(st.integers(0, 2**64 - 1))
def test_counter64_matches_pysnmp(value: int) -> None:
    encoded = ber.encode_unsigned(value, ber.COUNTER64)
    assert encoded == asn1(rfc1902.Counter64(value))
    decoded, _ = asn1_decoder.decode(encoded, asn1Spec=rfc1902.Counter64())
    assert int(decoded) == value


@given(oids)
def test_oid_matches_pyasn1_and_round_trips(oid: tuple[int, ...]) -> None:
    encoded = ber.encode_oid(oid)
    assert encoded == asn1(univ.ObjectIdentifier(oid))
    assert ber.decode_value(encoded) == (ber.OBJECT_IDENTIFIER, oid)
    assert ber.parse_oid(ber.format_oid(oid)) == oid


@given(st.binary(max_size=70000))
@settings(max_examples=30)
def test_octet_strings_and_long_lengths(value: bytes) -> None:
    encoded = ber.encode_octets(value)
    assert encoded == asn1(univ.OctetString(value))
    assert ber.decode_value(encoded) == (ber.OCTET_STRING, value)


@given(st.binary(min_size=4, max_size=4))
def test_ip_address_matches_pysnmp(value: bytes) -> None:
    assert ber.encode_ip(value) == asn1(rfc1902.IpAddress(value))


def test_exceptions_and_null_match_pysnmp() -> None:
    assert asn1(univ.Null("")) == ber.NULL_VALUE
    assert asn1(rfc1905.noSuchObject) == ber.NO_SUCH_OBJECT_VALUE
    assert asn1(rfc1905.noSuchInstance) == ber.NO_SUCH_INSTANCE_VALUE
    assert asn1(rfc1905.endOfMibView) == ber.END_OF_MIB_VIEW_VALUE


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x02", "truncated"),
        (b"\x02\x05\x01", "runs past"),
        (b"\x04\x85\x00\x00\x00\x00\x01", "unsupported"),
        (b"\x06\x02\x2b\x86", "truncated OID"),
        (b"\x41\x01\xff", "negative"),
        (b"\x05\x01\x00", "content"),
    ],
)
def test_malformed_values_raise_ber_error(data: bytes, why: str) -> None:
    with pytest.raises(ber.BerError, match=why):
        ber.decode_value(data)


def test_out_of_range_unsigned_is_refused() -> None:
    with pytest.raises(ber.BerError):
        ber.encode_unsigned(2**32, ber.COUNTER32)
    with pytest.raises(ber.BerError):
        ber.encode_oid((3, 1))


values = st.one_of(
    int32.filter(pyasn1_minimal).map(ber.encode_integer),
    uint32.map(lambda v: ber.encode_unsigned(v, ber.GAUGE32)),
    st.integers(0, 2**64 - 1).map(lambda v: ber.encode_unsigned(v, ber.COUNTER64)),
    st.binary(max_size=300).map(ber.encode_octets),
    oids.map(ber.encode_oid),
    st.just(ber.NULL_VALUE),
    st.just(ber.END_OF_MIB_VIEW_VALUE),
)


@given(int32.filter(pyasn1_minimal), st.binary(max_size=40), st.lists(st.tuples(oids, values), max_size=30))
@settings(max_examples=60)
def test_v2c_message_agrees_with_pysnmp(request_id: int, community: bytes, varbinds: list[Any]) -> None:
    body = b"".join(encode_varbind(ber.encode_oid(o), v) for o, v in varbinds)
    ours = encode_community(V2C, community, encode_pdu(RESPONSE, request_id, 0, 0, body))
    # pysnmp decodes what we encode, and re-encodes it byte for byte
    pmod = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    msg, rest = asn1_decoder.decode(ours, asn1Spec=pmod.Message())
    assert rest == b""
    assert bytes(pmod.apiMessage.get_community(msg)) == community
    pdu = pmod.apiMessage.get_pdu(msg)
    assert int(pmod.apiPDU.get_request_id(pdu)) == request_id
    assert [tuple(o) for o, _ in pmod.apiPDU.get_varbinds(pdu)] == [o for o, _ in varbinds]
    assert asn1(msg) == ours
    # and our decoder reads it back
    back = decode_message(ours)
    assert (back.version, back.community, back.pdu.request_id) == (V2C, community, request_id)
    assert back.pdu.varbinds == varbinds


def test_pysnmp_getbulk_request_decodes() -> None:
    pmod = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = pmod.GetBulkRequestPDU()
    pmod.apiBulkPDU.set_defaults(pdu)
    pmod.apiBulkPDU.set_request_id(pdu, 4242)
    pmod.apiBulkPDU.set_non_repeaters(pdu, 1)
    pmod.apiBulkPDU.set_max_repetitions(pdu, 25)
    pmod.apiBulkPDU.set_varbinds(
        pdu, [((1, 3, 6, 1, 2, 1, 1, 3), pmod.Null("")), ((1, 3, 6, 1, 2, 1, 2, 2), pmod.Null(""))]
    )
    msg = pmod.Message()
    pmod.apiMessage.set_defaults(msg)
    pmod.apiMessage.set_community(msg, "public")
    pmod.apiMessage.set_pdu(msg, pdu)
    ours = decode_message(asn1(msg))
    assert ours.pdu.tag == GET_BULK
    assert (ours.pdu.request_id, ours.pdu.error_status, ours.pdu.error_index) == (4242, 1, 25)
    assert [o for o, _ in ours.pdu.varbinds] == [(1, 3, 6, 1, 2, 1, 1, 3), (1, 3, 6, 1, 2, 1, 2, 2)]
    assert encode_community(V2C, b"public", encode_request(ours.pdu)) == asn1(msg)


@given(
    st.integers(0, 2**31 - 1),
    st.integers(484, 2**31 - 1),
    st.sampled_from([0, 1, 3, 4, 5, 7]),
    st.binary(min_size=5, max_size=32),
    st.integers(0, 2**31 - 1),
    st.integers(0, 2**31 - 1),
    st.binary(max_size=32),
    st.sampled_from([0, 12, 24, 48]),
    st.binary(max_size=8),
)
def test_v3_message_round_trips(
    msg_id: int,
    max_size: int,
    flags: int,
    engine: bytes,
    boots: int,
    etime: int,
    user: bytes,
    auth_len: int,
    priv: bytes,
) -> None:
    scoped = encode_scoped_pdu(engine, b"ctx", encode_request(Pdu(0xA0, 7, 0, 0, [((1, 3, 6), b"")])))
    data, offset = encode_v3(msg_id, max_size, flags, engine, boots, etime, user, auth_len, priv, scoped)
    assert data[offset : offset + auth_len] == bytes(auth_len)
    version, pos, end = message_version(data)
    assert version == 3 and end == len(data)
    msg = decode_v3(data, pos, end)
    assert (msg.msg_id, msg.max_size, msg.flags, msg.engine_id) == (msg_id, max_size, flags, engine)
    assert (msg.engine_boots, msg.engine_time, msg.user, msg.priv_params) == (boots, etime, user, priv)
    assert msg.auth_offset == offset and msg.auth_params == bytes(auth_len)
    spdu = decode_scoped_pdu(msg.scoped)
    assert (spdu.context_engine_id, spdu.context_name, spdu.pdu.request_id) == (engine, b"ctx", 7)
