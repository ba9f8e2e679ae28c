"""Runbook ``config_push`` steps through the real change engine (``ChangeEnginePusher``), in process, against
the lab's SSH CLIs and SNMP agents on 127.77.N.x: a change record per push, the lines on the device, dry runs
that write nothing, post-check failures that revert, and ``on_failure: rollback`` undoing a recorded change."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from netops.changes import records
from netops.inventory.models import Inventory
from netops.lab.testing import wait_s
from netops.runbooks import records as rec
from netops.runbooks.change_engine import ChangeEnginePusher
from netops.runbooks.plan import plan
from netops.runbooks.service import RunbookService
from netops.secrets import SecretStore
from netops.store.schema import ConfigLock
from tests.runbooks.ce_testlib import PLAYBOOKS, SSH_DEVICES, lab_region
from tests.runbooks.rb_testlib import build_service, running_config, running_lab


@dataclass
class Env:
    inventory: Inventory
    secrets: SecretStore
    svc: RunbookService

    def run(self, runbook: str, params: dict[str, Any]) -> rec.RunView:
        async def go() -> rec.RunView:
            run_id = self.svc.start(runbook, params, actor="tester")
            async with asyncio.timeout(wait_s()):
                return await self.svc.wait(run_id)

        return asyncio.run(go())

    def running(self, device: str) -> str:
        """The device's running configuration without its header lines (``!Last configuration change``)."""
        text = running_config(self.inventory, self.secrets, device)
        return "\n".join(line for line in text.splitlines() if not line.startswith("!"))

    def steps(self, run_id: str) -> dict[str, rec.StepView]:
        return {s.step: s for s in rec.steps_of(self.svc.store, run_id)}


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    inventory, secrets, _, _ = lab_region(tmp_path)
    with running_lab(inventory, secrets, SSH_DEVICES, SSH_DEVICES):
        svc = build_service(tmp_path, inventory, secrets, PLAYBOOKS)
        tools = svc.engine.tools
        tools.pusher = ChangeEnginePusher(lambda: inventory, secrets, svc.store, tools.snmp, minute_s=1.0)
        yield Env(inventory, secrets, svc)
        svc.store.close()


def test_a_config_push_step_is_a_recorded_change_with_its_lines_on_the_device(env: Env) -> None:
    done = env.run("set-description", {"device": "hami-ce1", "interface": "GE1/0/3", "text": "to-yiwu"})
    assert done.state == "succeeded", done.error
    out = env.steps(done.id)["push"].output
    assert out["outcome"] == "confirmed" and out["change_id"].startswith("chg-")
    assert "+  description to-yiwu" in out["diff"]
    assert "interface GigabitEthernet1/0/3\n description to-yiwu" in env.running("hami-ce1")
    change = records.get_change(env.svc.store, out["change_id"])
    assert change["user"] == f"runbook run {done.id}" and "step push" in change["reason"]
    (dev,) = change["devices"]
    assert dev["device"] == "hami-ce1" and dev["outcome"] == "confirmed"
    assert {c["name"]: c["ok"] for c in dev["checks"]} == {
        "ssh": True, "snmp": True, "uplinks": True, "neighbours": True, "errors": True,
    }  # fmt: skip
    # the same lines again: nothing to do, still recorded
    again = env.run("set-description", {"device": "hami-ce1", "interface": "GE1/0/3", "text": "to-yiwu"})
    assert env.steps(again.id)["push"].output["outcome"] == "unchanged"


def test_secret_parameters_are_masked_in_the_step_and_the_change_record(env: Env) -> None:
    done = env.run(
        "set-description",
        {"device": "dept-audit-ce1", "interface": "Gi0/1", "text": "k-Secr3t-77", "key": "k-Secr3t-77"},
    )
    assert done.state == "succeeded", done.error
    assert "description k-Secr3t-77" in env.running("dept-audit-ce1")  # typed for real ...
    out = env.steps(done.id)["push"].output
    assert "k-Secr3t-77" not in repr(out) and "description ******" in out["diff"]  # ... shown masked
    assert "k-Secr3t-77" not in repr(records.get_change(env.svc.store, out["change_id"]))


def test_the_dry_run_diffs_and_writes_nothing(env: Env) -> None:
    before = env.running("centre-core1")
    params = {"device": "centre-core1", "interface": "GE0/0/2", "text": "to-audit"}
    result = asyncio.run(plan(env.svc.catalog, env.svc.engine.tools, "set-description", params))
    (row,) = result["steps"]
    assert row["outcome"] == "planned" and "+  description to-audit" in row["diff"]
    assert env.running("centre-core1") == before
    assert records.list_changes(env.svc.store) == [] and rec.list_runs(env.svc.store) == []
    with env.svc.store.session() as s:
        assert s.query(ConfigLock).count() == 0


def test_a_post_check_failure_reverts_and_the_step_fails_with_the_reason(env: Env) -> None:
    before = env.running("hami-ce1")
    done = env.run("shut-uplink", {"device": "hami-ce1"})
    assert done.state == "failed"
    step = env.steps(done.id)["shut"]
    assert step.state == "failed"
    assert (
        "push to hami-ce1 reverted: post-check failed: uplink down after the change: GigabitEthernet1/0/1"
        in (step.error or "")
    )
    assert "after" not in env.steps(done.id)
    assert env.running("hami-ce1") == before
    dev = records.get_change(env.svc.store, step.output["change_id"])["devices"][0]
    assert dev["outcome"] == "reverted" and "uplink down" in dev["detail"]


def test_a_push_that_shuts_the_lan_is_reverted_like_netops_config_push(env: Env) -> None:
    """The post-checks of a runbook push are those of ``netops config push``: every interface that carries
    service (uplinks, the LAN to the switch and the codec) must stay up, not only the uplinks."""
    before = env.running("hami-ce1")
    done = env.run("shut-interface", {"device": "hami-ce1", "interface": "GigabitEthernet1/0/4"})
    step = env.steps(done.id)["shut"]
    assert done.state == "failed" and step.state == "failed"
    assert "reverted: post-check failed" in (step.error or "") and "GigabitEthernet1/0/4" in (
        step.error or ""
    )
    assert env.running("hami-ce1") == before
    dev = records.get_change(env.svc.store, step.output["change_id"])["devices"][0]
    assert dev["outcome"] == "reverted"


def test_on_failure_rollback_undoes_the_recorded_change(env: Env) -> None:
    before = env.running("centre-core2")
    done = env.run("push-then-rollback", {"device": "centre-core2", "interface": "GE0/0/1"})
    assert done.state == "failed"
    pushed = env.steps(done.id)["push"].output
    assert pushed["outcome"] == "confirmed"
    assert env.running("centre-core2") == before
    first = records.get_change(env.svc.store, pushed["change_id"])["devices"][0]
    assert first["outcome"] == "rolled-back" and first["rolled_back"] is True
    undo = next(
        c for c in records.list_changes(env.svc.store) if c["reason"] == f"rollback of {pushed['change_id']}"
    )
    assert records.get_change(env.svc.store, undo["id"])["devices"][0]["outcome"] == "confirmed"
    transcript = "\n".join(str(e.get("text")) for e in rec.transcript(env.svc.store, done.id))
    assert f"rollback of {pushed['change_id']} on centre-core2: rolled-back" in transcript
