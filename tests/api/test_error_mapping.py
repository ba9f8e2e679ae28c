"""Every kind of error the API answers, through the real app served by uvicorn: the status code and the one body
shape ``{"error": CODE, "detail": TEXT, ...}`` from ``netops/api/errors.py`` (netops errors by base class,
FastAPI's validation errors, HTTPException from the auth layer, unknown routes, unexpected exceptions)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from netops.api.app import create_app
from netops.api.auth import FailureLimiter
from netops.auth import audit
from netops.auth.tokens import Role, create_token
from netops.errors import DeviceUnreachable, StoreError
from netops.lab.testing import wait_until
from netops.runbooks import records as rec
from netops.runbooks.service import RunbookService
from netops.runtime import Runtime
from netops.settings import Settings
from tests.conftest import served_app

PLAYBOOK = """\
id: handover
title: Duty handover (one approval an admin gives)
severity: minor
plan_section: "test"
goal: {none: "a test runbook: no network state to reach"}
concurrency: params.site
parameters:
  - {name: site, type: site}
triggers:
  - manual: true
steps:
  - id: confirm
    kind: manual_confirm
    prompt: "Confirm the handover at {{ params.site }}"
    role: admin
    timeout: 600
"""
SECRET = "s3cret-body-value-7731"  # sent in bodies that are refused: never in an answer


@dataclass
class Api:
    client: httpx.Client
    app: FastAPI
    rt: Runtime
    tokens: dict[str, str]

    def call(self, method: str, path: str, who: str | None = "duty", **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, path, headers=headers, **kw)


@pytest.fixture
def api(base_inventory: Path, tmp_path: Path) -> Iterator[Api]:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "handover.yaml").write_text(PLAYBOOK, encoding="utf-8")
    settings = Settings(inventory=base_inventory, state_dir=tmp_path / "state", poll_enabled=False)
    rt = Runtime.start(settings)
    app = create_app(settings, rt)
    svc = RunbookService.from_runtime(rt, playbooks, poll_s=0.05)
    app.state.runbooks = svc
    tokens = {name: create_token(rt.store, name, role)[1] for name, role in
              (("noc", Role.VIEWER), ("duty", Role.OPERATOR), ("eng", Role.ENGINEER))}  # fmt: skip
    with served_app(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield Api(client, app, rt, tokens)
        for run in list(svc.tasks):
            svc.engine.cancel(run, actor="test")
        deadline = time.monotonic() + 10
        while svc.tasks and time.monotonic() < deadline:
            time.sleep(0.05)


def shape(answer: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """Assert the status and the common body shape; returns the body for the specific fields."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    data: dict[str, Any] = answer.json()
    assert data["error"] == error, data
    assert isinstance(data["detail"], str) and data["detail"], data
    assert SECRET not in answer.text
    return data


def test_not_found_names_the_kind_and_id(api: Api) -> None:
    data = shape(api.call("GET", "/runs/run-nope"), 404, "not_found")
    assert data["kind"] == "run" and data["id"] == "run-nope" and "run-nope" in data["detail"]
    data = shape(api.call("GET", "/devices/kashgar-ce9"), 404, "not_found")
    assert data["kind"] == "device" and "kashgar-ce1" in data["detail"]  # did you mean


def test_unknown_route_and_method(api: Api) -> None:
    shape(api.call("GET", "/no/such/route"), 404, "not_found")
    answer = api.call("DELETE", "/healthz", None)
    shape(answer, 405, "method_not_allowed")
    assert "GET" in answer.headers["allow"]


def test_authentication_and_roles(api: Api) -> None:
    answer = api.call("GET", "/runs", None)
    shape(answer, 401, "unauthorized")
    assert answer.headers["www-authenticate"] == "Bearer"
    data = shape(api.call("GET", "/audit", "noc"), 403, "forbidden")
    assert "role" in data["detail"]
    api.app.state.auth_limiter = FailureLimiter(limit=1)
    shape(api.client.get("/runs", headers={"Authorization": "Bearer nto_wrong"}), 401, "unauthorized")
    answer = api.client.get("/runs", headers={"Authorization": "Bearer nto_wrong"})
    shape(answer, 429, "too_many_requests")
    assert answer.headers["retry-after"]


def test_request_validation_sends_where_and_what_never_the_body(api: Api) -> None:
    body = {"decision": SECRET, "inputs": {"ticket": SECRET}}
    data = shape(api.call("POST", "/runs/run-x/approve", json=body), 422, "invalid")
    assert data["problems"] == ["body.decision: String should match pattern '^(approved|rejected)$'"]
    data = shape(api.call("POST", "/runbooks/handover/runs", json={"params": SECRET}), 422, "invalid")
    assert data["problems"] == ["body.params: Input should be a valid dictionary"]
    raw = api.client.post(
        "/runbooks/handover/runs",
        content=f'{{"params": "{SECRET}',
        headers={"Authorization": f"Bearer {api.tokens['duty']}", "Content-Type": "application/json"},
    )
    shape(raw, 400, "bad_request")  # not JSON: 400 (docs/api.md), the body not echoed


def test_invalid_parameters_list_each_problem(api: Api) -> None:
    data = shape(
        api.call("POST", "/runbooks/handover/runs", json={"params": {"site": "atlantis"}}), 422, "invalid"
    )
    assert any("no site named 'atlantis'" in p for p in data["problems"])


def test_conflict_and_permission_denied_from_the_runbook_engine(api: Api) -> None:
    started = api.call("POST", "/runbooks/handover/runs", json={"params": {"site": "kashgar"}})
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    data = shape(
        api.call("POST", "/runbooks/handover/runs", json={"params": {"site": "kashgar"}}), 409, "conflict"
    )
    assert run_id in data["detail"]
    wait_until(  # the kit's deadline: a loaded machine may take longer than a few seconds to get there
        "the run waiting for its approval",
        lambda: api.call("GET", f"/runs/{run_id}", "noc").json()["state"] == "waiting",
    )
    data = shape(api.call("POST", f"/runs/{run_id}/approve", json={}), 403, "forbidden")
    assert "needs admin" in data["detail"]
    shape(api.call("POST", f"/runs/{run_id}/approve", json={"step": "other"}), 409, "conflict")
    cancelled = api.call("POST", f"/runs/{run_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text


def test_conference_errors(api: Api) -> None:
    conf = {"id": "drill", "title": "演练", "start": "2030-01-01T10:00:00+08:00", "rooms": ["kashgar-vc"]}
    assert api.call("POST", "/conferences", "eng", json=conf).status_code == 201
    data = shape(api.call("POST", "/conferences", "eng", json=conf), 409, "conflict")
    assert "already exists" in data["detail"]
    data = shape(
        api.call("POST", "/conferences", "eng", json={**conf, "id": "x", "rooms": ["nowhere-vc"]}),
        422,
        "invalid",
    )
    assert "nowhere-vc" in data["detail"]
    shape(api.call("PUT", "/conferences/nope", "eng", json={**conf, "id": "nope"}), 404, "not_found")


@pytest.mark.parametrize(
    ("raised", "status", "error"),
    [
        (DeviceUnreachable("kashgar-ce1", "no answer in 2 s"), 502, "device_failed"),
        (StoreError("database is locked"), 503, "store_unavailable"),
    ],
)
def test_device_and_store_errors(
    api: Api, monkeypatch: pytest.MonkeyPatch, raised: Exception, status: int, error: str
) -> None:
    def fail(*_a: Any, **_k: Any) -> Any:
        raise raised

    monkeypatch.setattr(rec, "list_runs", fail)
    data = shape(api.call("GET", "/runs", "noc"), status, error)
    assert data["detail"] == str(raised)
    if isinstance(raised, DeviceUnreachable):
        assert data["device"] == "kashgar-ce1"


def test_an_unexpected_exception_is_a_generic_500_logged_and_audited(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError(f"bug with {SECRET}")

    monkeypatch.setattr(RunbookService, "start", crash)
    with caplog.at_level("ERROR", logger="netops.api.errors"):
        data = shape(
            api.call("POST", "/runbooks/handover/runs", json={"params": {"site": "kashgar"}}), 500, "internal"
        )
    assert "service log" in data["detail"]
    assert any(r.exc_info and SECRET in str(r.exc_info[1]) for r in caplog.records)
    entry = next(e for e in audit.entries(api.rt.store) if e.action == "POST /runbooks/handover/runs")
    assert entry.outcome == "500"
