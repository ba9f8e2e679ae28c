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

from fastapi import APIRouter, HTTPException, Request

from netops.api.runbook_routes import ServiceDep
from netops.errors import SecretError
from netops.inventory.models import SecretRef
from netops.runbooks.triggers import handle_alertmanager

router = APIRouter(tags=["alerts"])
WEBHOOK_SECRET = SecretRef("alertmanager-webhook")


def _authorize(request: Request) -> None:
    try:
        expected = request.app.state.runtime.secrets.get(WEBHOOK_SECRET)
    except SecretError:
        raise HTTPException(503, "set the secret 'alertmanager-webhook' to enable this webhook") from None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise HTTPException(
            401, "the webhook's bearer secret is needed", headers={"WWW-Authenticate": "Bearer"}
        )


@router.post("/alerts/alertmanager")
async def alertmanager(request: Request, svc: ServiceDep) -> dict[str, Any]:
    _authorize(request)
    try:
        payload = await request.json()
    except ValueError:
        raise HTTPException(400, "expected a JSON body") from None
    if not isinstance(payload, dict) or str(payload.get("version", "4")) != "4":
        raise HTTPException(400, "expected an Alertmanager webhook, version 4")
    return {"status": payload.get("status"), "results": handle_alertmanager(svc, payload)}
