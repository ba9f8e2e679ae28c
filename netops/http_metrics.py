"""HTTP request metrics: a small ASGI middleware counting requests and timing them by method, route template
and status, on the app's own registry (``/metrics``).

    client ─▶ HttpMetrics ─▶ (the other middlewares, the router, the route) ─▶ response
                  └─ netops_http_requests_total{method,route,status}
                     netops_http_request_duration_seconds{method,route}   (histogram)

Labels stay bounded: ``route`` is the template the router matched (``/devices/{device_id}``), never the raw
path (an unmatched request is ``route="unmatched"``); ``method`` is one of the HTTP methods or ``other``;
``status`` is the response's code (``500`` when the app raised before answering). The time runs from the
request's arrival to the last byte of the response handed to the server.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
# API calls answer in milliseconds; a device action (push, precheck) may take many seconds
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def route_template(scope: Scope) -> str:
    """The path template of the route the router matched (set in the scope as it dispatched)."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class HttpMetrics:
    """ASGI middleware: ``app.add_middleware(HttpMetrics, registry=registry)``."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "netops_http_requests",
            "HTTP requests answered, by method, route template and status code",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "netops_http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by method and route template",
            ["method", "route"],
            buckets=BUCKETS,
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            method = scope.get("method", "")
            method = method if method in METHODS else "other"
            route = route_template(scope)
            self.requests.labels(method, route, str(status)).inc()
            self.duration.labels(method, route).observe(time.perf_counter() - started)
