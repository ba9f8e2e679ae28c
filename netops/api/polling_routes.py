"""Polling routes: the region's status with root cause, one device's health, incidents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from netops.api import models as m
from netops.api.auth import AuthenticatedRoute
from netops.api.deps import RuntimeDep
from netops.polling import queries

router = APIRouter(tags=["status"], route_class=AuthenticatedRoute)


@router.get("/status", response_model=m.RegionStatus)
def region_status(rt: RuntimeDep) -> dict[str, Any]:
    return queries.status(rt.store, rt.topology)


@router.get("/devices/{device_id}/health", response_model=m.DeviceHealth)
def device_health(rt: RuntimeDep, device_id: str) -> dict[str, Any]:
    return queries.device_health(rt.store, rt.topology, device_id)


@router.get("/incidents", response_model=list[m.Incident])
def list_incidents(
    rt: RuntimeDep,
    state: Literal["open", "resolved", "all"] = "all",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[dict[str, Any]]:
    return queries.incidents(rt.store, state=state, limit=limit)
