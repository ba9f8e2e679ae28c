"""Run the whole lab in one process: every device's SSH CLI, SNMP agent and (for rooms) codec endpoints on its
127.x management address, plus the control API; stop cleanly on SIGINT/SIGTERM or ``POST /shutdown``.

``netops lab up`` calls ``run_lab``; the run file (``<state dir>/lab.json``: pid, control URL, inventory)
lets ``netops lab status|fault|down`` find the running lab.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import uvicorn
from fastapi import Request

from netops.errors import LabError
from netops.inventory.models import Inventory
from netops.lab.control import create_control_app
from netops.lab.faults import FaultBook
from netops.lab.simulators import start_parts
from netops.lab.state import LabWorld
from netops.secrets import SecretStore, ensure_lab_secrets, referenced_secrets

log = logging.getLogger(__name__)
DEFAULT_CONTROL_PORT = 8690


class _Closable(Protocol):
    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class RunFile:
    """Where a running lab is: written at start, removed at stop."""

    path: Path

    def write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        tmp.replace(self.path)

    def read(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def run_file(state_dir: Path) -> RunFile:
    return RunFile(state_dir / "lab.json")


def check_loopback(inventory: Inventory) -> None:
    bad = [f"{d.id} ({d.address})" for d in inventory.devices.values() if not d.address.is_loopback]
    if bad:
        raise LabError(
            "the lab binds only to 127.0.0.0/8; these devices have other management addresses: "
            + ", ".join(bad[:10])
            + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        )


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as uvicorn binds: connections of a lab stopped a moment ago (TIME_WAIT) are no obstacle
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise LabError(f"the lab control API cannot bind {host}:{port}: {exc.strerror}") from exc


async def start_simulators(
    world: LabWorld,
    secrets: SecretStore,
    trap_collector: tuple[str, int] | None = None,
    syslog_collector: tuple[str, int] | None = None,
    services_dir: Path | None = None,
) -> list[tuple[str, Any]]:
    """Start SSH, SNMP and codec simulators (and the trap/syslog senders when collectors are given, the
    simulated services with ``services_dir``); on any failure close what started and raise ``LabError``."""
    started = await start_parts(
        world,
        secrets,
        trap_collector=trap_collector,
        syslog_collector=syslog_collector,
        services_dir=services_dir,
    )
    return [("codec" if name == "codecs" else name, sim) for name, sim in started.items()]


def step_clocks(world: LabWorld, seconds: float, now: float | None = None) -> dict[str, Any]:
    """Every device's clock jumps by ``seconds`` (forward when positive): its boot time moves the other way, so
    sysUpTime and snmpEngineTime jump with it. A backward step larger than a device's uptime stops at zero
    (a reboot, as a manager sees it). The SNMP engine counts a changed boot time as a new boot
    (``snmp/agent.py``), as a real agent's engine clock does not go back. Counters do not move."""
    now = time.time() if now is None else now
    for state in world.devices.values():
        state.boot_time = min(now, state.boot_time - seconds)
    return {"devices": len(world.devices), "seconds": seconds}


def _add_clock_route(app: Any, world: LabWorld) -> None:
    """``POST /clock-step {"seconds": N}``: ``step_clocks`` in the lab's loop (the scenario suite's
    ``clock-step``)."""

    async def clock_step(request: Request) -> dict[str, Any]:
        body = await request.json()
        seconds = float(body.get("seconds", 0)) if isinstance(body, dict) else 0.0
        return step_clocks(world, seconds)

    app.add_api_route("/clock-step", clock_step, methods=["POST"])


class _ControlServer(uvicorn.Server):
    """uvicorn without its own signal handling: the lab stops everything on SIGINT/SIGTERM itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _counters(started: list[tuple[str, Any]]) -> Callable[[], dict[str, Any]]:
    def read() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, sim in started:
            counters = getattr(sim, "counters", None)
            if callable(counters):
                out[name] = dict(counters())
            elif name == "ssh":
                out[name] = {"logins": getattr(sim, "logins", 0)}
            elif name == "codec":
                out[name] = {"endpoints": len(getattr(sim, "endpoints", {}))}
        return out

    return read


async def run_lab(
    inventory: Inventory,
    secrets: SecretStore,
    state_dir: Path,
    control_port: int = DEFAULT_CONTROL_PORT,
    ready: Callable[[dict[str, Any]], None] | None = None,
    trap_collector: tuple[str, int] | None = None,
    syslog_collector: tuple[str, int] | None = None,
) -> None:
    """Run until stopped. ``ready`` is called with the run-file data once everything listens. The devices
    send traps / syslog to ``trap_collector`` / ``syslog_collector`` (HOST, PORT) when given."""
    check_loopback(inventory)
    _check_port_free("127.0.0.1", control_port)
    created = ensure_lab_secrets(secrets, referenced_secrets(inventory))
    if created:
        log.info("created lab secrets %s in %s", ", ".join(created), secrets.path)
    t0 = time.perf_counter()
    world = LabWorld(inventory)
    started = await start_simulators(
        world, secrets, trap_collector, syslog_collector, services_dir=state_dir / "services"
    )
    stop = asyncio.Event()
    book = FaultBook(world)
    app = create_control_app(book, stop, _counters(started), time.time())
    _add_clock_route(app, world)
    server = _ControlServer(
        uvicorn.Config(app, host="127.0.0.1", port=control_port, log_level="warning", lifespan="off")
    )
    serve_task = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    rf = run_file(state_dir)
    try:
        while not server.started:
            if serve_task.done():
                serve_task.result()
                raise LabError(f"the lab control API did not start on 127.0.0.1:{control_port}")
            await asyncio.sleep(0.02)
        data = {
            "pid": os.getpid(),
            "control_url": f"http://127.0.0.1:{control_port}",
            "inventory": inventory.directory,
            "devices": len(world.devices),
            "started_s": round(time.perf_counter() - t0, 3),
            "secrets_file": str(secrets.path),
        }
        rf.write(data)
        if ready is not None:
            ready(data)
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await serve_task
        for _, sim in reversed(started):
            await sim.close()
        rf.remove()
