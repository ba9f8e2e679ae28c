"""End to end through the real processes: ``netops lab up`` whose devices send traps and syslog to the real
``netops serve`` (receivers on 127.0.0.1), polling every 60 s.

- A link fault opens its incident before the next scheduled poll could have: every scheduled cycle recorded
  after the fault (the service's ``poll_cycles``) ended after the incident opened (a cycle opens incidents
  when it ends, at its start plus its duration), so the targeted ``event`` cycle found it; the same for its
  resolution. Compared with the incident's own stamps, not with when the test looked: a slow test cannot fail
  it.
- A flood (10,000 datagrams/s for 10 s of garbage from unknown and known sources) while a second real fault
  happens: ``/healthz`` answers throughout, the drops are counted, the fault's incident still opens.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from netops.lab.testing import (
    LabProcess,
    ServiceProcess,
    free_port,
    lab_process,
    service_process,
    wait_until,
    write_secrets,
)
from netops.store.db import open_store
from netops.store.schema import PollCycle
from tests.conftest import run_netops
from tests.ingest.test_receivers import SECRETS
from tests.polling.testlib import polling_region

NET = 76
INTERVAL_S = 60.0
SCHEDULED = ("poll-uplinks", "poll-access")


@dataclass
class Stack:
    lab: LabProcess
    svc: ServiceProcess
    headers: dict[str, str]
    trap_port: int
    syslog_port: int
    state: Path  # the service's state directory (its SQLite database)

    def get(self, path: str) -> Any:
        resp = httpx.get(self.svc.base_url + path, headers=self.headers, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        text = httpx.get(self.svc.base_url + "/metrics", timeout=30).text
        out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return out

    def stamps(self) -> dict[str, float]:
        return {
            dict(labels)["poll_job"]: value
            for (name, labels), value in self.metrics().items()
            if name == "netops_poll_cycle_last_timestamp_seconds"
        }

    def fault(self, kind: str, target: str) -> int:
        resp = httpx.post(self.lab.control_url + "/faults", json={"kind": kind, "target": target}, timeout=30)
        resp.raise_for_status()
        return int(resp.json()["id"])

    def clear(self, fault: int) -> None:
        httpx.delete(f"{self.lab.control_url}/faults/{fault}", timeout=30).raise_for_status()

    def open_about(self, device: str) -> list[dict[str, Any]]:
        return [
            i
            for i in self.get("/incidents?state=open")
            if device in i["cause"] or device in i["affected_devices"]
        ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("ingest-serve")
    inv_dir = polling_region(tmp / "region", net=NET)
    secrets = write_secrets(tmp / "secrets.yaml", SECRETS)
    state = tmp / "state"
    trap_port, syslog_port = free_port(), free_port()
    env = {
        "NETOPS_MODE": "lab",
        "NETOPS_SECRETS_FILE": str(secrets),
        "NETOPS_POLL_FAST_S": str(INTERVAL_S),
        "NETOPS_POLL_NORMAL_S": str(INTERVAL_S),
        "NETOPS_TRAP_LISTEN": f"127.0.0.1:{trap_port}",
        "NETOPS_SYSLOG_LISTEN": f"127.0.0.1:{syslog_port}",
        "NETOPS_INCIDENT_HOLDDOWN_S": "2",
    }
    made = run_netops("token", "create", "--name", "t", "--role", "viewer", "--json", "--state-dir", str(state),
                      env=env)  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    headers = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}
    lab_env = {
        "NETOPS_LAB_TRAP_COLLECTOR": f"127.0.0.1:{trap_port}",
        "NETOPS_LAB_SYSLOG_COLLECTOR": f"127.0.0.1:{syslog_port}",
    }
    with lab_process(inv_dir, secrets, tmp / "lab", env=lab_env) as lab:
        port = free_port()
        args = ["serve", "--inventory", str(inv_dir), "--state-dir", str(state), "--port", str(port)]
        with service_process(args, tmp / "serve.log", port, env=env) as svc:
            stack = Stack(lab, svc, headers, trap_port, syslog_port, state)
            wait_until("one cycle of each scheduled poll job", lambda: set(SCHEDULED) <= set(stack.stamps()))
            yield stack


def _cycles(stack: Stack) -> list[tuple[int, str, float, float]]:
    """The scheduled jobs' cycles in the service's database: (id, job, start, end = start + duration)."""
    store = open_store(f"sqlite:///{stack.state / 'netops.db'}")
    try:
        with store.session() as s:
            rows = s.query(PollCycle).filter(PollCycle.job.in_(SCHEDULED))
            return [(c.id, c.job, c.started_at, c.started_at + c.duration_s) for c in rows]
    finally:
        store.close()


def _no_scheduled_cycle_ended_by(since_id: int, at: float, what: str, stack: Stack) -> None:
    """Every scheduled cycle recorded after cycle ``since_id`` (the last before the fault) ended after ``at``:
    none of them can have opened or resolved the incident (a cycle does that when it ends). Every cycle is in
    the database, however long the test took."""
    early = [c for c in _cycles(stack) if c[0] > since_id and c[3] <= at]
    assert not early, (
        f"scheduled cycles (id, job, start, end) ended before the incident {what} at {at}: {early}"
    )


def test_a_link_fault_opens_its_incident_before_the_next_scheduled_poll(stack: Stack) -> None:
    since_id = max(c[0] for c in _cycles(stack))  # the fixture waited for a cycle of each scheduled job
    faulted_at = time.time()
    fault = stack.fault("link-down", "kashgar-shule-ce1--kashgar-ce1")
    try:
        [incident] = wait_until("the incident", lambda: stack.open_about("kashgar-shule-ce1"))
        # the trap-driven poll found it: no scheduled cycle had ended since the fault when it opened
        _no_scheduled_cycle_ended_by(since_id, incident["opened_at"], "opened", stack)
        after = stack.stamps()
        assert "event" in after and after["event"] >= faulted_at - 1
        m = stack.metrics()
        assert m[("netops_ingest_received_total", (("kind", "trap"),))] > 0
        assert m[("netops_ingest_received_total", (("kind", "syslog"),))] > 0
        assert m[("netops_ingest_targeted_polls_total", ())] >= 1
    finally:
        stack.clear(fault)
    # recovery: the linkUp traps poll again once the hold-down has passed; no scheduled poll is needed
    wait_until("resolved", lambda: stack.open_about("kashgar-shule-ce1") == [])
    [resolved] = [i for i in stack.get("/incidents?state=resolved") if i["id"] == incident["id"]]
    _no_scheduled_cycle_ended_by(since_id, resolved["resolved_at"], "resolved", stack)


def _flood(stop: threading.Event, sent: list[int], rate: int, seconds: float) -> None:
    """``rate`` datagrams/s, ``rate * seconds`` in all: garbage from an unknown address and from a known
    device, both ports. Paced in 10 ms slices; a sender slowed by a loaded machine sends them all, later."""
    junk = [os.urandom(48), b"\x30\x03\x02\x01\x01", b"<13>", b"\x30\x82\xff\xff", b"not syslog at all"]
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as device,
    ):
        stranger.bind(("127.0.0.1", 0))
        device.bind((f"127.{NET}.0.2", 0))  # centre-core2: a known source far from the faulted county
        start = time.monotonic()
        n, total = 0, int(rate * seconds)
        while not stop.is_set() and n < total:
            due = min(total, int((time.monotonic() - start) * rate))
            while n < due:
                sock = device if n % 4 < 2 else stranger
                port = sent[1] if n % 2 else sent[2]
                with contextlib.suppress(OSError):  # a full socket buffer: the datagram is lost, as on a WAN
                    sock.sendto(junk[n % len(junk)], ("127.0.0.1", port))
                n += 1
            time.sleep(0.01)
        sent[0] = n


def test_a_flood_leaves_the_service_answering_and_the_real_fault_still_opens(stack: Stack) -> None:
    m0 = stack.metrics()
    stop = threading.Event()
    sent = [0, stack.trap_port, stack.syslog_port]
    flood = threading.Thread(target=_flood, args=(stop, sent, 10_000, 10.0), daemon=True)
    flood.start()
    answers: list[int] = []
    fault = None
    try:
        t0 = time.monotonic()
        while flood.is_alive():
            answers.append(httpx.get(stack.svc.base_url + "/healthz", timeout=30).status_code)
            if fault is None and time.monotonic() - t0 > 3:
                fault = stack.fault("link-down", "kashgar-shufu-ce1--kashgar-ce1")
            time.sleep(0.2)
    finally:
        stop.set()
        flood.join(30)
    assert fault is not None
    try:
        assert answers and set(answers) == {200}, answers
        assert sent[0] >= 50_000  # the flood was sent (all of it: a loaded machine only sends it later)
        wait_until("the fault's incident after the flood", lambda: stack.open_about("kashgar-shufu-ce1"))
        m1 = stack.metrics()

        def grew(name: str, **labels: str) -> float:
            key = (name, tuple(sorted(labels.items())))
            return m1.get(key, 0.0) - m0.get(key, 0.0)

        dropped = sum(
            grew("netops_ingest_dropped_total", kind=k, reason=r)
            for k in ("trap", "syslog")
            for r in ("unknown-source", "parse-error", "auth", "overload")
        )
        assert grew("netops_ingest_unknown_source_total", kind="trap") > 0
        overload = sum(
            grew("netops_ingest_dropped_total", kind=k, reason="overload") for k in ("trap", "syslog")
        )
        assert overload > 0  # the known source spent its budget; the faulted devices kept theirs
        assert dropped >= sent[0] * 0.1  # counted (the kernel may drop more when the socket buffer is full)
    finally:
        stack.clear(fault)
