"""Validate the whole inventory folder: the model files, the folders other parts of netops read, and the rest.

``load_inventory`` reads the model (every ``*.yaml`` outside ``templates/`` and ``conferences/``). This module
adds what the loader does not see, so that ``netops inventory validate`` reports every problem of the folder
in one list (``InventoryError``):

- the layout (``check_layout``): a file or folder that nothing reads is reported as unknown instead of being
  silently ignored (documentation such as ``README.md`` and hidden files such as ``.gitkeep`` excepted);
- the checks of the folders other parts own (``FolderCheck``: conferences in ``netops.vc``, templates in
  ``netops.changes``). They are passed in by the caller, because ``inventory/`` imports nothing of netops
  but ``errors``; ``netops.changes.template_checks.validate_inventory`` composes the full validation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from netops.errors import InventoryError, Problem
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory

# A check of one of the folders other parts of netops read: (inventory directory, the inventory or None when
# it did not load) -> problems, paths relative to the inventory directory. Without an inventory a check only
# looks at its files (syntax, shape), not at what they name.
FolderCheck = Callable[[Path, Inventory | None], list[Problem]]

MODEL_SUFFIXES = (".yaml", ".yml")
# The folders read by other parts of netops (at the top of the inventory only) and the files they read.
OTHER_FOLDERS: dict[str, tuple[str, ...]] = {
    "conferences": MODEL_SUFFIXES,  # netops.vc: conferences/*.yaml, no subfolders
    "templates": (".j2",),  # netops.changes: templates/**/*.j2
}
DOC_SUFFIXES = (".md", ".rst", ".txt")
FLAT_FOLDERS = frozenset({"conferences"})  # read without their subfolders


def validate_folder(directory: str | Path, checks: Sequence[FolderCheck] = ()) -> Inventory:
    """Load the inventory and check the rest of its folder; raise ``InventoryError`` with every problem.

    The folder checks run even when the model has problems (a template's syntax does not depend on it); they
    get ``None`` for the inventory then, and skip what needs it (rendering, references).
    """
    root = Path(directory)
    problems: list[Problem] = []
    inv: Inventory | None = None
    try:
        inv = load_inventory(root)
    except InventoryError as exc:
        if not root.is_dir():
            raise
        problems.extend(exc.problems)
    problems.extend(check_layout(root))
    for check in checks:
        problems.extend(check(root, inv))
    if problems or inv is None:
        raise InventoryError(problems)
    return inv


def check_layout(root: Path) -> list[Problem]:
    """Every file and folder below ``root`` that nothing reads, as a problem naming what is read there."""
    problems: list[Problem] = []
    reported: list[Path] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or any(r in rel.parents for r in reported):
            continue  # hidden (.gitkeep, editor and VCS files), or inside a folder reported already
        message = _unread_folder(rel) if path.is_dir() else _unread_file(rel)
        if message is not None:
            problems.append(Problem(rel.as_posix(), None, "", message))
            if path.is_dir():
                reported.append(rel)
    return problems


def _unread_folder(rel: Path) -> str | None:
    top, depth = rel.parts[0], len(rel.parts)
    if top in FLAT_FOLDERS and depth > 1:
        return f"unknown folder: nothing reads it ({top}/ is read without its subfolders)"
    if top not in OTHER_FOLDERS and rel.name in OTHER_FOLDERS:
        return (
            f"unknown folder: nothing reads it ({rel.name}/ is read only at the top of the inventory; "
            "the inventory loader skips it everywhere)"
        )
    return None


def _unread_file(rel: Path) -> str | None:
    if _is_doc(rel.name):
        return None
    top = rel.parts[0] if len(rel.parts) > 1 else ""
    allowed = OTHER_FOLDERS.get(top, MODEL_SUFFIXES)
    if rel.suffix in allowed:
        return None
    kinds = " or ".join(f"*{s}" for s in allowed)
    docs = "; documentation: README, *.md"
    if top == "conferences":
        return f"unknown file: nothing reads it (conferences are {top}/{kinds}{docs})"
    if top == "templates":
        return f"unknown file: nothing reads it (templates are {top}/**/{kinds}{docs})"
    return f"unknown file: nothing reads it (inventory files are {kinds}{docs})"


def _is_doc(name: str) -> bool:
    return name.upper().startswith(("README", "LICENSE", "CHANGELOG")) or name.endswith(DOC_SUFFIXES)


__all__ = ["FolderCheck", "check_layout", "validate_folder"]
