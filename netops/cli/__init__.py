"""The ``netops`` command line: thin wrappers from arguments to the same services the API calls.

Commands: ``inventory`` (validate, show, tree, impact, progress), ``serve``, ``lab`` (the simulated region).
"""

from __future__ import annotations

import typer

from netops.cli import admin, config, demo, export, inventory, lab, poll, runbook, serve, status, vc

app = typer.Typer(
    help="netops: operations manager for the regional e-government WAN.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(inventory.app, name="inventory")
app.add_typer(lab.app, name="lab")
app.add_typer(poll.app, name="poll")
app.add_typer(admin.token_app, name="token")
app.add_typer(vc.app, name="vc")
app.add_typer(export.app, name="export")
app.add_typer(runbook.app, name="runbook")
app.add_typer(config.app, name="config")
app.command()(serve.serve)
app.command()(demo.demo)
app.command()(status.status)
app.command()(status.incidents)
app.command()(status.ack)
app.command()(admin.audit)


def main() -> None:
    app()
