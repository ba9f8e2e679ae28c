"""Scenarios: every shipped playbook and every cause it handles, against one lab and one runbook service.

Each scenario injects the lab fault, fires the trigger the service would get (an Alertmanager payload through
``handle_alertmanager``, or an internal event on the bus: ``vc.room.red``, ``incident.opened``), answers the
approvals as duty staff would (clearing the fault where a person on site would fix it), and checks the run's
end and its goal (the engine's ``goal holds`` / ``goal not met`` line). A run whose fault persists ends
``failed`` or ``escalated``, never ``succeeded``. The engine caps the playbooks' waits (``max_wait_s``) so a
persisting fault ends a run in seconds. Pushes go to the lab's SSH routers (``DriverPusher``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from netops.auth.tokens import Role
from netops.drivers.cli import CliSession
from netops.errors import AuthenticationFailed, CommandRejected, NetopsError
from netops.events import Event, EventBus
from netops.lab.testing import wait_s
from netops.runbooks import records as rec
from netops.runbooks.actions import PushRequest, Tools
from netops.runbooks.catalog import load_catalog
from netops.runbooks.codec import codec_action
from netops.runbooks.engine import uplink
from netops.runbooks.params import ParamError
from netops.runbooks.plan import plan
from netops.runbooks.service import RunbookService
from netops.runbooks.triggers import handle_alertmanager, subscribe_events
from netops.secrets import SecretStore
from netops.store.schema import Incident
from netops.vc import store as vcstore
from netops.vc.checks import command
from netops.vc.conferences import ConferenceIn
from tests.runbooks.rb_testlib import (
    SHIPPED,
    DriverPusher,
    Lab,
    Webhook,
    build_service,
    lab_inventory,
    running_lab,
    webhook,
    write_secrets,
)

Answers = dict[str, tuple[Role, dict[str, Any]]]
DEVICES = ["centre-core1", "centre-core2", "centre-inet", "hami-ce1", "hami-yiwu-ce1"]
SSH = ["centre-core1", "centre-inet", "hami-ce1"]
CODECS = ["hami-codec", "centre-mcu"]


@dataclass
class World:
    lab: Lab
    svc: RunbookService
    pusher: DriverPusher
    hook: Webhook
    tmp: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("scenarios")
    inv, secrets, _ = lab_inventory(tmp)
    pusher = DriverPusher(inv, secrets)
    svc = build_service(tmp, inv, secrets, SHIPPED, pusher=pusher)
    svc.engine.max_wait_s = 4.0  # the playbooks' waits (15 min .. 8 h) end in seconds here
    with running_lab(inv, secrets, DEVICES, ssh=SSH, codecs=CODECS) as lab, webhook("noc") as hook:
        yield World(lab, svc, pusher, hook, tmp)
    svc.store.close()


@pytest.fixture(autouse=True)
def clean(world: World) -> Iterator[None]:
    """Each scenario starts with no fault, no conference and no message."""
    world.hook.received.clear()
    yield
    for fault in list(world.lab.loop.call(lambda: world.lab.faults.active())):
        world.lab.loop.call(lambda f=fault: world.lab.faults.clear(f.id))
    inventory_dir = world.svc.engine.tools.inventory().directory
    for conf in vcstore.list_conferences(world.svc.store, inventory_dir):
        vcstore.remove_conference(world.svc.store, inventory_dir, conf.id)


def fault(world: World, kind: str, target: str, params: dict[str, Any] | None = None) -> Callable[[], object]:
    """Apply a lab fault; returns what clears it (what the person on site does)."""
    applied = world.lab.loop.call(lambda: world.lab.faults.apply(kind, target, params))
    return lambda: world.lab.loop.call(lambda: world.lab.faults.clear(applied.id))


def alert(name: str, labels: dict[str, str], status: str = "firing", fingerprint: str = "") -> dict[str, Any]:
    """An Alertmanager webhook notification (version 4) with one alert."""
    item = {"status": status, "labels": {"alertname": name, **labels}, "annotations": {},
            "fingerprint": fingerprint or f"fp-{name}-{'-'.join(labels.values())}"}  # fmt: skip
    return {"version": "4", "status": status, "receiver": "netops", "alerts": [item]}


def conference_soon(world: World, minutes: float = 10, rooms: list[str] | None = None) -> str:
    start = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    spec = ConferenceIn(id="regional-briefing", title="全区视频会议", start=start, rooms=rooms or ["hami-vc"])
    return vcstore.add_conference(world.svc.store, world.svc.engine.tools.inventory(), spec).id


async def drive(
    svc: RunbookService,
    run_id: str,
    answers: Answers,
    at: Mapping[str, Callable[[], object]] | None = None,
    rejects: tuple[str, ...] = (),
) -> rec.RunView:
    """Answer each step in ``answers`` (``rejects``: reject it) when the run waits on it; call ``at[step]`` once
    when the run reaches that step (before answering it)."""
    pending = dict(at or {})
    async with asyncio.timeout(wait_s()):  # the kit's deadline: a loaded machine may take longer
        while True:
            run = rec.get_run(svc.store, run_id)
            if run.state in rec.FINAL:
                await svc.wait(run_id)
                return run
            asks = run.cursor in answers or run.cursor in rejects  # an approval: act once it is asked
            if run.cursor in pending and run.state in (("waiting",) if asks else ("running", "waiting")):
                pending.pop(run.cursor)()
            if run.state == "waiting" and run.cursor in rejects:
                svc.engine.approve(
                    run_id, run.cursor, actor="duty-eng", role=Role.ENGINEER, decision="rejected"
                )
            elif run.state == "waiting" and run.cursor in answers:
                role, inputs = answers.pop(run.cursor)
                svc.engine.approve(run_id, run.cursor, actor=f"duty-{role}", role=role, inputs=inputs)
            await asyncio.sleep(0.05)


def states(svc: RunbookService, run_id: str) -> dict[str, str]:
    return {s.step: s.state for s in rec.steps_of(svc.store, run_id)}


def transcript(svc: RunbookService, run_id: str) -> list[str]:
    return [line["text"] for line in rec.transcript(svc.store, run_id)]


def goal_held(svc: RunbookService, run_id: str) -> bool:
    return any(t.startswith("goal holds:") for t in transcript(svc, run_id))


async def room_turns_red(svc: RunbookService, room: str = "hami-vc") -> str:
    """The precheck's event, through the bus subscription as the service wires it; returns the run."""
    bus = EventBus()
    unsubscribe = subscribe_events(svc, bus, asyncio.get_running_loop())
    bus.publish(Event("vc.room.red", room, {"conference": "c1", "colour": "RED", "reasons": []}))
    bus.publish(Event("vc.room.red", room, {"conference": "c1"}))  # the same room again: one run
    async with asyncio.timeout(wait_s()):
        while not rec.list_runs(svc.store, state="active", runbook="room-precheck-failed"):  # noqa: ASYNC110 (a row)
            await asyncio.sleep(0.05)
    unsubscribe()
    (run,) = rec.list_runs(svc.store, state="active", runbook="room-precheck-failed")
    assert run.fingerprint == f"vc.room.red:{room}"
    return run.id


# -- room-precheck-failed: every RED cause -------------------------------------------------------------------

ROOM_CAUSES = [
    # (fault, its parameters, the check that fails, the step that handles it): a person fixes it on site
    ("camera-disconnected", {}, "camera", "peripherals"),
    ("microphones-disconnected", {}, "microphones", "peripherals"),
    ("display-disconnected", {}, "display", "peripherals"),
    ("path-impaired", {"delay_ms": 300}, "path_delay", "path"),
    ("path-impaired", {"loss_pct": 20}, "path_loss", "path"),
    ("node-down", {}, "reachable", "behind-incident"),
]


@pytest.mark.parametrize(
    ("kind", "params", "check", "step"), ROOM_CAUSES, ids=[f"{c[0]}-{c[2]}" for c in ROOM_CAUSES]
)
def test_room_cause_fixed_by_its_step_ends_green(
    world: World, kind: str, params: dict[str, Any], check: str, step: str
) -> None:
    svc = world.svc
    fix = fault(world, kind, "hami-codec", params)

    async def scenario() -> rec.RunView:
        run_id = await room_turns_red(svc)
        answer = Role.ENGINEER if step in ("path", "fix-credentials") else Role.OPERATOR
        return await drive(svc, run_id, {step: (answer, {})}, at={step: fix})

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    first = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "precheck").output["result"]
    assert check in first["failing"] and first["colour"] != "GREEN"
    assert run.state == "succeeded", (got, run.error)
    assert got[step] == "succeeded" and got["recheck"] == "succeeded" and got["fallback"] == "skipped"
    assert got["approve-restart"] == "skipped" and got["restart"] == "skipped"
    assert goal_held(svc, run.id)
    assert world.hook.messages() == ["room hami-vc is GREEN again"]


ACTION_CAUSES = [
    # (fault, the check that fails, the codec_command step that fixes it, the xAPI answer)
    ("standby", "standby", "wake", "DeactivateResult"),
    ("codec-unregistered", "registration", "reregister", "Configuration"),
]


@pytest.mark.parametrize(
    ("kind", "check", "step", "answer"), ACTION_CAUSES, ids=[c[0] for c in ACTION_CAUSES]
)
def test_room_cause_fixed_by_netops_through_the_codec_xapi_ends_green(
    world: World, kind: str, check: str, step: str, answer: str
) -> None:
    """Nobody answers anything: netops tells the codec (its credential from the secret store) and the fault,
    still applied in the lab, no longer shows."""
    svc = world.svc
    fault(world, kind, "hami-codec")

    async def scenario() -> rec.RunView:
        return await drive(svc, await room_turns_red(svc), {})

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    first = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "precheck").output["result"]
    assert check in first["failing"] and first["colour"] != "GREEN"
    assert run.state == "succeeded", (got, run.error)
    out = next(s for s in rec.steps_of(svc.store, run.id) if s.step == step).output
    assert out["status"] == "OK" and out["result"] == answer and out["device"] == "hami-codec"
    assert got["recheck"] == "succeeded" and got["restart"] == "skipped" and goal_held(svc, run.id)
    assert [f.kind for f in world.lab.loop.call(world.lab.faults.active)] == [
        kind
    ]  # netops fixed it, not the lab
    assert any(t.startswith(f"{step} succeeded: hami-codec: ") for t in transcript(svc, run.id))
    assert "rb-c0dec" not in " ".join(transcript(svc, run.id))


def test_room_behind_an_open_incident_waits_for_the_network_and_names_the_incident(world: World) -> None:
    """Polling has an open incident whose extent holds the room (a row as the poller writes it): the precheck
    fails ``upstream`` without probing the codec; the run names the incident; the network comes back (the
    incident resolved, the codec answers) and the room is GREEN."""
    svc = world.svc
    back = fault(world, "node-down", "hami-codec")
    now = time.time()
    with svc.store.session() as s:
        row = Incident(key="device:hami-ce1", state="open", summary="device hami-ce1 down", opened_at=now,
                       last_seen_at=now, root_devices=["hami-ce1"], root_links=[], cause=["hami-ce1"],
                       affected_devices=["hami-ce1", "hami-codec"], affected_sites=["hami"],
                       affected_rooms=["hami-vc"], kind="device")  # fmt: skip
        s.add(row)
        s.flush()
        incident = row.id

    def network_back() -> None:
        back()
        with svc.store.session() as s:
            done = s.get(Incident, incident)
            assert done is not None
            done.state, done.resolved_at = "resolved", time.time()

    async def scenario() -> rec.RunView:
        run_id = await room_turns_red(svc)
        return await drive(
            svc, run_id, {"behind-incident": (Role.OPERATOR, {})}, at={"behind-incident": network_back}
        )

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    first = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "precheck").output["result"]
    assert first["failing"] == ["upstream"] and first["incident"] == f"incident-{incident}"
    prompt = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "behind-incident").output["prompt"]
    assert f"incident #{incident} (device): device hami-ce1 down" in prompt
    assert run.state == "succeeded", (got, run.error)
    assert goal_held(svc, run.id)


def test_room_diagnostics_alert_cleared_by_the_approved_restart(world: World) -> None:
    """A software alert on the codec: no step fixes it; the engineer approves the restart, netops sends
    xCommand SystemUnit Boot, the codec is silent, comes back without the alert, and the room is GREEN."""
    svc = world.svc
    fault(world, "diag-alert", "hami-codec", {"text": "Software: media engine stalled"})

    async def scenario() -> rec.RunView:
        run_id = await room_turns_red(svc)
        return await drive(svc, run_id, {"approve-restart": (Role.ENGINEER, {})})

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "succeeded", (got, run.error)
    assert got["diagnostics"] == "succeeded" and got["recheck"] == "failed" and got["restart"] == "succeeded"
    assert got["wait-green"] == "succeeded" and goal_held(svc, run.id)
    restart = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "restart").output
    assert restart["result"] == "BootResult" and restart["silent_polls"] >= 1 and restart["uptime_s"] < 60
    assert world.hook.messages()[0] == "hami-vc: codec diagnostics: Software: media engine stalled"


def test_room_camera_disconnected_persists_through_the_restart_and_ends_escalated(world: World) -> None:
    """The staff say they reconnected the camera; they did not. The restart is approved and done; the codec
    comes back registered, the camera still missing: the run ends escalated with the audio fallback."""
    svc = world.svc
    fault(world, "camera-disconnected", "hami-codec")

    async def scenario() -> rec.RunView:
        run_id = await room_turns_red(svc)
        answers: Answers = {"peripherals": (Role.OPERATOR, {}), "approve-restart": (Role.ENGINEER, {})}
        return await drive(svc, run_id, answers)

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "escalated", (got, run.error)
    assert (
        got["restart"] == "succeeded" and got["wait-green"] != "succeeded" and got["fallback"] == "succeeded"
    )
    assert run.error and "camera" in run.error
    (fallback,) = world.hook.messages()
    assert "FALLBACK for hami-vc: move the room to audio dial-in" in fallback


@pytest.mark.parametrize("kind", ["camera-disconnected", "path-impaired"])
def test_room_fault_that_persists_ends_escalated_with_audio_fallback(world: World, kind: str) -> None:
    svc = world.svc
    fault(world, kind, "hami-codec", {"delay_ms": 300} if kind == "path-impaired" else {})
    conference_soon(world)
    step = "peripherals" if kind == "camera-disconnected" else "path"

    async def scenario() -> rec.RunView:
        run_id = await room_turns_red(
            svc
        )  # the staff say they fixed it; they did not; the restart is refused
        return await drive(svc, run_id, {step: (Role.ENGINEER, {})}, rejects=("approve-restart",))

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "escalated", (got, run.error)
    assert run.error and run.error.startswith("goal not met: the room is GREEN in a fresh precheck round")
    assert got["recheck"] == "failed" and got["fallback"] == "succeeded" and "ready" not in got
    assert "restart" not in got  # refused: nothing was sent to the codec
    (fallback,) = world.hook.messages()
    assert "FALLBACK for hami-vc: move the room to audio dial-in" in fallback
    assert (
        "for regional-briefing (it starts in " in fallback
    )  # the next conference, read from netops' own list


def test_room_status_api_refusing_the_credential_is_handled_and_escalates_while_it_stays(
    world: World,
) -> None:
    """netops' secret for the codec is wrong: the status API answers 401; the run asks an engineer to fix
    the credential, and with the credential still wrong the room cannot turn GREEN: escalated."""
    inv = world.svc.engine.tools.inventory()
    wrong = SecretStore(write_secrets(world.tmp / "wrong.yaml", {"rb-codec-password": "not-the-password"}))
    tools = Tools(lambda: inv, wrong, world.svc.engine.tools.snmp, world.svc.store)
    svc = RunbookService(world.svc.store, load_catalog(SHIPPED), tools, poll_s=0.05, max_interval_s=0.2,
                         max_wait_s=4.0)  # fmt: skip

    async def scenario() -> rec.RunView:
        run_id = await room_turns_red(svc)
        return await drive(
            svc, run_id, {"fix-credentials": (Role.ENGINEER, {})}, rejects=("approve-restart",)
        )

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    first = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "precheck").output["result"]
    assert first["failing"] == ["status_api"] and first["colour"] == "RED"
    assert got["fix-credentials"] == "succeeded" and got["fallback"] == "succeeded"
    assert run.state == "escalated" and "status_api" in str(run.error)
    prompt = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "fix-credentials").output["prompt"]
    assert "refuses netops (status API refused the credentials (401))" in prompt
    assert "not-the-password" not in " ".join(transcript(svc, run.id))


def test_codec_command_refused_for_a_router_and_with_a_wrong_credential(world: World) -> None:
    """The action's failures are data the step records: a device that is no codec, a codec that answers 401
    (the secret store holds a wrong password), each named; the codec stays as it was."""
    fault(world, "standby", "hami-codec")
    tools = world.svc.engine.tools
    wrong = SecretStore(write_secrets(world.tmp / "wrong-xapi.yaml", {"rb-codec-password": "not-it"}))
    bad_tools = Tools(tools.inventory, wrong, tools.snmp, world.svc.store)
    with pytest.raises(NetopsError, match="hami-ce1: a codec_command needs a codec, found role ce"):
        asyncio.run(codec_action(tools, "hami-ce1", "standby-deactivate", asyncio.sleep))
    with pytest.raises(AuthenticationFailed, match=r"xAPI refused the credentials \(401\)"):
        asyncio.run(codec_action(bad_tools, "hami-codec", "standby-deactivate", asyncio.sleep))
    state = world.lab.loop.call(lambda: world.lab.world.devices["hami-codec"].codec)
    assert state is not None and state.standby is True
    out = asyncio.run(codec_action(tools, "hami-codec", "standby-deactivate", asyncio.sleep))
    assert out["xapi"] == "xCommand Standby Deactivate" and out["status"] == "OK" and state.standby is False


# -- prefecture-uplink-down ------------------------------------------------------------------------------

UPLINK = "hami-ce1--centre-core1"


def test_uplink_repaired_resolves_the_alert_and_the_failback_is_approved(world: World) -> None:
    svc = world.svc
    repair = fault(world, "link-down", UPLINK)
    firing = alert("NetopsPrefectureUplinkDown", {"site": "hami", "tier": "prefecture"})

    async def scenario() -> rec.RunView:
        (started,) = handle_alertmanager(svc, firing)
        run_id = started["run"]

        def carrier_repairs() -> None:  # the carrier repairs; Alertmanager sends the resolution
            repair()
            (resolved,) = handle_alertmanager(
                svc, {**firing, "alerts": [{**firing["alerts"][0], "status": "resolved"}]}
            )
            assert resolved["action"] == "resolved: moves to wait-recovery"

        answers: Answers = {"approve-failback": (Role.ENGINEER, {})}
        return await drive(svc, run_id, answers, at={"carrier-ticket": carrier_repairs})

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "succeeded", (got, run.error)
    assert got["carrier-ticket"] == "skipped" and got["approve-failback"] == "succeeded"
    assert got["failback"] == "succeeded" and got["verify-primary-up"] == "succeeded"
    assert goal_held(svc, run.id)
    assert world.pusher.pushed[-1][0] == "hami-ce1"


def test_uplink_that_stays_down_never_succeeds(world: World) -> None:
    svc = world.svc
    fault(world, "link-down", UPLINK)
    firing = alert("NetopsPrefectureUplinksDown", {"site": "hami", "tier": "prefecture"})

    async def scenario() -> rec.RunView:
        (started,) = handle_alertmanager(svc, firing)
        return await drive(svc, started["run"], {"carrier-ticket": (Role.OPERATOR, {"ticket": "XJTEL-9"})})

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "failed" and got["wait-recovery"] == "timeout" and "approve-failback" not in got


def test_uplink_failback_refused_during_a_conference_and_allowed_with_the_recorded_override(
    world: World,
) -> None:
    svc = world.svc
    conference_soon(world)  # hami-ce1 is on its path: frozen
    pushed_before = len(world.pusher.pushed)

    async def scenario(inputs: dict[str, Any]) -> rec.RunView:
        run_id = svc.start("prefecture-uplink-down", {"site": "hami"}, actor="noc")
        # the primary is up: verify-primary-down fails at once; resume from the failback approval
        first = await drive(svc, run_id, {})
        assert first.state == "failed"
        svc.engine.prepare_resume(run_id, "approve-failback")
        svc.launch(run_id)
        return await drive(svc, run_id, {"approve-failback": (Role.ENGINEER, inputs)})

    refused = asyncio.run(scenario({}))
    push = next(s for s in rec.steps_of(svc.store, refused.id) if s.step == "failback")
    assert refused.state == "failed" and push.state == "failed"
    assert "refused, nothing was sent: hami-ce1 is on the path of conference regional-briefing" in str(
        push.error
    )
    assert len(world.pusher.pushed) == pushed_before

    allowed = asyncio.run(scenario({"freeze_override": "carrier outage, MCU operator agreed"}))
    assert allowed.state == "succeeded", states(svc, allowed.id)
    assert len(world.pusher.pushed) == pushed_before + 1
    lines = transcript(svc, allowed.id)
    assert any(
        "conference regional-briefing freezes hami-ce1; overridden by duty-engineer (engineer) at step "
        "approve-failback: carrier outage, MCU operator agreed" in t
        for t in lines
    )


# -- county-unreachable ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["device:hami-yiwu-ce1", "link:hami-yiwu-ce1--hami-ce1", "site:hami-yiwu"])
def test_county_outage_of_any_key_starts_the_runbook_and_the_resolution_ends_it_at_the_goal(
    world: World, key: str
) -> None:
    svc = world.svc
    back = fault(world, "node-down", "hami-yiwu-ce1")
    kind = key.split(":")[0]
    incident = str(abs(hash(key)) % 10_000)

    async def scenario() -> rec.RunView:
        bus = EventBus()
        unsubscribe = subscribe_events(svc, bus, asyncio.get_running_loop())
        data = {"key": key, "kind": kind, "site": "hami-yiwu", "tier": "county", "summary": "silent"}
        bus.publish(Event("incident.opened", "77", {"key": "device:hami-ce1", "kind": "device", "site": "hami",
                                                     "tier": "prefecture"}))  # fmt: skip
        bus.publish(Event("incident.opened", incident, data))
        async with asyncio.timeout(wait_s()):
            while not rec.list_runs(svc.store, state="active", runbook="county-unreachable"):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        (run,) = rec.list_runs(svc.store, state="active")  # the prefecture's incident started nothing
        assert run.params == {"site": "hami-yiwu"}

        def county_back() -> None:
            back()
            bus.publish(Event("incident.resolved", incident, data))

        done = await drive(svc, run.id, {}, at={"diagnose": county_back})
        unsubscribe()
        return done

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "succeeded", (got, run.error)
    assert got["check-node"] == "failed" and got["diagnose"] == "skipped" and got["verify"] == "succeeded"
    assert got["escalate"] == "skipped" and goal_held(svc, run.id)


def test_county_that_stays_dark_is_escalated(world: World) -> None:
    svc = world.svc
    fault(world, "node-down", "hami-yiwu-ce1")

    async def scenario() -> rec.RunView:
        (started,) = handle_alertmanager(svc, alert("NetopsCountyUnreachable", {"site": "hami-yiwu"}))
        answers: Answers = {"diagnose": (Role.OPERATOR, {"cause": "power", "note": "mains cut in Yiwu"})}
        return await drive(svc, started["run"], answers)

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "escalated", (got, run.error)
    assert got["wait-recovery"] == "timeout" and got["escalate"] == "succeeded"
    assert "goal not met: the county router answers again" in str(run.error)
    assert world.hook.messages()[0] == "hami-yiwu unreachable, cause: power"
    assert world.hook.messages()[-1].startswith("ESCALATION: hami-yiwu still unreachable")


# -- ups-on-battery --------------------------------------------------------------------------------------


def test_ups_on_battery_tells_of_the_conference_from_netops_itself_and_waits_for_mains(world: World) -> None:
    svc = world.svc
    mains = fault(world, "on-battery", "hami-ce1", {"minutes": 37})
    conference_soon(world, minutes=20)

    async def scenario() -> rec.RunView:
        (started,) = handle_alertmanager(svc, alert("NetopsUpsOnBattery", {"site": "hami"}))
        return await drive(svc, started["run"], {}, at={"wait-mains": mains})  # nobody is asked anything

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "succeeded", (got, run.error)
    assert goal_held(svc, run.id) and not any(
        s.kind == "manual_confirm" for s in rec.steps_of(svc.store, run.id)
    )
    tell, conference, back = world.hook.messages()
    assert "hami: UPS on battery, 37 minutes left" in tell
    assert "conference regional-briefing" in conference and "move hami-vc to audio dial-in" in conference
    assert back == "hami: mains power back"


def test_ups_without_a_conference_says_nothing_of_one_and_a_battery_that_stays_fails(world: World) -> None:
    svc = world.svc
    fault(world, "on-battery", "hami-ce1", {"minutes": 12})

    async def scenario() -> rec.RunView:
        (started,) = handle_alertmanager(svc, alert("NetopsUpsBatteryLow", {"site": "hami"}))
        return await drive(svc, started["run"], {})

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "failed" and got["conference"] == "skipped" and got["wait-mains"] == "timeout"
    assert len(world.hook.messages()) == 1


# -- device-cpu-high -------------------------------------------------------------------------------------

CPU = alert("NetopsDeviceCpuHigh", {"device": "centre-core1", "role": "core"})


def test_cpu_high_evidence_decision_and_the_goal(world: World) -> None:
    svc = world.svc
    calm = fault(world, "high-cpu", "centre-core1", {"percent": 97})

    async def scenario() -> rec.RunView:
        (started,) = handle_alertmanager(svc, CPU)
        answers: Answers = {"decide": (Role.ENGINEER, {"mitigation": "none"})}
        return await drive(svc, started["run"], answers, at={"recheck": calm})

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "succeeded", (got, run.error)
    assert got == {"confirm-high": "succeeded", "evidence": "succeeded", "decide": "succeeded",
                   "mitigate": "skipped", "recheck": "succeeded"}  # fmt: skip
    evidence = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "evidence").output["outputs"]
    assert "97" in evidence["display cpu-usage"] and goal_held(svc, run.id)


def test_cpu_that_stays_high_fails(world: World) -> None:
    svc = world.svc
    fault(world, "high-cpu", "centre-core1", {"percent": 97})

    async def scenario() -> rec.RunView:
        (started,) = handle_alertmanager(svc, CPU)
        return await drive(svc, started["run"], {"decide": (Role.ENGINEER, {"mitigation": "none"})})

    run = asyncio.run(scenario())
    assert run.state == "failed" and states(svc, run.id)["recheck"] == "timeout"


def test_cpu_mitigation_push_refused_during_a_conference_then_allowed_with_the_override(world: World) -> None:
    svc = world.svc
    conference_soon(world)  # every conference's path ends at the centre: centre-core1 is frozen
    pushed_before = len(world.pusher.pushed)
    shut = {"mitigation": "shutdown-interface", "interface": "GigabitEthernet0/0/2"}

    async def scenario(inputs: dict[str, Any]) -> rec.RunView:
        calm = fault(world, "high-cpu", "centre-core1", {"percent": 97})
        (started,) = handle_alertmanager(svc, alert("NetopsDeviceCpuHigh", {**CPU["alerts"][0]["labels"]},
                                                    fingerprint=f"cpu-{len(inputs)}"))  # fmt: skip
        return await drive(svc, started["run"], {"decide": (Role.ENGINEER, inputs)}, at={"recheck": calm})

    refused = asyncio.run(scenario(shut))
    got = states(svc, refused.id)
    assert refused.state == "failed" and got["mitigate"] == "failed" and "recheck" not in got
    push = next(s for s in rec.steps_of(svc.store, refused.id) if s.step == "mitigate")
    assert "centre-core1 is on the path of conference regional-briefing (conference freeze)" in str(
        push.error
    )
    assert len(world.pusher.pushed) == pushed_before
    for f in world.lab.loop.call(lambda: world.lab.faults.active()):
        world.lab.loop.call(lambda f=f: world.lab.faults.clear(f.id))

    allowed = asyncio.run(scenario({**shut, "freeze_override": "the interface floods the core"}))
    assert allowed.state == "succeeded", states(svc, allowed.id)
    assert world.pusher.pushed[-1] == ("centre-core1", ["interface GigabitEthernet0/0/2", " shutdown"])
    assert any("overridden by duty-engineer (engineer) at step decide: the interface floods the core" in t
               for t in transcript(svc, allowed.id))  # fmt: skip


# -- internet-exit-abnormal-traffic ------------------------------------------------------------------------


def test_internet_exit_acl_pushed_after_approval_and_traffic_below_the_threshold(world: World) -> None:
    svc = world.svc
    firing = alert("NetopsInternetExitTraffic", {"device": "centre-inet", "interface": "GigabitEthernet0/0"})

    async def scenario() -> rec.RunView:
        (started,) = handle_alertmanager(svc, firing)
        answers: Answers = {"approve-acl": (Role.ENGINEER, {"source": "203.0.113.0 0.0.0.255"})}
        return await drive(svc, started["run"], answers)

    run = asyncio.run(scenario())
    assert run.state == "succeeded", (states(svc, run.id), run.error)
    assert world.pusher.pushed[-1][0] == "centre-inet"
    assert " deny ip 203.0.113.0 0.0.0.255 any" in world.pusher.pushed[-1][1]
    assert goal_held(svc, run.id)


def test_internet_exit_traffic_above_the_threshold_fails_its_goal(world: World) -> None:
    """The lab has no traffic fault: a threshold of 0 Mbit/s stands for traffic that stays above it."""
    svc = world.svc

    async def scenario() -> rec.RunView:
        run_id = svc.start("internet-exit-abnormal-traffic", {"device": "centre-inet", "threshold_mbps": 0},
                           actor="noc")  # fmt: skip
        answers: Answers = {"approve-acl": (Role.ENGINEER, {"source": "203.0.113.0 0.0.0.255"})}
        return await drive(svc, run_id, answers)

    run = asyncio.run(scenario())
    assert run.state == "failed" and states(svc, run.id)["conference-after"] == "succeeded"
    assert str(run.error).startswith("goal not met: the exit's traffic is below the threshold")


# -- found by the adversarial runs (issue 15, second round) ---------------------------------------------------


def cli_config(world: World, device: str, lines: list[str]) -> None:
    """What an engineer types on the device (through the platform driver, as the tests' pusher does); a
    change the device already has is no change."""
    request = PushRequest("manual", "cli", device, lines, 60, False)
    try:
        asyncio.run(world.pusher.push(request))
    except CommandRejected as exc:
        if "No configuration changes" not in str(exc):
            raise


async def until_run(svc: RunbookService, run_id: str, ok: Callable[[rec.RunView], bool]) -> rec.RunView:
    async with asyncio.timeout(60):
        while not ok(run := rec.get_run(svc.store, run_id)):  # noqa: ASYNC110 (a row)
            await asyncio.sleep(0.05)
    return run


def test_uplink_with_the_centre_port_shut_is_not_up_though_no_longer_listed_down(world: World) -> None:
    """F1: the carrier repaired the circuit but the centre's port is shut (admin down): not in ``down``, yet
    the primary carries nothing. The wait for the repair and the goal check the port up and OSPF Full."""
    svc = world.svc
    centre = uplink(svc.engine.tools.inventory(), "hami-ce1")
    assert centre is not None
    port = f"interface {centre['peer_interface']}"
    repair = fault(world, "link-down", UPLINK)
    cli_config(world, "centre-core1", [port, " shutdown"])
    try:
        firing = alert(
            "NetopsPrefectureUplinkDown", {"site": "hami", "tier": "prefecture"}, fingerprint="fp-f1"
        )

        async def scenario() -> rec.RunView:
            (started,) = handle_alertmanager(svc, firing)
            answers: Answers = {"carrier-ticket": (Role.OPERATOR, {"ticket": "XJTEL-11"})}
            return await drive(svc, started["run"], answers, at={"wait-recovery": repair})

        run = asyncio.run(scenario())
    finally:
        cli_config(world, "centre-core1", [port, " undo shutdown"])
    got = states(svc, run.id)
    assert run.state == "failed", (got, run.error)
    assert got["verify-primary-down"] == "succeeded" and got["wait-recovery"] == "timeout"
    assert "approve-failback" not in got and not goal_held(svc, run.id)


def test_cpu_alert_resolved_while_the_cpu_stays_high_is_not_recovered(world: World) -> None:
    """F3: the alert resolves during a step; the CPU is still at 97 %: the goal is read and the run fails."""
    svc = world.svc
    fault(world, "high-cpu", "centre-core1", {"percent": 97})
    firing = alert("NetopsDeviceCpuHigh", {"device": "centre-core1", "role": "core"}, fingerprint="fp-f3")
    resolved = alert("NetopsDeviceCpuHigh", {"device": "centre-core1", "role": "core"}, "resolved", "fp-f3")

    async def scenario() -> rec.RunView:
        (started,) = handle_alertmanager(svc, firing)
        return await drive(
            svc, started["run"], {}, at={"evidence": lambda: handle_alertmanager(svc, resolved)}
        )

    run = asyncio.run(scenario())
    assert run.state == "failed", (states(svc, run.id), run.error)
    assert str(run.error).startswith(
        "the alert resolved, but the goal not met: the CPU is below the threshold"
    )
    assert not any(t == "run ended: recovered" for t in transcript(svc, run.id))


def test_cpu_alert_fired_again_after_its_resolution_withdraws_the_cancel(world: World) -> None:
    """F2: fire, resolve, fire of one fingerprint: the run the resolution was stopping goes on (recorded),
    and the firing alert never stays without a run."""
    svc = world.svc
    calm = fault(world, "high-cpu", "centre-core1", {"percent": 97})
    firing = alert("NetopsDeviceCpuHigh", {"device": "centre-core1", "role": "core"}, fingerprint="fp-f2")
    resolved = alert("NetopsDeviceCpuHigh", {"device": "centre-core1", "role": "core"}, "resolved", "fp-f2")

    async def scenario() -> rec.RunView:
        (started,) = handle_alertmanager(svc, firing)
        run_id = started["run"]
        await until_run(svc, run_id, lambda r: r.cursor == "evidence")
        handle_alertmanager(svc, resolved)
        # the engine sees the cancel and reads the goal (the CPU is high: it does not hold) ...
        await until_run(svc, run_id, lambda r: "cancel requested" in " ".join(transcript(svc, r.id)))
        (again,) = handle_alertmanager(svc, firing)  # ... and the alert fires again meanwhile
        assert again["run"] == run_id, again
        assert (
            again["action"]
            == "fired again: the cancel its resolution asked for is withdrawn: the run goes on"
        )
        answers: Answers = {"decide": (Role.ENGINEER, {"mitigation": "none"})}
        return await drive(svc, run_id, answers, at={"recheck": calm})

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "succeeded", (got, run.error)
    assert got["decide"] == "succeeded" and got["recheck"] == "succeeded" and goal_held(svc, run.id)
    lines = transcript(svc, run.id)
    assert any(t.startswith("the alert fired again (alertmanager): the cancel") for t in lines)
    assert "the alert fired again: the run goes on at decide" in lines
    assert sum(1 for s in rec.steps_of(svc.store, run.id) if s.step == "evidence") == 1  # not run twice


def test_uplink_alert_fired_again_brings_the_run_back_to_the_carrier_ticket(world: World) -> None:
    """F2 variant: resolve then re-fire while the run waited for the carrier ticket: the resolution moved it to
    wait-recovery, the re-fire brings it back to the ticket (recorded), which is then opened."""
    svc = world.svc
    repair = fault(world, "link-down", UPLINK)
    firing = alert("NetopsPrefectureUplinkDown", {"site": "hami", "tier": "prefecture"}, fingerprint="fp-f2b")
    resolved = {**firing, "alerts": [{**firing["alerts"][0], "status": "resolved"}]}

    async def scenario() -> rec.RunView:
        (started,) = handle_alertmanager(svc, firing)
        run_id = started["run"]
        await until_run(svc, run_id, lambda r: r.state == "waiting" and r.cursor == "carrier-ticket")
        (moved,) = handle_alertmanager(svc, resolved)
        assert moved["action"] == "resolved: moves to wait-recovery"
        await until_run(svc, run_id, lambda r: r.cursor == "wait-recovery")
        (again,) = handle_alertmanager(svc, firing)
        assert (
            again["action"]
            == "fired again: the run goes back to carrier-ticket, which the resolution had skipped"
        )
        await until_run(svc, run_id, lambda r: r.state == "waiting" and r.cursor == "carrier-ticket")
        answers: Answers = {"carrier-ticket": (Role.OPERATOR, {"ticket": "XJTEL-12"}),
                            "approve-failback": (Role.ENGINEER, {})}  # fmt: skip
        return await drive(svc, run_id, answers, at={"wait-recovery": repair})

    run = asyncio.run(scenario())
    got = states(svc, run.id)
    assert run.state == "succeeded", (got, run.error)
    tickets = [s.state for s in rec.steps_of(svc.store, run.id) if s.step == "carrier-ticket"]
    assert tickets == ["skipped", "succeeded"], tickets
    lines = transcript(svc, run.id)
    assert "the alert resolved: carrier-ticket -> wait-recovery" in lines
    assert "the alert fired again: wait-recovery -> carrier-ticket" in lines
    assert "XJTEL-12" in " ".join(world.hook.messages())


def test_cpu_mitigation_without_the_interface_sends_nothing_and_the_twin_refuses_it(world: World) -> None:
    """F5: ``shutdown-interface`` without the optional ``interface``: the push fails before anything is sent
    (was ``interface None``), and the twin refuses ``interface None`` in VRP's own words."""
    svc = world.svc
    fault(world, "high-cpu", "centre-core1", {"percent": 97})
    pushed_before = len(world.pusher.pushed)

    async def scenario() -> rec.RunView:
        run_id = svc.start("device-cpu-high", {"device": "centre-core1"}, actor="noc")
        return await drive(svc, run_id, {"decide": (Role.ENGINEER, {"mitigation": "shutdown-interface"})})

    run = asyncio.run(scenario())
    push = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "mitigate")
    assert run.state == "failed" and push.state == "failed"
    assert "refused, nothing was sent: a value rendered into a device line is missing" in str(push.error)
    assert len(world.pusher.pushed) == pushed_before
    inv, secrets = svc.engine.tools.inventory(), svc.engine.tools.secrets
    session = CliSession.open(inv.device("centre-core1"), inv, secrets)
    try:
        session.send("system-view")
        answer = session.send("interface None")
    finally:
        session.close()
    assert "Error: Wrong parameter found at '^' position." in answer


def test_a_check_that_cannot_read_the_device_says_so(world: World) -> None:
    """F8: no SNMP answer: the step and the run name the real reason, not "expectation not met"."""
    svc = world.svc
    fault(world, "node-down", "centre-core1")

    async def scenario() -> rec.RunView:
        run_id = svc.start("device-cpu-high", {"device": "centre-core1"}, actor="noc")
        return await drive(svc, run_id, {})

    run = asyncio.run(scenario())
    check = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "confirm-high")
    assert run.state == "failed" and check.state == "failed"
    assert str(check.error).startswith("could not read centre-core1: timeout: centre-core1: no SNMP answer")
    assert "expectation not met" not in " ".join(transcript(svc, run.id))


def test_county_that_answers_while_its_incident_stays_open_is_not_done(world: World) -> None:
    """F7: the county router answers (a brief prefecture outage is over) but the poller's incident for the
    county stays open: no "answers again: nothing to do", and the run is escalated, never succeeded."""
    svc = world.svc
    now = time.time()
    with svc.store.session() as s:
        row = Incident(key="device:hami-yiwu-ce1", state="open", summary="device hami-yiwu-ce1 down",
                       opened_at=now, last_seen_at=now, root_devices=["hami-yiwu-ce1"], root_links=[],
                       cause=["hami-yiwu-ce1"], affected_devices=["hami-yiwu-ce1"], affected_sites=["hami-yiwu"],
                       affected_rooms=[], kind="device")  # fmt: skip
        s.add(row)
        s.flush()
        incident = row.id
    data = {"key": "device:hami-yiwu-ce1", "kind": "device", "site": "hami-yiwu", "tier": "county"}

    async def scenario() -> rec.RunView:
        bus = EventBus()
        unsubscribe = subscribe_events(svc, bus, asyncio.get_running_loop())
        bus.publish(Event("incident.opened", str(incident), data))
        async with asyncio.timeout(wait_s()):
            while not rec.list_runs(svc.store, state="active", runbook="county-unreachable"):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        (run,) = rec.list_runs(svc.store, state="active", runbook="county-unreachable")
        unsubscribe()
        return await drive(svc, run.id, {})  # nobody answers the county's diagnosis

    try:
        run = asyncio.run(scenario())
    finally:
        with svc.store.session() as s:
            done = s.get(Incident, incident)
            assert done is not None
            done.state, done.resolved_at = "resolved", time.time()
    got = states(svc, run.id)
    assert run.state == "escalated", (got, run.error)
    assert (
        got["check-node"] == "failed" and got["already-back"] == "skipped" and got["escalate"] == "succeeded"
    )
    asked = next(t for t in transcript(svc, run.id) if t.startswith("waiting for operator approval"))
    assert "hami-yiwu-ce1 answers, but the incident is still open" in asked
    assert not any("nothing to do" in m for m in world.hook.messages())
    assert "goal not met: the county router answers again, no incident is open for it" in str(run.error)


def test_parameters_outside_the_runbooks_grammar_are_refused(world: World) -> None:
    """County runbook for a prefecture or the centre, a CPU threshold of -5 or 0: refused before a run."""
    svc = world.svc
    for site in ("hami", "centre"):
        with pytest.raises(ParamError, match=r"expected a county site, found '"):
            svc.start("county-unreachable", {"site": site}, actor="noc")
    for threshold in (-5, 0, 101):
        with pytest.raises(ParamError, match=r"expected an integer from 1 to 100"):
            svc.start("device-cpu-high", {"device": "centre-core1", "threshold": threshold}, actor="noc")
    assert svc.engine.tools.inventory().site("centre").tier == "region"


@pytest.mark.parametrize(
    ("minutes", "said"),
    [(10 * 24 * 60, None), (-5, "Conference regional-briefing is running (until "),
     (12, "Conference regional-briefing starts in 12 min on this path: a push is frozen")],
    ids=["outside-the-window", "running", "soon"],
)  # fmt: skip
def test_freeze_prompt_names_only_a_conference_whose_freeze_covers_the_push(
    world: World, minutes: float, said: str | None
) -> None:
    """Was "in 13638.5 min" for a conference days away and "in 0.0 min" for a running one."""
    svc = world.svc
    fault(world, "high-cpu", "centre-core1", {"percent": 97})
    conference_soon(world, minutes=minutes)

    async def scenario() -> rec.RunView:
        run_id = svc.start("device-cpu-high", {"device": "centre-core1"}, actor="noc")
        return await drive(svc, run_id, {}, rejects=("decide",))

    run = asyncio.run(scenario())
    asked = next(t for t in transcript(svc, run.id) if t.startswith("waiting for engineer approval"))
    assert " min: " not in asked and "0.0 min" not in asked
    if said is None:
        assert "Conference" not in asked and "frozen" not in asked
    else:
        assert said in asked, asked


def test_resumed_push_asks_again_when_another_conference_freezes_the_device(world: World) -> None:
    """The override an approval gave was for one conference; resumed later with another conference freezing
    the device, the push does not reuse it: the run asks the approval again (recorded)."""
    svc = world.svc
    inventory = svc.engine.tools.inventory()
    conference_soon(world)  # regional-briefing freezes centre-core1
    calm = fault(world, "high-cpu", "centre-core1", {"percent": 97})
    shut = {"mitigation": "shutdown-interface", "interface": "GigabitEthernet0/0/2"}
    cli_config(world, "centre-core1", ["interface GigabitEthernet0/0/2", " undo shutdown"])  # an earlier test

    async def first() -> rec.RunView:
        run_id = svc.start("device-cpu-high", {"device": "centre-core1"}, actor="noc")
        answers: Answers = {"decide": (Role.ENGINEER, {**shut, "freeze_override": "the interface floods"})}
        return await drive(svc, run_id, answers)  # the CPU stays high: recheck times out

    run = asyncio.run(first())
    assert run.state == "failed" and states(svc, run.id)["mitigate"] == "succeeded", states(svc, run.id)
    cli_config(world, "centre-core1", ["interface GigabitEthernet0/0/2", " undo shutdown"])  # undone by hand
    vcstore.remove_conference(svc.store, inventory.directory, "regional-briefing")
    start = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    drill = ConferenceIn(id="county-drill", title="应急演练", start=start, rooms=["hami-vc"])
    vcstore.add_conference(svc.store, inventory, drill)

    async def resumed() -> rec.RunView:
        svc.engine.prepare_resume(run.id, "mitigate")
        svc.launch(run.id)
        answers: Answers = {"decide": (Role.ENGINEER, {**shut, "freeze_override": "drill agreed"})}
        return await drive(svc, run.id, answers, at={"recheck": calm})

    again = asyncio.run(resumed())
    lines = transcript(svc, run.id)
    assert again.state == "succeeded", (states(svc, run.id), again.error)
    assert (
        "conference county-drill freezes centre-core1 now; the override given at step decide was for "
        "conference regional-briefing: asking decide again" in lines
    )
    assert "conference county-drill freezes centre-core1 now: mitigate -> decide" in lines
    assert any("overridden by duty-engineer (engineer) at step decide: drill agreed" in t for t in lines)
    decisions = [s.state for s in rec.steps_of(svc.store, run.id) if s.step == "decide"]
    assert decisions == ["succeeded", "succeeded"]


def test_dry_run_renders_what_reads_a_check_and_leaves_to_the_run_what_only_the_run_decides(
    world: World,
) -> None:
    """``ups-on-battery``'s notify steps read the on-battery check's output (was "cannot render"); the CPU
    mitigation depends on the engineer's decision (was "would push ... interface None")."""
    svc = world.svc
    fault(world, "on-battery", "hami-ce1", {"minutes": 37})
    fault(world, "high-cpu", "centre-core1", {"percent": 97})
    conference_soon(world, minutes=20)
    ups = asyncio.run(plan(svc.catalog, svc.engine.tools, "ups-on-battery", {"site": "hami"}))
    rows = {r["step"]: r for r in ups["steps"]}
    assert rows["on-battery"]["action"] == "checked" and rows["on-battery"]["met"] is True
    assert rows["tell"]["action"] == "would notify" and "37 minutes left" in rows["tell"]["message"]
    assert rows["conference"]["action"] == "would notify", rows["conference"]
    assert "conference regional-briefing" in rows["conference"]["message"]
    cpu = asyncio.run(plan(svc.catalog, svc.engine.tools, "device-cpu-high", {"device": "centre-core1"}))
    rows = {r["step"]: r for r in cpu["steps"]}
    assert rows["decide"]["action"] == "would wait for approval"
    assert rows["mitigate"]["action"] == "depends on run-time result", rows["mitigate"]
    assert rows["mitigate"]["when"] == "depends on run-time result (decide)"
    assert not any(r["action"] == "cannot render" for r in [*ups["steps"], *cpu["steps"]])


def test_room_red_during_its_conference_is_judged_by_the_live_view_and_a_dropped_call_is_dialled(
    world: World,
) -> None:
    """F4: during a running conference the room's call is the conference's (was "busy: 1 call(s) up before
    the conference" and a restart asked for a healthy codec); a room that left the call is made to dial it."""
    svc = world.svc
    conference_soon(world, minutes=-5)  # running, hami-vc in it

    async def scenario(kind: str | None) -> rec.RunView:
        if kind is not None:
            fault(world, kind, "hami-codec")
        run_id = await room_turns_red(svc)
        return await drive(svc, run_id, {})  # nobody approves anything: no restart is needed

    def rejoined(run: rec.RunView) -> None:
        got = states(svc, run.id)
        assert run.state == "succeeded", (got, run.error)
        first = next(s for s in rec.steps_of(svc.store, run.id) if s.step == "precheck").output["result"]
        assert first["failing"] == ["call_state"], first
        assert first["checks"]["call_state"]["reason"] == "not in the call of conference regional-briefing"
        assert got["rejoin"] == "succeeded" and got["busy"] == "skipped" and got["recheck"] == "succeeded"
        assert got["approve-restart"] == "skipped" and goal_held(svc, run.id)

    rejoined(asyncio.run(scenario(None)))  # the codec idle: not in the call; netops dials the conference

    healthy = asyncio.run(scenario(None))  # now in the conference's call: fine, nothing to do
    got = states(svc, healthy.id)
    assert healthy.state == "succeeded", (got, healthy.error)
    first = next(s for s in rec.steps_of(svc.store, healthy.id) if s.step == "precheck").output["result"]
    assert got["precheck"] == "succeeded" and first["conference"] == "regional-briefing"
    assert first["checks"]["call_state"]["status"] == "OK" and got["approve-restart"] == "skipped"

    rejoined(asyncio.run(scenario("call-dropped")))  # the call dropped: dialled again

    async def hang_up() -> None:  # leave the codec idle for the other scenarios
        inv = svc.engine.tools.inventory()
        async with httpx.AsyncClient(timeout=5) as client:
            await command(client, inv.device("hami-codec"), inv, svc.engine.tools.secrets,
                          "<Command><Call><Disconnect/></Call></Command>")  # fmt: skip

    asyncio.run(hang_up())
