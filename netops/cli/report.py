"""``netops report``: the assessment report for a month (or a year) from the store, as HTML, PDF or CSV
(docs/report.md). Read-only: never creates a database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netops.cli.common import InventoryOpt, StateDirOpt, err, load, open_store_at


def report(
    period: Annotated[str, typer.Option("--period", help="YYYY-MM (a month) or YYYY (a year), UTC+8.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the report.")],
    prefecture: Annotated[str | None, typer.Option("--prefecture", help="One prefecture's id only.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, pdf, csv or json.")] = "html",
    lang: Annotated[str, typer.Option("--lang", help="zh (default) or en.")] = "zh",
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
) -> None:
    """The assessment report: availability, incidents, MTTR, conferences, rollout, changes, backups."""
    from netops.report.collect import collect
    from netops.report.job import backup_max_age
    from netops.report.labels import parse_format, parse_lang
    from netops.report.period import parse_period
    from netops.report.render import render
    from netops.settings import Settings

    chosen_period, chosen_format, chosen_lang = parse_period(period), parse_format(fmt), parse_lang(lang)
    inv = load(inventory)
    store = open_store_at(state_dir, create=False)
    try:
        data = collect(
            inv,
            store,
            chosen_period,
            prefecture=prefecture,
            backup_max_age_s=backup_max_age(Settings().backup_interval_s),
        )
    finally:
        store.close()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(render(data, chosen_format, chosen_lang))
    avail = data.region.availability
    shown = "-" if avail is None else f"{avail * 100.0:.3f} %"
    err.print(
        f"report {chosen_period.label} ({len(data.nodes)} nodes, availability {shown}) -> {output}",
        highlight=False,
    )
