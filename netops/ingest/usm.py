"""The receiver's side of SNMPv3 USM (RFC 3414) for traps and informs, on netops' own codec.

- A **trap** is sent by an authoritative engine (the device): its message names the device's engine id, and
  the device's keys are localised to that id (``V3Credentials.localized`` caches them per engine id).
- An **inform** names the receiver's engine (``ReceiverEngine``): a sender first discovers it with an empty,
  reportable request, answered by an unauthenticated Report of ``usmStatsUnknownEngineIDs`` that carries the
  receiver's engine id, boots and time (RFC 3414 4.); an inform outside the time window gets an authenticated
  ``usmStatsNotInTimeWindows`` Report. A verified inform is answered with a Response (``respond``).

Signing, encryption and key localisation are ``netops.snmp.usm`` (shared with the lab agents and the poller);
``netops.drivers.snmp.fast_usm.unwrap`` checks and opens an incoming message with a device's credentials.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from netops.snmp.ber import COUNTER32, OCTET_STRING, encode_oid, encode_unsigned, tlv
from netops.snmp.message import (
    FLAG_AUTH,
    FLAG_PRIV,
    REPORT,
    V3Message,
    encode_pdu,
    encode_scoped_pdu,
    encode_v3,
    encode_varbind,
)
from netops.snmp.usm import (
    NOT_IN_TIME_WINDOWS,
    TIME_WINDOW_S,
    UNKNOWN_ENGINE_IDS,
    UsmUser,
    engine_id_for,
)

MAX_SIZE = 65507
NETOPS_ENTERPRISE = 0  # engine ids need an enterprise number; the receiver has no registered one


@dataclass(slots=True)
class ReceiverEngine:
    """The receiver's own snmpEngineID, boots and time (authoritative for informs)."""

    engine_id: bytes
    boots: int = 1
    started: float = field(default_factory=time.monotonic)
    unknown_engine_ids: int = 0
    not_in_time_windows: int = 0

    @classmethod
    def for_address(cls, host: str, port: int) -> ReceiverEngine:
        return cls(engine_id_for(f"netops-trap-receiver:{host}:{port}", NETOPS_ENTERPRISE))

    def clock(self) -> tuple[int, int]:
        return self.boots, int(time.monotonic() - self.started)

    def in_time(self, boots: int, etime: int) -> bool:
        ours_boots, ours_time = self.clock()
        return boots == ours_boots and abs(etime - ours_time) <= TIME_WINDOW_S

    def report(
        self,
        msg: V3Message,
        request_id: int,
        oid: tuple[int, ...],
        count: int,
        user: UsmUser | None = None,
    ) -> bytes:
        """A Report PDU for ``msg``; signed with ``user`` when given (notInTimeWindows), else plain."""
        boots, etime = self.clock()
        varbinds = encode_varbind(encode_oid(oid), encode_unsigned(count % 2**32, COUNTER32))
        scoped = encode_scoped_pdu(self.engine_id, b"", encode_pdu(REPORT, request_id, 0, 0, varbinds))
        flags = FLAG_AUTH if user is not None else 0
        message, offset = encode_v3(
            msg.msg_id,
            MAX_SIZE,
            flags,
            self.engine_id,
            boots,
            etime,
            msg.user,
            user.auth_len if user is not None else 0,
            b"",
            scoped,
        )
        if user is None:
            return message
        return message[:offset] + user.sign(message) + message[offset + user.auth_len :]

    def unknown_engine(self, msg: V3Message, request_id: int) -> bytes:
        self.unknown_engine_ids += 1
        return self.report(msg, request_id, UNKNOWN_ENGINE_IDS, self.unknown_engine_ids)

    def not_in_time(self, msg: V3Message, request_id: int, user: UsmUser) -> bytes:
        self.not_in_time_windows += 1
        return self.report(msg, request_id, NOT_IN_TIME_WINDOWS, self.not_in_time_windows, user)

    def respond(
        self, msg: V3Message, context_engine_id: bytes, context_name: bytes, pdu: bytes, user: UsmUser | None
    ) -> bytes:
        """The Response to a verified inform, at the inform's security level, in the inform's context (its
        contextEngineID is the originator's: a manager matches the Response on it)."""
        boots, etime = self.clock()
        scoped = encode_scoped_pdu(context_engine_id, context_name, pdu)
        flags = msg.flags & (FLAG_AUTH | FLAG_PRIV)
        priv_params = b""
        if user is not None and flags & FLAG_PRIV:
            priv_params = os.urandom(8)
            scoped = tlv(OCTET_STRING, user.encrypt(scoped, boots, etime, priv_params))
        auth_len = user.auth_len if user is not None and flags & FLAG_AUTH else 0
        message, offset = encode_v3(
            msg.msg_id, MAX_SIZE, flags, self.engine_id, boots, etime, msg.user, auth_len, priv_params, scoped
        )
        if user is None or not auth_len:
            return message
        return message[:offset] + user.sign(message) + message[offset + auth_len :]
