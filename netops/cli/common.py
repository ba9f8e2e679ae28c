"""What every command shares: the ``--inventory``/``--json`` options, output, and errors -> exit codes.

Exit codes: 0 success; 1 the work found problems (invalid inventory, failed devices); 2 usage errors
(unknown option, an id that names nothing).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from netops.errors import InventoryError, NetopsError, NotFoundError
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory

if TYPE_CHECKING:
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
    Path,
    typer.Option(
        "--state-dir", envvar="NETOPS_STATE_DIR", help="Folder of the embedded database and run files."
    ),
]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = EXIT_PROBLEMS) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Turn netops errors into a message and the right exit code (never a traceback)."""
    try:
        yield
    except InventoryError as exc:
        for problem in exc.problems:
            err.print(str(problem), highlight=False, markup=False)
        fail(f"inventory has {len(exc.problems)} problem(s)")
    except NotFoundError as exc:
        fail(str(exc), EXIT_USAGE)
    except NetopsError as exc:
        fail(str(exc))


def load(directory: Path) -> Inventory:
    with errors_to_exit():
        return load_inventory(directory)


def run(func: Callable[[], None]) -> None:
    with errors_to_exit():
        func()


def open_store_at(state_dir: Path) -> Store:
    """The store the service uses: ``NETOPS_DATABASE_URL``, else the SQLite file in ``state_dir``."""
    from netops.settings import Settings
    from netops.store.db import open_store

    with errors_to_exit():
        return open_store(Settings(state_dir=state_dir).db_url)
