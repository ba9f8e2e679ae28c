"""``SnmpSession`` on netops' own SNMP codec: the poller's hot path for v2c and v3 USM (MD5/SHA*, AES-128).

Sits between ``collect.py`` (which asks for scalars and table columns) and ``fast_client.py`` (one shared UDP
socket per event loop). Requests are built with ``netops.snmp`` (the codec the lab agents use, checked
against pyasn1); answers are read in place: a GETBULK answer's varbinds are matched to their column by
comparing the encoded OID bytes with the column's encoded prefix, only the index arcs after the prefix are
decoded, and parsing stops as soon as every column has left its subtree. v3 messages go through
``fast_usm.py`` (engine discovery, time synchronisation, HMAC, AES); an authenticated answer whose engine
boots/time disagree with the cached clock by more than 150 s is refused and the engine discovered again once
(``in_time_window``, RFC 3414 section 3.2 step 7b).

Same contract and errors as ``pysnmp_session.PysnmpSession`` (the reference, and the fallback for what this
module does not serve): ``SnmpTimeout`` after the retries, ``SnmpAuthError`` for the usmStats Reports that
mean wrong credentials, ``SnmpProtocolError`` for error-status, non-increasing OIDs and undecodable answers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from netops.drivers.snmp.fast_client import EngineInfo, RequestTimedOut, SnmpClient
from netops.drivers.snmp.fast_usm import (
    AUTH_REPORTS,
    REPORT_NAMES,
    UnwrapError,
    V3Credentials,
    discovery,
    unwrap,
    wrap,
)
from netops.drivers.snmp.oids import Oid
from netops.drivers.snmp.session import SnmpAuthError, SnmpProtocolError, SnmpTimeout, Table, Value
from netops.snmp.ber import (
    COUNTER32,
    COUNTER64,
    END_OF_MIB_VIEW,
    GAUGE32,
    INTEGER,
    IP_ADDRESS,
    NULL_VALUE,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OPAQUE,
    SEQUENCE,
    TIMETICKS,
    BerError,
    decode_oid,
    decode_tlv,
    encode_oid,
    expect,
    format_oid,
    oid_body,
    tlv,
)
from netops.snmp.message import GET, GET_BULK, REPORT, RESPONSE, V2C, encode_community, encode_pdu
from netops.snmp.usm import MAX_BOOTS, NOT_IN_TIME_WINDOWS, TIME_WINDOW_S, UNKNOWN_ENGINE_IDS

ERROR_STATUS = [
    "noError",
    "tooBig",
    "noSuchName",
    "badValue",
    "readOnly",
    "genErr",
    "noAccess",
    "wrongType",
    "wrongLength",
    "wrongEncoding",
    "wrongValue",
    "noCreation",
    "inconsistentValue",
    "resourceUnavailable",
    "commitFailed",
    "undoFailed",
    "authorizationError",
    "notWritable",
    "inconsistentName",
]
VARBIND_BYTES = 40  # a typical answer varbind (OID of ~12 arcs, a counter or a short string)
MAX_ANSWER = 65507
_UNSIGNED = frozenset({COUNTER32, GAUGE32, TIMETICKS, COUNTER64})
_OCTETS = frozenset({OCTET_STRING, IP_ADDRESS, OPAQUE})


@dataclass(frozen=True, slots=True)
class V2cCredentials:
    community: bytes = field(repr=False)


Credentials = V2cCredentials | V3Credentials


def value_of(buf: bytes, tag: int, start: int, stop: int) -> Value:
    """A varbind value as the session contract's Python value (see ``session.py``)."""
    if tag == INTEGER:
        return int.from_bytes(buf[start:stop], "big", signed=True)
    if tag in _UNSIGNED:  # read as unsigned even when an agent forgot the leading zero octet
        return int.from_bytes(buf[start:stop], "big")
    if tag in _OCTETS:
        return bytes(buf[start:stop])
    if tag == OBJECT_IDENTIFIER:
        return decode_oid(buf, start, stop)
    return None  # NULL, noSuchObject, noSuchInstance, endOfMibView


def index_arcs(buf: bytes, start: int, stop: int) -> Oid:
    """The arcs encoded in ``buf[start:stop]`` (an OID's tail after a known prefix)."""
    if stop - start == 1 and buf[start] < 128:
        return (buf[start],)
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
    return tuple(arcs)


def pdu_header(buf: bytes, pos: int, end: int) -> tuple[int, int, int, int, int, int]:
    """(tag, request-id, error-status, error-index, varbinds start, varbinds end) of the PDU at ``pos``."""
    tag, start, stop = decode_tlv(buf, pos, end)
    s, e = expect(buf, start, stop, INTEGER)
    request_id = int.from_bytes(buf[s:e], "big", signed=True)
    s, e = expect(buf, e, stop, INTEGER)
    status = int.from_bytes(buf[s:e], "big", signed=True)
    s, e = expect(buf, e, stop, INTEGER)
    index = int.from_bytes(buf[s:e], "big", signed=True)
    vs, ve = expect(buf, e, stop, SEQUENCE)
    return tag, request_id, status, index, vs, ve


def in_time_window(boots: int, etime: int, engine: EngineInfo, now: float) -> bool:
    """Whether an authenticated answer's msgAuthoritativeEngineBoots/Time agree with what this manager knows
    of the engine (RFC 3414 section 3.2 step 7b, stricter: time within 150 s either way, same boots). An
    answer outside is treated as notInTimeWindow: a replayed or forged answer, or an engine that restarted or
    whose clock moved, and the engine is discovered again."""
    known_boots, known_time = engine.clock(now)
    return boots == known_boots and boots < MAX_BOOTS and abs(etime - known_time) <= TIME_WINDOW_S


def v2c_pdu(data: bytes) -> tuple[int, int]:
    """Where the PDU of a v2c message lies (after version and community)."""
    start, end = expect(data, 0, len(data), SEQUENCE)
    _, e = expect(data, start, end, INTEGER)
    _, e = expect(data, e, end, OCTET_STRING)
    return e, end


class FastSession:
    """One device's session over a shared ``SnmpClient``; ``close`` releases the client."""

    def __init__(
        self,
        client: SnmpClient,
        device: str,
        host: str,
        port: int,
        credentials: Credentials,
        timeout_s: float = 2.0,
        retries: int = 1,
    ) -> None:
        self.client = client
        self.device = device
        self.addr = (host, port)
        self.credentials = credentials
        self.timeout_s = timeout_s
        self.retries = retries
        client.acquire()
        self._open = True

    def close(self) -> None:
        if self._open:
            self._open = False
            self.client.release()

    # --- exchanges -----------------------------------------------------------------------------------------
    async def _roundtrip(self, key: int, data: bytes, expect_bytes: int = 0) -> bytes:
        try:
            return await self.client.request(key, data, self.addr, self.timeout_s, self.retries, expect_bytes)
        except RequestTimedOut as exc:
            host, port = self.addr
            raise SnmpTimeout(
                self.device,
                f"no SNMP answer from {host}:{port} after {exc.tries} tries of {self.timeout_s:g} s",
            ) from exc

    async def _exchange(
        self, tag: int, a: int, b: int, varbinds: bytes, count: int
    ) -> tuple[bytes, int, int]:
        """Send one PDU of ``count`` varbinds; (buffer, varbinds start, varbinds end) of the checked Response."""
        size = min(MAX_ANSWER, 200 + VARBIND_BYTES * count * (b if tag == GET_BULK and b > 0 else 1))
        try:
            if isinstance(self.credentials, V2cCredentials):
                key = self.client.next_id()
                pdu = encode_pdu(tag, key, a, b, varbinds)
                message = encode_community(V2C, self.credentials.community, pdu)
                reply = await self._roundtrip(key, message, size)
                start, end = v2c_pdu(reply)
                buf = reply
            else:
                buf, start, end = await self._v3_exchange(tag, a, b, varbinds, size)
            rtag, _, status, index, vs, ve = pdu_header(buf, start, end)
        except BerError as exc:
            raise SnmpProtocolError(self.device, f"undecodable SNMP answer: {exc}") from exc
        if rtag != RESPONSE:
            raise SnmpProtocolError(self.device, f"expected a Response PDU, got tag 0x{rtag:02x}")
        if status != 0:
            name = ERROR_STATUS[status] if 0 <= status < len(ERROR_STATUS) else str(status)
            raise SnmpProtocolError(self.device, f"SNMP error-status {name} at varbind {index}")
        return buf, vs, ve

    async def _discover(self, creds: V3Credentials) -> EngineInfo:
        key = self.client.next_id()
        reply = await self._roundtrip(key, discovery(key))
        try:
            answer = unwrap(reply, creds)
        except UnwrapError as exc:
            raise SnmpProtocolError(self.device, f"SNMPv3 engine discovery failed: {exc}") from exc
        if not answer.engine_id:
            raise SnmpProtocolError(self.device, "SNMPv3 engine discovery: the agent sent no engine id")
        engine = EngineInfo(answer.engine_id, answer.boots, answer.time, asyncio.get_running_loop().time())
        self.client.engines[self.addr] = engine
        return engine

    async def _v3_exchange(
        self, tag: int, a: int, b: int, varbinds: bytes, size: int
    ) -> tuple[bytes, int, int]:
        creds = self.credentials
        assert isinstance(creds, V3Credentials)
        loop = asyncio.get_running_loop()
        engines = self.client.engines
        rediscovered = False
        for _attempt in range(3):
            engine = engines.get(self.addr) or await self._discover(creds)
            key = self.client.next_id()
            pdu = encode_pdu(tag, key, a, b, varbinds)
            data = wrap(key, pdu, creds, engine, loop.time(), self.client.next_salt())
            reply = await self._roundtrip(key, data, size)
            try:
                answer = unwrap(reply, creds)
            except UnwrapError as exc:
                engines.pop(self.addr, None)
                if exc.auth:
                    raise SnmpAuthError(self.device, f"SNMPv3 authentication failed: {exc}") from exc
                raise SnmpProtocolError(self.device, f"SNMPv3 answer rejected: {exc}") from exc
            buf, start, end = answer.scoped, answer.pdu_start, answer.pdu_end
            if buf[start] != REPORT:
                if answer.authenticated and not in_time_window(
                    answer.boots, answer.time, engine, loop.time()
                ):
                    # RFC 3414 3.2 step 7b: notInTimeWindow; the answer is dropped, the engine found again
                    engines.pop(self.addr, None)
                    if rediscovered:
                        raise SnmpProtocolError(
                            self.device,
                            f"SNMPv3 answer outside the time window (engine boots {answer.boots}, time "
                            f"{answer.time}; expected {engine.clock(loop.time())} within {TIME_WINDOW_S} s) "
                            "after a fresh discovery",
                        )
                    rediscovered = True
                    continue
                if answer.authenticated and (answer.boots, answer.time) > engine.clock(loop.time()):
                    engines[self.addr] = EngineInfo(answer.engine_id, answer.boots, answer.time, loop.time())
                return buf, start, end
            _, _, _, _, vs, ve = pdu_header(buf, start, end)
            report: Oid = ()
            if vs < ve:
                _, s, e = decode_tlv(buf, vs, ve)
                _, os_, oe = decode_tlv(buf, s, e)
                report = decode_oid(buf, os_, oe)
            name = REPORT_NAMES.get(report, format_oid(report) or "empty report")
            if report == NOT_IN_TIME_WINDOWS and answer.authenticated:
                engines[self.addr] = EngineInfo(answer.engine_id, answer.boots, answer.time, loop.time())
                continue
            engines.pop(self.addr, None)
            if report == UNKNOWN_ENGINE_IDS:
                continue
            if report in AUTH_REPORTS:
                raise SnmpAuthError(self.device, f"SNMPv3 authentication failed: {name}")
            raise SnmpProtocolError(self.device, f"SNMPv3 report {name}")
        raise SnmpProtocolError(self.device, "SNMPv3: could not synchronise with the agent's engine")

    # --- the session contract ------------------------------------------------------------------------------
    async def get(self, oids: list[Oid]) -> dict[Oid, Value]:
        varbinds = b"".join(_varbind(encode_oid(o)) for o in oids)
        buf, pos, end = await self._exchange(GET, 0, 0, varbinds, len(oids))
        out: dict[Oid, Value] = {}
        try:
            while pos < end:
                s, e = expect(buf, pos, end, SEQUENCE)
                os_, oe = expect(buf, s, e, OBJECT_IDENTIFIER)
                vtag, vs, ve = decode_tlv(buf, oe, e)
                out[decode_oid(buf, os_, oe)] = value_of(buf, vtag, vs, ve)
                pos = e
        except BerError as exc:
            raise SnmpProtocolError(self.device, f"undecodable varbind: {exc}") from exc
        return out

    async def walk_columns(self, columns: tuple[Oid, ...], max_repetitions: int = 25) -> Table:
        table: Table = {c: {} for c in columns}
        prefix = {c: oid_body(c) for c in columns}
        cursor = dict(prefix)  # encoded OID body of the last OID seen per column
        last: dict[Oid, Oid] = {c: () for c in columns}  # its index (arcs after the column)
        active = list(columns)
        while active:
            request = b"".join(_varbind(tlv(OBJECT_IDENTIFIER, cursor[c])) for c in active)
            # no more rows than one answer can carry: the agent would encode them only to drop them
            reps = min(max_repetitions, max(1, MAX_ANSWER // (VARBIND_BYTES * len(active))))
            buf, pos, end = await self._exchange(GET_BULK, 0, reps, request, len(active))
            width = len(active)
            finished: set[Oid] = set()
            count = 0
            try:
                while pos < end:
                    tag, s, e = decode_tlv(buf, pos, end)
                    if tag != SEQUENCE:
                        raise BerError("varbind is not a SEQUENCE")
                    pos = e
                    col = active[count % width]
                    count += 1
                    if col in finished:
                        if len(finished) == width:
                            break
                        continue
                    os_, oe = expect(buf, s, e, OBJECT_IDENTIFIER)
                    vtag, vs, ve = decode_tlv(buf, oe, e)
                    pre = prefix[col]
                    cut = os_ + len(pre)
                    if vtag == END_OF_MIB_VIEW or oe <= cut or buf[os_:cut] != pre:
                        finished.add(col)
                        continue
                    index = index_arcs(buf, cut, oe)
                    if index <= last[col]:
                        raise SnmpProtocolError(
                            self.device, f"OID not increasing after {format_oid(col + last[col])}"
                        )
                    table[col][index] = value_of(buf, vtag, vs, ve)
                    last[col] = index
                    cursor[col] = buf[os_:oe]
            except BerError as exc:
                raise SnmpProtocolError(self.device, f"undecodable varbind: {exc}") from exc
            if count == 0:  # pysnmp's EmptyResponse: an agent that answers a walk with nothing
                raise SnmpProtocolError(self.device, "SNMP error: empty GETBULK response")
            if count < width and len(finished) < width:
                break
            active = [c for c in active if c not in finished]
        return table


def _varbind(encoded_oid: bytes) -> bytes:
    return tlv(SEQUENCE, encoded_oid + NULL_VALUE)
