"""Auth and audit integrity (issue 18 item 6): forwarded addresses believed only from configured proxies (a real
``netops serve`` process, where uvicorn's own proxy-header handling would otherwise trust any local client),
refusals before authentication written as one row per client and minute, retention, the actor always the
token (a ``user`` field refused), and a real 5xx (a damaged database) audited (a 500 from a bug: see
``test_error_mapping``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from netops.api.app import create_app
from netops.api.auth import client_address, parse_proxies
from netops.auth import audit
from netops.auth.tokens import Role, create_token
from netops.lab.testing import service_process
from netops.runtime import Runtime
from netops.settings import Settings
from tests.conftest import REPO, TESTS, free_port, run_netops, served_app

PROXY = "127.0.0.2"  # the configured reverse proxy; tests talk from 127.0.0.1 (not trusted) and from it


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    tmp = tmp_path_factory.mktemp("proxies")
    port, state = free_port(), tmp / "state"
    args = ["serve", "--inventory", str(TESTS / "inventory" / "base"), "--port", str(port)]
    args += ["--state-dir", str(state), "--log-level", "warning"]
    env = {"NETOPS_TRUSTED_PROXIES": f"{PROXY}/32", "NETOPS_POLL_ENABLED": "false"}
    with service_process(args, tmp / "serve.log", port, cwd=REPO, env=env) as svc:
        made = run_netops(
            "token", "create", "--name", "adm", "--role", "admin", "--state-dir", str(state), "--json"
        )
        assert made.returncode == 0, made.stderr
        yield svc.base_url, state, json.loads(made.stdout)["token"]


def client_from(address: str, base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=address), timeout=30)


def test_forwarded_for_only_from_a_trusted_proxy(served: tuple[str, Path, str]) -> None:
    base, _state, admin = served
    with client_from("127.0.0.1", base) as direct, client_from(PROXY, base) as proxy:
        # a direct client cannot choose its address: its guesses with changing X-Forwarded-For are one client
        codes = [
            direct.get("/status", headers={"Authorization": "Bearer nto_x", "X-Forwarded-For": f"10.0.0.{i}"})
            for i in range(11)
        ]
        assert [c.status_code for c in codes] == [401] * 10 + [429]
        # through the proxy, the address it forwards is the client's: another client, not blocked
        forwarded = {"Authorization": "Bearer nto_x", "X-Forwarded-For": "203.0.113.9, 10.9.9.9"}
        assert proxy.get("/status", headers=forwarded).status_code == 401
        spoofed = {"Authorization": f"Bearer {admin}", "X-Forwarded-For": "198.51.100.1"}
        assert direct.post("/incidents/1/acknowledge", json={}, headers=spoofed).status_code == 404
        via_proxy = {"Authorization": f"Bearer {admin}", "X-Forwarded-For": "198.51.100.7"}
        assert proxy.post("/incidents/2/acknowledge", json={}, headers=via_proxy).status_code == 404
        rows = direct.get("/audit", headers={"Authorization": f"Bearer {admin}"}).json()
    acks = {r["action"]: r for r in rows if r["action"].endswith("/acknowledge")}
    assert acks["POST /incidents/1/acknowledge"]["detail"]["client"] == "127.0.0.1"  # X-Forwarded-For ignored
    assert acks["POST /incidents/2/acknowledge"]["detail"]["client"] == "198.51.100.7"  # what the proxy saw
    assert {r["actor"] for r in acks.values()} == {"token:adm"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Runtime, FastAPI, str]]:
    tmp = tmp_path_factory.mktemp("audit")
    settings = Settings(inventory=TESTS / "inventory" / "base", state_dir=tmp / "state", poll_enabled=False)
    rt = Runtime.start(settings)
    app = create_app(settings, rt)
    token = create_token(rt.store, "eng", Role.ENGINEER)[1]
    with served_app(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client, rt, app, token


def test_a_flood_of_unauthenticated_requests_is_one_row_per_client_and_minute(
    api: tuple[httpx.Client, Runtime, FastAPI, str],
) -> None:
    client, rt, app, _ = api
    # one minute that never ends: the service's own 30 s flush job writes finished minutes only, so with the
    # wall clock a flood that crossed a minute was written half-way (the 'nothing written' check raced it)
    minute = 1_800_000_000.0
    app.state.refusals = audit.Refusals(clock=lambda: minute)
    before = len(audit.entries(rt.store, limit=10_000))
    with httpx.Client(base_url=str(client.base_url), timeout=30) as anonymous:
        for i in range(300):
            anonymous.post("/conferences", json={"id": f"c{i}"}, headers={"Authorization": f"Bearer nto_{i}"})
    assert len(audit.entries(rt.store, limit=10_000)) == before  # nothing written per request
    written = app.state.refusals.flush(rt.store, everything=True)
    assert written == 1  # one row for the client and its minute
    rows = [e for e in audit.entries(rt.store, limit=10_000) if e.actor == audit.ANONYMOUS]
    assert sum(r.detail["count"] for r in rows) == 300 and {r.target for r in rows} == {"127.0.0.1"}


def test_retention_deletes_old_rows(api: tuple[httpx.Client, Runtime, FastAPI, str]) -> None:
    _client, rt, _app, _ = api
    refusals = audit.Refusals()
    long_ago = time.time() - 40 * 86400
    refusals.add("192.0.2.1", 401, "GET /status", now=long_ago)
    assert refusals.flush(rt.store, now=long_ago + 120) == 1
    audit.record(rt.store, actor="cli:old", action="token create", outcome="ok")
    with rt.store.session() as session:  # the row as it would be after 400 days
        session.execute(
            text("UPDATE audit_log SET at = :at WHERE actor = 'cli:old'"), {"at": time.time() - 400 * 86400}
        )
    audit.record(rt.store, actor="cli:new", action="token create", outcome="ok")
    gone = audit.purge(rt.store, retention_s=365 * 86400, anonymous_retention_s=30 * 86400)
    assert gone == 2
    actors = {e.actor for e in audit.entries(rt.store, limit=10_000)}
    assert "cli:old" not in actors and "cli:new" in actors
    assert not any(e.target == "192.0.2.1" for e in audit.entries(rt.store, limit=10_000))


def test_a_user_field_is_refused_naming_it(api: tuple[httpx.Client, Runtime, FastAPI, str]) -> None:
    client, _rt, _app, _ = api
    answer = client.post("/changes", json={"devices": ["kashgar-ce1"], "reason": "r", "user": "someone-else"})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert any(p.startswith("body.user:") for p in answer.json()["problems"]), answer.json()


def test_a_real_5xx_is_audited(api: tuple[httpx.Client, Runtime, FastAPI, str]) -> None:
    client, rt, _app, _ = api
    with rt.store.session() as session:  # a damaged database: the conferences table is gone
        session.execute(text("ALTER TABLE vc_conferences RENAME TO vc_conferences_away"))
    try:
        body = {"id": "broken", "title": "t", "start": "2026-12-01T10:00:00+08:00", "rooms": "all"}
        created = client.post("/conferences", json=body)
        listed = client.get("/conferences")
    finally:
        with rt.store.session() as session:
            session.execute(text("ALTER TABLE vc_conferences_away RENAME TO vc_conferences"))
    assert created.status_code == 503 and created.json()["error"] == "store_unavailable"
    assert listed.status_code == 503
    rows = audit.entries(rt.store, limit=50)
    assert any((r.actor, r.action, r.outcome) == ("token:eng", "POST /conferences", "503") for r in rows), [
        (r.actor, r.action, r.outcome) for r in rows
    ]
    assert any((r.action, r.outcome) == ("GET /conferences", "503") for r in rows)  # a refused read too


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.1", "10.9.9.9", "127.0.0.1"),  # not a proxy: the header is ignored
        (PROXY, "203.0.113.9, 10.9.9.9", "10.9.9.9"),  # the rightmost hop the proxy appended
        (PROXY, "10.9.9.9, 127.0.0.2", "10.9.9.9"),  # trusted hops are skipped
        (PROXY, "not-an-address", PROXY),  # garbage: what we know is the proxy
        (PROXY, "", PROXY),
    ],
)
def test_client_address(peer: str, forwarded: str, expected: str) -> None:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    scope = {"type": "http", "client": (peer, 5555), "headers": headers}
    assert client_address(scope, parse_proxies(f"{PROXY}, 192.0.2.0/24")) == expected


def test_refusals_memory_is_bounded_per_minute() -> None:
    refusals = audit.Refusals()
    minute = 1_000 * audit.WINDOW_S
    for i in range(audit.MAX_CLIENTS + 500):
        refusals.add(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", 401, "GET /status", now=minute)
    assert refusals.pending() == audit.MAX_CLIENTS + 500  # every refusal counted
    assert len({client for _start, client in refusals._tally}) == audit.MAX_CLIENTS + 1  # the rest: "other"
