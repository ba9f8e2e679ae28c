"""Authentication, roles and the audit trail of the HTTP API.

Every route except ``/healthz`` and ``/metrics`` needs ``Authorization: Bearer <token>``; each router is
included with the roles its reads and writes need (``api/app.py`` holds the table). Wrong or missing tokens get
401, a weaker role 403; a client with more than ``FAILURE_LIMIT`` failures in ``FAILURE_WINDOW_S`` gets 429
until the window passes. Every mutating call (POST, PUT, PATCH, DELETE), allowed or not, is written to the
audit log with who, what and the status code.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from netops.auth import audit
from netops.auth.tokens import Role, TokenInfo, verify
from netops.runtime import Runtime

FAILURE_LIMIT = 10
FAILURE_WINDOW_S = 60.0
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class FailureLimiter:
    """Authentication failures per client address in a sliding window."""

    def __init__(self, limit: int = FAILURE_LIMIT, window_s: float = FAILURE_WINDOW_S) -> None:
        self.limit, self.window_s = limit, window_s
        self._fails: dict[str, deque[float]] = {}

    def _recent(self, client: str, now: float) -> deque[float]:
        q = self._fails.setdefault(client, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def blocked(self, client: str) -> bool:
        return len(self._recent(client, time.monotonic())) >= self.limit

    def fail(self, client: str) -> None:
        self._recent(client, time.monotonic()).append(time.monotonic())


def roles(read: Role, write: Role | None = None) -> Callable[[Request], TokenInfo]:
    """A dependency: GET/HEAD need ``read``; other methods need ``write`` (refused if the router has none)."""

    def check(request: Request) -> TokenInfo:
        rt: Runtime = request.app.state.runtime
        limiter: FailureLimiter = request.app.state.auth_limiter
        client = request.client.host if request.client else "unknown"
        if limiter.blocked(client):
            raise HTTPException(
                429,
                "too many failed authentications; try again later",
                headers={"Retry-After": str(int(FAILURE_WINDOW_S))},
            )
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        info = verify(rt.store, token.strip()) if scheme.lower() == "bearer" and token else None
        if info is None:
            limiter.fail(client)
            raise HTTPException(
                401,
                "a valid bearer token is needed (netops token create)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        request.state.actor = info
        needed = read if request.method in ("GET", "HEAD") else write
        if needed is None or info.role < needed:
            what = "this method" if needed is None else f"role {needed} or higher"
            raise HTTPException(403, f"token {info.name!r} has role {info.role}; {what} is needed")
        return info

    return check


def install_audit(app: FastAPI) -> None:
    @app.middleware("http")
    async def audit_mutations(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if request.method in MUTATING:
            actor: TokenInfo | None = getattr(request.state, "actor", None)
            rt: Runtime = request.app.state.runtime
            await run_in_threadpool(
                audit.record,
                rt.store,
                actor=actor.name if actor else "anonymous",
                role=str(actor.role) if actor else None,
                action=f"{request.method} {request.url.path}",
                outcome=str(response.status_code),
                detail={"client": request.client.host if request.client else None},
            )
        return response
