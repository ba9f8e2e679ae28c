"""``netops export prometheus|nornir|ansible``: the inventory for other tools, written where the user says.

``prometheus --out DIR``: file-based service discovery (``netops.exporters.write_prometheus_targets``);
``nornir DIR``: SimpleInventory files; ``ansible FILE``: a YAML inventory (``netops.interop``). No default
output path: nothing is written into the working tree (or a repository) unless named. No export holds a secret.
Registered as ``netops export`` by ``netops/cli/__init__.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netops.cli.common import InventoryOpt, JsonOpt, command_group, load, out, print_json
from netops.settings import DEFAULT_PORT

app = command_group("Export from the inventory: Prometheus targets, Nornir and Ansible inventories.")


@app.callback()
def export() -> None:
    """Export from the inventory: Prometheus targets, Nornir and Ansible inventories."""


@app.command()
def prometheus(
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Directory for the file-SD target lists (e.g. the targets/ folder Prometheus reads).",
        ),
    ],
    inventory: InventoryOpt = Path("inventory"),
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


@app.command()
def nornir(
    directory: Annotated[Path, typer.Argument(help="Folder for hosts.yaml, groups.yaml, defaults.yaml.")],
    inventory: InventoryOpt = Path("inventory"),
    as_json: JsonOpt = False,
) -> None:
    """Write a Nornir SimpleInventory (hosts.yaml, groups.yaml, defaults.yaml); passwords as env-var names."""
    from netops.interop.nornir import write_nornir

    inv = load(inventory)
    files = write_nornir(inv, directory)
    _report(files, len(inv.devices), as_json)


@app.command()
def ansible(
    file: Annotated[Path, typer.Argument(help="The YAML inventory file to write.")],
    inventory: InventoryOpt = Path("inventory"),
    as_json: JsonOpt = False,
) -> None:
    """Write an Ansible YAML inventory; passwords as env lookups of NETOPS_SECRET_* variables."""
    from netops.interop.ansible import write_ansible

    inv = load(inventory)
    _report([write_ansible(inv, file)], len(inv.devices), as_json)


def _report(files: list[Path], hosts: int, as_json: bool) -> None:
    if as_json:
        print_json({"files": [str(f) for f in files], "hosts": hosts})
        return
    for f in files:
        out.print(f"wrote {f}", highlight=False)
    out.print(
        f"{hosts} host(s); passwords are not written: set the NETOPS_SECRET_* variables", highlight=False
    )
