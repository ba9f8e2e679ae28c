"""SNMP notifications (v2c and v3 traps and informs, RFC 3416) -> ``Notice``, on netops' own SNMP codec.

``decode`` checks one datagram against the sending device's credentials (its community, or its v3 user with
the keys the poller uses) and returns a ``Trap``: the notification's OID, what it says (``Notice``) and, for
an inform or a v3 discovery, the datagram to send back. Anything else raises ``TrapError`` with a bounded
reason: ``parse`` (not SNMP, SNMPv1, not a notification) or ``auth`` (wrong community, user, digest, key).

Notifications understood (the standard OIDs Huawei, H3C and Cisco send alike):
coldStart, warmStart, linkDown, linkUp, authenticationFailure (SNMPv2-MIB / IF-MIB), ospfNbrStateChange
(OSPF-TRAP-MIB: Full = up, Down = down), bgpEstablishedNotification / bgpBackwardTransNotification
(BGP4-MIB, and their SNMPv1-era OIDs). Any other notification is ``OTHER``: counted, no poll.

pysnmp could decode these too, but its notification receiver wants one static USM user table per engine and
costs ~100x more per message; the codec here is the one the lab agents and the poller already share
(checked against pyasn1 in tests/lab/snmp), so a flood costs little CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

from netops.drivers.snmp.fast_usm import UnwrapError, V3Credentials, unwrap
from netops.ingest.events import EventKind, Notice
from netops.ingest.usm import ReceiverEngine
from netops.snmp.ber import (
    OBJECT_IDENTIFIER,
    BerError,
    Oid,
    decode_value,
    encode_oid,
    format_oid,
)
from netops.snmp.message import (
    FLAG_PRIV,
    INFORM,
    RESPONSE,
    TRAP_V2,
    V1,
    V2C,
    V3,
    Pdu,
    decode_community,
    decode_scoped_pdu,
    decode_v3,
    encode_community,
    encode_pdu,
    encode_varbind,
    message_version,
)

SNMP_TRAP_OID: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
_STD = (1, 3, 6, 1, 6, 3, 1, 1, 5)
COLD_START: Oid = (*_STD, 1)
WARM_START: Oid = (*_STD, 2)
LINK_DOWN: Oid = (*_STD, 3)
LINK_UP: Oid = (*_STD, 4)
AUTH_FAILURE: Oid = (*_STD, 5)
OSPF_NBR_STATE_CHANGE: Oid = (1, 3, 6, 1, 2, 1, 14, 16, 2, 2)
OSPF_NBR_STATE: Oid = (1, 3, 6, 1, 2, 1, 14, 10, 1, 6)  # .<ip a.b.c.d>.<addressless index>
BGP_ESTABLISHED: tuple[Oid, ...] = ((1, 3, 6, 1, 2, 1, 15, 0, 1), (1, 3, 6, 1, 2, 1, 15, 7, 1))
BGP_BACKWARD: tuple[Oid, ...] = ((1, 3, 6, 1, 2, 1, 15, 0, 2), (1, 3, 6, 1, 2, 1, 15, 7, 2))
IF_INDEX: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)
IF_DESCR: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_ADMIN: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 7)
IF_OPER: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)
IF_NAME: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)
OSPF_FULL, OSPF_DOWN = 8, 1

NAMES: dict[Oid, str] = {
    COLD_START: "coldStart",
    WARM_START: "warmStart",
    LINK_DOWN: "linkDown",
    LINK_UP: "linkUp",
    AUTH_FAILURE: "authenticationFailure",
    OSPF_NBR_STATE_CHANGE: "ospfNbrStateChange",
}


class TrapError(ValueError):
    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason  # "parse" or "auth": the bounded label of the drop counter
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class TrapCredentials:
    """What one device's notifications must carry: its v2c community or its v3 user (never both)."""

    community: bytes | None = None
    v3: V3Credentials | None = None


@dataclass(frozen=True, slots=True)
class Trap:
    version: int
    pdu_tag: int  # TRAP_V2 or INFORM; 0 for a v3 discovery exchange (no notification inside)
    trap_oid: Oid
    notice: Notice | None  # None: a discovery or time-window exchange, not a notification yet
    response: bytes | None = None  # what to send back to the sender (inform Response, v3 Report)


def _starts(oid: Oid, prefix: Oid) -> bool:
    return oid[: len(prefix)] == prefix


def _value(tlv: bytes) -> object:
    try:
        return decode_value(tlv)[1]
    except BerError:
        return None


def classify(trap_oid: Oid, varbinds: list[tuple[Oid, bytes]]) -> Notice:
    """What a notification says, from its snmpTrapOID and varbinds."""
    name = NAMES.get(trap_oid, format_oid(trap_oid))
    if trap_oid in (LINK_DOWN, LINK_UP):
        index, interface = 0, ""
        for oid, tlv in varbinds:
            value = _value(tlv)
            if _starts(oid, IF_INDEX) and isinstance(value, int):
                index = value
            elif isinstance(value, bytes) and (
                _starts(oid, IF_NAME) or (_starts(oid, IF_DESCR) and not interface)
            ):
                interface = value.decode("utf-8", "replace")
            elif (_starts(oid, IF_ADMIN) or _starts(oid, IF_OPER)) and len(oid) == len(IF_OPER) + 1:
                index = index or oid[-1]
        kind = EventKind.LINK_DOWN if trap_oid == LINK_DOWN else EventKind.LINK_UP
        return Notice(kind, interface=interface, if_index=index, detail=name)
    if trap_oid == COLD_START:
        return Notice(EventKind.COLD_START, detail=name)
    if trap_oid == WARM_START:
        return Notice(EventKind.WARM_START, detail=name)
    if trap_oid == AUTH_FAILURE:
        return Notice(EventKind.AUTH_FAILURE, detail=name)
    if trap_oid == OSPF_NBR_STATE_CHANGE:
        for oid, tlv in varbinds:
            value = _value(tlv)
            if (
                _starts(oid, OSPF_NBR_STATE)
                and isinstance(value, int)
                and len(oid) >= len(OSPF_NBR_STATE) + 4
            ):
                neighbor = ".".join(str(a) for a in oid[len(OSPF_NBR_STATE) : len(OSPF_NBR_STATE) + 4])
                if value == OSPF_FULL:
                    return Notice(EventKind.NEIGHBOR_UP, neighbor=neighbor, detail=name)
                if value == OSPF_DOWN:
                    return Notice(EventKind.NEIGHBOR_DOWN, neighbor=neighbor, detail=name)
        return Notice(EventKind.OTHER, detail=name)
    if trap_oid in BGP_ESTABLISHED:
        return Notice(EventKind.NEIGHBOR_UP, detail="bgpEstablished")
    if trap_oid in BGP_BACKWARD:
        return Notice(EventKind.NEIGHBOR_DOWN, detail="bgpBackwardTransition")
    return Notice(EventKind.OTHER, detail=name)


def _notification(pdu: Pdu) -> tuple[Oid, Notice]:
    if pdu.tag not in (TRAP_V2, INFORM):
        raise TrapError("parse", f"PDU 0x{pdu.tag:02x} is not a notification")
    for oid, tlv in pdu.varbinds:
        if oid == SNMP_TRAP_OID:
            try:
                tag, value = decode_value(tlv)
            except BerError as exc:
                raise TrapError("parse", f"bad snmpTrapOID value: {exc}") from exc
            if tag != OBJECT_IDENTIFIER or not isinstance(value, tuple):
                raise TrapError("parse", "snmpTrapOID.0 is not an OBJECT IDENTIFIER")
            return value, classify(value, pdu.varbinds)
    raise TrapError("parse", "notification without snmpTrapOID.0")


def _response_pdu(pdu: Pdu) -> bytes:
    varbinds = b"".join(encode_varbind(encode_oid(oid), tlv) for oid, tlv in pdu.varbinds)
    return encode_pdu(RESPONSE, pdu.request_id, 0, 0, varbinds)


def decode(data: bytes, creds: TrapCredentials, engine: ReceiverEngine) -> Trap:
    """Check and decode one notification datagram from a device with ``creds``. Raises ``TrapError``."""
    try:
        version, pos, end = message_version(data)
        if version == V1:
            raise TrapError("parse", "SNMPv1 traps are not accepted (configure v2c or v3 on the device)")
        if version == V2C:
            return _decode_v2c(data, pos, end, creds)
        if version == V3:
            return _decode_v3(data, pos, end, creds, engine)
        raise TrapError("parse", f"unknown SNMP version {version}")
    except BerError as exc:
        raise TrapError("parse", f"undecodable SNMP message: {exc}") from exc


def _decode_v2c(data: bytes, pos: int, end: int, creds: TrapCredentials) -> Trap:
    msg = decode_community(data, pos, end, V2C)
    if creds.community is None:
        raise TrapError("auth", "v2c notification from a device with an SNMPv3 profile")
    if msg.community != creds.community:
        raise TrapError("auth", "wrong community")
    trap_oid, notice = _notification(msg.pdu)
    response = None
    if msg.pdu.tag == INFORM:
        response = encode_community(V2C, msg.community, _response_pdu(msg.pdu))
    return Trap(V2C, msg.pdu.tag, trap_oid, notice, response)


def _decode_v3(data: bytes, pos: int, end: int, creds: TrapCredentials, engine: ReceiverEngine) -> Trap:
    msg = decode_v3(data, pos, end)
    if not msg.engine_id:  # discovery of the receiver's engine before an inform
        request_id = 0
        if not msg.flags & FLAG_PRIV:
            request_id = decode_scoped_pdu(msg.scoped).pdu.request_id
        return Trap(V3, 0, (), None, engine.unknown_engine(msg, request_id))
    if creds.v3 is None:
        raise TrapError("auth", "v3 notification from a device with a v2c profile")
    if msg.user != creds.v3.user.encode():
        raise TrapError("auth", "unknown user name")
    try:
        answer = unwrap(data, creds.v3)
    except UnwrapError as exc:
        raise TrapError("auth" if exc.auth else "parse", str(exc)) from exc
    scoped = decode_scoped_pdu(answer.scoped)
    pdu = scoped.pdu
    user = creds.v3.localized(msg.engine_id)
    if pdu.tag == INFORM:
        if msg.engine_id != engine.engine_id:
            return Trap(V3, 0, (), None, engine.unknown_engine(msg, pdu.request_id))
        if user is not None and not engine.in_time(msg.engine_boots, msg.engine_time):
            return Trap(V3, 0, (), None, engine.not_in_time(msg, pdu.request_id, user))
    trap_oid, notice = _notification(pdu)
    response = None
    if pdu.tag == INFORM:
        response = engine.respond(
            msg, scoped.context_engine_id, scoped.context_name, _response_pdu(pdu), user
        )
    return Trap(V3, pdu.tag, trap_oid, notice, response)
