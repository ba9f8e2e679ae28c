"""The lab kit: how tests and benchmarks start the simulated network, in one place.

- ``private_network()``: move this process into its own network namespace with loopback up (where the kernel
  lets it), so that two test runs, or two pytest-xdist workers, never meet on a fixed 127.x address.
- ``Subnets``: unique ``127.A.N.0/24`` subnets for labs that a process starts one after another.
- ``write_inventory`` / ``write_secrets``: a test inventory generated from a template with parameters, and a
  secrets file written 0600 in one step.
- ``LoopThread`` and ``in_process_lab``: SNMP agents, SSH CLIs and codec endpoints on an event loop in a
  background thread (blocking clients such as netmiko and net-snmp's tools talk to them).
- ``lab_process``: the lab as ``netops lab up`` in its own process, output to a log file (never a pipe that
  someone has to drain), ready when its run file says so.
- ``wait_until``: every readiness wait, with one deadline setting (``NETOPS_TEST_WAIT_S``, default 120 s): a
  deadline only costs time when something is broken, so it is generous for a loaded machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import fcntl
import itertools
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from netops.errors import LabError
from netops.lab.simulators import ALL, start_parts

T = TypeVar("T")

CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1


def wait_s() -> float:
    """The one deadline for readiness waits in tests and benchmarks (``NETOPS_TEST_WAIT_S``)."""
    try:
        return float(os.environ.get("NETOPS_TEST_WAIT_S", "120"))
    except ValueError:
        return 120.0


def wait_until(
    what: str, check: Callable[[], T | bool | None], timeout: float | None = None, every: float = 0.05
) -> T:
    """Call ``check`` until it returns something truthy and return that; ``LabError`` naming ``what`` at the
    deadline (``timeout``, else ``wait_s()``). Exceptions from ``check`` count as "not yet" until the deadline,
    where the last one is chained; an ``AssertionError`` (a check that knows it failed, e.g. "the process
    exited") ends the wait at once."""
    deadline = time.monotonic() + (wait_s() if timeout is None else timeout)
    last: BaseException | None = None
    while True:
        try:
            value = check()
        except _Exited as exc:
            raise LabError(f"gave up waiting for {what}: the process exited with {exc.args[0]}") from exc
        except AssertionError:
            raise
        except Exception as exc:  # noqa: BLE001 - the thing is not there yet (connection refused, file missing, ...)
            last, value = exc, None
        else:
            last = None
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            raise LabError(f"gave up waiting for {what}") from last
        time.sleep(every)


# ---------------------------------------------------------------------------------------------- network


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock.fileno(), _SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(sock.fileno(), _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def private_network() -> bool:
    """Move the calling process (its main thread and every thread or child it starts from now on) into a new
    network namespace with only loopback, up. Returns False, changing nothing, where the kernel refuses (no
    CAP_SYS_ADMIN, no user namespaces): callers then rely on ``Subnets`` alone.

    Call it before starting threads that use the network: threads that already exist stay where they were.
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        if err in (errno.EPERM, errno.EINVAL, errno.ENOSYS, errno.EACCES):
            return False
        raise OSError(err, os.strerror(err))
    _loopback_up()
    return True


class Subnets:
    """Hands out the third octet ``N`` of ``127.A.N.0/24`` lab subnets, never the same twice in one process,
    starting where the pid says so that processes sharing a network namespace rarely meet; callers skip a
    subnet whose bind fails (``LabError``) and take the next."""

    def __init__(self, low: int = 10, high: int = 250) -> None:
        span = high - low
        start = low + os.getpid() % span
        self._cycle = itertools.cycle([*range(start, high), *range(low, start)])

    def __next__(self) -> int:
        value: int = next(self._cycle)
        return value

    def __iter__(self) -> Iterator[int]:
        return self


SUBNETS = Subnets()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now at ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


# ---------------------------------------------------------------------------------------------- files


def write_secrets(path: Path, values: Mapping[str, str]) -> Path:
    """Write a secrets file (``name: value`` lines) readable by its owner only, created 0600 in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"{name}: {json.dumps(value)}\n" for name, value in values.items())
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    tmp.replace(path)
    path.chmod(0o600)
    return path


def write_inventory(
    target: Path, template: str | Path, params: Mapping[str, object] | None = None, name: str = "region.yaml"
) -> Path:
    """Generate a test inventory in ``target`` from ``template`` (text, or a file or folder of YAML files) by
    replacing ``{{key}}`` placeholders with ``params``. Returns ``target``.

    A folder template is copied file by file (sub-folders such as ``conferences/`` included); text is written
    to ``target/name``. A placeholder left unreplaced is an error, so a template and its caller cannot drift.
    """
    params = dict(params or {})
    target.mkdir(parents=True, exist_ok=True)

    def fill(text: str, where: str) -> str:
        for key, value in params.items():
            text = text.replace("{{" + key + "}}", str(value))
        if "{{" in text and "}}" in text.split("{{", 1)[1]:
            left = text.split("{{", 1)[1].split("}}", 1)[0]
            if left.isidentifier():
                raise LabError(f"{where}: template parameter {{{{{left}}}}} was not given")
        return text

    if isinstance(template, Path) and template.is_dir():
        for src in sorted(template.rglob("*")):
            if src.is_dir():
                continue
            dst = target / src.relative_to(template)
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.suffix in (".yaml", ".yml", ".tmpl"):
                out = dst.with_suffix("") if src.suffix == ".tmpl" else dst
                out.write_text(fill(src.read_text(encoding="utf-8"), str(src)), encoding="utf-8")
            else:
                dst.write_bytes(src.read_bytes())
        return target
    text = template.read_text(encoding="utf-8") if isinstance(template, Path) else template
    (target / name).write_text(fill(text, str(template) if isinstance(template, Path) else name), "utf-8")
    return target


# ---------------------------------------------------------------------------------------------- in process


class LoopThread:
    """An asyncio loop running in a daemon thread; ``run`` executes a coroutine on it and waits."""

    def __init__(self, name: str = "lab-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(
            wait_s() if timeout is None else timeout
        )

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the loop thread (where the simulators read their state) and return its result."""

        async def job() -> T:
            return fn(*args)

        return self.run(job())

    def stop(self) -> None:
        if self.loop.is_closed():
            return

        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.loop.shutdown_asyncgens()

        self.run(drain())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class InProcessLab:
    """Simulators running in a ``LoopThread``: the world they share, their fault book, each simulator."""

    world: Any  # LabWorld
    faults: Any  # FaultBook
    loop: LoopThread
    snmp: Any = None  # SnmpLab
    ssh: Any = None  # SshLab
    codecs: Any = None  # CodecLab
    closers: list[Any] = field(default_factory=list)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        return self.loop.call(fn, *args)


@contextlib.contextmanager
def in_process_lab(
    inventory: Any,
    secrets: Any,
    *,
    snmp: Iterable[str] | bool | None = ALL,
    ssh: Iterable[str] | bool | None = ALL,
    codecs: Iterable[str] | bool | None = ALL,
    minute_seconds: float = 1.0,
    loop: LoopThread | None = None,
    world: Any = None,
) -> Iterator[InProcessLab]:
    """Start the simulators of ``inventory`` (an ``Inventory``) in a loop thread: for each of ``snmp``, ``ssh``
    and ``codecs``, ``None`` means every device, a list those devices, ``False`` none. Raises ``LabError`` if
    an address is taken (everything started is closed again). A given ``loop`` is left running at the end; a
    given ``world`` (a ``LabWorld`` of ``inventory`` the test already holds) is served instead of a new one."""
    from netops.lab.faults import FaultBook
    from netops.lab.state import LabWorld

    own_loop = loop is None
    lt = loop or LoopThread()
    world = world if world is not None else LabWorld(inventory)
    lab = InProcessLab(world, FaultBook(world), lt)
    try:
        parts = lt.run(
            start_parts(world, secrets, snmp=snmp, ssh=ssh, codecs=codecs, minute_seconds=minute_seconds)
        )
        lab.snmp, lab.ssh, lab.codecs = parts.get("snmp"), parts.get("ssh"), parts.get("codecs")
        lab.closers = list(parts.values())
        yield lab
    finally:
        for sim in reversed(lab.closers):
            with contextlib.suppress(Exception):
                lt.run(sim.close())
        if own_loop:
            lt.stop()


def start_on_free_subnet(start: Callable[[int], T], subnets: Subnets = SUBNETS, tries: int = 20) -> T:
    """Call ``start(n)`` with the next subnet until one does not fail with ``LabError`` (address taken)."""
    last: LabError | None = None
    for _ in range(tries):
        try:
            return start(next(subnets))
        except LabError as exc:
            last = exc
    raise LabError(f"no free lab subnet after {tries} tries") from last


# ---------------------------------------------------------------------------------------------- process


@dataclass
class LabProcess:
    """``netops lab up`` running in its own process; ``log`` holds its output."""

    proc: subprocess.Popen[bytes]
    state_dir: Path
    log: Path
    control_url: str
    run_data: dict[str, Any]

    def output(self) -> str:
        """What the process wrote so far (read from its log file, never from a pipe)."""
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def spawn(
    args: list[str], log: Path, *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start ``python -m netops ARGS`` with stdout and stderr going to ``log`` (a file: nobody has to drain a
    pipe, and reading it never blocks), in its own process group."""
    log.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "netops", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen[bytes], grace: float = 15.0) -> int:
    """SIGTERM, wait ``grace`` seconds, then SIGKILL the process group; returns the exit code."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(grace)
    return proc.returncode


@contextlib.contextmanager
def lab_process(
    inventory_dir: Path,
    secrets_path: Path,
    state_dir: Path,
    *,
    control_port: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[LabProcess]:
    """Run ``netops lab up`` (foreground) for ``inventory_dir`` in a process; yield once its run file exists
    and its control API answers; stop it (SIGTERM, then SIGKILL) at the end."""
    import httpx

    port = control_port or free_port()
    log = state_dir / "lab.log"
    args = ["lab", "up", "--inventory", str(inventory_dir), "--state-dir", str(state_dir)]
    args += ["--control-port", str(port)]
    proc = spawn(
        args, log, env={"NETOPS_SECRETS_FILE": str(secrets_path), "NETOPS_MODE": "lab", **(env or {})}
    )
    run_path = state_dir / "lab.json"
    try:

        def ready() -> dict[str, Any] | None:
            if proc.poll() is not None:
                raise _Exited(proc.returncode)
            data: dict[str, Any] = json.loads(run_path.read_text(encoding="utf-8"))
            httpx.get(f"{data['control_url']}/faults", timeout=5).raise_for_status()
            return data

        try:
            data = wait_until(f"the lab process ({log})", ready)
        except LabError as exc:
            if proc.poll() is not None:
                tail = log.read_text("utf-8")[-2000:]
                raise LabError(f"netops lab up exited with {proc.returncode}: {tail}") from exc
            raise
        yield LabProcess(proc, state_dir, log, data["control_url"], data)
    finally:
        stop(proc)


@dataclass
class ServiceProcess:
    """A netops command serving HTTP (``serve``, ``demo``) in its own process; ``log`` holds its output."""

    proc: subprocess.Popen[bytes]
    log: Path
    base_url: str

    def output(self) -> str:
        """What the process wrote so far (read from its log file, never from a pipe)."""
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, grace: float = 30.0) -> int:
        """Send ``sig``; after ``grace`` seconds SIGKILL the process group. Returns the exit code."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(grace)
        return self.proc.returncode


@contextlib.contextmanager
def service_process(
    args: list[str],
    log: Path,
    port: int,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    health_path: str = "/healthz",
    stop_signal: int = signal.SIGTERM,
) -> Iterator[ServiceProcess]:
    """Start ``python -m netops ARGS`` (which must serve HTTP on 127.0.0.1:``port``), yield once
    ``health_path`` answers 200, stop it at the end with ``stop_signal`` (SIGKILL after a grace period).
    If it exits or never becomes healthy, ``LabError`` carries the end of its log."""
    import httpx

    proc = spawn(args, log, env=env, cwd=cwd)
    service = ServiceProcess(proc, log, f"http://127.0.0.1:{port}")

    def healthy() -> bool:
        if proc.poll() is not None:
            raise _Exited(proc.returncode)
        return httpx.get(service.base_url + health_path, timeout=5).status_code == 200

    try:
        try:
            wait_until(f"netops {args[0]} to answer {health_path}", healthy)
        except LabError as exc:
            service.stop(signal.SIGKILL, grace=10)
            raise LabError(
                f"netops {' '.join(args[:1])} did not become healthy:\n{service.output()[-4000:]}"
            ) from exc
        yield service
    finally:
        service.stop(stop_signal)


class _Exited(Exception):
    """The process under test exited while we waited for it (ends the wait at once)."""
