"""``netops token create|list|revoke`` and ``netops audit``: run where the service's database is."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from netops.cli.common import JsonOpt, StateDirOpt, command_group, open_store_at, out, print_json
from netops.errors import NetopsError

token_app = command_group("API tokens: create (shown once), list, revoke.")


def cli_actor() -> str:
    """``cli:<os user>``: the one actor naming of netops.auth.audit."""
    from netops.auth.audit import cli_actor as actor

    return actor()


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="A name for who or what uses it, e.g. noc-wall.")],
    role: Annotated[str, typer.Option("--role", help="viewer, operator, engineer or admin.")],
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token; it is printed once and stored only as a hash."""
    from netops.auth import audit, tokens

    try:
        parsed = tokens.Role.parse(role)
    except NetopsError as exc:
        raise typer.BadParameter(str(exc), param_hint="--role") from None
    store = open_store_at(state_dir, create=True)
    try:
        info, token = tokens.create_token(store, name, parsed)
        audit.record(
            store,
            actor=cli_actor(),
            action="token create",
            target=name,
            outcome="ok",
            detail={"role": str(parsed)},
        )
    finally:
        store.close()
    if as_json:
        print_json({"name": info.name, "role": str(info.role), "token": token})
    else:
        out.print(f"token {info.name} ({info.role}), shown only now:\n{token}", highlight=False)


@token_app.command("list")
def token_list(state_dir: StateDirOpt = None, as_json: JsonOpt = False) -> None:
    """Tokens by name and role (never the tokens themselves)."""
    from netops.auth import tokens

    store = open_store_at(state_dir, create=False)
    try:
        rows = tokens.list_tokens(store)
    finally:
        store.close()
    if as_json:
        print_json(
            [
                {
                    "name": t.name,
                    "role": str(t.role),
                    "created_at": t.created_at,
                    "last_used_at": t.last_used_at,
                    "revoked": t.revoked_at is not None,
                }
                for t in rows
            ]
        )
        return
    table = Table()
    for col in ("name", "role", "created", "last used", "state"):
        table.add_column(col)
    for t in rows:
        table.add_row(
            t.name,
            str(t.role),
            _when(t.created_at),
            _when(t.last_used_at),
            "revoked" if t.revoked_at is not None else "active",
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument()], state_dir: StateDirOpt = None) -> None:
    """Revoke a token at once (it stays listed, as revoked)."""
    from netops.auth import audit, tokens

    store = open_store_at(state_dir, create=False)
    try:
        tokens.revoke(store, name)
        audit.record(store, actor=cli_actor(), action="token revoke", target=name, outcome="ok")
    finally:
        store.close()
    out.print(f"token {name} revoked")


def audit(
    state_dir: StateDirOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    actor: Annotated[str | None, typer.Option(help="Only this actor (token name or cli:USER).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The audit log, newest first: who did what, when, with what outcome."""
    from netops.auth import audit as audit_log

    store = open_store_at(state_dir, create=False)
    try:
        rows = audit_log.entries(store, limit=limit, actor=actor)
    finally:
        store.close()
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    for r in rows:
        target = f" {r.target}" if r.target else ""
        out.print(f"{_when(r.at)}  {r.actor:<20} {r.action}{target} -> {r.outcome}", highlight=False)
    if not rows:
        out.print("no audit entries")


def _when(ts: float | None) -> str:
    return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
