"""``netops lab ...``: run the simulated region and drive its faults.

`up` runs the lab in the foreground (Ctrl-C stops it) or, with `--detach`, in the background until `down`.
`status`, `fault` and `down` talk to the running lab's control API, found through the run file in the state
directory (`--state-dir`, `NETOPS_STATE_DIR`, default `./.netops`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from netops.cli.common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    InventoryOpt,
    JsonOpt,
    StateDirOpt,
    errors_to_exit,
    fail,
    load,
    out,
    print_json,
)

app = typer.Typer(
    help="The simulated region on 127.x: SSH CLIs, SNMP agents, codecs, faults.", no_args_is_help=True
)
fault_app = typer.Typer(help="Inject, list and clear faults in the running lab.", no_args_is_help=True)
app.add_typer(fault_app, name="fault")

ControlPortOpt = Annotated[int, typer.Option("--control-port", min=1, max=65535, help="Control API port.")]


def _control_url(state_dir: Path) -> str:
    from netops.lab.runner import run_file

    data = run_file(state_dir).read()
    if data is None:
        fail(f"no lab is running (no run file in {state_dir}); start one with: netops lab up --detach")
    return str(data["control_url"])


def _call(method: str, state_dir: Path, path: str, body: dict[str, Any] | None = None) -> Any:
    import httpx

    url = _control_url(state_dir)
    try:
        resp = httpx.request(method, url + path, json=body, timeout=10)
    except httpx.TransportError as exc:
        fail(f"the lab at {url} does not answer ({exc.__class__.__name__}); is it still running?")
    if resp.status_code >= 400:
        detail = (
            resp.json().get("detail", resp.text)
            if resp.headers.get("content-type", "").startswith("application/json")
            else resp.text
        )
        fail(str(detail), EXIT_USAGE if resp.status_code in (400, 404, 422) else EXIT_PROBLEMS)
    return resp.json()


@app.command()
def up(
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = Path(".netops"),
    control_port: ControlPortOpt = 8690,
    detach: Annotated[
        bool, typer.Option("--detach", help="Run in the background until `netops lab down`.")
    ] = False,
    log_level: Annotated[str, typer.Option(envvar="NETOPS_LOG_LEVEL")] = "warning",
) -> None:
    """Start every device of the inventory on its 127.x address (SSH, SNMP, codec endpoints)."""
    inv = load(inventory)
    if detach:
        _detach(inventory, state_dir, control_port, log_level)
        return
    import logging

    from netops.lab.runner import run_lab
    from netops.secrets import SecretStore

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def ready(data: dict[str, Any]) -> None:
        out.print(
            f"lab up: {data['devices']} devices of {data['inventory']} in {data['started_s']} s; "
            f"control {data['control_url']}; secrets in {data['secrets_file']}",
            highlight=False,
        )

    with errors_to_exit():
        asyncio.run(run_lab(inv, SecretStore(), state_dir, control_port, ready))
    out.print("lab down")


def _detach(inventory: Path, state_dir: Path, control_port: int, log_level: str) -> None:
    from netops.lab.runner import run_file

    rf = run_file(state_dir)
    existing = rf.read()
    if existing is not None and _alive(int(existing["pid"])):
        fail(f"a lab is already running (pid {existing['pid']}, {existing['control_url']})")
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "lab.log"
    with log_path.open("ab") as logf:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "netops",
                "lab",
                "up",
                "--inventory",
                str(inventory),
                "--state-dir",
                str(state_dir),
                "--control-port",
                str(control_port),
                "--log-level",
                log_level,
            ],
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        data = rf.read()
        if data is not None and data.get("pid") == proc.pid:
            out.print(
                f"lab up (pid {proc.pid}): {data['devices']} devices in {data['started_s']} s; "
                f"control {data['control_url']}; log {log_path}",
                highlight=False,
            )
            return
        if proc.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
            fail("the lab did not start:\n" + "\n".join(tail))
        time.sleep(0.1)
    proc.terminate()
    fail(f"the lab did not become ready in 60 s; see {log_path}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@app.command()
def down(state_dir: StateDirOpt = Path(".netops")) -> None:
    """Stop the running lab."""
    from netops.lab.runner import run_file

    rf = run_file(state_dir)
    data = rf.read()
    if data is None:
        fail(f"no lab is running (no run file in {state_dir})")
    pid = int(data["pid"])
    if not _alive(pid):
        rf.remove()
        out.print(f"the lab (pid {pid}) was not running; removed its stale run file")
        return
    _call("POST", state_dir, "/shutdown")
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        fail(f"the lab (pid {pid}) did not stop in 30 s")
    out.print(f"lab down (pid {pid})")


@app.command()
def status(state_dir: StateDirOpt = Path(".netops"), as_json: JsonOpt = False) -> None:
    """Devices simulated, which do not answer, active faults, request counters."""
    data = _call("GET", state_dir, "/status")
    if as_json:
        print_json(data)
        return
    out.print(
        f"lab over {data['inventory']}: {data['devices']} devices, up {data['uptime_s']} s", highlight=False
    )
    silent = data["silent_devices"]
    out.print(
        f"not answering: {len(silent)}"
        + (f" ({', '.join(silent[:20])}{' ...' if len(silent) > 20 else ''})" if silent else ""),
        highlight=False,
    )
    if not data["faults"]:
        out.print("no active faults")
    for f in data["faults"]:
        params = " ".join(f"{k}={v}" for k, v in f["params"].items())
        out.print(f"fault {f['id']}: {f['kind']} {f['target']} {params}".rstrip(), highlight=False)
    for name, counters in data["counters"].items():
        out.print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in counters.items()), highlight=False)


def _params(items: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, found {item!r}", param_hint="PARAMS")
        params[key] = value
    return params


@fault_app.command("add")
def fault_add(
    kind: Annotated[
        str,
        typer.Argument(
            help="link-down, node-down, on-battery, high-cpu, if-errors, "
            "codec-unregistered, camera-disconnected, standby, diag-alert, "
            "path-impaired, reject-line, slow"
        ),
    ],
    target: Annotated[str, typer.Argument(help="Link, device, device:interface or room id.")],
    params: Annotated[
        list[str] | None, typer.Argument(help="KEY=VALUE, e.g. delay_ms=200 loss_pct=5")
    ] = None,
    state_dir: StateDirOpt = Path(".netops"),
    as_json: JsonOpt = False,
) -> None:
    """Inject a fault; prints its id (for `netops lab fault clear ID`)."""
    data = _call(
        "POST", state_dir, "/faults", {"kind": kind, "target": target, "params": _params(params or [])}
    )
    if as_json:
        print_json(data)
    else:
        out.print(f"fault {data['id']}: {data['kind']} {data['target']}", highlight=False)


@fault_app.command("clear")
def fault_clear(
    fault_id: Annotated[int | None, typer.Argument(help="The fault id; omit with --all.")] = None,
    clear_all: Annotated[bool, typer.Option("--all", help="Clear every active fault.")] = False,
    state_dir: StateDirOpt = Path(".netops"),
    as_json: JsonOpt = False,
) -> None:
    """Clear one fault, or all of them."""
    if fault_id is None and not clear_all:
        raise typer.BadParameter("give a fault id or --all")
    data = _call("DELETE", state_dir, "/faults" if clear_all else f"/faults/{fault_id}")
    cleared = data if isinstance(data, list) else [data]
    if as_json:
        print_json(cleared)
    else:
        out.print(f"cleared {len(cleared)} fault(s)")


@fault_app.command("list")
def fault_list(state_dir: StateDirOpt = Path(".netops"), as_json: JsonOpt = False) -> None:
    """The active faults."""
    data = _call("GET", state_dir, "/faults")
    if as_json:
        print_json(data)
        return
    for f in data:
        params = " ".join(f"{k}={v}" for k, v in f["params"].items())
        out.print(f"{f['id']}: {f['kind']} {f['target']} {params}".rstrip(), highlight=False)
    if not data:
        out.print("no active faults")
