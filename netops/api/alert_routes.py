"""``POST /alerts/alertmanager``: Alertmanager's webhook (version 4) starts and stops runbooks.

Its own authentication, apart from the API tokens: Alertmanager sends ``Authorization: Bearer <secret>``
(``http_config.authorization.credentials`` in its receiver), compared in constant time with the secret
``alertmanager-webhook`` (``NETOPS_SECRET_ALERTMANAGER_WEBHOOK`` or the secrets file). Without that secret the
route refuses every call (401): an open webhook would let anyone start runbooks. It answers at once: runs execute in the
background. Include this router WITHOUT the token-role dependency.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from netops.api.runbook_routes import ServiceDep
from netops.errors import SecretError
from netops.inventory.models import SecretRef
from netops.runbooks.triggers import handle_alertmanager

router = APIRouter(tags=["alerts"])
WEBHOOK_SECRET = SecretRef("alertmanager-webhook")


def _authorized(request: Request) -> JSONResponse | None:
    try:
        expected = request.app.state.runtime.secrets.get(WEBHOOK_SECRET)
    except SecretError:
        return JSONResponse(
            {"error": "disabled", "detail": "set the secret 'alertmanager-webhook' to enable this webhook"},
            status_code=503,
        )
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        return JSONResponse(
            {"error": "unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return None


@router.post("/alerts/alertmanager", response_model=None)
async def alertmanager(request: Request, svc: ServiceDep) -> dict[str, Any] | JSONResponse:
    refused = _authorized(request)
    if refused is not None:
        return refused
    try:
        payload = await request.json()
    except ValueError:
        return JSONResponse({"error": "invalid", "detail": "expected a JSON body"}, status_code=400)
    if not isinstance(payload, dict) or str(payload.get("version", "4")) != "4":
        return JSONResponse(
            {"error": "invalid", "detail": "expected an Alertmanager webhook, version 4"}, 400
        )
    return {"status": payload.get("status"), "results": handle_alertmanager(svc, payload)}
