"""Every error the API answers, in one place and one shape. Routes and services never build error responses.

The shape is RFC 9457 problem details, ``Content-Type: application/problem+json``::

    {"type": "urn:netops:problem:not_found", "title": "Not found", "status": 404,
     "detail": "no device 'kashgar-ce9' (did you mean kashgar-ce1?)", "error": "not_found",
     "kind": "device", "id": "kashgar-ce9"}

``type`` is ``urn:netops:problem:<error>``, ``error`` the same code alone (what clients switch on), ``detail``
the message for a person; some errors add structured fields (extension members, RFC 9457 section 3.2).
The model is ``Problem`` (``api/contract.py`` documents it for every error status of every route):

======================================  ======  ========================  ==============================
raised                                  status  ``error``                 extra fields
======================================  ======  ========================  ==============================
``NotFoundError``                       404     ``not_found``             ``kind``, ``id``
``PermissionDeniedError``               403     ``forbidden``
``ConflictError``                       409     ``conflict``
``InvalidInputError``                   422     ``invalid``               ``problems`` when it has them
``InventoryError``                      422     ``inventory_invalid``     ``problems``
``DeviceError``                         502     ``device_failed``         ``device``
``StoreError``                          503     ``store_unavailable``
``devicework.Busy`` (pool saturated)    503     ``busy``                  (``Retry-After`` header)
other ``NetopsError``                   500     ``netops_error``
FastAPI's ``RequestValidationError``    422     ``invalid``               ``problems`` ("body.field: msg")
  ... of a body that is not JSON        400     ``bad_request``           (duplicate keys, too deep: same)
``HTTPException`` (401, 403, 404, ...)  its     by status (see ``CODES``)
SQLAlchemy ``OperationalError``          503     ``store_unavailable``     (logged; the database is unusable)
anything else                           500     ``internal``              (logged with its traceback)
======================================  ======  ========================  ==============================

The first row that matches wins. 4xx answers never echo the request body: only where and what. A value quoted
in a message (``found 'Gi0/0/1;reload'``) is shown only when it is a known-safe identifier (``SAFE_VALUE``: up
to 64 letters, digits and ``_ . : / @ -``, e.g. ``kashgar-ce9``, ``Gi0/0/1``), else replaced by
``(value not shown)`` (``withhold``): a message names the field and the rule, never hands input back.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netops.api.devicework import Busy
from netops.errors import (
    ConflictError,
    DeviceError,
    InvalidInputError,
    InventoryError,
    NetopsError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
)

log = logging.getLogger(__name__)

# (base class, status, code), first match wins
MAPPING: tuple[tuple[type[NetopsError], int, str], ...] = (
    (NotFoundError, 404, "not_found"),
    (PermissionDeniedError, 403, "forbidden"),
    (ConflictError, 409, "conflict"),
    (InvalidInputError, 422, "invalid"),
    (InventoryError, 422, "inventory_invalid"),
    (DeviceError, 502, "device_failed"),
    (StoreError, 503, "store_unavailable"),
    (Busy, 503, "busy"),
    (NetopsError, 500, "netops_error"),
)
CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
    500: "internal", 502: "device_failed", 503: "unavailable",
}  # fmt: skip
INTERNAL = "internal server error; the service log has the details"
STORE_DOWN = (
    "the database cannot be used now (full, read-only or unreachable); the service log has the details"
)


PROBLEM_JSON = "application/problem+json"
TITLES = {
    "bad_request": "Bad request", "unauthorized": "Authentication needed", "forbidden": "Forbidden",
    "not_found": "Not found", "method_not_allowed": "Method not allowed", "conflict": "Conflict",
    "too_large": "Request body too large", "unsupported_media_type": "Unsupported media type",
    "invalid": "Invalid request", "inventory_invalid": "Invalid inventory", "too_many_requests": "Too many requests",
    "device_failed": "Device failed", "store_unavailable": "Store unavailable", "netops_error": "netops error",
    "internal": "Internal error", "unavailable": "Service unavailable", "busy": "Device work saturated",
}  # fmt: skip


def body(code: str, detail: str, status: int = 500, **fields: Any) -> dict[str, Any]:
    """The one error body shape (RFC 9457 problem details with the ``error`` code as an extension)."""
    title = TITLES.get(code, code.replace("_", " ").capitalize())
    return {"type": f"urn:netops:problem:{code}", "title": title, "status": status, "detail": detail,
            "error": code, **fields}  # fmt: skip


def problem(
    status: int, code: str, detail: str, headers: dict[str, str] | None = None, **fields: Any
) -> JSONResponse:
    return JSONResponse(
        body(code, detail, status, **fields), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def answer(exc: NetopsError) -> JSONResponse:
    """The HTTP answer to a netops error (by the first base in ``MAPPING`` it is an instance of)."""
    status, code = next((s, c) for base, s, c in MAPPING if isinstance(exc, base))
    fields: dict[str, Any] = {}
    if isinstance(exc, NotFoundError):
        fields = {"kind": exc.kind, "id": exc.ident if SAFE_VALUE.fullmatch(exc.ident) else WITHHELD}
    elif isinstance(exc, DeviceError):
        fields = {"device": exc.device}
    problems = getattr(exc, "problems", None)
    if isinstance(problems, list):
        fields["problems"] = [withhold(str(p)) if status < 500 else str(p) for p in problems]
    detail = str(exc) if not isinstance(exc, InventoryError) else str(exc).partition(":")[0]
    detail = withhold(detail) if status < 500 else detail
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, Busy) else None
    return problem(status, code, detail, headers, **fields)


SAFE_VALUE = re.compile(r"[A-Za-z0-9_.:/@-]{1,64}")
WITHHELD = "(value not shown)"
# a Python repr of a string: opened after the start, a space or ([{:=, and closed before the end, a space or )]},;:.
QUOTED = re.compile(r"""(?<![^\s(\[{:=,])('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")(?=$|[\s)\]},;:.])""")


def withhold(text: str) -> str:
    """``text`` with every quoted value that is not a known-safe identifier replaced by ``(value not shown)``."""

    def keep(match: re.Match[str]) -> str:
        return match[0] if SAFE_VALUE.fullmatch(match[0][1:-1]) else WITHHELD

    return QUOTED.sub(keep, text)


def _where(loc: tuple[int | str, ...] | list[int | str]) -> str:
    return ".".join(str(part) for part in loc)


class InternalErrors:
    """ASGI middleware: an unexpected exception becomes a logged 500 with a generic body (inside the audit
    middleware, so the audit log records the 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except (
            OperationalError
        ):  # the database cannot be used (gone, full, read-only, damaged): not a bug here
            log.exception("%s %s failed: the database", scope.get("method"), scope.get("path"))
            if started:
                raise
            await problem(503, "store_unavailable", STORE_DOWN)(scope, receive, send)
        except Exception:
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            if started:
                raise
            await problem(500, "internal", INTERNAL)(scope, receive, send)


def _problem_text(error: Any) -> str:
    """``body.reason: Field required``; a validator's own message (``value_error``) may quote the input: withheld."""
    msg = str(error.get("msg", "invalid"))
    if error.get("type") in ("value_error", "assertion_error"):
        msg = withhold(msg)
    return f"{_where(error.get('loc', ()))}: {msg}"


def install_error_handlers(app: FastAPI) -> None:
    """Install the mapping; call before ``install_audit`` so unexpected errors are audited as 500s."""

    @app.exception_handler(NetopsError)
    async def netops_error(_request: Request, exc: NetopsError) -> JSONResponse:
        return answer(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        unparsable = [e for e in exc.errors() if e.get("type") == "json_invalid"]
        if unparsable:  # not JSON, a duplicate key, too deep: 400 (the token was checked before, api/auth.py)
            reason = str((unparsable[0].get("ctx") or {}).get("error") or "JSON decode error")
            return problem(400, "bad_request", f"the request body is not valid JSON: {reason}")
        problems = [_problem_text(e) for e in exc.errors()]
        detail = f"the request is not valid: {problems[0]}" if problems else "the request is not valid"
        return problem(422, "invalid", detail, problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = CODES.get(exc.status_code, "internal" if exc.status_code >= 500 else "bad_request")
        return problem(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}))

    app.add_middleware(InternalErrors)
