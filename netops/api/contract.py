"""The API contract in ``/openapi.json``: short operation ids (the route function's name: ``list_sites``,
``start_change``), the bearer security scheme on every route but ``/healthz`` and ``/metrics``, and for every
route the error statuses it can answer, each as RFC 9457 problem details (``Problem``,
``application/problem+json``). FastAPI's own validation-error schema is replaced: a 422 is a problem too.

Which statuses a route documents (``error_statuses``): every authenticated route 401 (no or a wrong token),
403 (a weaker role), 404 (an unknown id, or an unknown name in a query), 422 (a parameter or body that is not
valid), 429 (too many failed authentications), 500 (a bug) and 503 (the store cannot be used, or the
device-work pool is full); a route with a body also 400 (a body that is not JSON), 409 (a conflict: a run
already waiting, a conference from the inventory) and 413 (the body limit, ``api/limits.py``); a route that
talks to devices while the request waits also 502 (the device failed). ``tests/api/test_contract.py`` walks
this description against real answers and runs schemathesis over it.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from netops.api.errors import PROBLEM_JSON
from netops.api.models import Problem

OPEN = frozenset({"/healthz", "/metrics"})
WEBHOOK = "/alerts/alertmanager"
DEVICE_WORK = frozenset(
    {"/devices/{device_id}/config/diff", "/conferences/{conf_id}/precheck", "/runbooks/{ident}/plan"}
)
WITH_BODY = frozenset({"post", "put", "patch"})
HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
    429: {"Retry-After": {"schema": {"type": "string"}, "description": "seconds"}},
    503: {"Retry-After": {"schema": {"type": "string"}, "description": "seconds (device-work pool full)"}},
}


def short_id(route: APIRoute) -> str:
    """The operation id: the route function's name (unique across the API; checked by the contract test)."""
    return route.name


def error_statuses(path: str, method: str) -> list[int]:
    if path in OPEN:
        return [500]
    if path == WEBHOOK:
        return [400, 401, 413, 500, 503]
    out = {401, 403, 404, 422, 429, 500, 503}
    if method in WITH_BODY or method == "delete":
        out |= {409}
    if method in WITH_BODY:
        out |= {400, 413}
    if path in DEVICE_WORK:
        out |= {502}
    return sorted(out)


def _problem(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": f"{HTTPStatus(status).phrase} (problem details)",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status in HEADERS:
        answer["headers"] = HEADERS[status]
    return answer


def describe(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["Problem"] = problem
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "an API token (netops token create --name N --role viewer|operator|engineer|admin)",
        },
        "alertmanager": {
            "type": "http",
            "scheme": "bearer",
            "description": "the secret 'alertmanager-webhook' (Alertmanager's http_config.authorization)",
        },
    }
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            if path in OPEN:
                op["security"] = []
            else:
                op["security"] = [{"alertmanager" if path == WEBHOOK else "bearer": []}]
            responses = op.setdefault("responses", {})
            responses.pop("422", None)  # FastAPI's validation-error shape: ours is a problem
            for status in error_statuses(path, method):
                responses[str(status)] = _problem(status)
    return schema


def install_contract(app: FastAPI) -> None:
    """Serve ``describe(app)`` as ``/openapi.json`` (built once, at the first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe(app)
        return app.openapi_schema

    setter: Callable[[], dict[str, Any]] = openapi
    app.openapi = setter  # type: ignore[method-assign]
