"""Map the ``NetopsError`` tree to HTTP answers, in one place. Services never raise ``HTTPException``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from netops.errors import InventoryError, NetopsError, NotFoundError


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFoundError)
    async def not_found(_request: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse(
            {"error": "not_found", "kind": exc.kind, "id": exc.ident, "detail": str(exc)}, status_code=404
        )

    @app.exception_handler(InventoryError)
    async def bad_inventory(_request: Request, exc: InventoryError) -> JSONResponse:
        return JSONResponse(
            {"error": "inventory_invalid", "problems": [str(p) for p in exc.problems]}, status_code=422
        )

    @app.exception_handler(NetopsError)
    async def netops_error(_request: Request, exc: NetopsError) -> JSONResponse:
        return JSONResponse({"error": exc.__class__.__name__, "detail": str(exc)}, status_code=500)
