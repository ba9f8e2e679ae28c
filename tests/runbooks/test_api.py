"""The runbook and run routes over HTTP: roles, starting, status, cancel, resume, transcript, errors; secret
parameters never in a response. The metrics collector counts what the runs did."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from prometheus_client import CollectorRegistry

from netops.api.app import create_app
from netops.api.auth import roles
from netops.api.runbook_routes import router as runbook_router
from netops.auth.tokens import Role, create_token
from netops.lab.testing import wait_until
from netops.runbooks.metrics import RunbookCollector
from netops.runbooks.service import RunbookService
from netops.runtime import Runtime
from netops.settings import Settings
from tests.conftest import served_app
from tests.runbooks.rb_testlib import PLAYBOOKS, webhook, write_inventory, write_secrets

SECRET = "pr1vate-bridge-PIN-8841"


@dataclass
class Api:
    client: httpx.Client
    rt: Runtime
    svc: RunbookService
    tokens: dict[str, str]
    seen: list[str]

    def call(self, method: str, path: str, who: str = "duty", **kw: Any) -> httpx.Response:
        answer = self.client.request(
            method, path, headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kw
        )
        self.seen.append(answer.text)
        return answer

    def wait_for(self, run_id: str, *states: str) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            run: dict[str, Any] = self.call("GET", f"/runs/{run_id}", "noc").json()
            return run if run["state"] in states else None

        return wait_until(f"run {run_id} in {states}", reached)


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    inventory, _ = write_inventory(tmp_path / "inventory")
    monkeypatch.setenv("NETOPS_SECRETS_FILE", str(write_secrets(tmp_path / "secrets.yaml")))
    settings = Settings(inventory=inventory, state_dir=tmp_path / "state", poll_enabled=False)
    rt = Runtime.start(settings)
    app: FastAPI = create_app(settings, rt)
    app.include_router(runbook_router, dependencies=[Depends(roles(Role.VIEWER, Role.OPERATOR))])
    svc = RunbookService.from_runtime(rt, PLAYBOOKS, poll_s=0.05, max_interval_s=0.1)
    app.state.runbooks = svc
    tokens = {name: create_token(rt.store, name, role)[1] for name, role in
              (("noc", Role.VIEWER), ("duty", Role.OPERATOR), ("eng", Role.ENGINEER))}  # fmt: skip
    with served_app(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield Api(client, rt, svc, tokens, [])
        deadline = time.monotonic() + 10
        while svc.tasks and time.monotonic() < deadline:
            time.sleep(0.05)


def test_runs_through_the_api(api: Api) -> None:
    listed = api.call("GET", "/runbooks", "noc").json()
    assert [r["id"] for r in listed] == ["approve-flow", "failing", "mail", "parent"]
    assert api.call("GET", "/runbooks/approve-flow", "noc").json()["spec"]["finally"][0]["id"] == "closing"
    assert api.call("GET", "/runbooks/nope", "noc").status_code == 404
    with webhook() as hook:
        body = {"params": {"site": "hami", "token": SECRET}}
        assert api.call("POST", "/runbooks/approve-flow/runs", "noc", json=body).status_code == 403
        bad = api.call("POST", "/runbooks/approve-flow/runs", json={"params": {"site": "nowhere"}})
        assert bad.status_code == 422 and any("no site named 'nowhere'" in p for p in bad.json()["problems"])
        started = api.call("POST", "/runbooks/approve-flow/runs", json=body)
        assert started.status_code == 202, started.text
        run_id = started.json()["id"]
        assert started.json()["params"]["token"] == "********"
        run = api.wait_for(run_id, "waiting")
        assert run["cursor"] == "approve" and [s["step"] for s in run["steps"]] == [
            "announce",
            "polled",
            "approve",
        ]
        conflict = api.call("POST", "/runbooks/approve-flow/runs", json=body)
        assert conflict.status_code == 409 and run_id in conflict.json()["detail"]
        assert (
            api.call("POST", f"/runs/{run_id}/approve", json={"inputs": {"ticket": "CT-9"}}).status_code
            == 403
        )
        rejected = api.call("POST", f"/runs/{run_id}/approve", "eng", json={"inputs": {"ticket": "nine"}})
        assert rejected.status_code == 422
        assert api.call("POST", f"/runs/{run_id}/cancel").status_code == 200
        assert api.wait_for(run_id, "cancelled")["cancel_requested"] is True
        assert api.call("POST", f"/runs/{run_id}/cancel").status_code == 409
        assert api.call("POST", f"/runs/{run_id}/resume", json={}).status_code == 409
        transcript = api.call("GET", f"/runs/{run_id}/transcript", "noc").json()
        assert transcript[0]["text"].startswith("run of approve-flow created by token:duty (api)")
        assert "token=********" in transcript[0]["text"]
        assert [r["id"] for r in api.call("GET", "/runs?state=cancelled", "noc").json()] == [run_id]
        assert hook.messages() == ["starting at hami with token ********", "run over"]
    assert all(SECRET not in text for text in api.seen)


def test_resume_a_failed_run_from_a_step_and_metrics(api: Api) -> None:
    with webhook() as hook:
        run_id = api.call("POST", "/runbooks/failing/runs", json={"params": {}}).json()["id"]
        failed = api.wait_for(run_id, "failed")
        assert failed["cursor"] is None and failed["phase"] == "done"
        nope = api.call("POST", f"/runs/{run_id}/resume", json={"from_step": "nope"})
        assert nope.status_code == 409
        assert api.call("POST", f"/runs/{run_id}/resume", json={"from_step": "last"}).status_code == 200
        done = api.wait_for(run_id, "succeeded")
        assert hook.messages() == ["first", "fallback after failed", "cleanup", "last", "cleanup"]
    assert [s["step"] for s in done["steps"]].count("first") == 1
    registry = CollectorRegistry()
    registry.register(RunbookCollector(api.rt.store))
    assert (
        registry.get_sample_value("netops_runbook_runs_total", {"runbook": "failing", "state": "succeeded"})
        == 1
    )
    assert (
        registry.get_sample_value(
            "netops_runbook_step_failures_total", {"runbook": "failing", "kind": "check"}
        )
        == 4
    )
    assert registry.get_sample_value("netops_runbook_run_duration_seconds_count", {"runbook": "failing"}) == 1
    assert registry.get_sample_value("netops_runbook_runs_waiting_approval") == 0
