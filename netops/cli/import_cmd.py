"""``netops import nautobot DIR``: build the inventory from a Nautobot server's REST API.

Reads with a token (``--token`` or ``NAUTOBOT_TOKEN``; never written anywhere), maps with
``netops.interop.nautobot``, writes with ``netops.interop.importing`` (validated, all or nothing; an existing
inventory only with ``--force``). Exit 0: written; 1: the server could not be read, an object has no netops
equivalent, or the result does not validate (nothing written); 2: usage (no token, DIR holds an inventory).
NetBox is not supported: docs/deploy.md says why. Registered as ``netops import`` by ``netops/cli/__init__.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from netops.cli.common import JsonOpt, command_group, out, print_json
from netops.errors import InvalidInputError

app = command_group("Build an inventory from a source of truth (Nautobot's REST API).")


@app.callback()
def import_() -> None:
    """Build an inventory from a source of truth (Nautobot's REST API)."""


@app.command()
def nautobot(
    directory: Annotated[Path, typer.Argument(help="Inventory folder to write (created if missing).")],
    url: Annotated[
        str,
        typer.Option(
            "--url", envvar="NAUTOBOT_URL", help="Nautobot's base URL, e.g. https://nautobot.example"
        ),
    ],
    token: Annotated[
        str,
        typer.Option(
            "--token",
            envvar="NAUTOBOT_TOKEN",
            help="API token (prefer the NAUTOBOT_TOKEN variable: a command line is visible to other users).",
            show_default=False,
        ),
    ] = "",
    force: Annotated[
        bool, typer.Option("--force", help="Replace the inventory files already in DIR.")
    ] = False,
    timeout_s: Annotated[float, typer.Option("--timeout", help="Seconds per HTTP request.")] = 30.0,
    as_json: JsonOpt = False,
) -> None:
    """Read locations, devices, interfaces, cables and circuits from Nautobot; write them as DIR's inventory."""
    from netops.interop.importing import refuse_existing, write_inventory_dir
    from netops.interop.nautobot import NautobotSource, build_sections, fetch

    if not url.startswith(("http://", "https://")):
        raise InvalidInputError(f"--url: expected http:// or https://, found {url!r}")
    if not token:
        raise InvalidInputError("no API token: set NAUTOBOT_TOKEN (or pass --token)")
    refuse_existing(directory, force=force)  # before reading the server: fail fast
    source = NautobotSource(url, token, timeout_s)
    try:
        snap = fetch(source)
    finally:
        source.close()
    sections = build_sections(snap)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    header = (
        f"Imported from Nautobot ({source.url}) by `netops import nautobot` at {stamp}.\n"
        "Edit the source of truth and import again; secrets are names (set NETOPS_SECRET_<NAME>)."
    )
    result = write_inventory_dir(directory, sections, header, force=force)
    inv = result.inventory
    summary = {
        "source": "nautobot",
        "url": source.url,
        "directory": str(result.directory),
        "files": [str(f) for f in result.files],
        "sites": len(inv.sites),
        "devices": len(inv.devices),
        "interfaces": sum(len(d.interfaces) for d in inv.devices.values()),
        "links": len(inv.links),
        "circuits": sum(1 for link in inv.links.values() if link.circuit),
        "rooms": len(inv.rooms),
        "services": len(inv.services),
    }
    if as_json:
        print_json(summary)
        return
    for f in result.files:
        out.print(f"wrote {f}", highlight=False)
    out.print(
        f"{summary['sites']} site(s), {summary['devices']} device(s), {summary['links']} link(s) "
        f"({summary['circuits']} circuit(s)), {summary['rooms']} room(s) from {source.url}",
        highlight=False,
    )
