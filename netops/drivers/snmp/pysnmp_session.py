"""``SnmpSession`` over pysnmp 7 (asyncio): v2c and v3 USM. The reference implementation and the v3 path.

One ``SnmpEngine`` per event loop, shared by all sessions (a new engine per target costs ~12x; see the anchors
in ../shared/bench-anchors/snmp); ``lookupMib=False`` keeps MIB resolution out of the hot path.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    usmAesCfb128Protocol,
    usmAesCfb192Protocol,
    usmAesCfb256Protocol,
    usmDESPrivProtocol,
    usmHMAC128SHA224AuthProtocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMAC256SHA384AuthProtocol,
    usmHMAC384SHA512AuthProtocol,
    usmHMACMD5AuthProtocol,
    usmHMACSHAAuthProtocol,
)
from pysnmp.proto import errind, rfc1905

from netops.drivers.snmp.oids import Oid
from netops.drivers.snmp.session import SnmpAuthError, SnmpProtocolError, SnmpTimeout, Table, Value

_AUTH = {
    "md5": usmHMACMD5AuthProtocol,
    "sha": usmHMACSHAAuthProtocol,
    "sha224": usmHMAC128SHA224AuthProtocol,
    "sha256": usmHMAC192SHA256AuthProtocol,
    "sha384": usmHMAC256SHA384AuthProtocol,
    "sha512": usmHMAC384SHA512AuthProtocol,
}
_PRIV = {
    "des": usmDESPrivProtocol,
    "aes": usmAesCfb128Protocol,
    "aes192": usmAesCfb192Protocol,
    "aes256": usmAesCfb256Protocol,
}
_AUTH_ERRORS = (
    errind.WrongDigest,
    errind.UnknownUserName,
    errind.DecryptionError,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.AuthenticationFailure,
    errind.AuthenticationError,
)
_ENGINES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()


def engine() -> Any:
    """The pysnmp engine of the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    eng = _ENGINES.get(loop)
    if eng is None:
        eng = SnmpEngine()
        _ENGINES[loop] = eng
    return eng


def v2c(community: str) -> Any:
    return CommunityData(community, mpModel=1)


def v3(
    user: str,
    auth_protocol: str | None,
    auth_key: str | None,
    priv_protocol: str | None,
    priv_key: str | None,
) -> Any:
    kwargs: dict[str, Any] = {}
    if auth_protocol is not None:
        kwargs["authKey"] = auth_key
        kwargs["authProtocol"] = _AUTH[auth_protocol]
    if priv_protocol is not None:
        kwargs["privKey"] = priv_key
        kwargs["privProtocol"] = _PRIV[priv_protocol]
    return UsmUserData(user, **kwargs)


def _value(v: Any) -> Value:
    if isinstance(v, (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView)):
        return None
    tag = v.__class__.__name__
    if tag == "ObjectIdentifier":
        return tuple(v)
    if tag in ("OctetString", "IpAddress", "Opaque", "Bits"):
        return bytes(v.asOctets())
    return int(v)


class PysnmpSession:
    def __init__(self, device: str, auth: Any, target: Any) -> None:
        self.device = device
        self.auth = auth
        self.target = target

    @classmethod
    async def open(
        cls, device: str, host: str, port: int, auth: Any, timeout_s: float, retries: int
    ) -> PysnmpSession:
        target = await UdpTransportTarget.create((host, port), timeout=timeout_s, retries=retries)
        return cls(device, auth, target)

    def _check(self, error_indication: Any, error_status: Any, error_index: Any) -> None:
        if error_indication:
            text = str(error_indication)
            if isinstance(error_indication, errind.RequestTimedOut):
                raise SnmpTimeout(self.device, f"no SNMP answer: {text}")
            if isinstance(error_indication, _AUTH_ERRORS):
                raise SnmpAuthError(self.device, f"SNMPv3 authentication failed: {text}")
            raise SnmpProtocolError(self.device, f"SNMP error: {text}")
        if error_status and int(error_status) != 0:
            raise SnmpProtocolError(self.device, f"SNMP error-status {error_status} at varbind {error_index}")

    async def get(self, oids: list[Oid]) -> dict[Oid, Value]:
        ei, es, ex, vbs = await get_cmd(
            engine(),
            self.auth,
            self.target,
            ContextData(),
            *(ObjectType(ObjectIdentity(o)) for o in oids),
            lookupMib=False,
        )
        self._check(ei, es, ex)
        return {tuple(name): _value(val) for name, val in vbs}

    async def walk_columns(self, columns: tuple[Oid, ...], max_repetitions: int = 25) -> Table:
        table: Table = {c: {} for c in columns}
        cursor: dict[Oid, Oid] = {c: c for c in columns}
        active = list(columns)
        while active:
            ei, es, ex, vbs = await bulk_cmd(
                engine(),
                self.auth,
                self.target,
                ContextData(),
                0,
                max_repetitions,
                *(ObjectType(ObjectIdentity(cursor[c])) for c in active),
                lookupMib=False,
            )
            self._check(ei, es, ex)
            if not vbs:
                break
            finished: set[Oid] = set()
            width = len(active)
            for i, (name, val) in enumerate(vbs):
                col = active[i % width]
                if col in finished:
                    continue
                oid_t = tuple(name)
                if isinstance(val, rfc1905.EndOfMibView) or oid_t[: len(col)] != col:
                    finished.add(col)
                    continue
                if oid_t <= cursor[col]:
                    raise SnmpProtocolError(self.device, f"OID not increasing after {cursor[col]}")
                table[col][oid_t[len(col) :]] = _value(val)
                cursor[col] = oid_t
            rows = len(vbs) // width
            active = [c for c in active if c not in finished]
            if rows < 1:
                break
        return table

    def close(self) -> None:
        self.target = None
