"""``netops services check``: one service check cycle (the centre's own probes and every site's router probes
over SNMP), printed as a table or JSON and stored in ``service_checks``; ``netops services list``."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from netops.cli.common import (
    EXIT_PROBLEMS,
    InventoryOpt,
    JsonOpt,
    StateDirOpt,
    command_group,
    load,
    open_store_at,
    out,
    print_json,
)

app = command_group("E-government services: the inventory's services and their checks.")


@app.command("list")
def list_services(inventory: InventoryOpt = Path("inventory"), as_json: JsonOpt = False) -> None:
    """The services of the inventory: kind, endpoints, how many sites must reach each."""
    inv = load(inventory)
    services = list(inv.services.values())
    if as_json:
        print_json(
            [
                {
                    "id": s.id,
                    "name": s.name,
                    "kind": str(s.kind),
                    "endpoints": [e.text for e in s.endpoints],
                    "sites": len(s.sites),
                    "language": s.language,
                }
                for s in services
            ]
        )
        return
    table = Table(title=f"{len(services)} services")
    for col in ("id", "name", "kind", "endpoints", "sites", "language"):
        table.add_column(col)
    for s in services:
        table.add_row(
            s.id,
            s.name,
            str(s.kind),
            " ".join(e.text for e in s.endpoints),
            str(len(s.sites)),
            s.language or "-",
        )
    out.print(table)


@app.command()
def check(
    inventory: InventoryOpt = Path("inventory"),
    service: Annotated[list[str] | None, typer.Option("--service", help="Only this service.")] = None,
    site: Annotated[list[str] | None, typer.Option("--site", help="Only this site's router probes.")] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            "--ca-file", help="CA certificates the HTTPS services must chain to (the lab's lab-ca.crt)."
        ),
    ] = None,
    no_routers: Annotated[
        bool, typer.Option("--no-routers", help="Only the centre's own probes, no router probes.")
    ] = False,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not store the results.")] = False,
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check every service from the centre and from each site's router; exit 1 if a check failed."""
    from netops.secrets import SecretStore
    from netops.services.cycle import ServiceChecker

    inv = load(inventory)
    for s in service or []:
        inv.service(s)
    for s in site or []:
        inv.site(s)
    logging.getLogger("netops").setLevel(logging.ERROR)
    store = None if no_store else open_store_at(state_dir, create=True)
    checker = ServiceChecker(lambda: inv, SecretStore(), store, ca_file=ca_file, routers=not no_routers)
    try:
        result = asyncio.run(checker.run_cycle(service or None, site or None))
    finally:
        if store is not None:
            store.close()
    rows = [
        r.as_dict() for r in sorted(result.results, key=lambda r: (r.source != "centre", r.site, r.service))
    ]
    if as_json:
        print_json(
            {
                "duration_s": round(result.duration_s, 3),
                "results": rows,
                "failed": len(result.failed),
                "missing": [{"site": s, "service": v} for s, v in result.missing],
            }
        )
    else:
        table = Table(title=f"{len(rows)} checks in {result.duration_s:.1f} s, {len(result.failed)} failed")
        for col in ("site", "service", "source", "state", "ms", "tls days", "reason"):
            table.add_column(col)
        colour = {"ok": "green", "warn": "yellow", "fail": "red"}
        for r in rows:
            table.add_row(
                r["site"],
                r["service"],
                r["source"],
                f"[{colour[r['state']]}]{r['state']}[/]",
                "-" if r["latency_ms"] is None else f"{r['latency_ms']:.0f}",
                "-" if r["tls_days_left"] is None else f"{r['tls_days_left']:.0f}",
                r["reason"] or "",
            )
        out.print(table)
        if result.missing:
            out.print(f"{len(result.missing)} (site, service) pairs have no probe on the site's router")
    if result.failed:
        raise typer.Exit(EXIT_PROBLEMS)
