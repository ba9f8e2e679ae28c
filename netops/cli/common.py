"""What every command shares: the ``--inventory``/``--json``/``--state-dir`` options, output, the store.

Exit codes: 0 success; 1 the work found problems (invalid inventory, failed devices); 2 usage errors
(unknown option, an id that names nothing). Errors become exit codes in one place, ``groups.NetopsGroup``.

Kept light: ``netops --help`` imports this module, so heavy libraries are imported inside the functions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from netops.inventory.models import Inventory
    from netops.store.db import Store

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

InventoryOpt = Annotated[
    Path,
    typer.Option(
        "--inventory", "-i", envvar="NETOPS_INVENTORY", help="Inventory directory.", show_default=True
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
StateDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="Folder of the embedded database and run files [default: $NETOPS_STATE_DIR, else .netops/ "
        "here or in a parent folder, else ~/.local/state/netops].",
        show_default=False,
    ),
]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def command_group(help: str) -> typer.Typer:
    """A ``netops`` subcommand group; run on its own (tests), it maps errors to exit codes like ``netops``."""
    from netops.cli.groups import NetopsGroup

    return typer.Typer(cls=NetopsGroup, help=help, no_args_is_help=True)


def fail(message: str, code: int = EXIT_PROBLEMS) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def load(directory: Path) -> Inventory:
    """The inventory; an invalid one ends the command with every problem (exit 1, see ``groups``)."""
    from netops.inventory.loader import load_inventory

    return load_inventory(directory)


def open_store_at(state_dir: Path | None, *, create: bool) -> Store:
    """The store the service uses: ``NETOPS_DATABASE_URL``, else the SQLite file of the state folder found
    from ``state_dir`` (``netops.cli.state``). ``create=False`` (commands that only read): never create a
    database; fail naming where it looked."""
    from netops.cli import state
    from netops.settings import Settings
    from netops.store.db import open_store

    settings = Settings()
    if settings.database_url:
        return open_store(settings.database_url)
    if create:
        folder = state.state_for_writing(state_dir)
    else:
        folder = state.state_for_reading(state_dir)
        state.database_for_reading(folder)
    return open_store(Settings(state_dir=folder).db_url)
