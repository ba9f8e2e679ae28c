"""Writing an imported inventory: all or nothing, validated before it replaces anything.

    sections (file name -> YAML document) ──▶ a temporary folder beside DIR
        (with --force: a copy of DIR without its model files, so templates/ and conferences/ stay)
        ──load_inventory (every problem, file:line)──▶ renamed over DIR; the old DIR removed last

An existing inventory (any model file in DIR) is replaced only with ``force``: ``InventoryExists`` (exit 2)
otherwise. On any error the temporary folder is removed and DIR is as it was.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from netops.errors import InvalidInputError
from netops.interop.files import ExportPathError, os_errors
from netops.inventory.loader import inventory_files, load_inventory
from netops.inventory.models import Inventory


class InventoryExists(InvalidInputError):
    """The target folder already holds an inventory and ``--force`` was not given (exit 2)."""


@dataclass(frozen=True, slots=True)
class Imported:
    directory: Path
    files: tuple[Path, ...]
    inventory: Inventory


def dump(document: Mapping[str, Any], header: str) -> str:
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    body = yaml.safe_dump(dict(document), allow_unicode=True, sort_keys=False, width=120)
    return comment + ("\n" + body if document else "")


def refuse_existing(directory: Path, *, force: bool) -> None:
    """``InventoryExists`` if ``directory`` holds model files and ``force`` is off; ``ExportPathError`` if it
    is a file."""
    if directory.exists() and not directory.is_dir():
        raise ExportPathError(f"{directory} is a file, not a folder")
    existing = inventory_files(directory) if directory.is_dir() else []
    if existing and not force:
        raise InventoryExists(
            f"{directory} already holds an inventory ({len(existing)} file(s), e.g. "
            f"{existing[0].relative_to(directory)}): pass --force to replace it"
        )


def write_inventory_dir(
    directory: Path, sections: Mapping[str, Mapping[str, Any]], header: str, *, force: bool
) -> Imported:
    """Write ``sections`` as the inventory in ``directory`` (see the module docstring)."""
    refuse_existing(directory, force=force)
    parent = directory.absolute().parent
    with os_errors(parent):
        parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{directory.name}.import-", dir=parent))
    old = parent / f"{work.name}.old"
    try:
        with os_errors(directory):
            if directory.is_dir():
                shutil.copytree(directory, work, dirs_exist_ok=True, symlinks=True)
                for f in inventory_files(work):
                    f.unlink()
            for name, document in sections.items():
                (work / name).write_text(dump(document, header), encoding="utf-8")
            work.chmod(0o755)
        inv = load_inventory(work)  # InventoryError: nothing replaced
        with os_errors(directory):
            if directory.exists():
                directory.rename(old)
            work.rename(directory)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if old.exists() and not directory.exists():
            old.rename(directory)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return Imported(directory, tuple(directory / name for name in sections), inv)
