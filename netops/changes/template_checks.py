"""Check the configuration templates for ``netops inventory validate``, and compose that whole validation.

Where it sits: ``netops inventory validate`` -> ``validate_inventory`` -> ``netops.inventory.folder`` (the
model, the folder's layout) + ``netops.vc.filecheck`` (conference files) + ``check_templates`` (here) +
``netops.notify.config.check_notify`` (``notify.yaml``). The
composition lives here because ``netops.changes`` is the lowest layer that may import both the inventory and
``netops.vc`` (the change engine already reads conferences for its freeze); ``inventory/`` imports nothing
of netops but ``errors``, so it takes the other folders' checks as arguments.

``check_templates`` reports, as ``Problem(file, line, field, message)`` with paths relative to the inventory:
- every ``templates/**/*.j2`` that Jinja2 cannot compile (syntax, unknown filter), at its line;
- an include/import of a template that does not exist, at the including line;
- for every device with a CLI: no template for it, or its rendering fails (an undefined variable with
  ``StrictUndefined``, a filter given a bad address, an SNMP profile without a community) at the template
  line, naming the devices. Secrets render as placeholders: the secret store is not consulted.

Jinja2 and the renderer are imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import os
import traceback
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from netops.errors import NetopsError, Problem
from netops.inventory.folder import validate_folder
from netops.inventory.models import Inventory, SecretRef
from netops.notify.config import check_notify
from netops.secrets import SecretStore
from netops.vc.filecheck import check_files

if TYPE_CHECKING:
    import jinja2

_SHOWN_DEVICES = 5


def validate_inventory(directory: str | Path) -> Inventory:
    """The whole inventory folder: model, layout, conference files, templates, ``notify.yaml``;
    ``InventoryError`` lists all. Every caller (``netops inventory validate``, the API's inventory routes,
    ``netops serve``) gets the same checks."""
    return validate_folder(directory, (check_files, check_templates, check_notify))


def check_templates(inventory_dir: Path, inventory: Inventory | None) -> list[Problem]:
    """Every problem of ``<inventory>/templates``; rendering for each device needs the inventory."""
    from netops.changes import render  # jinja2 and the CLI drivers: only when templates are checked

    root = Path(inventory_dir) / render.TEMPLATES_DIR
    if not root.is_dir():
        return []
    where = _Where(Path(inventory_dir), root)
    problems = _compile_problems(root, where)
    if inventory is not None:
        reported = {(p.file, p.line) for p in problems}
        problems.extend(
            p for p in _render_problems(inventory, root, where) if (p.file, p.line) not in reported
        )
    return problems


class _Where:
    """Template paths as problems show them: relative to the inventory directory when inside it."""

    def __init__(self, inventory_dir: Path, root: Path) -> None:
        self.base = inventory_dir.resolve()
        self.root = root.resolve()

    def file(self, path: str | Path) -> str:
        full = Path(path)
        full = (full if full.is_absolute() else self.root / full).resolve()
        try:
            return full.relative_to(self.base).as_posix()
        except ValueError:
            return str(full)


def _environment(root: Path) -> jinja2.Environment:
    """An environment configured as the renderer's, for compiling without rendering."""
    import jinja2

    from netops.changes.render import FILTERS

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(FILTERS)
    return env


def _compile_problems(root: Path, where: _Where) -> list[Problem]:
    import jinja2
    from jinja2 import nodes

    env = _environment(root)
    kinds = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
    problems: list[Problem] = []
    for path in sorted(root.rglob("*.j2")):
        name = path.relative_to(root).as_posix()
        if name.startswith(".") or "/." in name:
            continue
        file = where.file(path)
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(file, None, "", f"cannot read the template: {exc}"))
            continue
        try:
            tree = env.parse(source, name, str(path))
            env.compile(source, name, str(path))  # unknown filters and tests fail here, not in parse
        except jinja2.TemplateSyntaxError as exc:
            problems.append(Problem(file, exc.lineno, "", f"Jinja2 syntax error: {exc.message}"))
            continue
        for node in tree.find_all(kinds):
            assert isinstance(node, kinds)  # find_all is typed as returning any statement
            target = node.template
            if not isinstance(target, nodes.Const) or not isinstance(target.value, str):
                continue  # a name computed at render time: rendering checks it
            if not (root / target.value).is_file():
                what = "includes" if isinstance(node, nodes.Include) else "imports"
                message = f"{what} template {target.value!r}, which does not exist"
                problems.append(Problem(file, node.lineno, "", message))
    return problems


class _PlaceholderSecrets(SecretStore):
    """Every secret is set, to a placeholder: validation checks the templates, not the secret store."""

    def __init__(self) -> None:
        super().__init__(Path(os.devnull))

    def get(self, ref: SecretRef) -> str:
        return "******"

    def has(self, ref: SecretRef) -> bool:
        return True


def _render_problems(inventory: Inventory, root: Path, where: _Where) -> list[Problem]:
    from netops.changes import render

    renderer = render.Renderer(inventory, _PlaceholderSecrets(), root)
    found: dict[tuple[str, int | None, str], list[str]] = defaultdict(list)
    for device in inventory.devices.values():
        if not device.platform.has_cli:
            continue  # codecs and MCUs are not configured from templates
        try:
            name = renderer.template_for(device)
        except render.TemplateError as exc:
            message = str(exc).removeprefix(f"{device.id}: ")
            found[(where.file(root), None, message)].append(device.id)
            continue
        try:
            renderer.render(device.id)
        except Exception as exc:  # noqa: BLE001 - whatever a template raises is a problem of that template
            file, line, message = _locate(exc, device.id, where, name)
            found[(file, line, message)].append(device.id)
    return [Problem(file, line, _devices(ids), message) for (file, line, message), ids in found.items()]


def _locate(exc: BaseException, device: str, where: _Where, name: str) -> tuple[str, int | None, str]:
    """(file, line, message) of a render failure: the innermost template line of the Jinja2 error behind it."""
    import jinja2

    cause = exc.__cause__ if isinstance(exc.__cause__, jinja2.TemplateError) else exc
    if isinstance(cause, jinja2.TemplateSyntaxError):
        return (
            where.file(cause.filename or cause.name or name),
            cause.lineno,
            f"Jinja2 syntax error: {cause.message}",
        )
    file, line = where.file(name), None
    for frame in traceback.extract_tb(cause.__traceback__):
        if frame.filename.endswith(".j2"):
            file, line = where.file(frame.filename), frame.lineno
    if isinstance(cause, jinja2.UndefinedError):
        message = f"undefined variable: {cause.message}"
    elif isinstance(cause, jinja2.TemplateNotFound):
        message = f"includes template {cause.name!r}, which does not exist"
    elif isinstance(cause, NetopsError):
        message = str(cause).removeprefix(f"{device}: ")
    else:
        message = f"{type(cause).__name__}: {cause}"
    return file, line, message


def _devices(ids: list[str]) -> str:
    shown = ", ".join(ids[:_SHOWN_DEVICES])
    return shown if len(ids) <= _SHOWN_DEVICES else f"{shown} and {len(ids) - _SHOWN_DEVICES} more"


__all__ = ["check_templates", "validate_inventory"]
