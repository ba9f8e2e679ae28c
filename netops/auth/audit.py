"""The audit log: append-only records of every mutating call and approval. Nothing here updates or deletes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from netops.store.db import Store
from netops.store.schema import AuditEntry


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: float
    actor: str
    role: str | None
    action: str
    target: str | None
    outcome: str
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "detail": self.detail,
        }


def record(
    store: Store,
    *,
    actor: str,
    action: str,
    outcome: str,
    role: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    with store.session() as session:
        session.add(
            AuditEntry(
                at=time.time(),
                actor=actor,
                role=role,
                action=action,
                target=target,
                outcome=outcome,
                detail=detail or {},
            )
        )


def entries(
    store: Store, *, limit: int = 100, actor: str | None = None, since: float | None = None
) -> list[AuditRecord]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    with store.session() as session:
        return [
            AuditRecord(r.id, r.at, r.actor, r.role, r.action, r.target, r.outcome, dict(r.detail))
            for r in session.scalars(query)
        ]
