"""The app factory: ``create_app(settings)`` builds the runtime, routes, metrics and scheduler; nothing at import.

The lifespan starts the APScheduler ``AsyncIOScheduler`` with the app and stops it with the app. The inventory
is loaded and the database migrated before the app is returned, so a bad inventory fails ``netops serve`` at
once with every problem listed, instead of a half-started service.

Request bodies are limited per route before anything reads them (``limits.BodyLimit``: 413). There is no
``/docs`` page: Swagger UI would load its scripts from a CDN, which a NOC's private network cannot reach, and
the venv ships no copy of them; the OpenAPI description is served at ``/openapi.json``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from netops import __version__
from netops.api.admin_routes import router as admin_router
from netops.api.alert_routes import router as alert_router
from netops.api.auth import Audit, FailureLimiter, parse_proxies, roles
from netops.api.changes_routes import router as changes_router
from netops.api.contract import install_contract, short_id
from netops.api.deps import RuntimeDep
from netops.api.devicework import DeviceWork
from netops.api.errors import install_error_handlers
from netops.api.health import StoreHealth, StoreWriteCollector
from netops.api.incident_routes import router as incident_router
from netops.api.inventory_routes import router as inventory_router
from netops.api.limits import BodyLimit
from netops.api.models import Health
from netops.api.polling_routes import router as polling_router
from netops.api.report_routes import router as report_router
from netops.api.rollback_routes import router as rollback_router
from netops.api.runbook_routes import router as runbook_router
from netops.api.vc_routes import router as vc_router
from netops.api.web_routes import router as web_router
from netops.auth import audit
from netops.auth.tokens import Role
from netops.changes.metrics import ChangesCollector
from netops.http_metrics import HttpMetrics
from netops.ingest.metrics import IngestCollector
from netops.metrics import BuildCollector, InventoryCollector
from netops.polling.metrics import PollingCollector
from netops.runbooks.alerts import AlertInbox
from netops.runbooks.metrics import RunbookCollector
from netops.runbooks.service import RunbookService
from netops.runbooks.triggers import subscribe_events
from netops.runtime import Runtime
from netops.scheduler import build_scheduler
from netops.services.metrics import ServiceCollector
from netops.settings import Settings
from netops.vc.metrics import VcCollector

log = logging.getLogger(__name__)


def build_registry(runtime: Runtime, health: StoreHealth | None = None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    registry.register(BuildCollector())
    if health is not None:
        registry.register(StoreWriteCollector(health))
    registry.register(
        InventoryCollector(
            lambda: runtime.inventory,
            lambda: runtime.loaded_at,
            lambda: runtime.reload_failures,
            lambda: len(runtime.folder_problems),
        )
    )
    registry.register(PollingCollector(runtime.store, lambda: runtime.topology))
    registry.register(VcCollector(runtime.store, lambda: runtime.inventory))
    registry.register(RunbookCollector(runtime.store))
    registry.register(ServiceCollector(runtime.store))  # netops/services/metrics.py
    registry.register(ChangesCollector(runtime.store))
    registry.register(IngestCollector(runtime.ingest.intake.counts, runtime.ingest.trigger.counts))
    return registry


MAINTENANCE_S = 30.0  # unauthenticated refusals written (per client, per minute)
PURGE_EVERY_S = 3600.0  # audit rows past their retention deleted


async def audit_maintenance(app: FastAPI) -> None:
    """Write the per-minute rows of refusals, delete audit rows past their retention; failures counted."""
    rt: Runtime = app.state.runtime
    health: StoreHealth = app.state.store_health
    refusals: audit.Refusals = app.state.refusals
    day = 86400.0
    purged_at = 0.0
    while True:
        await asyncio.to_thread(health.side_write, "audit refusals", lambda: refusals.flush(rt.store))
        if time.monotonic() - purged_at >= PURGE_EVERY_S:
            purged_at = time.monotonic()
            await asyncio.to_thread(
                health.side_write,
                "audit retention",
                lambda: audit.purge(
                    rt.store,
                    retention_s=rt.settings.audit_retention_days * day,
                    anonymous_retention_s=rt.settings.audit_anonymous_retention_days * day,
                ),
            )
        await asyncio.sleep(MAINTENANCE_S)


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    rt = runtime or Runtime.start(settings)
    health = StoreHealth(rt.store)
    registry = build_registry(rt, health)

    runbooks = RunbookService.from_runtime(rt)
    inbox = AlertInbox()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = build_scheduler(rt)
        # runs approved from the CLI and runs left half-way: one process (the coordinator) picks them up
        if rt.settings.coordinator:
            scheduler.add_job(
                runbooks.launch_pending,
                "interval",
                seconds=15,
                id="runbook-launch",
                name="start runbook runs approved from the CLI",
                replace_existing=True,
            )
        await rt.ingest.start()  # trap/syslog receivers, when configured
        scheduler.start()
        app.state.scheduler = scheduler
        unsubscribe = subscribe_events(runbooks, rt.bus, asyncio.get_running_loop())
        maintenance = asyncio.get_running_loop().create_task(audit_maintenance(app))
        resumed = await runbooks.resume_interrupted() if rt.settings.coordinator else []
        if resumed:
            log.warning(
                "resumed %d runbook run(s) interrupted by a restart: %s", len(resumed), ", ".join(resumed)
            )
        try:
            yield
        finally:
            scheduler.shutdown(wait=False)  # no new runs
            await rt.ingest.stop()
            maintenance.cancel()
            health.side_write("audit refusals", lambda: app.state.refusals.flush(rt.store, everything=True))
            app.state.device_work.close()
            unsubscribe()
            await inbox.close()
            await runbooks.close()
            await (
                rt.poller.stop()
            )  # cycles in flight end now; a cycle is stored whole (one transaction) or not
            rt.close()

    app = FastAPI(
        title="netops",
        version=__version__,
        lifespan=lifespan,
        description="Operations manager for the regional e-government WAN and video-conference network",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN: not in a private network
        redoc_url=None,
        generate_unique_id_function=short_id,  # operation ids: the route function's name
    )
    install_contract(app)
    app.state.runtime = rt
    app.state.registry = registry
    app.state.runbooks = runbooks
    app.state.alert_inbox = inbox
    app.state.store_health = health
    app.state.refusals = audit.Refusals()
    app.state.trusted_proxies = parse_proxies(settings.trusted_proxies)
    app.state.device_work = DeviceWork()
    install_error_handlers(app)
    app.add_middleware(BodyLimit)  # inside the audit (413s are recorded), before routes, auth and parsing
    app.add_middleware(Audit)  # outermost: sees every answer, 500s included
    app.add_middleware(HttpMetrics, registry=registry)  # request counts and latency by route template

    @app.get("/healthz", tags=["service"], response_model=Health)
    def healthz(rt: RuntimeDep) -> dict[str, Any]:
        """Alive (always 200 while it answers); ``status`` is ``degraded`` when the store cannot be written."""
        writable, error = health.writable()
        return {
            "status": "ok" if writable else "degraded",
            "version": __version__,
            "uptime_s": round(time.monotonic() - rt.started_mono, 3),
            "inventory_digest": rt.inventory.digest,
            "devices": len(rt.inventory.devices),
            "inventory_problems": len(rt.folder_problems),
            "store": {"writable": writable, "error": error, "write_failures": health.write_failures},
        }

    @app.get(
        "/metrics",
        tags=["service"],
        response_class=Response,
        responses={
            200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus"}
        },
    )
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.state.auth_limiter = FailureLimiter()
    app.state.authenticate = True  # AuthenticatedRoute: the token before the body (api/auth.py)
    app.include_router(web_router)  # the page shell is open; its data comes from the API with a token
    app.include_router(alert_router)  # Alertmanager's webhook: its own shared secret, not the API tokens
    # every router with the roles its reads and its writes need (None: no writes); /healthz and /metrics are open
    for router, read, write in (
        (inventory_router, Role.VIEWER, None),
        (polling_router, Role.VIEWER, None),
        (incident_router, Role.VIEWER, Role.OPERATOR),
        (vc_router, Role.VIEWER, Role.ENGINEER),
        (changes_router, Role.VIEWER, Role.ENGINEER),
        (rollback_router, Role.VIEWER, Role.ENGINEER),
        (report_router, Role.VIEWER, None),
        (runbook_router, Role.VIEWER, Role.OPERATOR),  # each approval also checks the step's own role
        (admin_router, Role.ADMIN, None),
    ):
        app.include_router(router, dependencies=[Depends(roles(read, write))])
    return app
