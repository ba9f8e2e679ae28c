"""``netops serve``: the service (API, metrics, scheduler) in one process under uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from netops.cli.common import InventoryOpt, StateDirOpt, out
from netops.settings import DEFAULT_PORT, Settings

log = logging.getLogger(__name__)


def serve(
    inventory: InventoryOpt = Path("inventory"),
    host: Annotated[str, typer.Option(envvar="NETOPS_HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="NETOPS_PORT", min=1, max=65535, help="Port.")] = DEFAULT_PORT,
    state_dir: StateDirOpt = None,
    log_level: Annotated[str, typer.Option(envvar="NETOPS_LOG_LEVEL")] = "info",
    shard: Annotated[
        str | None,
        typer.Option(
            envvar="NETOPS_SHARD",
            help="K/N (1-based): poll only shard K of N over a shared PostgreSQL store; "
            "shard 1 also analyses and runs the once-only jobs (docs/scaling.md).",
        ),
    ] = None,
) -> None:
    """Run the service: HTTP API, /metrics and the scheduler, over the inventory."""
    import uvicorn  # the web stack is imported only by the commands that serve

    from netops.api.app import create_app
    from netops.changes.journal import reconcile_at_start
    from netops.cli.state import state_for_writing
    from netops.notify.channels import quiet_http_logs
    from netops.notify.config import problems_now
    from netops.polling.shards import Shard

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_http_logs()  # httpx's INFO lines quote request URLs: a chat robot's token (docs/notify.md)
    spec = Shard.parse(shard) if shard and shard.strip() else None
    settings = Settings(
        inventory=inventory,
        host=host,
        port=port,
        state_dir=state_for_writing(state_dir),
        log_level=log_level,
        shard=str(spec) if spec else None,
    )
    if spec is not None and settings.db_url.startswith("sqlite"):
        log.warning("shard %s over SQLite: not supported with shards (untested); use PostgreSQL", spec)
    app = create_app(settings)
    rt = app.state.runtime
    # changes a dead process left (issue 18); sessions wait the settings' SSH timeouts
    reconcile_at_start(rt.inventory, rt.secrets, rt.store, rt.settings.ssh_timeouts)
    for problem in problems_now(rt.inventory, app.state.runbooks.catalog.runbooks):  # docs/notify.md
        log.error("notify.yaml in %s: %s (notify steps record a failed delivery)", inventory, problem)
    role = "" if spec is None else f", shard {spec}{' (coordinator)' if spec.coordinator else ''}"
    out.print(
        f"netops serving {len(rt.inventory.devices)} devices from {inventory} on http://{host}:{port} "
        f"(database {settings.db_url.split('://')[0]}{role})",
        highlight=False,
    )
    # proxy_headers=False: uvicorn would believe X-Forwarded-For from any local client; netops trusts only
    # NETOPS_TRUSTED_PROXIES (netops/api/auth.py)
    uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="on", proxy_headers=False)
