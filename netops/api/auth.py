"""Authentication, roles and the audit trail of the HTTP API.

Every route except ``/healthz`` and ``/metrics`` needs ``Authorization: Bearer <token>``; each router is
included with the roles its reads and writes need (``api/app.py`` holds the table). A wrong or missing token
gets 401, a weaker role 403. Order (``AuthenticatedRoute``, the route class of those routers): the token first
(401/429; from then on the audit knows the actor), then the body (malformed JSON, duplicate keys or too deep
nesting: 400), then the role (403), then the body's fields (422).

**Failure limiter.** A valid token is checked first and always passes: failures of others never lock it out.
A failing credential is counted per (credential, client): after ``FAILURE_LIMIT`` failures of the same
credential from the same client in ``FAILURE_WINDOW_S``, or ``CLIENT_FAILURE_LIMIT`` failures of any credentials
from the client, its failing attempts get 429 until the window passes.

**The client.** The peer address of the connection, unless that peer is one of the configured proxies
(``NETOPS_TRUSTED_PROXIES``, empty by default): then the rightmost address of ``X-Forwarded-For`` that is not
itself a trusted proxy. Nobody else can choose the address the limiter and the audit see.

**Audit** (``Audit``, outermost middleware): every mutating call (POST, PUT, PATCH, DELETE), allowed or not, and
every refusal of an authenticated client (401, 403, 413, 429, any 5xx, whatever the method) is one row, actor
``token:<name>``, written before the answer's last byte leaves. Refusals before authentication are counted per
client and minute (``netops.auth.audit.Refusals``) and written as one row each minute. An audit write that
fails (disk full) is counted (``StoreHealth``) and does not change the answer.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import anyio
from fastapi import HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netops.api.health import StoreHealth
from netops.auth import audit
from netops.auth.tokens import Role, TokenInfo, digest, needs_touch, touch, verify
from netops.errors import InvalidInputError
from netops.runtime import Runtime

FAILURE_LIMIT = 10
CLIENT_FAILURE_LIMIT = 100
FAILURE_WINDOW_S = 60.0
MAX_KEYS = 10_000
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSALS = frozenset({401, 403, 413, 429})
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(text: str) -> tuple[Network, ...]:
    """``NETOPS_TRUSTED_PROXIES``: comma-separated addresses or networks."""
    nets = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise InvalidInputError(
                f"NETOPS_TRUSTED_PROXIES: {part!r} is not an address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
            ) from None
    return tuple(nets)


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(scope: Scope, proxies: Sequence[Network]) -> str:
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = []
    for key, value in scope.get("headers", []):
        if key == b"x-forwarded-for":
            hops += [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
    for hop in reversed(hops):
        if _trusted(hop, proxies):
            continue
        try:
            return str(ipaddress.ip_address(hop))
        except ValueError:
            return peer  # garbage where an address belongs: the proxy's own address is what we know
    return peer


def request_client(request: Request) -> str:
    return client_address(request.scope, getattr(request.app.state, "trusted_proxies", ()))


class FailureLimiter:
    """Authentication failures in a sliding window, per (credential, client) and per client."""

    def __init__(
        self,
        limit: int = FAILURE_LIMIT,
        window_s: float = FAILURE_WINDOW_S,
        client_limit: int = CLIENT_FAILURE_LIMIT,
    ) -> None:
        self.limit, self.window_s, self.client_limit = limit, window_s, client_limit
        self._fails: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def blocked(self, credential: str, client: str) -> bool:
        now = time.monotonic()
        return len(self._recent(f"{credential} {client}", now)) >= self.limit or len(
            self._recent(client, now)
        ) >= max(self.limit, self.client_limit)

    def fail(self, credential: str, client: str) -> None:
        now = time.monotonic()
        self._recent(f"{credential} {client}", now).append(now)
        self._recent(client, now).append(now)
        if len(self._fails) > MAX_KEYS:  # random credentials must not grow memory without end
            for key in [k for k, q in self._fails.items() if not q or now - q[-1] > self.window_s]:
                del self._fails[key]
            while len(self._fails) > MAX_KEYS:
                del self._fails[next(iter(self._fails))]


def authenticate(request: Request) -> TokenInfo:
    """The token of the request (401 without a valid one, 429 when its failures are over the limit), checked
    once per request and kept in ``request.state`` with the actor and role the audit records."""
    known: TokenInfo | None = getattr(request.state, "token", None)
    if known is not None:
        return known
    rt: Runtime = request.app.state.runtime
    limiter: FailureLimiter = request.app.state.auth_limiter
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    info = verify(rt.store, token) if token else None
    if info is None:
        client = request_client(request)
        credential = digest(token)[:16] if token else "-"
        if limiter.blocked(credential, client):
            raise HTTPException(
                429,
                "too many failed authentications; try again later",
                headers={"Retry-After": str(int(limiter.window_s))},
            )
        limiter.fail(credential, client)
        raise HTTPException(
            401,
            "a valid bearer token is needed (netops token create)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if needs_touch(info):
        health: StoreHealth = request.app.state.store_health
        health.side_write("token last_used_at", lambda: touch(rt.store, info.id))
    request.state.token = info
    request.state.actor = audit.token_actor(info.name)
    request.state.role = str(info.role)
    return info


def roles(read: Role, write: Role | None = None) -> Callable[[Request], TokenInfo]:
    """A dependency: GET/HEAD need ``read``; other methods need ``write`` (refused if the router has none)."""

    def check(request: Request) -> TokenInfo:
        info = authenticate(request)  # done already by ``AuthenticatedRoute`` before the body was read
        needed = read if request.method in ("GET", "HEAD") else write
        if needed is None or info.role < needed:
            what = "this method" if needed is None else f"role {needed} or higher"
            raise HTTPException(403, f"token {info.name!r} has role {info.role}; {what} is needed")
        return info

    return check


SAFE_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            named = f"{key!r}" if SAFE_KEY.fullmatch(key) else "(a name that is not an identifier, not shown)"
            raise json.JSONDecodeError(f"duplicate key {named}", "", 0)
        seen[key] = value
    return seen


class StrictJsonRequest(Request):
    """A request whose JSON body refuses duplicate keys (not last-wins) and nesting deeper than the parser
    takes: both are ``JSONDecodeError``, the one path to 400 ``bad_request`` (``api/errors.py``)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            text = await self.body()
            try:
                self._json = json.loads(text, object_pairs_hook=_no_duplicates)
            except RecursionError:
                raise json.JSONDecodeError("nested deeper than this service takes", "", 0) from None
        return self._json


class AuthenticatedRoute(APIRoute):
    """The route class of every router that needs a token: authentication first (401/429, and the actor the
    audit records), then the body (strict JSON), then the role (403, the router's ``roles`` dependency).
    Authentication here is on when the app says so (``app.state.authenticate``, set by ``create_app``): a router
    mounted alone on a bare app (a test) has no token check, as without its ``roles`` dependency."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def authenticated(request: Request) -> Response:
            if getattr(request.app.state, "authenticate", False):  # set by create_app; a bare test app: off
                await run_in_threadpool(authenticate, request)
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return authenticated


class Audit:
    """ASGI middleware (outermost): the audit rows of the API (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})  # request.state of the route, the same dict
        status = 0
        written = False

        async def audited(message: Message) -> None:
            nonlocal status, written
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body") and not written:
                written = True
                await self._write(scope, state, status)
            await send(message)

        try:
            await self.app(scope, receive, audited)
        except BaseException:
            if not written:
                written = True
                with anyio.CancelScope(shield=True):
                    await self._write(scope, state, status if status >= 400 else 500)
            raise
        if not written and status:
            await self._write(scope, state, status)

    async def _write(self, scope: Scope, state: dict[str, Any], status: int) -> None:
        app: Any = scope["app"]
        actor: str | None = state.get("actor")
        method, path = scope["method"], scope["path"]
        client = client_address(scope, getattr(app.state, "trusted_proxies", ()))
        health: StoreHealth = app.state.store_health
        if actor is None:
            if status >= 400:
                app.state.refusals.add(client, status, f"{method} {path}")
            return
        if method not in MUTATING and status not in REFUSALS and status < 500:
            return
        rt: Runtime = app.state.runtime

        def write() -> None:
            audit.record(
                rt.store,
                actor=actor,
                role=state.get("role"),
                action=f"{method} {path}",
                outcome=str(status),
                detail={"client": client},
            )

        await anyio.to_thread.run_sync(lambda: health.side_write("audit", write))
