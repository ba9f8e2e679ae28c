"""Admin routes: the audit log and the tokens (names and roles only; a token is never shown again)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from netops.api import models as m
from netops.api.auth import AuthenticatedRoute
from netops.api.deps import RuntimeDep
from netops.auth import audit, tokens

router = APIRouter(tags=["admin"], route_class=AuthenticatedRoute)


@router.get("/audit", response_model=list[m.AuditEntry])
def audit_log(
    rt: RuntimeDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100, actor: str | None = None
) -> list[dict[str, Any]]:
    return [e.as_dict() for e in audit.entries(rt.store, limit=limit, actor=actor)]


@router.get("/tokens", response_model=list[m.TokenView])
def token_list(rt: RuntimeDep) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "role": str(t.role),
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked": t.revoked_at is not None,
        }
        for t in tokens.list_tokens(rt.store)
    ]
