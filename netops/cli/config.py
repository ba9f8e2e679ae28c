"""``netops config``: templates, diffs, pushes in waves, change records, backups.

    netops config render DEVICE                       the intended configuration (secrets masked)
    netops config diff --device D | --site S | --all  running vs intended, block-aware (exit 1: no true diff)
    netops config push --plan  [--site S ...]         the waves, nothing is touched
    netops config push --apply [--site S ...] [--concurrency N] [--failure-budget N] [--force --reason R]
    netops config changes [--device D]                recorded changes, newest first
    netops config show CHANGE                         one change: waves, per-device outcome, diff, checks
    netops config backup [--device D | --site S]      back up running configurations, measure drift
    netops config history DEVICE [--diff OLD NEW]     stored versions of a device; what changed between two
    netops config drift                               drift per device (from the last backup pass)
    netops config unlock DEVICE --reason TEXT [--force]  release a device's lock by hand (audited)
    netops config rollback CHANGE [--device D]        back to the configuration before CHANGE (a new change)
    netops config rollback --version N                a device back to stored backup version N

``diff``, ``push``, ``backup`` and ``rollback`` take ``--timeout`` (seconds for each SSH login phase: TCP
connect, banner, authentication) and ``--command-timeout`` (one command's answer); without them the service's
settings ``NETOPS_SSH_LOGIN_TIMEOUT_S`` / ``NETOPS_SSH_COMMAND_TIMEOUT_S`` apply (defaults 5 / 20 s; a backup
waits 30 s a command unless told otherwise: a whole configuration is a long answer). The reconciliation below
waits the same: the command's options where it has them, else the settings.

Thin over ``netops.changes`` (the same services as the API), on the database of ``--state-dir``. The
commands that open the store first reconcile what a dead process left (``netops.changes.journal``):
changes left ``running``, devices recorded ``unknown`` or ``half``. Mutating commands are audited
(``netops.auth.audit``, actor ``cli:<os user>``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from netops.cli.common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    InventoryOpt,
    JsonOpt,
    StateDirOpt,
    command_group,
    err,
    fail,
    load,
    out,
    print_json,
)
from netops.cli.common import open_store_at as _open_store
from netops.cli.progress import DeviceProgress, ProgressOpt
from netops.errors import ConflictError

if TYPE_CHECKING:
    from netops.drivers.cli import Timeouts
    from netops.inventory.models import Inventory
    from netops.store.db import Store

app = command_group("Configuration: render, diff, push in waves, changes, backups.")

DeviceOpt = Annotated[list[str] | None, typer.Option("--device", "-d", help="Device id (repeatable).")]
SiteOpt = Annotated[str | None, typer.Option("--site", "-s", help="A site and every site below it.")]
AllOpt = Annotated[bool, typer.Option("--all", help="Every configurable device.")]


def _seconds(limit: str) -> Callable[[float | None], float | None]:
    """An option's check: seconds above 0 and at most the settings' ``limit`` (typer's ranges cannot exclude
    0; ``netops.settings`` is imported when an option is given, not for every command)."""

    def check(value: float | None) -> float | None:
        if value is None:
            return None
        from netops import settings

        most: float = getattr(settings, limit)
        if not (math.isfinite(value) and 0 < value <= most):
            raise typer.BadParameter(f"expected seconds above 0, at most {most:g}; found {value:g}")
        return value

    return check


LoginTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        callback=_seconds("SSH_LOGIN_TIMEOUT_MAX_S"),
        help="Seconds for each SSH login phase: TCP connect, banner, authentication "
        "(default: NETOPS_SSH_LOGIN_TIMEOUT_S, else 5).",
        show_default=False,
    ),
]
CommandTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--command-timeout",
        callback=_seconds("SSH_COMMAND_TIMEOUT_MAX_S"),
        help="Seconds for one command's answer over SSH (default: NETOPS_SSH_COMMAND_TIMEOUT_S, else 20).",
        show_default=False,
    ),
]
_STYLE = {
    "confirmed": "green",
    "unchanged": "dim",
    "rolled-back": "yellow",
    "skipped": "dim",
    "refused": "yellow",
}


def actor() -> str:
    """The CLI's audit actor: ``cli:<os user>`` (the API's is ``token:<name>``)."""
    from netops.auth.audit import cli_actor

    return cli_actor()


def _reconcile(store: Store, inventory: Inventory | Path, timeouts: Timeouts | None = None) -> None:
    """Finish or undo what a dead process left (changes left running, devices unknown/half), before the
    command runs; an inventory that does not load skips it (the command itself may not need one). Its SSH
    sessions wait ``timeouts`` (the command's options), else the settings (``ssh_timeouts``)."""
    from netops.changes.journal import reconcile, stale_changes
    from netops.errors import NetopsError
    from netops.secrets import SecretStore

    if not stale_changes(store):
        return
    try:
        inv = inventory if not isinstance(inventory, Path) else load(inventory)
    except (NetopsError, typer.Exit) as exc:
        err.print(f"changes left by a dead process not reconciled: inventory {inventory}: {exc}")
        return
    for done in reconcile(
        inv, SecretStore(), store, actor=actor(), timeouts=timeouts or ssh_timeouts(None, None)
    ):
        devices = ", ".join(f"{d} {o}" for d, o in sorted(done.devices.items())) or "no device"
        err.print(f"reconciled change {done.change} ({done.state}): {devices}", highlight=False)


def _audit(store: Store, action: str, target: str | None, outcome: str, detail: dict[str, Any]) -> None:
    from netops.auth import audit

    audit.record(store, actor=actor(), action=action, outcome=outcome, target=target, detail=detail)


def ssh_timeouts(login_s: float | None, command_s: float | None, *, backup: bool = False) -> Timeouts:
    """``--timeout`` / ``--command-timeout``, else the settings ``NETOPS_SSH_LOGIN_TIMEOUT_S`` /
    ``NETOPS_SSH_COMMAND_TIMEOUT_S`` (a bad value: ``SettingsError`` naming it, exit 1), else their defaults;
    a ``backup``'s command waits 30 s when neither option nor variable says (``Settings.backup_ssh_timeouts``)."""
    from netops.drivers.cli import Timeouts
    from netops.settings import Settings

    settings = Settings()
    base = settings.backup_ssh_timeouts if backup else settings.ssh_timeouts
    return Timeouts.of(
        base.auth if login_s is None else login_s, base.command if command_s is None else command_s
    )


def _select(inventory: Inventory, device: list[str] | None, site: str | None, everything: bool) -> list[str]:
    from netops.changes.service import select_devices

    chosen = select_devices(inventory, device or [], site, everything)
    if not chosen:
        fail("choose devices: --device, --site or --all", EXIT_USAGE)
    return chosen


@app.command()
def render(device: str, inventory: InventoryOpt = Path("inventory"), json: JsonOpt = False) -> None:
    """Print the intended configuration of DEVICE (secrets masked)."""
    from netops.changes.diff import mask
    from netops.changes.render import Renderer
    from netops.changes.service import known_secrets
    from netops.secrets import SecretStore

    inv = load(inventory)
    rendered = Renderer(inv, SecretStore()).render(device)
    text = mask(rendered.text, rendered.secrets | known_secrets(inv, SecretStore()))
    if json:
        print_json(
            {"device": device, "template": rendered.template, "templates": rendered.templates, "text": text}
        )
        return
    out.print(f"# {device}: {rendered.template} (templates {rendered.digest})", style="dim", highlight=False)
    out.print(text, end="", highlight=False, markup=False)


@app.command()
def diff(
    device: DeviceOpt = None,
    site: SiteOpt = None,
    everything: AllOpt = False,
    concurrency: int = 16,
    timeout: LoginTimeoutOpt = None,
    command_timeout: CommandTimeoutOpt = None,
    inventory: InventoryOpt = Path("inventory"),
    json: JsonOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """Running vs intended per device: the lines that differ and the remediation commands."""
    from netops.changes.service import diff_devices
    from netops.secrets import SecretStore

    timeouts = ssh_timeouts(timeout, command_timeout)
    inv = load(inventory)
    chosen = _select(inv, device, site, everything)
    with DeviceProgress("diff", len(chosen), progress) as bar:
        diffs = diff_devices(
            inv,
            SecretStore(),
            chosen,
            concurrency,
            timeouts,
            on_done=lambda d: bar.advance(d.device, _diff_state(d)),
        )
    if json:
        print_json([d.as_dict() for d in diffs])
    else:
        for d in diffs:
            out.print(f"[bold]{d.device}[/]: {_diff_state(d)}", highlight=False)
            if not d.empty:
                out.print(d.text(), end="", highlight=False, markup=False)
    if any(not d.available for d in diffs):
        raise typer.Exit(EXIT_PROBLEMS)


def _diff_state(d: Any) -> str:
    return "in sync" if d.empty else (f"{d.lines} line(s) differ" if d.available else "NO DIFF")


@app.command()
def push(
    plan: Annotated[bool, typer.Option("--plan", help="Show the waves only.")] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Push, wave by wave.")] = False,
    device: DeviceOpt = None,
    site: SiteOpt = None,
    everything: AllOpt = False,
    canary: Annotated[str | None, typer.Option(help="The first device (default: the first county).")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Devices at once per wave.")] = 20,
    failure_budget: Annotated[int, typer.Option(min=0, help="Failed devices a wave tolerates.")] = 0,
    prefectures_per_wave: Annotated[int, typer.Option(min=1)] = 4,
    confirm_s: Annotated[float, typer.Option(help="Seconds until an unconfirmed change reverts.")] = 300.0,
    minute_s: Annotated[float, typer.Option(help="Length of a device minute (lab speed-up).")] = 60.0,
    force: Annotated[bool, typer.Option(help="Push through a conference freeze (needs --reason).")] = False,
    reason: Annotated[str, typer.Option(help="Why (recorded with the change).")] = "",
    no_snmp_checks: Annotated[
        bool, typer.Option("--no-snmp-checks", help="Post-check over SSH only.")
    ] = False,
    timeout: LoginTimeoutOpt = None,
    command_timeout: CommandTimeoutOpt = None,
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """Plan (--plan) or run (--apply) a push in waves under confirmed commits with post-checks."""
    from netops.changes.apply import ChangeRequest
    from netops.changes.plan import plan_waves
    from netops.changes.push import PushOptions
    from netops.changes.service import apply_change
    from netops.secrets import SecretStore

    if plan == apply:
        fail("give exactly one of --plan and --apply", EXIT_USAGE)
    timeouts = ssh_timeouts(timeout, command_timeout)
    inv = load(inventory)
    chosen = _select(inv, device, site, everything)
    waves = plan_waves(
        inv,
        chosen,
        canary=canary,
        prefectures_per_wave=prefectures_per_wave,
        failure_budget=failure_budget,
        concurrency=concurrency,
    )
    if plan:
        if json:
            print_json([w.as_dict() for w in waves])
            return
        for w in waves:
            out.print(
                f"wave {w.index} ({w.name}): {len(w.devices)} device(s), budget {w.failure_budget}",
                highlight=False,
            )
            out.print("  " + " ".join(w.devices), highlight=False, markup=False)
        return
    store = _open_store(state_dir, create=True)
    _reconcile(store, inv, timeouts)
    request = ChangeRequest(
        waves,
        user=actor(),
        reason=reason,
        force=force,
        options=PushOptions(confirm_s=confirm_s, minute_s=minute_s, timeouts=timeouts),
        threads=max(4, concurrency),
    )

    bar = DeviceProgress("push", sum(len(w.devices) for w in waves), progress)

    def on_event(event: dict[str, Any]) -> None:
        """Live progress: N/M devices done on stderr; without --json a line per wave and per device."""
        if event["event"] == "device" and event["outcome"] != "rolled-back":
            bar.advance(event["device"], event["outcome"])
        if json:
            return
        kind = event["event"]
        if kind == "wave":
            out.print(
                f"[bold]wave {event['wave']}[/] {event['name']}: {event['devices']} device(s)",
                highlight=False,
            )
        elif kind == "device":
            style = _STYLE.get(event["outcome"], "red")
            detail = f" - {event['detail']}" if event.get("detail") else ""
            out.print(f"  [{style}]{event['outcome']:<11}[/] {event['device']}{detail}", highlight=False)
        elif kind == "halt":
            out.print(
                f"[bold red]wave {event['wave']} over budget[/] ({event['failures']} > {event['budget']}): halted"
            )
        elif kind == "refused":
            for dev, conf in event["frozen"].items():
                out.print(f"  [yellow]refused[/] {dev}: conference {conf} ({event['why']})", highlight=False)

    audited = {"devices": chosen, "reason": reason, "force": force}
    try:
        with bar:
            run = apply_change(inv, SecretStore(), store, request, on_event, snmp_checks=not no_snmp_checks)
        _audit(store, "config.push", run.change_id, run.state, {**audited, "summary": run.summary()})
    except BaseException as exc:
        _audit(store, "config.push", None, "error", {**audited, "error": exc.__class__.__name__})
        raise
    finally:
        store.close()
    if json:
        print_json(
            {"change": run.change_id, "state": run.state, "summary": run.summary(), "waves": run.waves}
        )
    else:
        out.print(f"change {run.change_id}: {run.state} {run.summary()}", highlight=False)
    results = run.results.values()
    all_refused = bool(results) and all(r.outcome == "refused" for r in results)
    if run.state != "done" or all_refused or any(r.failed for r in results):
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
def changes(
    device: Annotated[str | None, typer.Option("--device", "-d")] = None,
    limit: int = 50,
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Recorded changes, newest first (after reconciling what a dead process left)."""
    from rich.table import Table

    from netops.changes import records

    store = _open_store(state_dir, create=False)
    try:
        _reconcile(store, inventory)
        rows = records.list_changes(store, limit, device)
    finally:
        store.close()
    if json:
        print_json(rows)
        return
    table = Table("change", "state", "user", "reason", "devices")
    for r in rows:
        table.add_row(
            r["id"], r["state"], r["user"], r["reason"], " ".join(f"{k} {v}" for k, v in r["summary"].items())
        )
    out.print(table)


@app.command()
def show(
    change: str,
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """One change: its waves and, per device, outcome, checks and the diff pushed."""
    from netops.changes import records

    store = _open_store(state_dir, create=False)
    try:
        _reconcile(store, inventory)
        data = records.get_change(store, change)
    finally:
        store.close()
    if json:
        print_json(data)
        return
    out.print(f"[bold]{data['id']}[/] {data['state']} by {data['user']}: {data['reason']}", highlight=False)
    if data.get("reconciled"):
        note = data["reconciled"]
        out.print(f"reconciled by {note.get('by')} after its process died", highlight=False)
    for w in data["waves"]:
        out.print(f"wave {w['index']} {w['name']}: {w['state']}", highlight=False)
    for d in data["devices"]:
        out.print(f"[bold]{d['device']}[/] {d['outcome']} {d['detail'] or ''}", highlight=False)
        for c in d["checks"]:
            out.print(
                f"  {'ok ' if c['ok'] else 'BAD'} {c['name']}: {c['detail']}", highlight=False, markup=False
            )
        if d["diff"]:
            out.print(d["diff"], end="", highlight=False, markup=False)


@app.command()
def backup(
    device: DeviceOpt = None,
    site: SiteOpt = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Every configurable device (the default without --device/--site).")
    ] = False,
    concurrency: int = 16,
    timeout: LoginTimeoutOpt = None,
    command_timeout: Annotated[
        float | None,
        typer.Option(
            "--command-timeout",
            callback=_seconds("SSH_COMMAND_TIMEOUT_MAX_S"),
            help="Seconds for one command's answer over SSH "
            "(default: NETOPS_SSH_COMMAND_TIMEOUT_S, else 30: a whole configuration is a long answer).",
            show_default=False,
        ),
    ] = None,
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """Back up running configurations (a version only when changed) and measure drift."""
    from netops.changes import backup as backups
    from netops.changes.service import select_devices
    from netops.secrets import SecretStore

    timeouts = ssh_timeouts(timeout, command_timeout, backup=True)
    inv = load(inventory)
    if everything and (device or site is not None):
        fail("give --all, or --device/--site", EXIT_USAGE)
    chosen = select_devices(inv, device or [], site, everything=not device and site is None)
    store = _open_store(state_dir, create=True)
    try:
        with DeviceProgress("backup", len(chosen), progress) as bar:
            results = backups.run_backups(
                inv,
                SecretStore(),
                store,
                chosen,
                concurrency,
                timeouts=timeouts,
                on_done=lambda r: bar.advance(r.device, r.outcome),
            )
    finally:
        store.close()
    if json:
        print_json(
            [
                {"device": r.device, "outcome": r.outcome, "detail": r.detail, "drift_lines": r.drift_lines}
                for r in results
            ]
        )
    else:
        for r in results:
            drift = "?" if r.drift_lines is None else str(r.drift_lines)
            out.print(f"{r.device}: {r.outcome} (drift {drift} lines) {r.detail or ''}", highlight=False)
    if any(r.outcome in ("failed", "rejected") for r in results):
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
def history(
    device: str,
    diff_ids: Annotated[tuple[int, int] | None, typer.Option("--diff", help="OLD NEW version ids.")] = None,
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Stored configuration versions of DEVICE, or what changed between two of them."""
    from rich.table import Table

    from netops.changes import backup as backups

    store = _open_store(state_dir, create=False)
    try:
        if diff_ids is not None:
            text = backups.diff_versions(store, load(inventory), diff_ids[0], diff_ids[1])
            if json:
                print_json({"device": device, "old": diff_ids[0], "new": diff_ids[1], "diff": text})
            else:
                out.print(
                    text or "(no difference)", end="\n" if not text else "", highlight=False, markup=False
                )
            return
        versions = backups.history(store, device)
    finally:
        store.close()
    if json:
        print_json(versions)
        return
    table = Table("version", "taken", "lines", "digest")
    for v in versions:
        table.add_row(
            str(v["id"]),
            datetime.fromtimestamp(v["taken_at"], UTC).isoformat(timespec="seconds"),
            str(v["lines"]),
            v["digest"],
        )
    out.print(table)


@app.command()
def drift(state_dir: StateDirOpt = None, json: JsonOpt = False) -> None:
    """The drift report: per device, lines differing from the intended configuration at the last backup."""
    from rich.table import Table

    from netops.changes import backup as backups

    store = _open_store(state_dir, create=False)
    try:
        rows = backups.device_status(store)
    finally:
        store.close()
    if json:
        print_json(rows)
        return
    table = Table("device", "drift lines", "last backup", "error")
    for r in sorted(rows, key=lambda r: -(r["drift_lines"] or 0)):
        when = r["last_backup_ok_at"]
        table.add_row(
            r["device"],
            "?" if r["drift_lines"] is None else str(r["drift_lines"]),
            datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds") if when else "never",
            r["last_backup_error"] or "",
        )
    out.print(table)


@app.command()
def unlock(
    device: str,
    reason: Annotated[str, typer.Option(help="Why (audited).")],
    force: Annotated[
        bool,
        typer.Option(
            help="Break a lock whose process runs (or cannot be checked: another host); the change it "
            "belongs to stops before touching the device again (audited as forced)."
        ),
    ] = False,
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
) -> None:
    """Release DEVICE's change lock by hand (a lock whose process is gone is released by itself).

    A lock whose process still runs on this host is refused (exit 1, naming its pid and change) unless
    --force; so is one whose owner cannot be checked from here (another host)."""
    from netops.changes import records

    if not reason.strip():
        fail("--reason must say why", EXIT_USAGE)
    store = _open_store(state_dir, create=True)
    try:
        _reconcile(store, inventory)
        note = f"lock broken by {actor()} (netops config unlock --force: {reason.strip()[:200]})"
        try:
            held = records.force_unlock(store, device, force=force, note=note)
        except ConflictError as exc:
            _audit(
                store,
                "config.unlock",
                device,
                "refused",
                {"reason": reason, "force": force, "error": str(exc)},
            )
            fail(str(exc), EXIT_PROBLEMS)
        outcome = "not-locked" if held is None else "released"
        if held is not None and held.get("owner_alive") is not False:
            outcome = "forced"
        _audit(store, "config.unlock", device, outcome, {"reason": reason, "force": force, "lock": held})
    finally:
        store.close()
    if json:
        print_json({"device": device, "released": held, "forced": held is not None and outcome == "forced"})
    elif held is None:
        out.print(f"{device}: not locked", highlight=False)
    else:
        how = " (forced: its process was not known to be gone)" if outcome == "forced" else ""
        out.print(f"{device}: lock of change {held['change']} released{how}", highlight=False)


@app.command()
def rollback(
    change: Annotated[str | None, typer.Argument(help="The change to roll back.")] = None,
    device: DeviceOpt = None,
    version: Annotated[
        int | None, typer.Option("--version", help="Roll DEVICE back to this stored backup version instead.")
    ] = None,
    confirm_s: Annotated[float, typer.Option(help="Seconds until an unconfirmed change reverts.")] = 300.0,
    minute_s: Annotated[float, typer.Option(help="Length of a device minute (lab speed-up).")] = 60.0,
    no_snmp_checks: Annotated[
        bool, typer.Option("--no-snmp-checks", help="Post-check over SSH only.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            help="Roll back even if later changes touched the devices (they are marked undone too)."
        ),
    ] = False,
    timeout: LoginTimeoutOpt = None,
    command_timeout: CommandTimeoutOpt = None,
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    json: JsonOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """Push CHANGE's devices (or --device) back to the configuration recorded before it, as a new change
    under a confirmed commit with post-checks; or (--version N) a device back to a stored backup version."""
    import asyncio

    from netops.changes.push import PushOptions
    from netops.changes.rollback import rollback_change, rollback_to_version
    from netops.drivers.snmp.source import SnmpSource
    from netops.secrets import SecretStore

    if (change is None) == (version is None):
        fail("give a CHANGE or --version N", EXIT_USAGE)
    options = PushOptions(
        confirm_s=confirm_s, minute_s=minute_s, timeouts=ssh_timeouts(timeout, command_timeout)
    )
    inv = load(inventory)
    secrets = SecretStore()
    store = _open_store(state_dir, create=True)
    target = change if change is not None else f"version {version}"
    try:
        _reconcile(store, inv, options.timeouts)

        bar = DeviceProgress("rollback", 0, progress)  # the wave tells how many devices

        def on_event(event: dict[str, Any]) -> None:
            if event["event"] == "wave":
                bar.grow(event["devices"])
            elif event["event"] == "device" and event["outcome"] != "rolled-back":
                bar.advance(event["device"], event["outcome"])

        async def go() -> Any:
            snmp = None if no_snmp_checks else SnmpSource(lambda: inv, secrets)
            if change is not None:
                return await rollback_change(
                    inv,
                    secrets,
                    store,
                    change,
                    user=actor(),
                    devices=device,
                    options=options,
                    snmp=snmp,
                    on_event=on_event,
                    force=force,
                )
            assert version is not None
            return await rollback_to_version(
                inv, secrets, store, version, user=actor(), options=options, snmp=snmp, on_event=on_event
            )

        try:
            with bar:
                run = asyncio.run(go())
        except ConflictError as exc:
            _audit(store, "config.rollback", target, "refused", {"devices": device, "error": str(exc)[:500]})
            fail(str(exc), EXIT_PROBLEMS)
        except BaseException as exc:
            _audit(store, "config.rollback", target, "error", {"devices": device, "error": str(exc)[:200]})
            raise
        _audit(
            store,
            "config.rollback",
            target,
            run.state,
            {"devices": device, "change": run.change_id, "summary": run.summary(), "force": force},
        )
    finally:
        store.close()
    if json:
        print_json(
            {"change": run.change_id, "rollback_of": target, "state": run.state, "summary": run.summary()}
        )
    else:
        for r in run.results.values():
            detail = f" - {r.detail}" if r.detail else ""
            out.print(f"  {r.outcome:<11} {r.device}{detail}", highlight=False, markup=False)
        out.print(
            f"change {run.change_id} (rollback of {target}): {run.state} {run.summary()}", highlight=False
        )
    if run.state != "done" or any(r.failed or r.outcome == "refused" for r in run.results.values()):
        raise typer.Exit(EXIT_PROBLEMS)
