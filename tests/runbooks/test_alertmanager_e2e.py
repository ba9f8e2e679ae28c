"""End to end through the HTTP API against the lab: an Alertmanager payload starts `prefecture-uplink-down`
with the site from the alert's labels; the run waits for the carrier ticket and the failback approval (given
through the API, roles checked), waits for the lab fault to clear, pushes the failback through a confirmed
commit to the lab router, and succeeds (its goal checked). The same payload twice starts one run; `resolved`
moves a waiting run on to the failback approval (``on_resolve``);
a dry run writes nothing; the webhook has its own secret. The webhook answers 202 at once and acts in the
background: ``act`` waits for the service's alert inbox to have acted on a notification and returns what it did."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import func, select

from netops.api.alert_routes import router as alert_router
from netops.api.app import create_app
from netops.api.auth import roles
from netops.api.runbook_routes import router as runbook_router
from netops.auth.tokens import Role, create_token
from netops.errors import LabError
from netops.lab.testing import wait_until
from netops.runbooks.alerts import AlertInbox
from netops.runbooks.service import RunbookService
from netops.runtime import Runtime
from netops.settings import Settings
from netops.store.schema import ConfigChange, RunbookRun
from tests.conftest import served_app
from tests.runbooks.rb_testlib import (
    SHIPPED,
    DriverPusher,
    Lab,
    running_config,
    running_lab,
    webhook,
    write_inventory,
    write_secrets,
)

AM_SECRET = "am-w3bhook-s3cret"
LINK = "hami-ce1--centre-core1"


@dataclass
class Api:
    client: httpx.Client
    rt: Runtime
    svc: RunbookService
    lab: Lab
    pusher: DriverPusher
    tokens: dict[str, str]
    inbox: AlertInbox

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def run(self, run_id: str) -> dict[str, Any]:
        got = self.client.get(f"/runs/{run_id}", headers=self.as_("noc"))
        assert got.status_code == 200, got.text
        data: dict[str, Any] = got.json()
        return data

    def wait_for(self, run_id: str, state: str, cursor: str | None = None) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            run = self.run(run_id)
            return run if run["state"] == state and (cursor is None or run["cursor"] == cursor) else None

        try:
            return wait_until(f"run {run_id} {state} at {cursor}", reached)
        except LabError as exc:
            raise AssertionError(f"run {run_id} not {state} at {cursor}: {self.run(run_id)}") from exc


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    inventory, _ = write_inventory(tmp_path / "inventory")
    secrets_file = write_secrets(tmp_path / "secrets.yaml", {"alertmanager-webhook": AM_SECRET})
    monkeypatch.setenv("NETOPS_SECRETS_FILE", str(secrets_file))
    settings = Settings(inventory=inventory, state_dir=tmp_path / "state", poll_enabled=False)
    rt = Runtime.start(settings)
    pusher = DriverPusher(rt.inventory, rt.secrets)
    app: FastAPI = create_app(settings, rt)
    # what the lead wires in api/app.py: the routers with their roles, the service with the change engine
    app.include_router(runbook_router, dependencies=[Depends(roles(Role.VIEWER, Role.OPERATOR))])
    app.include_router(alert_router)
    svc = RunbookService.from_runtime(rt, SHIPPED, pusher=pusher, poll_s=0.05, max_interval_s=0.2)
    app.state.runbooks = svc
    tokens = {name: create_token(rt.store, name, role)[1] for name, role in
              (("noc", Role.VIEWER), ("duty", Role.OPERATOR), ("eng", Role.ENGINEER))}  # fmt: skip
    devices = ["centre-core1", "centre-core2", "hami-ce1"]
    with (
        running_lab(rt.inventory, rt.secrets, devices, ssh=["hami-ce1"]) as lab,
        served_app(app) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        yield Api(client, rt, svc, lab, pusher, tokens, app.state.alert_inbox)
        for run_id in list(svc.tasks):  # nothing left executing when the server stops
            svc.engine.cancel(run_id, actor="test")
        deadline = time.monotonic() + 10
        while svc.tasks and time.monotonic() < deadline:
            time.sleep(0.05)


def alert(status: str, fingerprint: str, site: str = "hami") -> dict[str, Any]:
    item = {
        "status": status,
        "labels": {"alertname": "NetopsPrefectureUplinksDown", "site": site, "tier": "prefecture",
                   "severity": "critical"},
        "annotations": {"summary": f"prefecture {site} is cut off", "runbook": "prefecture-uplink-down"},
        "startsAt": "2026-11-25T03:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
        "fingerprint": fingerprint,
    }  # fmt: skip
    return {
        "version": "4", "groupKey": "{}:{alertname=\"NetopsPrefectureUplinksDown\"}", "truncatedAlerts": 0,
        "status": status, "receiver": "netops", "groupLabels": {"alertname": "NetopsPrefectureUplinksDown"},
        "commonLabels": item["labels"], "commonAnnotations": item["annotations"], "externalURL": "", "alerts": [item],
    }  # fmt: skip


def post_alert(api: Api, payload: dict[str, Any], secret: str = AM_SECRET) -> httpx.Response:
    return api.client.post(
        "/alerts/alertmanager", json=payload, headers={"Authorization": f"Bearer {secret}"}
    )


def act(api: Api, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Post a notification (202 at once) and wait until the service acted on it; what it did per alert."""
    answer = post_alert(api, payload)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] == "accepted" and body["alerts"] == len(payload["alerts"])
    number = body["notification"]
    results: list[dict[str, Any]] = wait_until(
        f"notification {number} acted on",
        lambda: number in api.inbox.results and (api.inbox.results[number],),
    )[0]
    return results


def test_alert_starts_the_runbook_which_is_approved_pushes_waits_and_succeeds(api: Api) -> None:
    fault = api.lab.loop.call(lambda: api.lab.faults.apply("link-down", LINK))
    with webhook("noc") as hook:  # the playbook notifies the target noc, configured in the service
        # the answer comes at once; the run it started waits for its approval in the background
        (started,) = act(api, alert("firing", "fp-hami-1"))
        assert started["action"] == "started" and started["runbook"] == "prefecture-uplink-down"
        run_id = started["run"]
        again = act(api, alert("firing", "fp-hami-1"))
        assert again == [{"runbook": "prefecture-uplink-down", "fingerprint": "fp-hami-1", "run": run_id,
                          "action": "already active"}]  # fmt: skip

        run = api.wait_for(run_id, "waiting", "carrier-ticket")
        assert run["params"] == {"site": "hami"}
        assert [s["state"] for s in run["steps"]] == [
            "succeeded",
            "succeeded",
            "skipped",
            "skipped",
            "waiting",
        ]
        body = {"step": "carrier-ticket", "inputs": {"ticket": "XJTEL-2026-1125-07"}}
        assert (
            api.client.post(f"/runs/{run_id}/approve", json=body, headers=api.as_("noc")).status_code == 403
        )
        ok = api.client.post(f"/runs/{run_id}/approve", json=body, headers=api.as_("duty"))
        assert ok.status_code == 200, ok.text

        api.wait_for(run_id, "running", "wait-recovery")
        time.sleep(0.5)  # a few rounds of the condition with the link still down
        assert api.run(run_id)["cursor"] == "wait-recovery"
        api.lab.loop.call(lambda: api.lab.faults.clear(fault.id))
        api.wait_for(run_id, "waiting", "approve-failback")
        refused = api.client.post(f"/runs/{run_id}/approve", json={}, headers=api.as_("duty"))
        assert refused.status_code == 403 and "needs engineer" in refused.json()["detail"]
        assert api.client.post(f"/runs/{run_id}/approve", json={}, headers=api.as_("eng")).status_code == 200

        done = api.wait_for(run_id, "succeeded")
        assert hook.messages() == [
            "hami: primary uplink down, traffic on the backup; carrier ticket XJTEL-2026-1125-07.",
            f"hami: uplink runbook {run_id} finished",
        ]
    steps = {s["step"]: s for s in done["steps"]}
    assert steps["failback"]["output"]["outcome"] == "confirmed"
    assert steps["carrier-ticket"]["output"]["inputs"] == {"ticket": "XJTEL-2026-1125-07"}
    assert [(a["step"], a["actor"]) for a in done["approvals"]] == [("carrier-ticket", "token:duty"),
                                                                   ("approve-failback", "token:eng")]  # fmt: skip
    config = running_config(api.rt.inventory, api.rt.secrets, "hami-ce1")
    assert f"description primary uplink restored by netops run {run_id}" in config
    assert api.pusher.pushed and api.pusher.pushed[0][0] == "hami-ce1"
    transcript = api.client.get(f"/runs/{run_id}/transcript", headers=api.as_("noc")).json()
    assert any("approved by token:eng (engineer)" in line["text"] for line in transcript)
    # a new alert for the same fingerprint after the run ended starts a new run
    assert act(api, alert("resolved", "fp-hami-1")) == []


def test_resolved_alert_moves_the_waiting_run_on_and_keeps_the_failback_approval(api: Api) -> None:
    """The carrier repairs before the ticket is entered: the resolution does not cancel the run (issue 15):
    carrier-ticket's on_resolve moves it to the repair check, and the failback still waits for an engineer."""
    fault = api.lab.loop.call(lambda: api.lab.faults.apply("link-down", LINK))
    (started,) = act(api, alert("firing", "fp-hami-2"))
    api.wait_for(started["run"], "waiting", "carrier-ticket")
    api.lab.loop.call(lambda: api.lab.faults.clear(fault.id))
    (resolved,) = act(api, alert("resolved", "fp-hami-2"))
    assert resolved == {
        "run": started["run"],
        "fingerprint": "fp-hami-2",
        "action": "resolved: moves to wait-recovery",
    }
    run = api.wait_for(started["run"], "waiting", "approve-failback")
    states = {s["step"]: s["state"] for s in run["steps"]}
    assert states["carrier-ticket"] == "skipped" and states["wait-recovery"] == "succeeded"
    assert "tell-duty" not in states
    body: dict[str, Any] = {"inputs": {}}
    assert (
        api.client.post(f"/runs/{started['run']}/approve", json=body, headers=api.as_("eng")).status_code
        == 200
    )
    done = api.wait_for(started["run"], "succeeded")
    states = {s["step"]: s["state"] for s in done["steps"]}
    assert states["failback"] == "succeeded" and states["verify-primary-up"] == "succeeded"
    transcript = [line["text"] for line in api.client.get(f"/runs/{started['run']}/transcript",
                                                           headers=api.as_("noc")).json()]  # fmt: skip
    assert any("the alert resolved (alertmanager): at carrier-ticket, the run moves to wait-recovery" in t
               for t in transcript)  # fmt: skip
    assert any(
        t.startswith("goal holds: the prefecture is reachable over its primary uplink") for t in transcript
    )
    assert api.pusher.pushed and api.pusher.pushed[-1][0] == "hami-ce1"


def test_webhook_needs_its_own_secret(api: Api) -> None:
    assert post_alert(api, alert("firing", "fp-x"), secret="wrong").status_code == 401
    # an API token, even an admin's, is not the webhook secret
    assert post_alert(api, alert("firing", "fp-x"), secret=api.tokens["eng"]).status_code == 401
    bad = api.client.post(
        "/alerts/alertmanager", content=b"not json", headers={"Authorization": f"Bearer {AM_SECRET}"}
    )
    assert bad.status_code == 400
    assert api.client.get("/runs", headers=api.as_("noc")).json() == []


def test_dry_run_writes_nothing(api: Api) -> None:
    api.lab.loop.call(lambda: api.lab.faults.apply("link-down", LINK))
    before = running_config(api.rt.inventory, api.rt.secrets, "hami-ce1")
    plan = api.client.post("/runbooks/prefecture-uplink-down/plan", json={"params": {"site": "hami"}},
                           headers=api.as_("duty"))  # fmt: skip
    assert plan.status_code == 200, plan.text
    rows = {r["step"]: r for r in plan.json()["steps"]}
    assert rows["verify-primary-down"]["met"] is True  # the read-only check really ran
    assert rows["check-backup"]["met"] is True
    assert rows["approve-failover"]["action"] == "skipped"
    assert rows["failback"]["action"] == "would push" and rows["failback"]["outcome"] == "planned"
    assert "description primary uplink restored by netops run dry-run" in rows["failback"]["diff"]
    assert running_config(api.rt.inventory, api.rt.secrets, "hami-ce1") == before
    with api.rt.store.session() as s:
        assert s.scalar(select(func.count()).select_from(RunbookRun)) == 0
        assert s.scalar(select(func.count()).select_from(ConfigChange)) == 0
    assert not api.pusher.pushed


def test_resolved_alert_lets_the_run_waiting_for_recovery_continue_to_the_failback(api: Api) -> None:
    fault = api.lab.loop.call(lambda: api.lab.faults.apply("link-down", LINK))
    (started,) = act(api, alert("firing", "fp-hami-3"))
    run_id = started["run"]
    api.wait_for(run_id, "waiting", "carrier-ticket")
    body = {"inputs": {"ticket": "XJTEL-3"}}
    assert api.client.post(f"/runs/{run_id}/approve", json=body, headers=api.as_("duty")).status_code == 200
    api.wait_for(run_id, "running", "wait-recovery")
    (resolved,) = act(api, alert("resolved", "fp-hami-3"))
    assert resolved["action"] == "resolved: continues"
    api.lab.loop.call(lambda: api.lab.faults.clear(fault.id))
    run = api.wait_for(run_id, "waiting", "approve-failback")  # the failback approval is kept
    states = {s["step"]: s["state"] for s in run["steps"]}
    assert states["wait-recovery"] == "succeeded" and "failback" not in states
    assert api.client.post(f"/runs/{run_id}/cancel", headers=api.as_("duty")).status_code in (200, 202)
    api.wait_for(run_id, "cancelled")
