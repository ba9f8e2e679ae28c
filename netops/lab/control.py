"""The running lab's HTTP control API (127.0.0.1 only): status, faults, shutdown.

Served by the lab process next to its simulators; ``netops lab status|fault|down`` are clients of it.

| route | what |
| --- | --- |
| `GET /status` | devices simulated, which answer, active faults, counters per simulator |
| `GET /faults` | active faults |
| `POST /faults` | `{"kind": ..., "target": ..., "params": {...}}` -> the fault with its id |
| `DELETE /faults/{id}` / `DELETE /faults` | clear one / all |
| `POST /shutdown` | stop the lab cleanly |
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from netops.errors import LabError, NotFoundError
from netops.lab.faults import KINDS, FaultBook


class FaultRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description=f"one of {', '.join(KINDS)}")
    target: str
    params: dict[str, Any] = Field(default_factory=dict)


def create_control_app(
    book: FaultBook, stop: asyncio.Event, counters: Callable[[], dict[str, Any]], started_at: float
) -> FastAPI:
    app = FastAPI(title="netops lab control", docs_url=None, redoc_url=None)
    world = book.world

    @app.exception_handler(LabError)
    async def lab_error(_r: Request, exc: LabError) -> JSONResponse:
        return JSONResponse({"error": "lab_error", "detail": str(exc)}, status_code=400)

    @app.exception_handler(NotFoundError)
    async def not_found(_r: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"error": "not_found", "detail": str(exc)}, status_code=404)

    @app.get("/status")
    def status() -> dict[str, Any]:
        silent = sorted(d for d, s in world.devices.items() if not s.answers)
        return {
            "inventory": world.inventory.directory,
            "started_at": started_at,
            "uptime_s": round(time.time() - started_at, 1),
            "devices": len(world.devices),
            "silent_devices": silent,
            "down_links": sorted(world.down_links),
            "faults": [f.as_dict() for f in book.active()],
            "counters": counters(),
        }

    @app.get("/faults")
    def faults() -> list[dict[str, Any]]:
        return [f.as_dict() for f in book.active()]

    @app.post("/faults", status_code=201)
    def add_fault(req: FaultRequest) -> dict[str, Any]:
        return book.apply(req.kind, req.target, req.params).as_dict()

    @app.delete("/faults/{fault_id}")
    def clear_fault(fault_id: int) -> dict[str, Any]:
        return book.clear(fault_id).as_dict()

    @app.delete("/faults")
    def clear_faults() -> list[dict[str, Any]]:
        return [f.as_dict() for f in book.clear_all()]

    @app.post("/shutdown")
    def shutdown() -> dict[str, str]:
        stop.set()
        return {"status": "stopping"}

    return app
