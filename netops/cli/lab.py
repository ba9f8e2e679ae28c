"""``netops lab ...``: run the simulated region and drive its faults.

`up` runs the lab in the foreground (Ctrl-C stops it) or, with `--detach`, in the background until `down`.
`status`, `fault` and `down` talk to the running lab's control API, found through the run file in the state
folder (``netops.cli.state``: `--state-dir`, `NETOPS_STATE_DIR`, `.netops/` here or above, the user's).

Only `up` in the foreground imports the lab (and its web stack); the other commands read the run file and
speak HTTP with the standard library, and `up --detach` starts the lab process and waits for its run file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from netops.cli import state
from netops.cli.common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    InventoryOpt,
    JsonOpt,
    StateDirOpt,
    command_group,
    fail,
    load,
    out,
    print_json,
)

app = command_group("The simulated region on 127.x: SSH CLIs, SNMP agents, codecs, faults.")
fault_app = command_group("Inject, list and clear faults in the running lab.")
app.add_typer(fault_app, name="fault")

ControlPortOpt = Annotated[int, typer.Option("--control-port", min=1, max=65535, help="Control API port.")]
RUN_FILE = "lab.json"  # written by netops.lab.runner (run_file) once the lab listens; removed when it stops
START_TIMEOUT_S = 60.0


def _read_run_file(state_dir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((state_dir / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def running(state_dir: Path) -> dict[str, Any] | None:
    """The run file of the lab running from ``state_dir``, if one is there and its process lives."""
    data = _read_run_file(state_dir)
    return data if data is not None and _alive(int(data["pid"])) else None


def _lab_state(state_dir: Path | None) -> tuple[Path, dict[str, Any]]:
    """The state folder of the running lab and its run file; exit 1 when no lab runs there."""
    lookup = state.find_state(state_dir)
    if lookup.path is None:
        fail(f"no lab is running: no netops state found (looked in {lookup.describe()}); "
             "start one with: netops lab up --detach")  # fmt: skip
    data = _read_run_file(lookup.path)
    if data is None:
        fail(f"no lab is running (no run file in {lookup.path}); start one with: netops lab up --detach")
    return lookup.path, data


def _call(method: str, state_dir: Path | None, path: str, body: dict[str, Any] | None = None) -> Any:
    """One request to the running lab's control API (stdlib HTTP, no proxies: it is on 127.0.0.1)."""
    import urllib.error
    import urllib.request

    _, run = _lab_state(state_dir)
    url = str(run["control_url"])
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", errors="replace")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        detail = parsed.get("detail", text) if isinstance(parsed, dict) else text
        fail(str(detail), EXIT_USAGE if exc.code in (400, 404, 422) else EXIT_PROBLEMS)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        fail(f"the lab at {url} does not answer ({reason}); is it still running?")


@app.command()
def up(
    inventory: InventoryOpt = Path("inventory"),
    state_dir: StateDirOpt = None,
    control_port: ControlPortOpt = 8690,
    detach: Annotated[
        bool, typer.Option("--detach", help="Run in the background until `netops lab down`.")
    ] = False,
    log_level: Annotated[str, typer.Option(envvar="NETOPS_LOG_LEVEL")] = "warning",
    trap_collector: Annotated[
        str | None,
        typer.Option(
            envvar="NETOPS_LAB_TRAP_COLLECTOR", help="HOST:PORT: the devices send SNMP traps there."
        ),
    ] = None,
    syslog_collector: Annotated[
        str | None,
        typer.Option(envvar="NETOPS_LAB_SYSLOG_COLLECTOR", help="HOST:PORT: the devices send syslog there."),
    ] = None,
) -> None:
    """Start every device of the inventory on its 127.x address (SSH, SNMP, codec endpoints)."""
    inv = load(inventory)
    folder = state.state_for_writing(state_dir)
    if detach:
        start_detached(inventory, folder, control_port, log_level, trap_collector, syslog_collector)
        return
    import asyncio
    import logging

    from netops.lab.runner import run_lab
    from netops.secrets import SecretStore

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("httpx", "httpcore"):  # their INFO/DEBUG lines quote request URLs (docs/notify.md)
        logging.getLogger(name).setLevel(logging.WARNING)

    def ready(data: dict[str, Any]) -> None:
        out.print(
            f"lab up: {data['devices']} devices of {data['inventory']} in {data['started_s']} s; "
            f"control {data['control_url']}; secrets in {data['secrets_file']}",
            highlight=False,
        )

    from netops.lab.emit import parse_collector

    try:
        traps, syslog = parse_collector(trap_collector), parse_collector(syslog_collector)
    except ValueError as exc:
        fail(str(exc))
    asyncio.run(run_lab(inv, SecretStore(), folder, control_port, ready, traps, syslog))
    out.print("lab down")


def start_detached(
    inventory: Path,
    state_dir: Path,
    control_port: int,
    log_level: str = "warning",
    trap_collector: str | None = None,
    syslog_collector: str | None = None,
) -> int:
    """Start ``netops lab up`` in the background (its own session, output in ``lab.log``) and wait until its
    run file names it: the lab listens then. The collectors are passed on as options. Returns its pid; exit 1
    if it stops or does not start in time."""
    existing = _read_run_file(state_dir)
    if existing is not None and _alive(int(existing["pid"])):
        fail(f"a lab is already running (pid {existing['pid']}, {existing['control_url']})")
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "lab.log"
    args = ["lab", "up", "--inventory", str(inventory), "--state-dir", str(state_dir),
            "--control-port", str(control_port), "--log-level", log_level]  # fmt: skip
    if trap_collector:
        args += ["--trap-collector", trap_collector]
    if syslog_collector:
        args += ["--syslog-collector", syslog_collector]
    with log_path.open("ab") as logf:
        proc = subprocess.Popen(
            [sys.executable, "-m", "netops", *args],
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        data = _read_run_file(state_dir)
        if data is not None and data.get("pid") == proc.pid:
            out.print(
                f"lab up (pid {proc.pid}): {data['devices']} devices in {data['started_s']} s; "
                f"control {data['control_url']}; log {log_path}",
                highlight=False,
            )
            return proc.pid
        if proc.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
            fail("the lab did not start:\n" + "\n".join(tail))
        time.sleep(0.02)
    proc.terminate()
    fail(f"the lab did not become ready in {START_TIMEOUT_S:.0f} s; see {log_path}")


def _alive(pid: int) -> bool:
    try:  # our own child (``netops demo`` starts the lab itself): reap it, a zombie still takes signals
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:  # Linux: a process that has exited but is not reaped yet (by init, which may be slow) is gone
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@app.command()
def down(state_dir: StateDirOpt = None) -> None:
    """Stop the running lab."""
    folder, data = _lab_state(state_dir)
    pid = int(data["pid"])
    if not _alive(pid):
        (folder / RUN_FILE).unlink(missing_ok=True)
        out.print(f"the lab (pid {pid}) was not running; removed its stale run file")
        return
    _call("POST", folder, "/shutdown")
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if _alive(pid):
        fail(f"the lab (pid {pid}) did not stop in 30 s")
    ports = _lab_ports(data)
    busy = _busy(ports)
    while busy and time.monotonic() < deadline:
        time.sleep(0.05)
        busy = _busy(busy)
    if busy:
        shown = ", ".join(f"{proto} {host}:{port}" for proto, host, port in busy[:10])
        fail(f"the lab (pid {pid}) stopped, but {len(busy)} of its ports are still in use: {shown}")
    out.print(f"lab down (pid {pid}); its {len(ports)} ports are free")


def _lab_ports(run: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(protocol, host, port) the lab listened on: its control API and, from its inventory, each device's."""
    from urllib.parse import urlsplit

    control = urlsplit(str(run["control_url"]))
    ports = [("tcp", control.hostname or "127.0.0.1", control.port or 80)]
    try:
        from netops.inventory import load_inventory

        inventory = load_inventory(Path(str(run["inventory"])))
    except Exception:  # noqa: BLE001 - the files may have changed since: the control port is checked still
        return ports
    for dev in inventory.devices.values():
        host = str(dev.address)
        ports += [("tcp", host, p) for p in (dev.ssh_port, dev.http_port) if p]
        ports += [("udp", host, p) for p in (dev.snmp_port, dev.sip_port, dev.probe_port) if p]
    return ports


def _busy(ports: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The ports a new lab could not take yet: a TCP port still answers or cannot be bound (with SO_REUSEADDR,
    as servers bind), a UDP port cannot be bound."""
    import socket

    busy = []
    for proto, host, port in ports:
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, kind) as sock:
            if proto == "tcp":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                busy.append((proto, host, port))
                continue
        if proto == "tcp" and _answers(host, port):
            busy.append((proto, host, port))
    return busy


def _answers(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@app.command()
def status(state_dir: StateDirOpt = None, as_json: JsonOpt = False) -> None:
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
            help="link-down, node-down, reboot, on-battery, high-cpu, if-errors, slow, "
            "codec-unregistered, camera-disconnected, standby, microphones-disconnected, "
            "display-disconnected, call-dropped, mcu-full, diag-alert, path-impaired, reject-line, "
            "service-down, wrong-language, cert-expiring"
        ),
    ],
    target: Annotated[str, typer.Argument(help="Link, device, device:interface or room id.")],
    params: Annotated[
        list[str] | None, typer.Argument(help="KEY=VALUE, e.g. delay_ms=200 loss_pct=5")
    ] = None,
    state_dir: StateDirOpt = None,
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
    state_dir: StateDirOpt = None,
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
def fault_list(state_dir: StateDirOpt = None, as_json: JsonOpt = False) -> None:
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
