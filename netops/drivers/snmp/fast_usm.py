"""The manager side of SNMPv3 USM for the fast sessions: credentials, discovery, wrapping and unwrapping.

Sits between ``fast.py`` (which builds PDUs and reads varbinds) and netops' codec (``netops.snmp.message``
lays out v3 messages, ``netops.snmp.usm`` derives and localises keys, signs and encrypts). ``V3Credentials``
holds one profile's passphrases and localises them once per remote engine id; ``wrap`` turns a PDU into a
signed, encrypted message, ``unwrap`` checks and opens the answer and says whether it is a Report (with its
usmStats OID) or a Response. Supported: noAuthNoPriv, authNoPriv and authPriv with MD5, SHA-1 and the SHA-2
family (RFC 7860) and AES-128 (RFC 3826); other privacy protocols stay with pysnmp (``supports``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netops.drivers.snmp.fast_client import EngineInfo
from netops.snmp.ber import OCTET_STRING, SEQUENCE, BerError, Oid, expect, tlv
from netops.snmp.message import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    GET,
    REPORT,
    decode_v3,
    encode_pdu,
    encode_scoped_pdu,
    encode_v3,
    message_version,
)
from netops.snmp.usm import (
    AUTH_PROTOCOLS,
    DECRYPTION_ERRORS,
    NOT_IN_TIME_WINDOWS,
    UNKNOWN_ENGINE_IDS,
    UNKNOWN_USER_NAMES,
    UNSUPPORTED_SEC_LEVELS,
    WRONG_DIGESTS,
    UsmUser,
    make_user,
    password_to_key,
)

MAX_SIZE = 65507  # our msgMaxSize: the largest UDP payload
# the Reports that mean "these credentials are wrong" (pysnmp's errind equivalents map to SnmpAuthError)
AUTH_REPORTS: dict[Oid, str] = {
    WRONG_DIGESTS: "usmStatsWrongDigests",
    UNKNOWN_USER_NAMES: "usmStatsUnknownUserNames",
    DECRYPTION_ERRORS: "usmStatsDecryptionErrors",
    UNSUPPORTED_SEC_LEVELS: "usmStatsUnsupportedSecLevels",
}
REPORT_NAMES: dict[Oid, str] = {
    **AUTH_REPORTS,
    NOT_IN_TIME_WINDOWS: "usmStatsNotInTimeWindows",
    UNKNOWN_ENGINE_IDS: "usmStatsUnknownEngineIDs",
}


class UnwrapError(Exception):
    """An answer that cannot be checked or opened (the session maps it to auth or protocol errors)."""

    def __init__(self, message: str, auth: bool = False) -> None:
        self.auth = auth
        super().__init__(message)


def supports(auth_protocol: str | None, priv_protocol: str | None) -> bool:
    """Whether the fast path serves this v3 profile (otherwise pysnmp does)."""
    if auth_protocol is None:
        return priv_protocol is None
    return auth_protocol.lower() in AUTH_PROTOCOLS and (
        priv_protocol is None or priv_protocol.lower() == "aes"
    )


@dataclass(slots=True)
class V3Credentials:
    """One v3 profile's user and passphrases; keys are localised per engine id and cached."""

    user: str
    auth_protocol: str | None = None
    auth_password: str | None = field(default=None, repr=False)
    priv_protocol: str | None = None
    priv_password: str | None = field(default=None, repr=False)
    _local: dict[bytes, UsmUser] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not supports(self.auth_protocol, self.priv_protocol):
            raise ValueError(
                f"v3 user {self.user!r}: auth {self.auth_protocol!r} / priv {self.priv_protocol!r} "
                "is not served by the fast session"
            )
        if self.auth_protocol is not None:
            if self.auth_password is None or (self.priv_protocol is not None and self.priv_password is None):
                raise ValueError(f"v3 user {self.user!r}: a passphrase is missing")
            hash_name = AUTH_PROTOCOLS[self.auth_protocol.lower()][0]
            password_to_key(self.auth_password.encode(), hash_name)  # UsmError now if too short
            if self.priv_password is not None:
                password_to_key(self.priv_password.encode(), hash_name)

    @property
    def flags(self) -> int:
        if self.auth_protocol is None:
            return 0
        return FLAG_AUTH | (FLAG_PRIV if self.priv_protocol is not None else 0)

    def localized(self, engine_id: bytes) -> UsmUser | None:
        if self.auth_protocol is None:
            return None
        user = self._local.get(engine_id)
        if user is None:
            assert self.auth_password is not None
            user = make_user(
                self.user,
                engine_id,
                self.auth_protocol,
                self.auth_password,
                self.priv_protocol,
                self.priv_password,
            )
            self._local[engine_id] = user
        return user


@dataclass(frozen=True, slots=True)
class Answer:
    """An opened v3 answer: the plaintext scopedPDU and where its PDU lies; the sender's engine clock."""

    scoped: bytes
    pdu_start: int
    pdu_end: int
    engine_id: bytes
    boots: int
    time: int
    authenticated: bool


def discovery(msg_id: int) -> bytes:
    """An empty, unauthenticated, reportable GET: the agent answers usmStatsUnknownEngineIDs with its id."""
    scoped = encode_scoped_pdu(b"", b"", encode_pdu(GET, msg_id, 0, 0, b""))
    message, _ = encode_v3(msg_id, MAX_SIZE, FLAG_REPORTABLE, b"", 0, 0, b"", 0, b"", scoped)
    return message


def wrap(msg_id: int, pdu: bytes, creds: V3Credentials, engine: EngineInfo, now: float, salt: bytes) -> bytes:
    """A request message for ``engine``: the PDU in the default context, signed and encrypted per profile."""
    user = creds.localized(engine.engine_id)
    flags = creds.flags
    boots, etime = engine.clock(now)
    scoped = encode_scoped_pdu(engine.engine_id, b"", pdu)
    priv_params = b""
    if user is not None and flags & FLAG_PRIV:
        priv_params = salt
        scoped = tlv(OCTET_STRING, user.encrypt(scoped, boots, etime, salt))
    auth_len = user.auth_len if user is not None else 0
    message, offset = encode_v3(
        msg_id,
        MAX_SIZE,
        flags | FLAG_REPORTABLE,
        engine.engine_id,
        boots,
        etime,
        creds.user.encode(),
        auth_len,
        priv_params,
        scoped,
    )
    if user is None:
        return message
    return message[:offset] + user.sign(message) + message[offset + auth_len :]


def unwrap(data: bytes, creds: V3Credentials) -> Answer:
    """Check and open an answer. A Report may be unauthenticated; a Response must carry the profile's level."""
    try:
        version, pos, end = message_version(data)
        if version != 3:
            raise UnwrapError(f"answer is SNMP version {version}, not 3")
        msg = decode_v3(data, pos, end)
    except BerError as exc:
        raise UnwrapError(f"undecodable v3 answer: {exc}") from exc
    authenticated = bool(msg.flags & FLAG_AUTH)
    user = creds.localized(msg.engine_id) if creds.auth_protocol is not None else None
    if authenticated:
        if user is None:
            raise UnwrapError("authenticated answer to a noAuth user")
        if not user.verify(data, msg.auth_offset, msg.auth_params):
            raise UnwrapError("answer failed HMAC verification (wrong auth key?)", auth=True)
    scoped = msg.scoped
    if msg.flags & FLAG_PRIV:
        if user is None or user.priv_key is None or not authenticated:
            raise UnwrapError("encrypted answer the profile cannot decrypt")
        try:
            scoped = user.decrypt(scoped, msg.engine_boots, msg.engine_time, msg.priv_params)
        except ValueError as exc:
            raise UnwrapError("answer has bad privacy parameters", auth=True) from exc
    try:
        pdu_start, pdu_end = pdu_span(scoped)
    except BerError as exc:
        raise UnwrapError(f"undecodable scopedPDU (wrong priv key?): {exc}", auth=True) from exc
    if scoped[pdu_start] != REPORT and creds.flags & ~msg.flags & (FLAG_AUTH | FLAG_PRIV):
        raise UnwrapError("answer below the profile's security level", auth=True)
    return Answer(scoped, pdu_start, pdu_end, msg.engine_id, msg.engine_boots, msg.engine_time, authenticated)


def pdu_span(scoped: bytes) -> tuple[int, int]:
    """Where the PDU sits inside a plaintext scopedPDU (after contextEngineID and contextName)."""
    start, end = expect(scoped, 0, len(scoped), SEQUENCE)
    _, e = expect(scoped, start, end, OCTET_STRING)
    _, e = expect(scoped, e, end, OCTET_STRING)
    if e >= end:
        raise BerError("scopedPDU without a PDU")
    return e, end
