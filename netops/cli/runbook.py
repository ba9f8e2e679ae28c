"""``netops runbook``: emergency-plan runbooks from the command line.

    netops runbook list | validate [DIR] | show ID
    netops runbook plan ID --param k=v            dry run: renders, runs read-only checks, writes nothing
    netops runbook run ID --param k=v [--dry-run] runs in the foreground (waits for approvals given elsewhere)
    netops runbook runs [--state active] | status RUN | transcript RUN
    netops runbook approve RUN [STEP] --input k=v [--reject]
    netops runbook cancel RUN
    netops runbook resume RUN [--from STEP] [--param secret=v]

The same services as the API (``netops.runbooks``), on the database of ``--state-dir``. Whoever runs the CLI
has the database itself, so approvals made here count as role admin. The actor of every CLI action (the run's
starter, the approval, the transcript, the change records, the audit row) is always ``cli:<os user>``; ``--as``
is only a note kept in the audit row's detail (``{"as": ...}``): at most 64 printable characters, no control
characters, never starting with ``token:`` or ``cli:`` (it cannot pass for an actor).
Exit codes: 0 done (a run succeeded), 1 problems (invalid runbooks, a run that failed), 2 usage.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from netops.cli.common import (
    EXIT_PROBLEMS,
    InventoryOpt,
    JsonOpt,
    StateDirOpt,
    command_group,
    fail,
    load,
    open_store_at,
    out,
)
from netops.cli.common import print_json as emit

if TYPE_CHECKING:
    from netops.runbooks import records as rec
    from netops.runbooks.catalog import Catalog
    from netops.runbooks.engine import Engine

app = command_group("Emergency-plan runbooks: validate, plan, run, approve, resume.")

PlaybooksOpt = Annotated[
    Path, typer.Option("--playbooks", "-p", envvar="NETOPS_PLAYBOOKS", help="Folder of runbook YAML files.")
]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", help="A parameter as name=value (repeat).")]
ActorOpt = Annotated[
    str,
    typer.Option(
        "--as",
        help="A note kept in the audit row (e.g. your name on a shared account); the actor is always cli:<os user>.",
    ),
]
NOTE_MAX = 64
ACTOR_PREFIXES = ("token:", "cli:")


def _catalog(directory: Path) -> Catalog:
    from netops.runbooks.catalog import RunbookError, load_catalog

    try:
        return load_catalog(directory)
    except RunbookError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        fail(f"runbooks have {len(exc.problems)} problem(s)")


def _engine(playbooks: Path, inventory: Path, state_dir: Path | None, *, create: bool) -> Engine:
    from netops.drivers.snmp.source import SnmpSource
    from netops.runbooks.actions import Tools
    from netops.runbooks.change_engine import ChangeEnginePusher
    from netops.runbooks.engine import Engine
    from netops.secrets import SecretStore
    from netops.settings import Settings

    catalog = _catalog(playbooks)
    inv = load(inventory)
    secrets = SecretStore()
    store = open_store_at(state_dir, create=create)
    snmp = SnmpSource(lambda: inv, secrets)
    pusher = ChangeEnginePusher(  # config_push steps go through the change engine
        lambda: inv, secrets, store, snmp, timeouts=Settings().ssh_timeouts
    )
    tools = Tools(lambda: inv, secrets, snmp, store, pusher)
    return Engine(store, lambda: catalog, tools)


def _pairs(items: list[str]) -> dict[str, str]:
    from netops.runbooks.params import parse_pairs

    return parse_pairs(items)


def _user() -> str:
    """Who acts: ``cli:<os user>`` (netops.auth.audit's one naming), whatever ``--as`` says."""
    from netops.auth.audit import cli_actor

    return cli_actor()


def checked_note(note: str) -> str:
    """``--as``: a free-text note, refused (exit 2, the value not echoed) unless it is short, printable and
    cannot be taken for an actor."""
    import unicodedata

    from netops.errors import InvalidInputError

    if any(unicodedata.category(c).startswith("C") or c in "\u2028\u2029" for c in note):
        raise InvalidInputError("--as: control or format characters are not allowed (a note, one line)")
    if len(note) > NOTE_MAX:
        raise InvalidInputError(f"--as: at most {NOTE_MAX} characters (found {len(note)})")
    if note.strip().lower().startswith(ACTOR_PREFIXES):
        raise InvalidInputError(
            "--as: a note cannot start with 'token:' or 'cli:' (the actor is always cli:<os user>)"
        )
    return note.strip()


def _audited(
    engine: Engine, action: str, run_id: str | None, named: str
) -> AbstractContextManager[dict[str, Any]]:
    """The audit row of a CLI runbook command: actor ``cli:<os user>``, ``--as`` (checked) in the detail."""
    from netops.auth import audit

    note = checked_note(named)
    detail = {"as": note} if note else {}
    return audit.audited(engine.store, actor=audit.cli_actor(), action=action, target=run_id, detail=detail)


def _show_run(run: rec.RunView, as_json: bool, engine: Engine) -> None:
    from netops.runbooks import records as rec

    if as_json:
        steps = [s.as_dict() for s in rec.steps_of(engine.store, run.id)]
        emit({**run.as_dict(), "steps": steps, "approvals": rec.approvals_of(engine.store, run.id)})
        return
    flag = " (interrupted: resumable)" if run.interrupted else ""
    out.print(f"{run.id}  {run.runbook}  {run.state}{flag}  at {run.phase}:{run.cursor}", highlight=False)
    for s in rec.steps_of(engine.store, run.id):
        error = f"  {s.error}" if s.error else ""
        out.print(f"  {s.step:<24} #{s.attempt} {s.state}{error}", highlight=False, markup=False)


def _execute(engine: Engine, run_id: str, secrets: dict[str, str], as_json: bool) -> None:
    run = asyncio.run(engine.execute(run_id, secrets))
    _show_run(run, as_json, engine)
    engine.store.close()
    if run.state != "succeeded":
        raise typer.Exit(EXIT_PROBLEMS)


@app.command("list")
def list_(playbooks: PlaybooksOpt = Path("playbooks"), as_json: JsonOpt = False) -> None:
    """The runbooks of the playbooks folder."""
    catalog = _catalog(playbooks)
    rows = [{"id": r.id, "title": r.spec.title, "severity": r.spec.severity, "section": r.spec.plan_section,
             "file": r.file} for r in sorted(catalog.runbooks.values(), key=lambda r: r.id)]  # fmt: skip
    if as_json:
        emit(rows)
        return
    for row in rows:
        out.print(
            f"{row['id']:<32} {row['severity']:<9} {row['section']:<10} {row['title']}", highlight=False
        )


@app.command()
def validate(
    directory: Annotated[Path, typer.Argument()] = Path("playbooks"), as_json: JsonOpt = False
) -> None:
    """Check every runbook of DIR; lists every problem with file:line and field."""
    from netops.runbooks.catalog import RunbookError, load_catalog

    try:
        catalog = load_catalog(directory)
    except RunbookError as exc:
        if as_json:
            emit({"ok": False, "problems": [str(p) for p in exc.problems]})
        else:
            for problem in exc.problems:
                out.print(str(problem), highlight=False, markup=False)
        raise typer.Exit(EXIT_PROBLEMS) from None
    if as_json:
        emit({"ok": True, "runbooks": sorted(catalog.runbooks)})
    else:
        out.print(
            f"{len(catalog.runbooks)} runbooks valid: {', '.join(sorted(catalog.runbooks))}", highlight=False
        )


@app.command()
def show(ident: str, playbooks: PlaybooksOpt = Path("playbooks"), as_json: JsonOpt = False) -> None:
    """One runbook: its metadata, parameters and steps (JSON), or its YAML."""
    rb = _catalog(playbooks).get(ident)
    if as_json:
        emit(rb.spec.model_dump(mode="json", by_alias=True))
    else:
        out.print(rb.text, highlight=False, markup=False)


@app.command()
def plan(
    ident: str,
    param: ParamOpt = None,
    playbooks: PlaybooksOpt = Path("playbooks"),
    inventory: InventoryOpt = Path("inventory"),
    as_json: JsonOpt = False,
) -> None:
    """Dry run: render every step, run the read-only checks, show what would be done. Writes nothing."""
    from netops.drivers.snmp.source import SnmpSource
    from netops.runbooks.actions import Tools
    from netops.runbooks.plan import plan as dry_plan
    from netops.secrets import SecretStore

    catalog = _catalog(playbooks)
    inv = load(inventory)
    secrets = SecretStore()
    tools = Tools(
        lambda: inv, secrets, SnmpSource(lambda: inv, secrets), store=None
    )  # no store: writes nothing
    result = asyncio.run(dry_plan(catalog, tools, ident, _pairs(param or [])))
    if as_json:
        emit(result)
        return
    for row in result["steps"]:
        extra = {k: v for k, v in row.items() if k not in ("step", "kind", "title", "action", "section")}
        out.print(f"{row['section']}/{row['step']} ({row['kind']}): {row.get('action')}", highlight=False)
        for key, value in extra.items():
            out.print(f"    {key}: {value}", highlight=False, markup=False)


@app.command()
def run(
    ident: str,
    param: ParamOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Same as `plan`: writes nothing.")] = False,
    playbooks: PlaybooksOpt = Path("playbooks"),
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    actor: ActorOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Start a run and execute it here, in the foreground (approvals can be given from another shell)."""
    from netops.runbooks import records as rec

    if dry_run:
        plan(ident, param, playbooks, inventory, as_json)
        return
    checked_note(actor)  # before anything is opened: a refused note changes nothing
    engine = _engine(playbooks, inventory, state_dir, create=True)
    given = _pairs(param or [])
    with _audited(engine, "runbook run", None, actor) as note:
        run_id = engine.create_run(ident, given, actor=_user(), trigger={"source": "cli"})
        note.update(runbook=ident, run=run_id)
    if not as_json:
        out.print(f"run {run_id} started", highlight=False)
    secrets = {k: v for k, v in given.items() if k in rec.get_run(engine.store, run_id).secret_params}
    _execute(engine, run_id, secrets, as_json)


@app.command()
def runs(
    state: Annotated[str | None, typer.Option(help="active, or one state (failed, waiting, ...).")] = None,
    runbook: Annotated[str | None, typer.Option(help="Only runs of this runbook.")] = None,
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Recent runs, newest first."""
    from netops.runbooks import records as rec

    store = open_store_at(state_dir, create=False)
    found = rec.list_runs(store, state=state, runbook=runbook)
    store.close()
    if as_json:
        emit([r.as_dict() for r in found])
        return
    for r in found:
        flag = " interrupted" if r.interrupted else ""
        out.print(f"{r.id}  {r.runbook:<28} {r.state:<10}{flag} {r.cursor or ''}", highlight=False)


@app.command()
def status(
    run_id: str,
    playbooks: PlaybooksOpt = Path("playbooks"),
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One run: state, where it stands, every step attempt, approvals."""
    from netops.runbooks import records as rec

    engine = _engine(playbooks, inventory, state_dir, create=False)
    _show_run(rec.get_run(engine.store, run_id), as_json, engine)


@app.command()
def transcript(run_id: str, state_dir: StateDirOpt = None, as_json: JsonOpt = False) -> None:
    """The append-only transcript of a run."""
    from netops.runbooks import records as rec

    store = open_store_at(state_dir, create=False)
    rec.get_run(store, run_id)
    lines = rec.transcript(store, run_id)
    store.close()
    if as_json:
        emit(lines)
        return
    for line in lines:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(line["at"]))
        out.print(f"{stamp}  {line['step'] or '-':<20} {line['text']}", highlight=False, markup=False)


@app.command()
def approve(
    run_id: str,
    step: Annotated[
        str | None, typer.Argument(help="The step waiting (default: the one the run waits on).")
    ] = None,
    input_: Annotated[
        list[str] | None, typer.Option("--input", help="An input the step asks for, name=value.")
    ] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Refuse instead of approving.")] = False,
    playbooks: PlaybooksOpt = Path("playbooks"),
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    actor: ActorOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Approve (or reject) the step a run waits on, or the start of a proposed run."""
    from netops.auth.tokens import Role

    checked_note(actor)  # before anything is opened: a refused note changes nothing
    engine = _engine(playbooks, inventory, state_dir, create=False)
    with _audited(engine, "runbook reject" if reject else "runbook approve", run_id, actor) as note:
        note["step"] = step
        run_view = engine.approve(
            run_id, step, actor=_user(), role=Role.ADMIN, inputs=dict(_pairs(input_ or [])),
            decision="rejected" if reject else "approved",
        )  # fmt: skip
    _show_run(run_view, as_json, engine)


@app.command()
def cancel(
    run_id: str,
    playbooks: PlaybooksOpt = Path("playbooks"),
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    actor: ActorOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Cancel a run (at once if nothing executes it, else at its next step or wait)."""
    checked_note(actor)  # before anything is opened: a refused note changes nothing
    engine = _engine(playbooks, inventory, state_dir, create=False)
    with _audited(engine, "runbook cancel", run_id, actor):
        cancelled = engine.cancel(run_id, actor=_user())
    _show_run(cancelled, as_json, engine)


@app.command()
def resume(
    run_id: str,
    from_step: Annotated[str | None, typer.Option("--from", help="Continue at this step instead.")] = None,
    param: ParamOpt = None,
    playbooks: PlaybooksOpt = Path("playbooks"),
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Continue a failed or interrupted run here, at the step it stopped on; finished steps do not run again."""
    engine = _engine(playbooks, inventory, state_dir, create=False)
    with _audited(engine, "runbook resume", run_id, "") as note:
        note["from"] = from_step
        engine.prepare_resume(run_id, from_step)
    _execute(engine, run_id, dict(_pairs(param or [])), as_json)
