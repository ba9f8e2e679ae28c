"""Request body limits: an ASGI middleware that refuses a body larger than its route's limit with 413, before the
route (its authentication, its JSON parsing) sees any of it, and before more than the limit was read.

A declared ``Content-Length`` over the limit is refused at once, nothing read; a chunked body is counted as it
streams in, and refused at the first chunk past the limit (the route then sees a client that went away, and
whatever it answers is dropped: the client already has the 413). Nothing of the body is ever echoed. The limit
is ``DEFAULT_LIMIT`` (1 MiB) unless ``LIMITS`` names the route: Alertmanager's notifications carry every
alert of a group (``max_alerts: 0``).
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import Path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netops.api.errors import PROBLEM_JSON
from netops.api.errors import body as error_body

log = logging.getLogger(__name__)
MiB = 1024 * 1024
DEFAULT_LIMIT = 1 * MiB
MAX_ROW_ID = 2**63 - 1  # the largest id a database row has (64-bit signed)
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]  # a path id: huge or negative values are 422, never 500
# (method, path) -> the largest body the route takes
LIMITS: dict[tuple[str, str], int] = {
    ("POST", "/alerts/alertmanager"): 16 * MiB,
}


class BodyLimit:
    def __init__(
        self, app: ASGIApp, default: int = DEFAULT_LIMIT, limits: dict[tuple[str, str], int] | None = None
    ) -> None:
        self.app, self.default = app, default
        self.limits = LIMITS if limits is None else limits

    def limit(self, method: str, path: str) -> int:
        return self.limits.get((method, path.rstrip("/") or "/"), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared == -1:
            await _answer(send, 400, "bad_request", "the Content-Length header is not a number")
            return
        if declared is not None and declared > limit:
            await _answer(send, 413, "too_large", _too_large(limit))
            return
        seen = 0
        refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    await _answer(send, 413, "too_large", _too_large(limit))
                    log.warning("%s %s: body over %d bytes refused", scope["method"], scope["path"], limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not refused:  # after a 413 the client has its answer: what the route says is dropped
                await send(message)

        await self.app(scope, counted, guarded)


def _content_length(scope: Scope) -> int | None:
    """The declared length; ``None`` if absent (chunked), -1 if not a number."""
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 20 else -1
    return None


def _too_large(limit: int) -> str:
    return f"the request body is larger than this route takes ({limit} bytes)"


async def _answer(send: Send, status: int, code: str, detail: str) -> None:
    body = json.dumps(error_body(code, detail, status)).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
