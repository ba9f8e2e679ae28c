"""``netops inventory ...``: validate, show, tree, impact, progress. Thin: views from ``inventory.views``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.tree import Tree

from netops.cli.common import EXIT_PROBLEMS, InventoryOpt, JsonOpt, command_group, load, out, print_json
from netops.errors import InventoryError
from netops.inventory import views
from netops.inventory.topology import Topology

app = command_group("Read, check and query the inventory.")

_STATUS_STYLE = {
    "active": "green",
    "staging": "yellow",
    "planned": "cyan",
    "decommissioning": "magenta",
    "retired": "dim",
}


@app.command()
def validate(
    directory: Annotated[
        Path | None, typer.Argument(help="Inventory directory (overrides --inventory).")
    ] = None,
    inventory: InventoryOpt = Path("inventory"),
    as_json: JsonOpt = False,
) -> None:
    """Load and check the inventory; print counts, or every problem with file and line (exit 1)."""
    target = directory or inventory
    try:
        from netops.changes.template_checks import validate_inventory  # the whole folder; jinja2 only here

        inv = validate_inventory(target)
    except InventoryError as exc:
        if as_json:
            print_json(
                {
                    "valid": False,
                    "directory": str(target),
                    "problems": [
                        {"file": p.file, "line": p.line, "field": p.field, "message": p.message}
                        for p in exc.problems
                    ],
                }
            )
        else:
            for problem in exc.problems:
                out.print(str(problem), highlight=False, markup=False)
            out.print(f"[bold red]{len(exc.problems)} problem(s)[/] in {target}")
        raise typer.Exit(EXIT_PROBLEMS) from None
    data = views.summary(inv)
    if as_json:
        print_json({"valid": True, **data})
        return
    out.print(
        f"[green]valid[/]: {target}: {data['sites']} sites, {data['devices']} devices, "
        f"{data['links']} links, {data['rooms']} rooms"
    )
    for title, key in (
        ("sites by tier", "sites_by_tier"),
        ("devices by tier", "devices_by_tier"),
        ("devices by platform", "devices_by_platform"),
        ("devices by role", "devices_by_role"),
        ("devices by status", "devices_by_status"),
        ("links by kind", "links_by_kind"),
    ):
        parts = ", ".join(f"{k} {v}" for k, v in data[key].items())
        out.print(f"  {title}: {parts}", highlight=False)


@app.command()
def show(
    ident: Annotated[str, typer.Argument(help="Id of a site, device, link or room.")],
    inventory: InventoryOpt = Path("inventory"),
    as_json: JsonOpt = False,
) -> None:
    """Everything the inventory says about one object (with inherited values resolved)."""
    inv = load(inventory)
    data = views.show(inv, ident, Topology(inv))
    if as_json:
        print_json(data)
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in data.items():
        table.add_row(key, _fmt(value))
    out.print(table)


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "\n".join(
                ", ".join(f"{k}={v}" for k, v in item.items() if v not in (None, "", [])) for item in value
            )
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
    return "-" if value is None else str(value)


@app.command()
def tree(
    inventory: InventoryOpt = Path("inventory"),
    root: Annotated[str | None, typer.Option(help="Start at this site instead of the centre.")] = None,
    depth: Annotated[int, typer.Option(min=1, help="Levels to show.")] = 3,
    as_json: JsonOpt = False,
) -> None:
    """The hierarchy: centre -> prefectures and departments -> counties."""
    inv = load(inventory)
    data = views.tree(inv, root)
    if as_json:
        print_json(data)
        return

    def label(node: dict[str, Any]) -> str:
        style = _STATUS_STYLE.get(node["status"], "")
        extra = f" [{style}]{node['status']}[/]" if node["status"] != "active" else ""
        rooms = f" [blue]rooms {len(node['rooms'])}[/]" if node["rooms"] else ""
        return (
            f"[bold]{node['id']}[/] {node['name']} [dim]{node['tier']}, "
            f"{len(node['devices'])} devices[/]{rooms}{extra}"
        )

    def add(branch: Tree, node: dict[str, Any], level: int) -> None:
        for child in node["children"]:
            sub = branch.add(label(child))
            if level < depth:
                add(sub, child, level + 1)

    top = Tree(label(data))
    add(top, data, 2)
    out.print(top)


@app.command()
def impact(
    idents: Annotated[list[str], typer.Argument(help="Links, devices or sites that fail.")],
    inventory: InventoryOpt = Path("inventory"),
    as_json: JsonOpt = False,
) -> None:
    """What-if: which sites, devices and rooms lose their path to the centre if these fail."""
    inv = load(inventory)
    data = views.impact(inv, Topology(inv), idents)
    if as_json:
        print_json(data)
        return
    failed = ", ".join(data["failed_links"] + data["failed_devices"])
    out.print(f"[bold]if these fail:[/] {failed}", highlight=False)
    if not data["loses_service"]:
        out.print("[green]no loss of service[/]")
    else:
        out.print(f"[red]lost sites: {len(data['lost_sites'])}[/]")
        for site in data["lost_sites"]:
            out.print(f"  {site['id']} {site['name']} ({site['tier']})", highlight=False)
        out.print(
            f"[red]lost devices: {len(data['lost_devices'])}[/] " + ", ".join(data["lost_devices"]),
            highlight=False,
        )
        out.print(f"[red]lost rooms: {len(data['lost_rooms'])}[/]")
        for room in data["lost_rooms"]:
            out.print(f"  {room['id']} {room['name']}", highlight=False)
    if data["on_backup"]:
        out.print(
            f"[yellow]running on backup links: {len(data['on_backup'])}[/] "
            + ", ".join(s["id"] for s in data["on_backup"]),
            highlight=False,
        )


@app.command()
def progress(
    inventory: InventoryOpt = Path("inventory"),
    today: Annotated[str | None, typer.Option(help="Judge lateness as of this date (YYYY-MM-DD).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rollout per prefecture: nodes active, planned, staging, and late against their target date."""
    inv = load(inventory)
    when = _parse_date(today)
    data = views.progress(inv, when)
    if as_json:
        print_json(data)
        return
    table = Table(title=f"rollout as of {data['today']}")
    for col in ("prefecture", "name", "nodes", "active", "planned", "staging", "late"):
        table.add_column(col, justify="right" if col not in ("prefecture", "name") else "left")
    for row in data["prefectures"]:
        late = f"[red]{row['late']}[/]" if row["late"] else "0"
        table.add_row(
            row["id"],
            row["name"],
            str(row["nodes"]),
            str(row["active"]),
            str(row["planned"]),
            str(row["staging"]),
            late,
        )
    t = data["totals"]
    table.add_row(
        "total",
        "",
        str(t["nodes"]),
        str(t["active"]),
        str(t["planned"]),
        str(t["staging"]),
        str(t["late"]),
        style="bold",
    )
    out.print(table)
    for row in data["prefectures"]:
        for site in row["late_sites"]:
            out.print(
                f"[red]late[/]: {site['id']} {site['name']} (target {site['target_date']})", highlight=False
            )


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM-DD, found {text!r}", param_hint="--today") from None


__all__ = ["app"]
