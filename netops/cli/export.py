"""``netops export prometheus``: file-based service discovery for Prometheus, from the inventory.

Thin: arguments -> ``netops.exporters.write_prometheus_targets``. Registered as ``netops export`` by
``netops/cli/__init__.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netops.cli.common import InventoryOpt, JsonOpt, command_group, load, out, print_json
from netops.settings import DEFAULT_PORT

app = command_group("Export monitoring configuration generated from the inventory.")


@app.callback()
def export() -> None:
    """Export monitoring configuration generated from the inventory."""


@app.command()
def prometheus(
    inventory: InventoryOpt = Path("inventory"),
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory for the file-SD target lists.", show_default=True)
    ] = Path("exporters/prometheus/targets"),
    host: Annotated[
        str, typer.Option("--host", envvar="NETOPS_HOST", help="Where netops serve listens.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", envvar="NETOPS_PORT", help="Port netops serve listens on.")
    ] = DEFAULT_PORT,
    shard: Annotated[
        list[str] | None,
        typer.Option(
            "--shard", help="K/N=HOST:PORT of each `netops serve --shard K/N` (repeat for every shard)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write netops.json (netops' own /metrics targets, one per shard) and devices.json (every device, labelled)."""
    from netops.exporters import write_prometheus_targets

    inv = load(inventory)
    shards: dict[str, str] = {}
    for item in shard or []:
        label, sep, address = item.partition("=")
        if not sep or not address:
            raise typer.BadParameter(f"expected K/N=HOST:PORT, found {item!r}", param_hint="--shard")
        shards[label] = address
    result = write_prometheus_targets(inv, out_dir, f"{host}:{port}", shards)
    if as_json:
        print_json(
            {
                "files": [str(f) for f in result.files],
                "service_targets": result.service_targets,
                "device_targets": result.device_targets,
            }
        )
        return
    for f in result.files:
        out.print(f"wrote {f}", highlight=False)
    out.print(
        f"{result.service_targets} netops target(s), {result.device_targets} device target(s)",
        highlight=False,
    )
