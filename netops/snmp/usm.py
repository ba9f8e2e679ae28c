"""SNMPv3 User-based Security Model for the lab agents (RFC 3414, RFC 7860, RFC 3826).

Used by ``agent.py`` on each v3 message: ``UsmUser`` holds one device's localised keys and signs, verifies,
encrypts and decrypts; ``password_to_key`` (the 1 MiB hash of RFC 3414 A.2) is cached per password so a
region of agents sharing one profile derives it once and only localises per engine id.

Supported: HMAC-MD5-96, HMAC-SHA-96 and the RFC 7860 SHA-2 family (sha224/256/384/512) for authentication;
AES-128 CFB (RFC 3826) for privacy. DES and AES-192/256 are not implemented (``UsmError`` says so at start).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 47 keeps CFB among the "decrepit" modes; SNMP's RFC 3826 needs exactly it
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from netops.snmp.ber import Oid

# protocol name in the inventory -> (hashlib name, length of msgAuthenticationParameters)
AUTH_PROTOCOLS: dict[str, tuple[str, int]] = {
    "md5": ("md5", 12),
    "sha": ("sha1", 12),
    "sha224": ("sha224", 16),
    "sha256": ("sha256", 24),
    "sha384": ("sha384", 32),
    "sha512": ("sha512", 48),
}
PRIV_PROTOCOLS = ("aes",)

_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
UNSUPPORTED_SEC_LEVELS: Oid = (*_STATS, 1, 0)
NOT_IN_TIME_WINDOWS: Oid = (*_STATS, 2, 0)
UNKNOWN_USER_NAMES: Oid = (*_STATS, 3, 0)
UNKNOWN_ENGINE_IDS: Oid = (*_STATS, 4, 0)
WRONG_DIGESTS: Oid = (*_STATS, 5, 0)
DECRYPTION_ERRORS: Oid = (*_STATS, 6, 0)

TIME_WINDOW_S = 150
MAX_BOOTS = 2147483647


class UsmError(ValueError):
    """A profile the lab's USM cannot serve (unsupported protocol, key too short)."""


@lru_cache(maxsize=64)
def password_to_key(password: bytes, hash_name: str) -> bytes:
    """Ku: hash of the password repeated to 1 MiB (RFC 3414 A.2.1 / A.2.2)."""
    if len(password) < 8:
        raise UsmError("SNMPv3 passphrases must be at least 8 characters")
    repeated = password * (1048576 // len(password) + 1)
    return hashlib.new(hash_name, repeated[:1048576]).digest()


def localize_key(ku: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """Kul = H(Ku || engineID || Ku) (RFC 3414 section 2.6)."""
    return hashlib.new(hash_name, ku + engine_id + ku).digest()


def engine_id_for(name: str, enterprise: int) -> bytes:
    """An RFC 3411 engine id: enterprise number with the high bit set, format 5 (octets), 8 stable octets."""
    return (0x80000000 | enterprise).to_bytes(4, "big") + b"\x05" + hashlib.sha256(name.encode()).digest()[:8]


def aes_iv(boots: int, etime: int, salt: bytes) -> bytes:
    return boots.to_bytes(4, "big") + etime.to_bytes(4, "big") + salt


@dataclass(frozen=True, slots=True)
class UsmUser:
    """One user as one engine knows it: name, localised keys, protocol parameters."""

    name: bytes
    auth_hash: str
    auth_len: int
    auth_key: bytes
    priv_key: bytes | None  # 16 octets for AES-128, None for authNoPriv users

    def sign(self, message: bytes) -> bytes:
        return hmac.digest(self.auth_key, message, self.auth_hash)[: self.auth_len]

    def verify(self, message: bytes, offset: int, given: bytes) -> bool:
        if len(given) != self.auth_len:
            return False
        zeroed = message[:offset] + bytes(self.auth_len) + message[offset + self.auth_len :]
        return hmac.compare_digest(self.sign(zeroed), given)

    def encrypt(self, plaintext: bytes, boots: int, etime: int, salt: bytes) -> bytes:
        assert self.priv_key is not None
        enc = Cipher(algorithms.AES(self.priv_key), CFB(aes_iv(boots, etime, salt))).encryptor()
        return enc.update(plaintext) + enc.finalize()

    def decrypt(self, ciphertext: bytes, boots: int, etime: int, salt: bytes) -> bytes:
        assert self.priv_key is not None
        if len(salt) != 8 or not 0 <= boots < 2**32 or not 0 <= etime < 2**32:
            raise UsmError("bad AES privacy parameters")
        dec = Cipher(algorithms.AES(self.priv_key), CFB(aes_iv(boots, etime, salt))).decryptor()
        return dec.update(ciphertext) + dec.finalize()


def make_user(
    name: str,
    engine_id: bytes,
    auth_protocol: str | None,
    auth_password: str,
    priv_protocol: str | None,
    priv_password: str | None,
) -> UsmUser:
    """Localise a profile's passphrases for ``engine_id``. Raises ``UsmError`` for what is not supported."""
    proto = (auth_protocol or "sha").lower()
    if proto not in AUTH_PROTOCOLS:
        raise UsmError(f"auth protocol {proto!r} not supported (known: {', '.join(AUTH_PROTOCOLS)})")
    hash_name, auth_len = AUTH_PROTOCOLS[proto]
    auth_key = localize_key(password_to_key(auth_password.encode(), hash_name), engine_id, hash_name)
    priv_key: bytes | None = None
    if priv_password is not None:
        priv = (priv_protocol or "aes").lower()
        if priv not in PRIV_PROTOCOLS:
            raise UsmError(f"priv protocol {priv!r} not supported by the lab agent (known: aes)")
        priv_key = localize_key(password_to_key(priv_password.encode(), hash_name), engine_id, hash_name)[:16]
    return UsmUser(name.encode(), hash_name, auth_len, auth_key, priv_key)
