"""USM key handling: RFC 3414 test vectors, agreement with pysnmp's key localisation, HMAC and AES-CFB."""

from __future__ import annotations

import hashlib

import pytest
from pyasn1.type import univ
from pysnmp.proto.secmod.rfc3414 import localkey

from netops.snmp.usm import (
    AUTH_PROTOCOLS,
    UsmError,
    engine_id_for,
    localize_key,
    make_user,
    password_to_key,
)

RFC_ENGINE = bytes.fromhex("000000000000000000000002")


def test_rfc3414_a3_md5_and_sha_vectors() -> None:
    md5 = localize_key(password_to_key(b"maplesyrup", "md5"), RFC_ENGINE, "md5")
    sha = localize_key(password_to_key(b"maplesyrup", "sha1"), RFC_ENGINE, "sha1")
    assert md5.hex() == "526f5eed9fcce26f8964c2930787d82b"
    assert sha.hex() == "6695febc9288e36282235fc7151f128497b38f3f"


@pytest.mark.parametrize("proto", sorted(AUTH_PROTOCOLS))
def test_localised_keys_agree_with_pysnmp(proto: str) -> None:
    hash_name, _ = AUTH_PROTOCOLS[proto]
    engine = engine_id_for("kashgar-ce1", 25506)
    ours = localize_key(password_to_key(b"auth-passphrase-1", hash_name), engine, hash_name)
    theirs = localkey.password_to_key(
        univ.OctetString(b"auth-passphrase-1"), univ.OctetString(engine), getattr(hashlib, hash_name)
    )
    assert ours == bytes(theirs)


def test_engine_id_format() -> None:
    engine = engine_id_for("centre-core1", 2011)
    assert engine[:4] == bytes.fromhex("800007db")  # enterprise 2011 with the RFC 3411 high bit
    assert engine[4] == 5 and len(engine) == 13
    assert engine == engine_id_for("centre-core1", 2011) != engine_id_for("centre-core2", 2011)


def test_user_signs_verifies_and_encrypts() -> None:
    engine = engine_id_for("x", 9)
    user = make_user("ops", engine, "sha256", "auth-passphrase-1", "aes", "priv-passphrase-2")
    assert user.auth_len == 24 and user.priv_key is not None and len(user.priv_key) == 16
    message = bytearray(b"0" * 40 + bytes(24) + b"1" * 40)
    digest = user.sign(bytes(message))
    message[40:64] = digest
    assert user.verify(bytes(message), 40, digest)
    assert not user.verify(bytes(message), 40, bytes(24))
    plain = b"scoped pdu bytes of odd length"
    salt = bytes(range(8))
    cipher = user.encrypt(plain, 3, 1000, salt)
    assert len(cipher) == len(plain) and cipher != plain
    assert user.decrypt(cipher, 3, 1000, salt) == plain
    assert user.decrypt(cipher, 3, 1001, salt) != plain  # the IV includes engineBoots and engineTime


def test_unsupported_protocols_and_short_keys_are_refused() -> None:
    engine = engine_id_for("x", 9)
    with pytest.raises(UsmError, match="des"):
        make_user("ops", engine, "sha", "auth-passphrase-1", "des", "priv-passphrase-2")
    with pytest.raises(UsmError, match="sha999"):
        make_user("ops", engine, "sha999", "auth-passphrase-1", None, None)
    with pytest.raises(UsmError, match="at least 8"):
        make_user("ops", engine, "sha", "short", None, None)
