"""Fixtures shared by every test folder: the small base inventory and a way to run the real CLI.

Every test process (the plain pytest process, or each pytest-xdist worker) moves into a network namespace of its
own at start (``netops.lab.testing.private_network``), so fixed 127.x lab addresses never collide between two
test runs or two workers. Set ``NETOPS_TEST_SHARED_NETWORK=1`` to stay in the machine's namespace.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netops.lab.testing import ServiceProcess, private_network, service_process, wait_until
from netops.lab.testing import free_port as free_port

PRIVATE_NETWORK = pytest.StashKey[bool]()

TESTS = Path(__file__).parent
REPO = TESTS.parent
DEMO_INVENTORY = TESTS / "lab" / "run" / "inventory"


@pytest.fixture
def base_inventory() -> Path:
    return TESTS / "inventory" / "base"


@pytest.fixture
def shipped_inventory() -> Path:
    return REPO / "inventory"


def run_netops(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m netops ARGS`` as a separate process, as a user would."""
    full_env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "netops", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or REPO,
        timeout=timeout,
        check=False,
    )


def demo_env(tmp_path: Path) -> dict[str, str]:
    """How the demo tests run ``netops demo``: their own secrets file, no venv on the PATH (a printed bare
    ``netops`` would fail), polls every 4 s."""
    return {
        "NETOPS_SECRETS_FILE": str(tmp_path / "secrets.yaml"),
        "PATH": "/usr/bin:/bin",
        "NO_COLOR": "1",
        "NETOPS_POLL_FAST_S": "4",
        "NETOPS_POLL_NORMAL_S": "4",
    }


@contextlib.contextmanager
def demo_service(state: Path, log: Path, env: dict[str, str]) -> Iterator[ServiceProcess]:
    """``netops demo`` on the small lab inventory and free ports, ready when it answers; stopped with Ctrl-C
    (SIGINT), as a user stops it. A lab it leaves behind is killed: it would hold the test addresses."""
    port = free_port()
    ports = ["--port", str(port), "--control-port", str(free_port())]
    args = ["demo", "--inventory", str(DEMO_INVENTORY), *ports, "--state-dir", str(state)]
    try:
        with service_process(args, log, port, env=env, cwd=REPO, stop_signal=signal.SIGINT) as svc:
            yield svc
    finally:
        if (state / "lab.json").exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(json.loads((state / "lab.json").read_text())["pid"], signal.SIGKILL)


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("NETOPS_TEST_SHARED_NETWORK") != "1":
        config.stash[PRIVATE_NETWORK] = private_network()


def pytest_report_header(config: pytest.Config) -> str:
    private = config.stash.get(PRIVATE_NETWORK, False)
    return f"netops: {'private network namespace' if private else 'shared network namespace'}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    from tests.pgserver import postgres_server

    with postgres_server() as url:
        yield url


_DB_COUNTER = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database on each backend the store supports: a SQLite file, a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'netops.db'}"
    from sqlalchemy import create_engine, text

    server: str = request.getfixturevalue("postgres_url")
    name = f"netops_test_{next(_DB_COUNTER)}"
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


@contextlib.contextmanager
def served_app(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve an ASGI app with a real uvicorn in a thread on a free port; yields its base URL."""
    import threading

    import uvicorn

    port = free_port(host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()

    def started() -> bool:
        # a thread that ended without starting (a port taken, the lifespan failed) fails the wait at once
        assert server.started or thread.is_alive(), "uvicorn did not start (its thread ended)"
        return bool(server.started)

    # the kit's one deadline (NETOPS_TEST_WAIT_S): a loaded machine can take longer than 10 s to start uvicorn
    wait_until("uvicorn to start", started, every=0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
