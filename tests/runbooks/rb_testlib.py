"""Test kit for the runbook tests: the small lab inventory on 127.76.N.x, secrets, a webhook receiver, and a
``RunbookService`` built on them (no HTTP service needed)."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

from netops.drivers.cli import CliSession, Timeouts
from netops.drivers.platforms import driver_for
from netops.drivers.snmp.source import SnmpSource
from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.lab.faults import FaultBook
from netops.lab.state import LabWorld
from netops.lab.testing import SUBNETS, LoopThread, in_process_lab
from netops.lab.testing import write_secrets as write_secrets_file
from netops.runbooks.actions import ConfigPusher, PushOutcome, PushRequest, PushState, Tools
from netops.runbooks.catalog import load_catalog
from netops.runbooks.service import RunbookService
from netops.runbooks.steps import notify_secret
from netops.secrets import SecretStore, env_name
from netops.store.db import open_store

T = TypeVar("T")
HERE = Path(__file__).parent
PLAYBOOKS = HERE / "playbooks"
SHIPPED = HERE.parent.parent / "playbooks"
# The kit's own logins (DriverPusher, running_config) wait long enough that a lab device which answers is never
# failed for being slow to log in on a loaded machine (netops' default is 5 s per phase)
LIVE_TIMEOUTS = Timeouts(connect=30.0, banner=30.0, auth=30.0, command=60.0)
# The rooms' precheck thresholds in these tests (netops/vc/thresholds.py; the defaults are a real network's): the
# codecs' probe reflector and SIP responder run in the test's own process, so on a loaded machine the path's
# measured delay and jitter and the SIP answer time carry the scheduler's delays (tens of ms at times). A healthy
# room must not look impaired because of them (a path warning sends room-precheck-failed to its `path` step,
# which nobody answers there: the run went to its fallback without its recheck). The faults the tests inject
# (300 ms delay, 20 % loss) stay far beyond these limits.
ROOM_THRESHOLDS = """\
thresholds:
  delay_warn_ms: 200
  delay_fail_ms: 250
  jitter_warn_ms: 200
  jitter_fail_ms: 250
  sip_warn_ms: 1500
"""
SERVICE_MINUTE_S = 60.0  # the device "minute" of a real ``netops serve`` (its change engine's ``minute_s``)
# a netops process whose pushes reach devices that answer waits as long as the kit's own sessions (a loaded
# machine can take seconds to let netmiko in; a failed post-check login would revert a good change)
PATIENT_SSH = {"NETOPS_SSH_LOGIN_TIMEOUT_S": "30", "NETOPS_SSH_COMMAND_TIMEOUT_S": "60"}
SECRETS = {"rb-community": "rb-c0mmunity", "rb-cli-password": "rb-Pa55word", "rb-codec-password": "rb-c0dec"}


def write_inventory(target: Path) -> tuple[Path, int]:
    n = next(SUBNETS)
    target.mkdir(parents=True, exist_ok=True)
    text = (
        (HERE / "inventory" / "lab.yaml.tmpl")
        .read_text(encoding="utf-8")
        .replace("127.76.N.", f"127.76.{n}.")
    )
    (target / "lab.yaml").write_text(text, encoding="utf-8")
    (target / "conferences").mkdir(exist_ok=True)
    (target / "conferences" / "thresholds.yaml").write_text(ROOM_THRESHOLDS, encoding="utf-8")
    return target, n


def write_secrets(path: Path, extra: dict[str, str] | None = None) -> Path:
    return write_secrets_file(path, {**SECRETS, **(extra or {})})


def build_service(
    tmp: Path,
    inventory: Inventory,
    secrets: SecretStore,
    playbooks: Path = PLAYBOOKS,
    *,
    pusher: ConfigPusher | None = None,
    db_url: str | None = None,
) -> RunbookService:
    store = open_store(db_url or f"sqlite:///{tmp / 'netops.db'}")
    tools = Tools(lambda: inventory, secrets, SnmpSource(lambda: inventory, secrets), store, pusher)
    return RunbookService(store, load_catalog(playbooks), tools, poll_s=0.05, max_interval_s=0.2)


def lab_inventory(tmp: Path) -> tuple[Inventory, SecretStore, Path]:
    directory, _n = write_inventory(tmp / "inventory")
    secrets_path = write_secrets(tmp / "secrets.yaml")
    return load_inventory(directory), SecretStore(secrets_path), secrets_path


class Webhook:
    """An HTTP receiver on 127.0.0.1 that records every JSON body posted to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                hook.received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def messages(self) -> list[str]:
        return [str(m.get("message")) for m in self.received]

    @property
    def env(self) -> dict[str, str]:
        """The environment that configures this receiver as its notify target (for processes)."""
        return {k: v for k, v in os.environ.items() if k.startswith("NETOPS_SECRET_NOTIFY_WEBHOOK_")}


@contextmanager
def webhook(target: str = "hook") -> Iterator[Webhook]:
    """A receiver configured as the notify target ``target`` (the secret ``notify-webhook-<target>``, given
    through its environment variable while the receiver runs: processes started meanwhile inherit it)."""
    hook = Webhook()
    hook.thread.start()
    variable = env_name(notify_secret(target).name)
    before = os.environ.get(variable)
    os.environ[variable] = hook.url
    try:
        yield hook
    finally:
        if before is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = before
        hook.server.shutdown()
        hook.server.server_close()
        hook.thread.join(5)


@dataclass
class Lab:
    world: LabWorld
    faults: FaultBook
    loop: LoopThread


@contextmanager
def running_lab(
    inventory: Inventory,
    secrets: SecretStore,
    devices: list[str],
    ssh: list[str],
    codecs: list[str] | None = None,
    *,
    minute_seconds: float = 1.0,
) -> Iterator[Lab]:
    """SNMP agents for ``devices``, SSH CLIs for ``ssh``, codec/MCU endpoints (SIP, HTTP, probe reflector) for
    ``codecs``, on their 127.76.x addresses, in a loop thread. A device's revert-timer "minute" lasts
    ``minute_seconds``: 1 s for a pusher told so (``DriverPusher``, ``minute_s=1.0``); ``SERVICE_MINUTE_S``
    for a real ``netops serve``, whose change engine counts minutes of 60 s (a trial it arms for 60 s must
    not revert after 1 s because its post-checks ran long on a loaded machine)."""
    with in_process_lab(
        inventory,
        secrets,
        snmp=devices or False,
        ssh=ssh or False,
        codecs=codecs or False,
        minute_seconds=minute_seconds,
    ) as lab:
        yield Lab(lab.world, lab.faults, lab.loop)


class DriverPusher:
    """A stand-in for the change engine in these tests: a confirmed commit through the platform drivers
    (apply under an auto-revert timer, check a fresh login works, confirm, save). The service plugs the real
    change engine (netops.changes) in through the same ``ConfigPusher`` protocol."""

    def __init__(self, inventory: Inventory, secrets: SecretStore) -> None:
        self.inventory, self.secrets = inventory, secrets
        self.pushed: list[tuple[str, list[str]]] = []

    def _push(self, request: PushRequest) -> PushOutcome:
        dev = self.inventory.device(request.device)
        driver = driver_for(dev.platform)
        session = CliSession.open(dev, self.inventory, self.secrets, LIVE_TIMEOUTS)
        try:
            before = driver.running(session)
            new = [line for line in request.lines if line.strip() not in before]
            diff = "\n".join(f"+ {line}" for line in new)
            if request.dry_run:
                return PushOutcome(True, PushState("planned"), None, diff)
            pending = driver.begin(session, request.lines, request.lines, before, request.confirm_s, 1.0)
            # post-check: still reachable
            CliSession.open(dev, self.inventory, self.secrets, LIVE_TIMEOUTS).close()
            driver.confirm(session, pending)
            driver.save(session)
        finally:
            session.close()
        self.pushed.append((request.device, request.lines))
        return PushOutcome(True, PushState("confirmed"), f"chg-{len(self.pushed)}", diff)

    async def push(self, request: PushRequest) -> PushOutcome:
        return await asyncio.to_thread(self._push, request)

    async def rollback(self, change_id: str, device: str) -> PushOutcome:
        return PushOutcome(
            False, PushState("failed"), change_id, None, "rollback is not part of this stand-in"
        )


def running_config(inventory: Inventory, secrets: SecretStore, device: str) -> str:
    dev = inventory.device(device)
    session = CliSession.open(dev, inventory, secrets, LIVE_TIMEOUTS)
    try:
        return driver_for(dev.platform).running(session)
    finally:
        session.close()
