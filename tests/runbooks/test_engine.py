"""The engine on a real database: steps persisted, approvals with roles and inputs, secrets masked, retries,
goto, when, finally, cancel, concurrency keys, resume without re-running finished steps."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from netops.auth import audit
from netops.auth.tokens import Role
from netops.lab.testing import wait_s
from netops.runbooks import records as rec
from netops.runbooks.engine import Forbidden, RunConflict
from netops.runbooks.params import ParamError
from netops.runbooks.service import RunbookService
from tests.runbooks.rb_testlib import build_service, lab_inventory, webhook

SECRET = "s3cr3t-t0ken-value"


def service(tmp_path: Path) -> RunbookService:
    inv, secrets, _ = lab_inventory(tmp_path)
    return build_service(tmp_path, inv, secrets)


async def wait_state(svc: RunbookService, run_id: str, *states: str) -> rec.RunView:
    async with asyncio.timeout(wait_s()):  # the kit's deadline: a loaded machine may take longer
        while True:
            run = rec.get_run(svc.store, run_id)
            if run.state in states:
                return run
            await asyncio.sleep(0.02)


def test_approval_flow_masks_secrets_and_records_who_approved(tmp_path: Path) -> None:
    svc = service(tmp_path)

    async def scenario() -> rec.RunView:
        with webhook() as hook:
            run_id = svc.start("approve-flow", {"site": "hami", "token": SECRET}, actor="alice")
            run = await wait_state(svc, run_id, "waiting")
            assert run.cursor == "approve"
            with pytest.raises(Forbidden, match="needs engineer"):
                svc.engine.approve(
                    run_id, "approve", actor="olga", role=Role.OPERATOR, inputs={"ticket": "CT-1"}
                )
            with pytest.raises(ParamError, match="ticket"):
                svc.engine.approve(
                    run_id, "approve", actor="erin", role=Role.ENGINEER, inputs={"ticket": "x"}
                )
            with pytest.raises(RunConflict, match=r"not a manual_confirm|does not wait"):
                svc.engine.approve(run_id, "announce", actor="erin", role=Role.ENGINEER)
            svc.engine.approve(
                run_id, "approve", actor="erin", role=Role.ENGINEER, inputs={"ticket": "CT-42"}
            )
            done = await svc.wait(run_id)
            # notifications leave the service: masked too
            assert hook.messages() == [
                "starting at hami with token ********",
                "ticket CT-42 opened",
                "run over",
            ]
            return done

    done = asyncio.run(scenario())
    assert done.state == "succeeded"
    assert done.params == {"site": "hami", "token": "********"}
    steps = rec.steps_of(svc.store, done.id)
    assert [(s.step, s.state) for s in steps] == [
        ("announce", "succeeded"), ("polled", "succeeded"), ("approve", "succeeded"), ("done", "succeeded"),
        ("closing", "succeeded"),
    ]  # fmt: skip
    approval = steps[2].output
    assert (
        approval["by"] == "erin"
        and approval["role"] == "engineer"
        and approval["inputs"] == {"ticket": "CT-42"}
    )
    lines = rec.transcript(svc.store, done.id)
    text = "\n".join(line["text"] for line in lines)
    assert SECRET not in text and SECRET not in str([s.output for s in steps])
    assert "token ********" in text or "token=********" in text
    assert "approved by erin (engineer): ticket=CT-42" in text
    assert any(e.action == "runbook.approve" and e.actor == "erin" for e in audit.entries(svc.store))
    svc.store.close()


def test_failure_retries_goto_when_and_finally(tmp_path: Path) -> None:
    svc = service(tmp_path)

    async def scenario() -> rec.RunView:
        with webhook() as hook:
            run_id = svc.start("failing", {}, actor="alice")
            done = await svc.wait(run_id)
            assert hook.messages() == ["first", "fallback after failed", "cleanup"]
            return done

    done = asyncio.run(scenario())
    assert done.state == "failed"
    states = [(s.step, s.attempt, s.state) for s in rec.steps_of(svc.store, done.id)]
    assert states == [
        ("first", 1, "succeeded"), ("flaky", 1, "failed"), ("flaky", 2, "failed"), ("flaky", 3, "failed"),
        ("fallback", 1, "succeeded"), ("skipped-when-failed", 0, "skipped"), ("must-fail", 1, "failed"),
        ("cleanup", 1, "succeeded"),
    ]  # fmt: skip
    svc.store.close()


def test_resume_from_failed_step_does_not_repeat_finished_steps(tmp_path: Path) -> None:
    svc = service(tmp_path)

    async def scenario() -> tuple[rec.RunView, list[str]]:
        with webhook() as hook:
            run_id = svc.start("failing", {}, actor="alice")
            await svc.wait(run_id)
            with pytest.raises(RunConflict, match="no step 'nope'"):
                svc.engine.prepare_resume(run_id, "nope")
            svc.engine.prepare_resume(run_id)  # at the failed step: must-fail
            # the failed step still fails (the cause is unchanged): only it and finally run again
            done = await svc.engine.execute(run_id)
            assert rec.get_run(svc.store, run_id).state == "failed"
            svc.engine.prepare_resume(run_id, "last")  # the engineer fixed it by hand: skip to `last`
            done = await svc.engine.execute(run_id)
            return done, hook.messages()

    done, messages = asyncio.run(scenario())
    assert done.state == "succeeded"
    assert messages == ["first", "fallback after failed", "cleanup", "cleanup", "last", "cleanup"]
    assert sum(1 for s in rec.steps_of(svc.store, done.id) if s.step == "first") == 1
    svc.store.close()


def test_cancel_a_waiting_run_and_concurrency_key(tmp_path: Path) -> None:
    svc = service(tmp_path)

    async def scenario() -> rec.RunView:
        with webhook() as hook:
            run_id = svc.start("approve-flow", {"site": "hami"}, actor="alice")
            await wait_state(svc, run_id, "waiting")
            with pytest.raises(RunConflict, match=f"run {run_id} of approve-flow is active"):
                svc.start("approve-flow", {"site": "hami"}, actor="bob")
            svc.engine.cancel(run_id, actor="bob")
            done = await svc.wait(run_id)
            assert hook.messages() == ["starting at hami with token None", "run over"]
            with pytest.raises(RunConflict, match="already ended"):
                svc.engine.cancel(run_id, actor="bob")
            return done

    done = asyncio.run(scenario())
    assert done.state == "cancelled"
    assert [s.state for s in rec.steps_of(svc.store, done.id)][-2:] == ["cancelled", "succeeded"]
    svc.store.close()


def test_parameters_are_checked(tmp_path: Path) -> None:
    svc = service(tmp_path)
    with pytest.raises(ParamError) as info:
        svc.engine.create_run("approve-flow", {"colour": "red"}, actor="alice")
    text = str(info.value)
    assert "unknown parameter 'colour'" in text and "parameter 'site' (site) is required" in text
    with pytest.raises(ParamError, match="no site named 'atlantis'"):
        svc.engine.create_run("approve-flow", {"site": "atlantis"}, actor="alice")
    assert rec.list_runs(svc.store) == []
    svc.store.close()
