"""API bearer tokens with a role. The token is random (256 bits), shown once at creation and stored only as
its SHA-256 (a fast hash is right for a high-entropy secret: nothing to brute-force). Roles are ordered:

| role | may |
| --- | --- |
| viewer | read everything (the NOC) |
| operator | + run, approve and cancel runbooks, acknowledge (on-call) |
| engineer | + configuration push, conferences |
| admin | + tokens |
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from enum import IntEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from netops.errors import InvalidInputError, NotFoundError
from netops.store.db import Store
from netops.store.schema import ApiToken

PREFIX = "nto_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class Role(IntEnum):
    VIEWER = 1
    OPERATOR = 2
    ENGINEER = 3
    ADMIN = 4

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.upper()]
        except KeyError:
            known = ", ".join(r.name.lower() for r in cls)
            raise InvalidInputError(f"unknown role {text!r}; expected one of {known}") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    role: Role
    created_at: float
    last_used_at: float | None
    revoked_at: float | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.name, Role.parse(row.role), row.created_at, row.last_used_at, row.revoked_at)


def create_token(store: Store, name: str, role: Role) -> tuple[TokenInfo, str]:
    """A new token; returns its record and the token itself (shown once, never stored)."""
    if not _NAME.match(name):
        raise InvalidInputError(
            f"token name {name!r}: expected lowercase letters, digits, '.', '_', '-' (max 63)"
        )
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, role=str(role), token_sha256=digest(token), created_at=time.time())
    try:
        with store.session() as session:
            session.add(row)
            session.flush()
            info = _info(row)
    except IntegrityError:
        raise InvalidInputError(
            f"a token named {name!r} exists already; revoke it or choose another name"
        ) from None
    return info, token


def verify(store: Store, token: str) -> TokenInfo | None:
    """The token's record if it is known and not revoked. Reads only: a store that cannot be written (disk
    full, read-only) still authenticates; ``touch`` records the use apart."""
    if not token.startswith(PREFIX):
        return None
    with store.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == digest(token)))
        if row is None or row.revoked_at is not None:
            return None
        return _info(row)


TOUCH_EVERY_S = 60.0


def needs_touch(info: TokenInfo, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    return info.last_used_at is None or now - info.last_used_at > TOUCH_EVERY_S


def touch(store: Store, token_id: int) -> None:
    """Mark a token used now (a write: callers on the request path ignore its failure and count it)."""
    with store.session() as session:
        row = session.get(ApiToken, token_id)
        if row is not None:
            row.last_used_at = time.time()


def list_tokens(store: Store) -> list[TokenInfo]:
    with store.session() as session:
        return [_info(r) for r in session.scalars(select(ApiToken).order_by(ApiToken.id))]


def revoke(store: Store, name: str) -> TokenInfo:
    with store.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == name))
        if row is None:
            raise NotFoundError("token", name)
        if row.revoked_at is None:
            row.revoked_at = time.time()
        return _info(row)
