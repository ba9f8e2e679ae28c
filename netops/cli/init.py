"""``netops init DIR``: a working folder to start from — the lab region, its templates, the playbooks and the
Prometheus, Alertmanager and Grafana material — written from the installed package.

The material is the repository's own ``inventory/``, ``playbooks/`` and ``exporters/``: the wheel carries a copy
as ``netops/starter/`` (``deploy/build_starter.py`` puts it there at build time); a source checkout (an editable
install) reads the repository's folders. After ``netops init DIR``, every command run in DIR finds its defaults
(``./inventory``, ``./playbooks``); ``netops demo`` there starts the lab region and the service over it.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

import netops
from netops.cli.common import JsonOpt, out, print_json
from netops.errors import ConflictError, NetopsError

FOLDERS = ("inventory", "playbooks", "exporters")


class StarterMissing(NetopsError):
    """The installed package has no starter material (a wheel built without ``deploy/build_starter.py``)."""


def starter_root() -> Path:
    """The folder holding ``inventory/``, ``playbooks/`` and ``exporters/``: the wheel's ``netops/starter``,
    else the source checkout netops runs from."""
    package = Path(netops.__file__).resolve().parent
    for root in (package / "starter", package.parent):
        if all((root / name).is_dir() for name in FOLDERS) and (root / "inventory" / "region.yaml").is_file():
            return root
    raise StarterMissing(
        f"no starter material in {package / 'starter'} nor in {package.parent}: "
        "reinstall netops from a wheel built with its build hook (deploy/build_starter.py)"
    )


def write_starter(target: Path, *, force: bool = False) -> tuple[list[Path], list[Path]]:
    """Copy the starter folders into ``target`` (created if missing); returns the folders written and the
    folders moved aside.

    A folder that already exists in ``target`` is left alone unless ``force``: then it is moved aside to
    ``NAME.bak-<UTC time>`` (never deleted: it may hold the user's own files). Every folder is first built
    in a temporary folder beside it and renamed into place only once all three are complete, so a full disk
    or a read-only folder leaves ``target`` as it was (and removes ``target`` if this call created it)."""
    from netops.interop.files import ExportPathError, os_errors

    root = starter_root()
    if target.exists() and not target.is_dir():
        raise ExportPathError(f"{target} is a file, not a folder")
    existing = [target / name for name in FOLDERS if (target / name).exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise ConflictError(
            f"{names} already exist(s): not overwritten (pass --force to move them aside as NAME.bak-<time>)"
        )
    created = not target.exists()
    temps: dict[str, Path] = {}
    moved: list[Path] = []
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    try:
        with os_errors(target):
            target.mkdir(parents=True, exist_ok=True)
            for name in FOLDERS:
                tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=target))
                temps[name] = tmp
                shutil.copytree(
                    root / name, tmp, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"),
                )  # fmt: skip
                tmp.chmod(0o755)
            for name in FOLDERS:
                dest = target / name
                if dest.exists() or dest.is_symlink():
                    aside = _free(target / f"{name}.bak-{stamp}")
                    dest.rename(aside)
                    moved.append(aside)
                temps.pop(name).rename(dest)
    except BaseException:
        for tmp in temps.values():
            shutil.rmtree(tmp, ignore_errors=True)
        if created and not moved:
            shutil.rmtree(target, ignore_errors=True)
        raise
    return [target / name for name in FOLDERS], moved


def _free(path: Path) -> Path:
    """``path``, or ``path-2``, ``path-3``... whichever does not exist yet."""
    n = 1
    candidate = path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to write into (created if missing).")],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace inventory/, playbooks/, exporters/ if they exist (the old ones are moved aside "
            "to NAME.bak-<time>, never deleted).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a starter inventory (the lab region), templates, playbooks and exporters material into DIR."""
    written, moved = write_starter(directory, force=force)
    if as_json:
        print_json(
            {
                "directory": str(directory),
                "written": [str(p) for p in written],
                "moved_aside": [str(p) for p in moved],
            }
        )
        return
    for folder in moved:
        out.print(f"moved the old {folder.name.split('.bak-')[0]}/ aside to {folder}/", highlight=False)
    for folder in written:
        out.print(f"wrote {folder}/", highlight=False)
    out.print(
        f"""
Next, in {directory}:
  netops inventory validate      # the lab region: 14 prefectures, their counties, departments
  netops runbook list            # the emergency-plan runbooks in playbooks/
  netops demo                    # the lab region on 127.x and the service over it
Edit inventory/ for your own network; secrets stay out of it (docs: deploy.md, inventory.md#secrets).""",
        highlight=False,
    )
