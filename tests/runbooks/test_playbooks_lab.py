"""The shipped playbooks, each run end to end against the lab with its matching fault: approvals given as a
duty officer would, the fault cleared while the run waits for recovery, and the outcome checked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from netops.auth.tokens import Role
from netops.events import Event, EventBus
from netops.runbooks import records as rec
from netops.runbooks.service import RunbookService
from netops.runbooks.triggers import subscribe_events
from tests.runbooks.rb_testlib import (
    SHIPPED,
    DriverPusher,
    build_service,
    lab_inventory,
    running_lab,
    webhook,
)

Answers = dict[str, tuple[Role, dict[str, Any]]]


async def drive(
    svc: RunbookService, run_id: str, answers: Answers, at: Mapping[str, Callable[[], object]] | None = None
) -> rec.RunView:
    """Approve each step in ``answers`` when the run waits on it; call ``at[step]`` once when the run reaches it."""
    pending = dict(at or {})
    async with asyncio.timeout(40):
        while True:
            run = rec.get_run(svc.store, run_id)
            if run.state in rec.FINAL:
                await svc.wait(run_id)
                return run
            if run.cursor in pending and run.state == "running":
                pending.pop(run.cursor)()
            if run.state == "waiting" and run.cursor in answers:
                role, inputs = answers.pop(run.cursor)
                svc.engine.approve(run_id, run.cursor, actor=f"duty-{role}", role=role, inputs=inputs)
            await asyncio.sleep(0.05)


def states(svc: RunbookService, run_id: str) -> dict[str, str]:
    return {s.step: s.state for s in rec.steps_of(svc.store, run_id)}


def test_core_cpu_high_collects_evidence_then_approved_mitigation(tmp_path: Path) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    svc = build_service(tmp_path, inv, secrets, SHIPPED, pusher=DriverPusher(inv, secrets))
    with running_lab(inv, secrets, ["centre-core1"], ssh=["centre-core1"]) as lab:
        fault = lab.loop.call(lambda: lab.faults.apply("high-cpu", "centre-core1", {"percent": 97}))

        async def scenario() -> rec.RunView:
            run_id = svc.start("device-cpu-high", {"device": "centre-core1"}, actor="alertmanager")
            clear = {"recheck": lambda: lab.loop.call(lambda: lab.faults.clear(fault.id))}
            return await drive(svc, run_id, {"decide": (Role.ENGINEER, {"mitigation": "none"})}, clear)

        run = asyncio.run(scenario())
    assert run.state == "succeeded"
    assert states(svc, run.id) == {"confirm-high": "succeeded", "evidence": "succeeded", "decide": "succeeded",
                                   "mitigate": "skipped", "recheck": "succeeded"}  # fmt: skip
    evidence = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "evidence").output["outputs"]
    assert list(evidence) == ["display cpu-usage", "display memory-usage", "display interface brief",
                              "display ospf peer brief"]  # fmt: skip
    assert "97" in evidence["display cpu-usage"]
    svc.store.close()


def test_ups_on_battery_reports_minutes_and_waits_for_mains(tmp_path: Path) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    svc = build_service(tmp_path, inv, secrets, SHIPPED)
    with running_lab(inv, secrets, ["hami-ce1"], ssh=[]) as lab, webhook("noc") as hook:
        fault = lab.loop.call(lambda: lab.faults.apply("on-battery", "hami-ce1", {"minutes": 37}))

        async def scenario() -> rec.RunView:
            run_id = svc.start("ups-on-battery", {"site": "hami"}, actor="alertmanager")
            clear = {"wait-mains": lambda: lab.loop.call(lambda: lab.faults.clear(fault.id))}
            answers: Answers = {"conference": (Role.OPERATOR, {"action": "moved-to-audio"})}
            return await drive(svc, run_id, answers, clear)

        run = asyncio.run(scenario())
        messages = hook.messages()
    assert run.state == "succeeded"
    assert "hami: UPS on battery, 37 minutes left" in messages[0]
    assert messages[-1] == "hami: mains power back"
    svc.store.close()


def test_county_unreachable_diagnoses_node_and_recovers(tmp_path: Path) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    svc = build_service(tmp_path, inv, secrets, SHIPPED)
    with running_lab(inv, secrets, ["hami-ce1", "hami-yiwu-ce1"], ssh=[]) as lab, webhook("noc") as hook:
        fault = lab.loop.call(lambda: lab.faults.apply("node-down", "hami-yiwu-ce1"))

        async def scenario() -> rec.RunView:
            run_id = svc.start("county-unreachable", {"site": "hami-yiwu"}, actor="am")
            clear = {"wait-recovery": lambda: lab.loop.call(lambda: lab.faults.clear(fault.id))}
            answers: Answers = {"diagnose": (Role.OPERATOR, {"cause": "power", "note": "mains cut in Yiwu"})}
            return await drive(svc, run_id, answers, clear)

        run = asyncio.run(scenario())
        messages = hook.messages()
    assert run.state == "succeeded"
    got = states(svc, run.id)
    assert got["check-node"] == "failed" and got["verify"] == "succeeded" and got["escalate"] == "skipped"
    assert messages == ["hami-yiwu unreachable, cause: power"]
    prompt = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "diagnose").output["prompt"]
    assert "hami-yiwu-ce1 does not answer" in prompt
    svc.store.close()


def test_room_turning_red_starts_the_room_runbook_from_the_event_bus(tmp_path: Path) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    svc = build_service(tmp_path, inv, secrets, SHIPPED)
    bus = EventBus()
    with running_lab(inv, secrets, [], ssh=[], codecs=["hami-codec"]) as lab, webhook("noc") as hook:
        fault = lab.loop.call(lambda: lab.faults.apply("node-down", "hami-codec"))

        async def scenario() -> rec.RunView:
            unsubscribe = subscribe_events(svc, bus, asyncio.get_running_loop())
            bus.publish(Event("vc.room.red", "hami-vc", {"conference": "c1", "reasons": ["sip: no answer"]}))
            bus.publish(Event("vc.room.red", "hami-vc", {"conference": "c1"}))  # the same room again: one run
            await asyncio.sleep(0.2)
            (run,) = rec.list_runs(svc.store)
            assert run.runbook == "room-precheck-failed" and run.fingerprint == "vc.room.red:hami-vc"
            clear = {"wait-codec": lambda: lab.loop.call(lambda: lab.faults.clear(fault.id))}
            answers: Answers = {"wake": (Role.OPERATOR, {}), "approve-restart": (Role.ENGINEER, {})}
            done = await drive(svc, run.id, answers, clear)
            unsubscribe()
            return done

        run = asyncio.run(scenario())
        messages = hook.messages()
    assert run.state == "succeeded"
    got = states(svc, run.id)
    assert got["recheck"] == "failed" and got["wait-codec"] == "succeeded" and got["fallback"] == "skipped"
    assert messages == ["room hami-vc answers again; run the precheck once more"]  # to the target noc
    svc.store.close()


def test_internet_exit_acl_is_pushed_after_approval(tmp_path: Path) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    pusher = DriverPusher(inv, secrets)
    svc = build_service(tmp_path, inv, secrets, SHIPPED, pusher=pusher)
    with running_lab(inv, secrets, ["centre-inet"], ssh=["centre-inet"], codecs=["centre-mcu"]):

        async def scenario() -> rec.RunView:
            run_id = svc.start("internet-exit-abnormal-traffic", {"device": "centre-inet"}, actor="noc")
            answers: Answers = {"approve-acl": (Role.ENGINEER, {"source": "203.0.113.0 0.0.0.255"})}
            return await drive(svc, run_id, answers)

        run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "succeeded", (got, [s.error for s in rec.steps_of(svc.store, run.id)])
    assert pusher.pushed[0][0] == "centre-inet"
    assert " deny ip 203.0.113.0 0.0.0.255 any" in pusher.pushed[0][1]
    svc.store.close()


def test_incident_events_start_and_resolve_the_county_runbook(tmp_path: Path) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    svc = build_service(tmp_path, inv, secrets, SHIPPED)  # no lab running: the county router is silent

    async def scenario() -> rec.RunView:
        bus = EventBus()
        unsubscribe = subscribe_events(svc, bus, asyncio.get_running_loop())
        prefecture = {"kind": "device", "site": "hami", "tier": "prefecture"}
        county = {"kind": "link", "site": "hami-yiwu", "tier": "county"}  # a link cause starts it too
        flapping = {"kind": "flapping", "site": "hami-yiwu", "tier": "county"}  # never (no kind: flapping)
        bus.publish(Event("incident.opened", "7", {"key": "device:hami-ce1", **prefecture}))
        bus.publish(Event("incident.opened", "9", {"key": "flapping:hami-yiwu-ce1", **flapping}))
        bus.publish(Event("incident.opened", "8", {"key": "link:hami-yiwu-ce1--hami-ce1", **county}))
        bus.publish(Event("incident.opened", "8", {"key": "link:hami-yiwu-ce1--hami-ce1", **county}))
        await asyncio.sleep(0.2)
        (run,) = rec.list_runs(
            svc.store
        )  # the prefecture's incident matches no county, the flapping one no runbook; the repeat is ignored
        assert run.runbook == "county-unreachable" and run.fingerprint == "incident.opened:8"
        assert run.params == {"site": "hami-yiwu"}
        async with asyncio.timeout(20):
            while True:
                now = rec.get_run(svc.store, run.id)
                if now.state == "waiting" and now.cursor == "diagnose":
                    break
                await asyncio.sleep(0.05)
        bus.publish(Event("incident.resolved", "8", {"key": "device:hami-yiwu-ce1", "summary": "back"}))
        done = await svc.wait(run.id)
        unsubscribe()
        return done

    run = asyncio.run(scenario())
    assert run.state == "cancelled"
    assert states(svc, run.id)["diagnose"] == "cancelled"
    svc.store.close()
