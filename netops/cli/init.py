"""``netops init DIR``: a working folder to start from — the lab region, its templates, the playbooks and the
Prometheus, Alertmanager and Grafana material — written from the installed package.

The material is the repository's own ``inventory/``, ``playbooks/`` and ``exporters/``: the wheel carries a copy
as ``netops/starter/`` (``deploy/build_starter.py`` puts it there at build time); a source checkout (an editable
install) reads the repository's folders. After ``netops init DIR``, every command run in DIR finds its defaults
(``./inventory``, ``./playbooks``); ``netops demo`` there starts the lab region and the service over it.
"""

from __future__ import annotations

import shutil
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


def write_starter(target: Path, *, force: bool = False) -> list[Path]:
    """Copy the starter folders into ``target`` (created if missing); returns the folders written.

    A folder that already exists in ``target`` is left alone unless ``force`` (then it is replaced)."""
    root = starter_root()
    existing = [target / name for name in FOLDERS if (target / name).exists()]
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        raise ConflictError(f"{names} already exist(s): not overwritten (pass --force to replace)")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FOLDERS:
        dest = target / name
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(root / name, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
        written.append(dest)
    return written


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to write into (created if missing).")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace inventory/, playbooks/, exporters/ if they exist.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a starter inventory (the lab region), templates, playbooks and exporters material into DIR."""
    written = write_starter(directory, force=force)
    if as_json:
        print_json({"directory": str(directory), "written": [str(p) for p in written]})
        return
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
