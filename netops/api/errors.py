"""Every error the API answers, in one place and one shape. Routes and services never build error responses.

The body is always ``{"error": CODE, "detail": MESSAGE, ...}``; some errors add structured fields:

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
other ``NetopsError``                   500     ``netops_error``
FastAPI's ``RequestValidationError``    422     ``invalid``               ``problems`` ("body.field: msg")
``HTTPException`` (401, 403, 404, ...)  its     by status (see ``CODES``)
anything else                           500     ``internal``              (logged with its traceback)
======================================  ======  ========================  ==============================

The first row that matches wins. 422 answers never echo the request body: only where and what.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    (NetopsError, 500, "netops_error"),
)
CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
    500: "internal", 503: "unavailable",
}  # fmt: skip
INTERNAL = "internal server error; the service log has the details"


def body(code: str, detail: str, **fields: Any) -> dict[str, Any]:
    """The one error body shape."""
    return {"error": code, "detail": detail, **fields}


def answer(exc: NetopsError) -> JSONResponse:
    """The HTTP answer to a netops error (by the first base in ``MAPPING`` it is an instance of)."""
    status, code = next((s, c) for base, s, c in MAPPING if isinstance(exc, base))
    fields: dict[str, Any] = {}
    if isinstance(exc, NotFoundError):
        fields = {"kind": exc.kind, "id": exc.ident}
    elif isinstance(exc, DeviceError):
        fields = {"device": exc.device}
    problems = getattr(exc, "problems", None)
    if isinstance(problems, list):
        fields["problems"] = [str(p) for p in problems]
    detail = str(exc) if not isinstance(exc, InventoryError) else str(exc).partition(":")[0]
    return JSONResponse(body(code, detail, **fields), status_code=status)


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
        except Exception:
            log.exception("%s %s failed", scope.get("method"), scope.get("path"))
            if started:
                raise
            await JSONResponse(body("internal", INTERNAL), status_code=500)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Install the mapping; call before ``install_audit`` so unexpected errors are audited as 500s."""

    @app.exception_handler(NetopsError)
    async def netops_error(_request: Request, exc: NetopsError) -> JSONResponse:
        return answer(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
        detail = f"the request is not valid: {problems[0]}" if problems else "the request is not valid"
        return JSONResponse(body("invalid", detail, problems=problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = CODES.get(exc.status_code, "internal" if exc.status_code >= 500 else "bad_request")
        return JSONResponse(
            body(code, str(exc.detail)), status_code=exc.status_code, headers=dict(exc.headers or {})
        )

    app.add_middleware(InternalErrors)
