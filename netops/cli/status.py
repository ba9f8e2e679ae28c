"""``netops status`` (the region as a tree coloured by state) and ``netops incidents``, read from the store
that ``netops serve`` (or ``netops poll once``) writes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.tree import Tree

from netops.cli.common import (
    EXIT_PROBLEMS,
    InventoryOpt,
    JsonOpt,
    StateDirOpt,
    load,
    open_store_at,
    out,
    print_json,
)
from netops.inventory.models import Tier
from netops.inventory.topology import Topology

_COLOUR = {
    "up": "green",
    "down": "bold red",
    "unreachable": "yellow",
    "unmanaged": "magenta",
    "unknown": "dim",
}


def _ago(ts: float | None) -> str:
    if ts is None:
        return "never"
    secs = max(0, int(time.time() - ts))
    return f"{secs} s ago" if secs < 120 else f"{secs // 60} min ago"


def status(
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    depth: Annotated[int, typer.Option(min=1, max=3, help="1 prefectures, 2 counties, 3 devices.")] = 2,
    problems: Annotated[bool, typer.Option("--problems", help="Only sites that are not up.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The region as a tree coloured by state; exit 1 when something is down, unreachable or unmanaged."""
    from netops.polling import queries

    inv = load(inventory)
    topo = Topology(inv)
    store = open_store_at(state_dir, create=False)
    try:
        data = queries.status(store, topo)
    finally:
        store.close()
    counts = data["site_counts"]
    bad = counts.get("down", 0) + counts.get("unreachable", 0) + counts.get("unmanaged", 0)
    if as_json:
        print_json(data)
    else:
        _render(data, topo, depth, problems)
    if bad:
        raise typer.Exit(EXIT_PROBLEMS)


def _render(data: dict[str, Any], topo: Topology, depth: int, problems: bool) -> None:
    inv = topo.inventory
    sites, devices = data["sites"], data["devices"]

    def label(site_id: str) -> str:
        s = inv.sites[site_id]
        st = sites[site_id]
        return f"[{_COLOUR.get(st, 'bold')}]{st:<11}[/] [bold]{s.id}[/] {s.name}"

    def interesting(site_id: str) -> bool:
        return not problems or sites[site_id] != "up" or any(interesting(c.id) for c in inv.children(site_id))

    def add(branch: Tree, site_id: str, level: int) -> None:
        if depth >= 3:
            for dev in inv.devices_at(site_id):
                st = devices[dev.id]
                if not problems or st != "up":
                    branch.add(f"[{_COLOUR.get(st, 'bold')}]{st:<11}[/] {dev.id} [dim]{dev.role}[/]")
        if level > min(depth, 2):
            return
        kids = sorted(inv.children(site_id), key=lambda s: (s.tier is Tier.COUNTY, s.id))
        for child in kids:
            if interesting(child.id):
                add(branch.add(label(child.id)), child.id, level + 1)

    root = Tree(label(inv.centre.id))
    add(root, inv.centre.id, 1)
    out.print(root)
    sc, dc = data["site_counts"], data["device_counts"]
    out.print(
        f"sites: {sc['up']} up, {sc['down']} down, {sc['unreachable']} unreachable, {sc['unknown']} unknown; "
        f"devices: {dc['up']} up, {dc['down']} down, {dc['unreachable']} unreachable, "
        f"{dc['unknown']} unknown; polled {_ago(data['polled_at'])}",
        highlight=False,
    )
    for inc in data["open_incidents"]:
        out.print(
            f"[bold red]incident {inc['id']}[/] open since {_ago(inc['opened_at'])}: {inc['summary']}",
            highlight=False,
        )
    if data["on_backup"]:
        out.print("[yellow]on backup links:[/] " + ", ".join(data["on_backup"]), highlight=False)
    if data["flapping"]:
        out.print("[yellow]flapping:[/] " + ", ".join(data["flapping"]), highlight=False)


def incidents(
    state_dir: StateDirOpt = None,
    state: Annotated[str, typer.Option(help="open, resolved or all.")] = "all",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Incidents, newest first: one per root cause, with the sites, devices and rooms it cut off."""
    from netops.polling import queries

    if state not in ("open", "resolved", "all"):
        raise typer.BadParameter("expected open, resolved or all", param_hint="--state")
    store = open_store_at(state_dir, create=False)
    try:
        rows = queries.incidents(store, state=state, limit=limit)
    finally:
        store.close()
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print("no incidents")
    for inc in rows:
        when = (
            f"open since {_ago(inc['opened_at'])}"
            if inc["state"] == "open"
            else f"resolved {_ago(inc['resolved_at'])} after {int(inc['resolved_at'] - inc['opened_at'])} s"
        )
        colour = "bold red" if inc["state"] == "open" else "green"
        acked = f" [cyan](acknowledged by {inc['acknowledged_by']})[/]" if inc.get("acknowledged_by") else ""
        out.print(
            f"[{colour}]#{inc['id']} {inc['state']}[/] {when}: {inc['summary']}{acked}", highlight=False
        )
        if inc["affected_sites"]:
            out.print("    sites: " + ", ".join(inc["affected_sites"]), highlight=False)
        if inc["affected_rooms"]:
            out.print("    rooms: " + ", ".join(inc["affected_rooms"]), highlight=False)


def ack(
    incident_id: Annotated[int, typer.Argument(help="The incident number (netops incidents).")],
    note: Annotated[str | None, typer.Option(help="What you are doing about it.")] = None,
    state_dir: StateDirOpt = None,
) -> None:
    """Acknowledge an incident: the NOC and the board see who took it on."""
    from netops.auth import audit
    from netops.cli.admin import cli_actor
    from netops.polling import queries

    store = open_store_at(state_dir, create=False)
    try:
        queries.acknowledge(store, incident_id, cli_actor(), note)
        audit.record(
            store, actor=cli_actor(), action="incident acknowledge", target=str(incident_id), outcome="ok"
        )
    finally:
        store.close()
    out.print(f"incident {incident_id} acknowledged by {cli_actor()}", highlight=False)
