"""Acting on incidents: an on-call engineer acknowledges one (who, when, a note), so the NOC sees it is taken."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from netops.api import models as m
from netops.api.auth import AuthenticatedRoute
from netops.api.deps import RuntimeDep
from netops.api.limits import RowId
from netops.polling import queries

router = APIRouter(tags=["status"], route_class=AuthenticatedRoute)


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=500)


@router.post("/incidents/{incident_id}/acknowledge", response_model=m.Incident)
def acknowledge(rt: RuntimeDep, request: Request, incident_id: RowId, body: AckIn) -> dict[str, Any]:
    return queries.acknowledge(rt.store, incident_id, request.state.actor, body.note)
