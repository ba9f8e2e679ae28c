"""Tokens and roles on the API (stores on SQLite and PostgreSQL): 401 without a token, 403 for a weaker role,
429 after repeated failures; the audit log records mutating calls; tokens are stored only as hashes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from netops.api.app import create_app
from netops.api.auth import CLIENT_FAILURE_LIMIT, FAILURE_LIMIT, FailureLimiter
from netops.auth import audit, tokens
from netops.runtime import Runtime
from netops.settings import Settings
from tests.conftest import served_app

OPEN = {"/healthz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


@pytest.fixture
def api(base_inventory: Path, tmp_path: Path, db_url: str) -> Iterator[tuple[httpx.Client, Runtime, FastAPI]]:
    settings = Settings(inventory=base_inventory, state_dir=tmp_path, poll_enabled=False, database_url=db_url)
    rt = Runtime.start(settings)
    app = create_app(settings, rt)
    with served_app(app) as url, httpx.Client(base_url=url) as client:
        yield client, rt, app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def still_clock(app: FastAPI) -> None:
    """Refusals counted in one window however long the test takes: the per-minute rows and the limiter's
    sliding window are wall-clock / monotonic; a burst that crossed a minute (or, on a loaded machine, outlasted
    the limiter's window) gave two rows or fewer 429s (test_repeated_failures... failed under load)."""
    minute = 1_800_000_000.0  # a minute's first second; the clock stays there, so no window ever finishes
    app.state.refusals = audit.Refusals(clock=lambda: minute)
    app.state.auth_limiter = FailureLimiter(FAILURE_LIMIT, 1e12, CLIENT_FAILURE_LIMIT)


def test_every_route_but_health_and_metrics_needs_a_token(
    monkeypatch: pytest.MonkeyPatch, api: tuple[httpx.Client, Runtime, FastAPI]
) -> None:
    client, rt, app = api
    _, viewer = tokens.create_token(rt.store, "noc", tokens.Role.VIEWER)
    app.state.auth_limiter = FailureLimiter(limit=10_000)  # this test fails on purpose many times
    monkeypatch.setenv("NETOPS_SECRET_ALERTMANAGER_WEBHOOK", "webhook-secret-for-the-test")  # else 503
    paths = {p: ops for p, ops in app.openapi()["paths"].items() if p not in OPEN}
    assert len(paths) >= 15
    for template, ops in paths.items():
        path = (
            template.replace("{site_id}", "kashgar")
            .replace("{device_id}", "kashgar-ce1")
            .replace("{link_id}", "kashgar-ce1--centre-core1")
            .replace("{room_id}", "kashgar-vc")
        )
        for method in ops:
            assert client.request(method.upper(), path).status_code == 401, (method, path)
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/devices/kashgar-ce1", headers=bearer(viewer)).status_code == 200
    assert client.get("/audit", headers=bearer(viewer)).status_code == 403
    assert client.get("/status", headers=bearer("nto_not-a-real-token")).status_code == 401


def test_admin_reads_audit_and_tokens_never_in_clear(
    api: tuple[httpx.Client, Runtime, FastAPI], tmp_path: Path
) -> None:
    client, rt, app = api
    still_clock(app)
    _, admin = tokens.create_token(rt.store, "boss", tokens.Role.ADMIN)
    _, viewer = tokens.create_token(rt.store, "noc", tokens.Role.VIEWER)
    assert client.post("/status", headers=bearer(viewer)).status_code == 405  # refused before authentication
    assert client.delete("/devices/kashgar-ce1").status_code == 405
    assert app.state.refusals.flush(rt.store, everything=True) == 1  # one row per client and minute
    log = client.get("/audit", headers=bearer(admin)).json()
    row = log[0]
    assert (row["actor"], row["action"], row["target"], row["outcome"]) == (
        "anonymous", "refused", "127.0.0.1", "405"
    )  # fmt: skip
    assert row["detail"]["count"] == 2
    assert row["detail"]["paths"] == ["POST /status", "DELETE /devices/kashgar-ce1"]
    listed = client.get("/tokens", headers=bearer(admin)).json()
    assert {t["name"] for t in listed} == {"boss", "noc"} and all("token" not in t for t in listed)
    with rt.store.engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(text("select * from api_tokens")) for v in row)
    assert admin not in stored and viewer not in stored
    assert tokens.digest(admin) in stored
    tokens.revoke(rt.store, "noc")
    assert client.get("/status", headers=bearer(viewer)).status_code == 401


def test_repeated_failures_are_rate_limited_but_never_a_valid_token(
    api: tuple[httpx.Client, Runtime, FastAPI],
) -> None:
    client, rt, app = api
    still_clock(app)
    _, good = tokens.create_token(rt.store, "noc", tokens.Role.VIEWER)
    codes = [client.get("/status", headers=bearer("nto_guess")).status_code for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]  # the same failing credential from here
    assert client.get("/status", headers=bearer("nto_other")).status_code == 401  # another one: counted apart
    assert client.get("/status", headers=bearer(good)).status_code == 200  # a valid token: never locked out
    # any credentials from one client: CLIENT_FAILURE_LIMIT in the window, then 429 for failing ones only
    codes = [client.get("/status", headers=bearer(f"nto_guess{i}")).status_code for i in range(100)]
    assert codes.count(429) >= 1 and codes[-1] == 429
    assert client.get("/status", headers=bearer(good)).status_code == 200
    assert audit.entries(rt.store) == []  # refusals before authentication: counted, written once a minute
    assert app.state.refusals.flush(rt.store, everything=True) == 1
    (row,) = audit.entries(rt.store)
    assert row.actor == "anonymous" and row.target == "127.0.0.1" and row.detail["count"] == 113
    assert row.detail["statuses"] == {"401": 100, "429": 13}


def test_every_mutating_route_refuses_a_weaker_role(api: tuple[httpx.Client, Runtime, FastAPI]) -> None:
    client, rt, app = api
    app.state.auth_limiter = FailureLimiter(limit=10_000)
    tokens_by_role = {
        role: tokens.create_token(rt.store, f"t-{role.name.lower()}", role)[1] for role in tokens.Role
    }
    needs = {
        "/conferences": tokens.Role.ENGINEER,
        "/changes": tokens.Role.ENGINEER,
        "/config": tokens.Role.ENGINEER,
        "/runbooks": tokens.Role.OPERATOR,
        "/incidents": tokens.Role.OPERATOR,
        "/runs": tokens.Role.OPERATOR,
    }
    checked = 0
    for template, ops in app.openapi()["paths"].items():
        if template.startswith("/alerts/"):
            continue  # Alertmanager's webhook: its own secret, no roles
        path = re.sub(r"\{[^}]+\}", "x", template)
        for method in ops:
            if method.upper() not in ("POST", "PUT", "PATCH", "DELETE"):
                continue
            needed = next(role for prefix, role in needs.items() if template.startswith(prefix))
            for role, token in tokens_by_role.items():
                if role < needed:
                    got = client.request(method.upper(), path, headers=bearer(token), json={})
                    assert got.status_code == 403, (method, template, role, got.status_code)
                    checked += 1
    assert checked >= 15
    operator = tokens_by_role[tokens.Role.OPERATOR]
    assert client.post("/incidents/999/acknowledge", headers=bearer(operator), json={}).status_code == 404
    log = audit.entries(rt.store, limit=1000)
    assert (
        len(log) == checked + 1 and sum(e.outcome == "403" for e in log) == checked
    )  # every refused mutation is audited
    assert {e.actor for e in log} == {"token:t-viewer", "token:t-operator"}  # one naming: token:<name>
