"""The app factory: ``create_app(settings)`` builds the runtime, routes, metrics and scheduler; nothing at import.

The lifespan starts the APScheduler ``AsyncIOScheduler`` with the app and stops it with the app. The inventory
is loaded and the database migrated before the app is returned, so a bad inventory fails ``netops serve`` at
once with every problem listed, instead of a half-started service.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from netops import __version__
from netops.api.admin_routes import router as admin_router
from netops.api.auth import FailureLimiter, install_audit, roles
from netops.api.deps import RuntimeDep
from netops.api.errors import install_error_handlers
from netops.api.inventory_routes import router as inventory_router
from netops.api.polling_routes import router as polling_router
from netops.api.vc_routes import router as vc_router
from netops.api.web_routes import router as web_router
from netops.auth.tokens import Role
from netops.metrics import BuildCollector, InventoryCollector
from netops.polling.metrics import PollingCollector
from netops.runtime import Runtime
from netops.scheduler import build_scheduler
from netops.settings import Settings
from netops.vc.metrics import VcCollector


def build_registry(runtime: Runtime) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    registry.register(BuildCollector())
    registry.register(
        InventoryCollector(
            lambda: runtime.inventory, lambda: runtime.loaded_at, lambda: runtime.reload_failures
        )
    )
    registry.register(PollingCollector(runtime.store, lambda: runtime.topology))
    registry.register(VcCollector(runtime.store, lambda: runtime.inventory))
    return registry


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    rt = runtime or Runtime.start(settings)
    registry = build_registry(rt)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = build_scheduler(rt)
        scheduler.start()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            scheduler.shutdown(wait=False)  # no new runs
            await (
                rt.poller.stop()
            )  # cycles in flight end now; a cycle is stored whole (one transaction) or not
            rt.close()

    app = FastAPI(
        title="netops",
        version=__version__,
        lifespan=lifespan,
        description="Operations manager for the regional e-government WAN and video-conference network",
    )
    app.state.runtime = rt
    app.state.registry = registry
    install_error_handlers(app)

    @app.get("/healthz", tags=["service"])
    def healthz(rt: RuntimeDep) -> dict[str, Any]:
        return {
            "status": "ok",
            "version": __version__,
            "uptime_s": round(time.time() - rt.started_at, 3),
            "inventory_digest": rt.inventory.digest,
            "devices": len(rt.inventory.devices),
        }

    @app.get("/metrics", tags=["service"])
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.state.auth_limiter = FailureLimiter()
    app.include_router(web_router)  # the page shell is open; its data comes from the API with a token
    install_audit(app)
    # every router with the roles its reads and its writes need (None: no writes); /healthz and /metrics are open
    for router, read, write in (
        (inventory_router, Role.VIEWER, None),
        (polling_router, Role.VIEWER, None),
        (vc_router, Role.VIEWER, Role.ENGINEER),
        (admin_router, Role.ADMIN, None),
    ):
        app.include_router(router, dependencies=[Depends(roles(read, write))])
    return app
