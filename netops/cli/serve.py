"""``netops serve``: the service (API, metrics, scheduler) in one process under uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from netops.cli.common import InventoryOpt, errors_to_exit, out
from netops.settings import DEFAULT_PORT, Settings


def serve(
    inventory: InventoryOpt = Path("inventory"),
    host: Annotated[str, typer.Option(envvar="NETOPS_HOST", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="NETOPS_PORT", min=1, max=65535, help="Port.")] = DEFAULT_PORT,
    state_dir: Annotated[
        Path, typer.Option(envvar="NETOPS_STATE_DIR", help="Embedded database folder.")
    ] = Path(".netops"),
    log_level: Annotated[str, typer.Option(envvar="NETOPS_LOG_LEVEL")] = "info",
) -> None:
    """Run the service: HTTP API, /metrics and the scheduler, over the inventory."""
    import uvicorn  # the web stack is imported only by the commands that serve

    from netops.api.app import create_app

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings(inventory=inventory, host=host, port=port, state_dir=state_dir, log_level=log_level)
    with errors_to_exit():
        app = create_app(settings)
    rt = app.state.runtime
    out.print(
        f"netops serving {len(rt.inventory.devices)} devices from {inventory} on http://{host}:{port} "
        f"(database {settings.db_url.split('://')[0]})",
        highlight=False,
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="on")
