"""``netops vc``: conferences, prechecks, the readiness board and the pre-meeting checklist.

    netops vc list                      conferences (files and store), with their last round
    netops vc add --id ID --title T --start 2026-12-01T10:00+08:00 [--duration-min 90] [--rooms all-prefectures]
    netops vc remove ID                 a conference added with ``add``
    netops vc precheck ID               one round now; exit 1 when a room is RED
    netops vc board ID                  rooms grouped by prefecture, worst first, failing checks, last-check age
    netops vc checklist ID --out FILE   the pre-meeting checklist as CSV

The same services as the API (``netops.vc``), on the database of ``--state-dir``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from netops.cli.common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    InventoryOpt,
    JsonOpt,
    StateDirOpt,
    command_group,
    fail,
    load,
    open_store_at,
    out,
    print_json,
)
from netops.cli.progress import DeviceProgress, ProgressOpt

if TYPE_CHECKING:
    from netops.inventory.models import Inventory
    from netops.vc.conferences import Conference

app = command_group("Video-conference readiness: conferences, prechecks, board.")

_COLOUR = {"RED": "bold red", "AMBER": "yellow", "GREEN": "green", "NOT-CHECKED": "dim"}


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    secs = max(0, int(seconds))
    return f"{secs} s" if secs < 120 else f"{secs // 60} min"


@app.command("list")
def list_(
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Conferences, soonest first."""
    from rich.table import Table

    from netops.vc import board as vcboard
    from netops.vc import store as vcstore

    inv = load(inventory)
    store = open_store_at(state_dir, create=False)
    try:
        confs = vcstore.list_conferences(store, inv.directory)
        rows = [(c, vcstore.last_round(store, c.id)) for c in confs]
    finally:
        store.close()
    if as_json:
        print_json([{**c.as_dict(), "last_counts": r.counts if r else None} for c, r in rows])
        return
    zone = vcboard.region_timezone(inv)
    table = Table("id", "title", f"start ({zone})", "min", "rooms", "source", "last round")
    for c, r in rows:
        start = vcboard.local_time(c.start_at, zone)
        rooms = c.rooms if isinstance(c.rooms, str) else f"{len(c.rooms)} rooms"
        last = "-" if r is None else f"{r.kind} " + " ".join(f"{k}={v}" for k, v in r.counts.items())
        table.add_row(c.id, c.title, start, str(round(c.duration_s / 60)), rooms, c.source, last)
    out.print(table)


@app.command()
def add(
    ident: Annotated[str, typer.Option("--id", help="Lowercase slug.")],
    title: Annotated[str, typer.Option("--title")],
    start: Annotated[str, typer.Option("--start", help="ISO time with zone, e.g. 2026-12-01T10:00+08:00.")],
    duration_min: Annotated[int, typer.Option("--duration-min")] = 60,
    rooms: Annotated[
        str, typer.Option("--rooms", help="all, all-prefectures or room ids, comma-separated.")
    ] = "all-prefectures",
    call_rate_kbps: Annotated[int | None, typer.Option("--call-rate-kbps")] = None,
    mcu: Annotated[str | None, typer.Option("--mcu")] = None,
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a conference in the store."""
    from netops.auth import audit
    from netops.vc import store as vcstore
    from netops.vc.conferences import ConferenceIn

    inv = load(inventory)
    room_list: list[str] | str = (
        rooms if rooms in ("all", "all-prefectures") else [r.strip() for r in rooms.split(",") if r.strip()]
    )
    try:
        spec = ConferenceIn.model_validate(
            {"id": ident, "title": title, "start": start, "duration_min": duration_min, "rooms": room_list,
             "call_rate_kbps": call_rate_kbps, "mcu": mcu}
        )  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}", EXIT_USAGE)
    store = open_store_at(state_dir, create=True)
    try:
        with audit.audited(store, actor=audit.cli_actor(), action="conference add", target=spec.id):
            conf = vcstore.add_conference(store, inv, spec)
    finally:
        store.close()
    if as_json:
        print_json(conf.as_dict())
    else:
        out.print(f"added conference [bold]{conf.id}[/]", highlight=False)


@app.command()
def remove(
    ident: Annotated[str, typer.Argument(help="Conference id.")],
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a conference added with ``add`` and its results."""
    from netops.auth import audit
    from netops.vc import store as vcstore

    inv = load(inventory)
    store = open_store_at(state_dir, create=False)
    try:
        with audit.audited(store, actor=audit.cli_actor(), action="conference remove", target=ident):
            conf = vcstore.remove_conference(store, inv.directory, ident)
    finally:
        store.close()
    if as_json:
        print_json({"removed": conf.id})
    else:
        out.print(f"removed conference [bold]{conf.id}[/]", highlight=False)


def _board_data(inventory: Path, state_dir: Path | None, ident: str) -> dict[str, Any]:
    from netops.vc import board as vcboard
    from netops.vc import store as vcstore

    inv = load(inventory)
    store = open_store_at(state_dir, create=False)
    try:
        conf = vcstore.get_conference(store, inv.directory, ident)
        return _with_schedule(vcboard.readiness(store, inv, conf), inv, conf)
    finally:
        store.close()


def _with_schedule(data: dict[str, Any], inv: Inventory, conf: Conference) -> dict[str, Any]:
    """The board's data and, for the terminal only, the conference's phase in the region's time zone."""
    from netops.vc import board as vcboard

    zone = vcboard.region_timezone(inv)
    now = conf.start_at - data["starts_in_s"]
    phase, text = vcboard.schedule(conf.start_at, conf.end_at, now, zone)
    return {**data, "_schedule": {"phase": phase, "text": text, "timezone": zone}}


@app.command()
def precheck(
    ident: Annotated[str, typer.Argument(help="Conference id.")],
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """Check every room of the conference now; exit 1 when a room is RED."""
    from netops.auth import audit
    from netops.inventory.topology import Topology
    from netops.secrets import SecretStore
    from netops.vc import board as vcboard
    from netops.vc import store as vcstore
    from netops.vc.conferences import resolve_rooms
    from netops.vc.precheck import Prechecker

    inv = load(inventory)
    store = open_store_at(state_dir, create=True)
    try:
        conf = vcstore.get_conference(store, inv.directory, ident)
        checker = Prechecker(inv, Topology(inv), store, SecretStore())
        with audit.audited(
            store, actor=audit.cli_actor(), action="conference precheck", target=ident
        ) as note:
            with DeviceProgress("precheck", len(resolve_rooms(conf, inv)), progress) as bar:
                report = asyncio.run(
                    checker.run(conf, "manual", on_room=lambda r: bar.advance(r.room, r.colour))
                )
            note["counts"] = dict(report.counts)
        data = _with_schedule(vcboard.readiness(store, inv, conf), inv, conf)
    finally:
        store.close()
    data["round"] = {"id": report.round_id, "kind": report.kind, "duration_s": round(report.duration_s, 3)}
    if as_json:
        print_json({k: v for k, v in data.items() if k != "_schedule"})
    else:
        _render(data)
    if report.counts["RED"]:
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
def board(
    ident: Annotated[str, typer.Argument(help="Conference id.")],
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The readiness board from the last round: prefectures worst first; exit 1 when a room is RED."""
    data = _board_data(inventory, state_dir, ident)
    if as_json:
        print_json({k: v for k, v in data.items() if k != "_schedule"})
    else:
        _render(data)
    if data["counts"]["RED"]:
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
def checklist(
    ident: Annotated[str, typer.Argument(help="Conference id.")],
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the pre-meeting checklist (CSV, UTF-8 with BOM for spreadsheets)."""
    from netops.vc import board as vcboard

    data = _board_data(inventory, state_dir, ident)
    text = vcboard.checklist_csv(data)
    try:
        out_file.write_text("\ufeff" + text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out_file}: {exc.strerror}")
    rows = text.count("\n") - 1
    if as_json:
        print_json({"file": str(out_file), "rooms": rows})
    else:
        out.print(f"wrote {rows} rooms to {out_file}", highlight=False)


def _render(data: dict[str, Any]) -> None:
    conf = data["conference"]
    last = data["last_round"]
    counts = "  ".join(f"[{_COLOUR[k]}]{k} {v}[/]" for k, v in data["counts"].items() if v)
    when = "no round yet" if last is None else f"last round {last['kind']} {_age(last['age_s'])} ago"
    sched = data["_schedule"]
    out.print(
        f"[bold]{conf['id']}[/] {conf['title']}  {sched['text']} ({sched['timezone']})  {when}",
        highlight=False,
    )
    out.print(counts or "no rooms", highlight=False)
    for check in data["mcu_checks"]:
        if check["status"] != "OK":
            out.print(f"  MCU {check['name']}: {check['status']} {check['reason']}", highlight=False)
    for group in data["prefectures"]:
        out.print(f"\n[{_COLOUR[group['worst']]}]■[/] [bold]{group['prefecture']}[/]", highlight=False)
        for r in group["rooms"]:
            colour = r["colour"]
            line = f"  [{_COLOUR[colour]}]{colour:<11}[/] {r['room']:<28} {r['name']}  [dim]{_age(r['age_s'])}[/]"
            out.print(line, highlight=False)
            for reason in r["reasons"]:
                out.print(f"      {reason}", highlight=False, markup=False)
