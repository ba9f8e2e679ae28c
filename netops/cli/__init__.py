"""The ``netops`` command line: thin wrappers from arguments to the same services the API calls.

Command groups: ``inventory`` (validate, show, tree, impact, progress), ``serve``, ``demo``, ``lab`` (the
simulated region and its faults), ``poll`` (one SNMP health cycle), ``status``, ``incidents``, ``ack``,
``vc`` (conferences and room readiness), ``config`` (render, diff, push in waves, backups, drift), ``runbook``
(emergency-plan runbooks), ``token`` (API tokens), ``audit``, ``export`` (Prometheus file-SD targets, Nornir and
Ansible inventories) and ``init`` (a starter folder from the installed package); ``--version``.

Start-up is kept short: each command's module is imported only when that command runs (``groups.LazyGroup``;
``--help`` lists them from the table below), and heavy libraries (netmiko, SQLAlchemy, FastAPI, ...) only
inside the commands that use them. Where the state lives: ``state.py``; errors -> exit codes: ``groups.py``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from netops.cli.groups import LazyGroup

# name -> ("module:attr", short help); the help must equal the command's own (tests/cli/test_lazy_imports.py)
COMMANDS: dict[str, tuple[str, str]] = {
    "inventory": ("netops.cli.inventory:app", "Read, check and query the inventory."),
    "serve": (
        "netops.cli.serve:serve",
        "Run the service: HTTP API, /metrics and the scheduler, over the inventory.",
    ),
    "demo": ("netops.cli.demo:demo", "Start the lab region and the service over it; print where to look."),
    "lab": ("netops.cli.lab:app", "The simulated region on 127.x: SSH CLIs, SNMP agents, codecs, faults."),
    "poll": ("netops.cli.poll:app", "SNMP health polling."),
    "status": (
        "netops.cli.status:status",
        "The region as a tree coloured by state; exit 1 when something is down, unreachable or unmanaged.",
    ),
    "incidents": (
        "netops.cli.status:incidents",
        "Incidents, newest first: one per root cause, with the sites, devices and rooms it cut off.",
    ),
    "ack": ("netops.cli.status:ack", "Acknowledge an incident: the NOC and the board see who took it on."),
    "vc": ("netops.cli.vc:app", "Video-conference readiness: conferences, prechecks, board."),
    "config": ("netops.cli.config:app", "Configuration: render, diff, push in waves, changes, backups."),
    "runbook": ("netops.cli.runbook:app", "Emergency-plan runbooks: validate, plan, run, approve, resume."),
    "token": ("netops.cli.admin:token_app", "API tokens: create (shown once), list, revoke."),
    "audit": (
        "netops.cli.admin:audit",
        "The audit log, newest first: who did what, when, with what outcome.",
    ),
    "export": (
        "netops.cli.export:app",
        "Export from the inventory: Prometheus targets, Nornir and Ansible inventories.",
    ),
    "import": (
        "netops.cli.import_cmd:app",
        "Build an inventory from a source of truth (Nautobot's REST API).",
    ),
    "services": (
        "netops.cli.services:app",
        "E-government services: the inventory's services and their checks.",
    ),
    "notify": (
        "netops.cli.notify:app",
        "Notifications: the routes of notify.yaml, and a test notice through the real channels.",
    ),
    "report": (
        "netops.cli.report:report",
        "The assessment report: availability, incidents, MTTR, conferences, rollout, changes, backups.",
    ),
    "init": (
        "netops.cli.init:init",
        "Write a starter inventory (the lab region), templates, playbooks and exporters material into DIR.",
    ),
}


class _Netops(LazyGroup):
    lazy = COMMANDS


app = typer.Typer(
    cls=_Netops,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from netops import __version__

        typer.echo(f"netops {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """netops: operations manager for the regional e-government WAN."""


def main() -> None:
    app()
