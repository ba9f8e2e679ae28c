"""``netops notify``: what ``notify.yaml`` routes where (``routes``) and a test notice through the real channels
(``test``), so that on-call staff know a robot or a mailbox works before an incident needs it (docs/notify.md).

``test`` sends one notice, marked as a test, to the channels named with ``--channel`` and to those the routes
choose for ``--severity``/``--prefecture``/``--runbook``, through the same delivery code as a runbook's
``notify`` step (retries, masking, secrets read now). Exit 0 when every channel took it, 1 when one did not
(or none was chosen), 2 for an unknown channel or prefecture. Secrets never appear in what is printed.
"""

from __future__ import annotations

import asyncio
import getpass
import time
from pathlib import Path
from typing import Annotated, Any, get_args

import typer

from netops.cli.common import EXIT_PROBLEMS, InventoryOpt, JsonOpt, command_group, err, load, out, print_json
from netops.notify.config import Severity

app = command_group("Notifications: the routes of notify.yaml, and a test notice through the real channels.")

TEST_RUNBOOK = "notify-test"
SEVERITIES: tuple[str, ...] = get_args(Severity)


@app.command("routes")
def routes(inventory: InventoryOpt = Path("inventory"), as_json: JsonOpt = False) -> None:
    """The channels of notify.yaml and which notices each route sends to them (no secret is shown)."""
    from netops.notify.config import load_notify
    from netops.secrets import SecretStore

    inv = load(inventory)
    config = load_notify(inventory, inv)  # InventoryError naming file:line: exit 1
    secrets = SecretStore()
    channels = [_channel_row(c, secrets, config) for c in config.spec.channels]
    rules: list[dict[str, Any]] = [
        {
            "severity": r.severity,
            "prefecture": r.prefecture,
            "runbook": r.runbook,
            "channels": list(r.channels),
        }
        for r in config.spec.routes
    ]
    if as_json:
        print_json({"file": config.source, "channels": channels, "routes": rules})
        return
    if config.source is None:
        out.print(f"no notify.yaml in {inventory}: no channel, no route", highlight=False)
        return
    for c in channels:
        ready = "ready" if c["configured"] else f"NOT READY: {c['missing']}"
        out.print(f"channel {c['id']:<20} {c['kind']:<8} {ready}", highlight=False)
    for r in rules:
        when = ", ".join(
            f"{k} {'|'.join(r[k])}" for k in ("severity", "prefecture", "runbook") if r[k] is not None
        )
        out.print(f"route   {when or 'every notice'} -> {', '.join(r['channels'])}", highlight=False)


def _channel_row(spec: Any, secrets: Any, config: Any) -> dict[str, Any]:
    """A channel as shown: its kind and whether the secrets it needs are set (their names only)."""
    from netops.notify.config import SMTP_PASSWORD, sign_secret, url_secret

    missing: list[str] = []
    if spec.kind == "email":
        smtp = config.spec.smtp
        if smtp is None:
            missing.append("no smtp section in notify.yaml")
        elif smtp.username and not secrets.has(SMTP_PASSWORD):
            missing.append(f"secret {SMTP_PASSWORD.name}")
    else:
        if not secrets.has(url_secret(spec.id)):
            missing.append(f"secret {url_secret(spec.id).name}")
        if spec.sign and not secrets.has(sign_secret(spec.id)):
            missing.append(f"secret {sign_secret(spec.id).name}")
    return {"id": spec.id, "kind": spec.kind, "configured": not missing, "missing": "; ".join(missing)}


@app.command("test")
def test(
    channel: Annotated[
        list[str] | None, typer.Option("--channel", "-c", help="A channel of notify.yaml (repeatable).")
    ] = None,
    severity: Annotated[
        str,
        typer.Option("--severity", help="The notice's severity, for the routes: " + ", ".join(SEVERITIES)),
    ] = "info",
    prefecture: Annotated[
        str | None, typer.Option("--prefecture", help="A prefecture site id, for the routes.")
    ] = None,
    runbook: Annotated[str, typer.Option("--runbook", help="A runbook id, for the routes.")] = TEST_RUNBOOK,
    message: Annotated[str | None, typer.Option("--message", help="Text of the notice.")] = None,
    inventory: InventoryOpt = Path("inventory"),
    as_json: JsonOpt = False,
) -> None:
    """Send a test notice to the named and the routed channels; exit 1 unless every one of them took it."""
    from netops.errors import InvalidInputError, NotFoundError
    from netops.notify import deliver
    from netops.notify.channels import Notice
    from netops.notify.config import load_notify
    from netops.secrets import SecretStore

    if severity not in SEVERITIES:
        raise InvalidInputError(f"--severity {severity!r}: one of {', '.join(SEVERITIES)}")
    inv = load(inventory)
    config = load_notify(inventory, inv)  # a broken notify.yaml: every problem, exit 1
    for name in channel or []:
        if name not in config.channels:
            raise NotFoundError("channel of notify.yaml", name, sorted(config.channels))
    if prefecture is not None:
        site = inv.site(prefecture)  # NotFoundError: exit 2
        if site.prefecture != site.id:
            raise InvalidInputError(
                f"--prefecture {prefecture!r} is not a prefecture (it is in {site.prefecture})"
            )
    when = time.strftime("%Y-%m-%d %H:%M:%S %z")
    text = message or f"Test notice from netops at {when}, sent by {getpass.getuser()}: no action needed."
    notice = Notice(f"test-{int(time.time())}", runbook, "netops notification test", "test", severity, text,
                    prefecture, prefecture)  # fmt: skip
    lines: list[str] = []
    report = asyncio.run(
        deliver.notify(inv, SecretStore(), notice, named=list(channel or []), record=lines.append)
    )
    outcomes = [o.as_dict() for o in report.outcomes]
    chosen = not (not report.outcomes and not channel)
    if as_json:
        print_json({"notice": {"severity": severity, "prefecture": prefecture, "runbook": runbook},
                    "deliveries": outcomes, "problem": report.problem})  # fmt: skip
    else:
        if not report.outcomes:
            err.print(
                f"no channel: none named, and no route of notify.yaml matches severity {severity}, "
                f"prefecture {prefecture or '-'}, runbook {runbook}",
                highlight=False,
            )
        for o in report.outcomes:
            mark = "sent  " if o.sent else "FAILED"
            out.print(f"{mark} {o.channel:<20} {o.kind:<8} {o.detail}", highlight=False)
    if report.failed or not chosen:
        raise typer.Exit(EXIT_PROBLEMS)
