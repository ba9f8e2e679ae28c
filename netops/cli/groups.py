"""The click groups behind ``netops``: netops errors -> message and exit code in one place, and subcommands
imported only when they run (or are listed by ``--help``, from their short help kept in the table).

    netops (LazyGroup)          name -> "module:attr" + short help; the module is imported on first use
    └── inventory, lab, ... (NetopsGroup)

Exit codes (README "Commands"): ``NotFoundError`` and ``InvalidInputError`` are usage errors, 2; an invalid
inventory and every other ``NetopsError`` are problems, 1. ``main`` of the outermost group applies the
mapping, so a subcommand group run on its own (``netops.cli.vc.app`` in tests) exits the same way.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping, Sequence
from difflib import get_close_matches
from typing import Any, ClassVar

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup

from netops.cli.common import EXIT_PROBLEMS, EXIT_USAGE, err
from netops.errors import InvalidInputError, InventoryError, NetopsError, NotFoundError

_LISTING = "netops.listing"


def exit_code(exc: NetopsError) -> int:
    if isinstance(exc, InventoryError):
        return EXIT_PROBLEMS
    if isinstance(exc, NotFoundError | InvalidInputError):
        return EXIT_USAGE
    return EXIT_PROBLEMS


def report(exc: NetopsError) -> int:
    """Print the error on stderr (an invalid inventory: every problem, one a line); return the exit code."""
    if isinstance(exc, InventoryError):
        for problem in exc.problems:
            err.print(str(problem), highlight=False, markup=False)
        message = f"inventory has {len(exc.problems)} problem(s)"
    else:
        message = str(exc)
    err.print("[bold red]error:[/] ", end="", highlight=False)
    err.print(message, highlight=False, markup=False)
    return exit_code(exc)


class NetopsGroup(TyperGroup):
    """A typer group whose ``main`` (the entry point) turns a ``NetopsError`` into a message and exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            return super().main(args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)
        except NetopsError as exc:
            if not standalone_mode:
                raise
            sys.exit(report(exc))


def _load(name: str, target: str) -> _click.Command:
    module_name, _, attr = target.partition(":")
    obj = getattr(importlib.import_module(module_name), attr)
    if isinstance(obj, typer.Typer):
        return typer.main.get_group(obj)  # a group even with one command: `netops poll once`
    single = typer.Typer(add_completion=False)
    single.command(name=name)(obj)
    return typer.main.get_command(single)


class LazyGroup(NetopsGroup):
    """Subcommands from ``lazy`` (name -> ("module:attr", short help)): a ``typer.Typer`` or a command function.

    ``--help`` lists them from the table without importing anything; a test keeps the table's help equal to
    each command's own."""

    lazy: ClassVar[Mapping[str, tuple[str, str]]] = {}

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.lazy if n not in self.commands)]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in self.lazy:
            return found
        target, short_help = self.lazy[cmd_name]
        if ctx.meta.get(_LISTING):
            return TyperCommand(cmd_name, help=short_help, short_help=short_help)
        command = _load(cmd_name, target)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        ctx.meta[_LISTING] = True
        try:
            super().format_help(ctx, formatter)
        finally:
            ctx.meta.pop(_LISTING, None)

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        try:
            return self._click_resolve_command(ctx, args)
        except _click.exceptions.UsageError as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise
