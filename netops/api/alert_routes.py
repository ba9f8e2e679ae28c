"""``POST /alerts/alertmanager``: Alertmanager's webhook (version 4) starts and stops runbooks.

Its own authentication, apart from the API tokens: Alertmanager sends ``Authorization: Bearer <secret>``
(``http_config.authorization.credentials`` in its receiver), compared in constant time with the secret
``alertmanager-webhook`` (``NETOPS_SECRET_ALERTMANAGER_WEBHOOK`` or the secrets file). Without that secret the
route refuses every call (401): an open webhook would let anyone start runbooks. The body is checked at once (a
malformed notification: 400 naming the field) and the route answers 202 at once; the alerts are acted on in the
background (``netops.runbooks.alerts.AlertInbox``, in arrival order) and runs execute in the background.
Include this router WITHOUT the token-role dependency. Its body limit is ``api/limits.py``'s.
"""

from __future__ import annotations

import hmac
from typing import Any, cast

from fastapi import APIRouter, HTTPException, Request

from netops.api import models as m
from netops.api.runbook_routes import ServiceDep
from netops.errors import InvalidInputError, SecretError
from netops.inventory.models import SecretRef
from netops.runbooks.alerts import AlertInbox, parse

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
    request.state.actor = "alertmanager"  # the audit's actor for this call


def inbox_of(request: Request) -> AlertInbox:
    inbox = getattr(request.app.state, "alert_inbox", None)
    if inbox is None:
        inbox = request.app.state.alert_inbox = AlertInbox()
    return cast(AlertInbox, inbox)


@router.post("/alerts/alertmanager", status_code=202, response_model=m.AlertsAccepted)
async def alertmanager(request: Request, svc: ServiceDep) -> dict[str, Any]:
    _authorize(request)
    try:
        note = parse(await request.body())
    except InvalidInputError as exc:
        raise HTTPException(400, str(exc)) from None
    number = inbox_of(request).submit(svc, note)
    return {"status": "accepted", "notification": number, "alerts": len(note.alerts)}
