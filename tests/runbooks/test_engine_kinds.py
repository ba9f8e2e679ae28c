"""Step kinds and options the other tests do not reach: a runbook calling another, an approval that times out
(``on_timeout``), ``on_failure: rollback`` undoing the run's pushes, runs proposed by an alert until an
operator approves the start, and secrets kept out of the logs."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from netops.auth.tokens import Role
from netops.lab.testing import wait_s
from netops.runbooks import records as rec
from netops.runbooks.actions import PushOutcome, PushRequest, PushState
from netops.runbooks.engine import Forbidden
from netops.runbooks.triggers import handle_alertmanager
from tests.runbooks.rb_testlib import build_service, lab_inventory, webhook


class RecordingPusher:
    """A ``ConfigPusher`` that records what it is asked (no device): the protocol seen from the engine."""

    def __init__(self) -> None:
        self.pushes: list[PushRequest] = []
        self.rollbacks: list[tuple[str, str]] = []

    async def push(self, request: PushRequest) -> PushOutcome:
        self.pushes.append(request)
        return PushOutcome(True, PushState("confirmed"), f"chg-{len(self.pushes)}", "+ description")

    async def rollback(self, change_id: str, device: str) -> PushOutcome:
        self.rollbacks.append((change_id, device))
        return PushOutcome(True, PushState("rolled-back"), change_id)


def test_alert_proposes_then_child_run_timeout_and_rollback(tmp_path: Path) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    pusher = RecordingPusher()
    svc = build_service(tmp_path, inv, secrets, pusher=pusher)

    async def scenario() -> rec.RunView:
        with webhook() as hook:
            payload = {"version": "4", "status": "firing", "alerts": [
                {"status": "firing", "fingerprint": "f1", "labels": {"alertname": "TestAlert", "team": "network",
                 "device": "hami-ce1"}},
                {"status": "firing", "fingerprint": "f2", "labels": {"alertname": "TestAlert", "team": "video"}},
            ]}  # fmt: skip
            (result,) = handle_alertmanager(svc, payload)
            assert result["action"] == "proposed"
            run_id = result["run"]
            await asyncio.sleep(0.2)
            assert rec.get_run(svc.store, run_id).state == "proposed" and not hook.received
            with pytest.raises(Forbidden, match="needs operator"):
                svc.engine.approve(run_id, None, actor="noc", role=Role.VIEWER)
            svc.engine.approve(run_id, "start", actor="duty", role=Role.OPERATOR)
            svc.launch(run_id)
            done = await svc.wait(run_id)
            # the child run, which passes with fail=false
            assert hook.messages() == ["first", "never", "flaky passed", "last", "cleanup"]
            return done

    run = asyncio.run(scenario())
    assert run.state == "failed"  # after-push failed and rolled back
    got = {s.step: (s.state, s.output) for s in rec.steps_of(svc.store, run.id)}
    assert (
        got["call"][0] == "succeeded"
        and got["nobody-answers"][0] == "timeout"
        and got["push"][0] == "succeeded"
    )
    child = rec.get_run(svc.store, got["call"][1]["run"])
    assert child.runbook == "failing" and child.parent_run == run.id and child.state == "succeeded"
    assert [p.lines for p in pusher.pushes] == [
        ["interface GigabitEthernet1/0/2", f" description pushed by {run.id}"]
    ]
    assert pusher.rollbacks == [("chg-1", "hami-ce1")]
    text = "\n".join(line["text"] for line in rec.transcript(svc.store, run.id))
    assert (
        "start approved by duty (operator)" in text and "rollback of chg-1 on hami-ce1: rolled-back" in text
    )
    svc.store.close()


def test_secrets_stay_out_of_the_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    svc = build_service(tmp_path, inv, secrets)
    secret = "l0g-s3cret-w0rd"
    caplog.set_level(logging.DEBUG)

    async def scenario() -> rec.RunView:
        with webhook():
            run_id = svc.start("approve-flow", {"site": "hami", "token": secret}, actor="a")
            async with asyncio.timeout(wait_s()):
                while rec.get_run(svc.store, run_id).state != "waiting":  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            svc.engine.approve(run_id, None, actor="erin", role=Role.ADMIN, inputs={"ticket": "CT-1"})
            return await svc.wait(run_id)

    run = asyncio.run(scenario())
    assert run.state == "succeeded"
    assert caplog.records and secret not in caplog.text
    svc.store.close()
