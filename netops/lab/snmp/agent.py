"""One device's SNMP agent: datagram in, datagram (or silence) out, like net-snmp's snmpd would answer.

Sits between the UDP endpoints (``server.py``) and the MIB (``device_view.py`` + ``operations.py``). It
serves only its profile's version: a v2c profile answers v2c with the right community and ignores everything
else (no answer, like a real agent); a v3 profile runs the USM checks of RFC 3414 section 3.2 in order
(unknown engine id -> usmStatsUnknownEngineIDs report, unknown user -> usmStatsUnknownUserNames, level the
user cannot do -> usmStatsUnsupportedSecLevels, bad HMAC -> usmStatsWrongDigests, outside the time window
-> authenticated usmStatsNotInTimeWindows), then drops a message whose decryption does not parse (a wrong
privacy key: a timeout, as with net-snmp) or names a non-default context (snmpd is silent too), and answers a
request below the profile's level with authorizationError(16), as net-snmp's ``rouser <name> priv`` does.
SNMPv1 is not served.
"""

from __future__ import annotations

import hmac
import logging
from collections import Counter

from netops.inventory.models import SnmpProfile
from netops.lab.snmp.device_view import build_view
from netops.lab.snmp.mib import MibView
from netops.lab.snmp.operations import answer
from netops.lab.state import DeviceState, LabWorld
from netops.snmp.ber import COUNTER32, OCTET_STRING, BerError, Oid, encode_oid, encode_unsigned, tlv
from netops.snmp.message import (
    AUTHORIZATION_ERROR,
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    GET,
    GET_BULK,
    GET_NEXT,
    NO_ACCESS,
    REPORT,
    RESPONSE,
    SET,
    USM_SECURITY_MODEL,
    V2C,
    V3,
    Pdu,
    V3Message,
    decode_community,
    decode_scoped_pdu,
    decode_v3,
    encode_community,
    encode_pdu,
    encode_scoped_pdu,
    encode_v3,
    encode_varbind,
    message_version,
)
from netops.snmp.usm import (
    DECRYPTION_ERRORS,
    MAX_BOOTS,
    NOT_IN_TIME_WINDOWS,
    TIME_WINDOW_S,
    UNKNOWN_ENGINE_IDS,
    UNKNOWN_USER_NAMES,
    UNSUPPORTED_SEC_LEVELS,
    WRONG_DIGESTS,
    UsmUser,
)

log = logging.getLogger(__name__)

MAX_MESSAGE = 65507  # the largest UDP payload over IPv4: the agent's own msgMaxSize
MIN_MESSAGE = 484  # RFC 3417: every SNMP entity must accept messages of at least this size
READS = frozenset({GET, GET_NEXT, GET_BULK})


class Agent:
    """The SNMP engine of one simulated device. ``handle`` is synchronous and never raises on bad input."""

    def __init__(
        self,
        world: LabWorld,
        state: DeviceState,
        profile: SnmpProfile,
        engine_id: bytes,
        community: bytes | None = None,
        user: UsmUser | None = None,
    ) -> None:
        self.world = world
        self.state = state
        self.profile = profile
        self.engine_id = engine_id
        self.community = community
        self.user = user
        self.counters: Counter[str] = Counter()
        self._view: MibView | None = None
        self._generation = -1
        self._boots = 1
        self._boot_time = state.boot_time
        self._salt = int.from_bytes(engine_id[-4:], "big") << 16

    # --- engine clock --------------------------------------------------------------------------------------
    def clock(self, now: float) -> tuple[int, int]:
        """(snmpEngineBoots, snmpEngineTime): boots count the device's reboots, time is its uptime."""
        if self.state.boot_time != self._boot_time:
            self._boot_time = self.state.boot_time
            self._boots = min(self._boots + 1, MAX_BOOTS)
        return self._boots, int(self.state.uptime_s(now)) % 2**31

    @property
    def view(self) -> MibView:
        if self._view is None or self._generation != self.state.generation:
            # adjacencies came or went, or the configuration changed: rows appear or go, as on a real agent
            self._generation = self.state.generation
            self._view = build_view(self.world, self.state, self.engine_id, self.clock)
        return self._view

    # --- entry point ---------------------------------------------------------------------------------------
    def handle(self, data: bytes, now: float) -> bytes | None:
        self.counters["packets"] += 1
        try:
            version, pos, end = message_version(data)
            if version == V2C and self.community is not None:
                return self._community(data, pos, end, now)
            if version == V3 and self.user is not None:
                return self._v3(data, pos, end, now)
            self.counters["bad_versions"] += 1
            return None
        except BerError:
            self.counters["parse_errors"] += 1
            return None

    def _read(self, pdu: Pdu, now: float, budget: int) -> tuple[int, int, bytes] | None:
        """The answer to a request PDU: reads from the view, SET refused (read-only), others dropped.
        ``counters["varbinds"]`` counts the varbinds encoded for reads (what a manager costs the agent)."""
        if pdu.tag in READS:
            self.counters[{GET: "get", GET_NEXT: "getnext", GET_BULK: "getbulk"}[pdu.tag]] += 1
            status, index, vbs, count = answer(self.view, pdu, now, budget)
            self.counters["varbinds"] += count
            return status, index, vbs
        if pdu.tag == SET:
            self.counters["set"] += 1
            vbs = b"".join(encode_varbind(encode_oid(oid), value) for oid, value in pdu.varbinds)
            return NO_ACCESS, 1 if pdu.varbinds else 0, vbs
        self.counters["unexpected_pdus"] += 1
        return None

    # --- v2c -----------------------------------------------------------------------------------------------
    def _community(self, data: bytes, pos: int, end: int, now: float) -> bytes | None:
        msg = decode_community(data, pos, end, V2C)
        assert self.community is not None
        if not hmac.compare_digest(msg.community, self.community):
            self.counters["bad_community"] += 1
            return None
        budget = MAX_MESSAGE - 40 - len(msg.community)
        result = self._read(msg.pdu, now, budget)
        if result is None:
            return None
        status, index, vbs = result
        self.counters["answers"] += 1
        pdu = encode_pdu(RESPONSE, msg.pdu.request_id, status, index, vbs)
        return encode_community(V2C, msg.community, pdu)

    # --- v3 ------------------------------------------------------------------------------------------------
    def _v3(self, data: bytes, pos: int, end: int, now: float) -> bytes | None:
        user = self.user
        assert user is not None
        msg = decode_v3(data, pos, end)
        auth, priv = bool(msg.flags & FLAG_AUTH), bool(msg.flags & FLAG_PRIV)
        if msg.security_model != USM_SECURITY_MODEL or (priv and not auth):
            self.counters["invalid_msgs"] += 1
            return None
        if msg.engine_id != self.engine_id:
            return self._report(msg, UNKNOWN_ENGINE_IDS, "unknown_engine_ids", now)
        if msg.user != user.name:
            return self._report(msg, UNKNOWN_USER_NAMES, "unknown_user_names", now)
        if priv and user.priv_key is None:
            return self._report(msg, UNSUPPORTED_SEC_LEVELS, "unsupported_sec_levels", now)
        boots, etime = self.clock(now)
        if auth:
            if not user.verify(data, msg.auth_offset, msg.auth_params):
                return self._report(msg, WRONG_DIGESTS, "wrong_digests", now)
            if (
                boots == MAX_BOOTS
                or msg.engine_boots != boots
                or abs(msg.engine_time - etime) > TIME_WINDOW_S
            ):
                return self._report(msg, NOT_IN_TIME_WINDOWS, "not_in_time_windows", now, signed=True)
        scoped = msg.scoped
        if priv:
            try:
                scoped = user.decrypt(scoped, msg.engine_boots, msg.engine_time, msg.priv_params)
            except ValueError:
                return self._report(msg, DECRYPTION_ERRORS, "decryption_errors", now)
        try:
            spdu = decode_scoped_pdu(scoped)
        except BerError:
            self.counters["undecodable_scoped_pdus"] += 1  # e.g. a wrong privacy key: net-snmp drops it
            return None
        if spdu.context_name:  # only the default context exists; net-snmp's snmpd does not answer either
            self.counters["unknown_contexts"] += 1
            return None
        required = FLAG_AUTH | (FLAG_PRIV if user.priv_key is not None else 0)
        overhead = (
            100
            + len(self.engine_id)
            + len(user.name)
            + user.auth_len
            + len(spdu.context_engine_id)
            + len(spdu.context_name)
        )
        budget = min(MAX_MESSAGE, max(MIN_MESSAGE, msg.max_size)) - overhead
        if msg.flags & required != required and spdu.pdu.tag in READS | {SET}:
            self.counters["authorization_errors"] += 1
            vbs = b"".join(encode_varbind(encode_oid(oid), value) for oid, value in spdu.pdu.varbinds)
            result: tuple[int, int, bytes] | None = (AUTHORIZATION_ERROR, 0, vbs)
        else:
            result = self._read(spdu.pdu, now, budget)
        if result is None:
            return None
        status, index, vbs = result
        self.counters["answers"] += 1
        pdu = encode_pdu(RESPONSE, spdu.pdu.request_id, status, index, vbs)
        scoped_pdu = encode_scoped_pdu(spdu.context_engine_id, spdu.context_name, pdu)
        return self._envelope(msg, scoped_pdu, auth, priv, boots, etime)

    def _envelope(
        self, msg: V3Message, scoped_pdu: bytes, auth: bool, priv: bool, boots: int, etime: int
    ) -> bytes:
        user = self.user
        assert user is not None
        priv_params = b""
        if priv:
            self._salt = (self._salt + 1) % 2**64
            priv_params = self._salt.to_bytes(8, "big")
            scoped_data = tlv(OCTET_STRING, user.encrypt(scoped_pdu, boots, etime, priv_params))
        else:
            scoped_data = scoped_pdu
        flags = (FLAG_AUTH if auth else 0) | (FLAG_PRIV if priv else 0)
        message, offset = encode_v3(
            msg.msg_id,
            MAX_MESSAGE,
            flags,
            self.engine_id,
            boots,
            etime,
            msg.user,
            user.auth_len if auth else 0,
            priv_params,
            scoped_data,
        )
        if not auth:
            return message
        return message[:offset] + user.sign(message) + message[offset + user.auth_len :]

    def _report(
        self, msg: V3Message, oid: Oid, counter: str, now: float, signed: bool = False
    ) -> bytes | None:
        """A Report PDU with the usmStats counter (RFC 3414 3.2), or nothing if the request is not reportable."""
        self.counters[counter] += 1
        if not msg.flags & FLAG_REPORTABLE:
            return None
        request_id, context_name = 0, b""
        if not msg.flags & FLAG_PRIV:  # the request id is readable only in a plaintext scopedPDU
            try:
                spdu = decode_scoped_pdu(msg.scoped)
                request_id, context_name = spdu.pdu.request_id, spdu.context_name
            except BerError:
                pass
        self.counters["reports"] += 1
        value = encode_unsigned(self.counters[counter] % 2**32, COUNTER32)
        pdu = encode_pdu(REPORT, request_id, 0, 0, encode_varbind(encode_oid(oid), value))
        scoped_pdu = encode_scoped_pdu(self.engine_id, context_name, pdu)
        boots, etime = self.clock(now)
        return self._envelope(msg, scoped_pdu, signed, False, boots, etime)
