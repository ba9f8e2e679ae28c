"""Command injection through runbook parameters (issue 18, item 4), against the lab's routers.

The red team's value ``GigabitEthernet0/0/1\\nsystem-view\\nsysname X\\nreturn`` renamed a router through a
read-only ``command`` step. It is refused when the run is asked for (API 422, CLI exit 2), and, should such a
value reach a device line another way (here a template literal the parameter checks never see), at run time
before anything is sent. The router's configuration, read through a separate netmiko session, is unchanged.
Property tests: no text with a control character passes the parameter check or the command guard.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netmiko import ConnectHandler

from netops.api.app import create_app
from netops.auth.tokens import Role, create_token
from netops.errors import ParamError
from netops.inventory.models import Inventory
from netops.runbooks import records as rec
from netops.runbooks.actions import PushOutcome, PushRequest, PushState
from netops.runbooks.params import coerce
from netops.runbooks.plan import PlanAction, plan
from netops.runbooks.readonly import command_problem, control_characters
from netops.runbooks.schema import ParamSpec
from netops.runbooks.service import RunbookService
from netops.runtime import Runtime
from netops.secrets import SecretStore
from netops.settings import Settings
from tests.conftest import served_app
from tests.runbooks.rb_testlib import (
    SHIPPED,
    build_service,
    lab_inventory,
    running_lab,
    write_inventory,
    write_secrets,
)

INJECTION = "GigabitEthernet0/0/1\nsystem-view\nsysname X\nreturn"

PLAYBOOK = r"""
id: evidence
title: read-only evidence with values that try to become commands
severity: minor
plan_section: "test"
goal: {none: "a test runbook: no network state to reach"}
parameters:
  - {name: device, type: device}
  - {name: note, type: string, required: false}
steps:
  - id: smuggled
    title: a value with newlines that no parameter check saw
    kind: command
    device: "{{ params.device }}"
    commands: ["display interface {{ 'GigabitEthernet1/0/1\\nsystem-view\\nsysname HACKED\\nreturn' }}"]
    on_failure: continue
  - id: redirect
    title: Comware writes a file with '>'
    kind: command
    device: "{{ params.device }}"
    commands: ["display current-configuration > flash:/evidence.cfg"]
    on_failure: continue
  - id: push
    title: a configuration line that would grow a second line
    kind: config_push
    device: "{{ params.device }}"
    template: |
      interface GigabitEthernet1/0/3
       description {{ 'x\nsysname HACKED' }}
    on_failure: continue
  - id: honest
    kind: command
    device: "{{ params.device }}"
    commands: ["display interface GigabitEthernet1/0/1"]
"""


def netmiko_config(inventory: Inventory, secrets: SecretStore, device: str) -> str:
    """The running configuration through a netmiko session of the test's own (not netops' drivers)."""
    dev = inventory.device(device)
    cred = inventory.credentials[dev.credential or ""]
    conn = ConnectHandler(
        device_type=dev.platform.netmiko_device_type, host=str(dev.address), port=dev.ssh_port,
        username=cred.username, password=secrets.get(cred.password),
    )  # fmt: skip
    try:
        return str(conn.send_command("display current-configuration"))
    finally:
        conn.disconnect()


def test_the_injected_interface_is_refused_by_the_api_and_the_cli(tmp_path: Path) -> None:
    inventory, _ = write_inventory(tmp_path / "inventory")
    secrets_file = write_secrets(tmp_path / "secrets.yaml")
    settings_ = Settings(inventory=inventory, state_dir=tmp_path / "state", poll_enabled=False)
    rt = Runtime.start(settings_)
    app = create_app(settings_, rt)
    app.state.runbooks = RunbookService.from_runtime(rt, SHIPPED, poll_s=0.05)
    token = create_token(rt.store, "duty", Role.OPERATOR)[1]
    body = {"params": {"device": "centre-inet", "interface": INJECTION}}
    with served_app(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        answer = client.post(
            "/runbooks/internet-exit-abnormal-traffic/runs",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 422, answer.text
        (problem,) = answer.json()["problems"]
        assert "parameter 'interface'" in problem and "U+000A" in problem
        assert "sysname" not in answer.text  # the refused value is not echoed whole
        runs = client.get("/runs", headers={"Authorization": f"Bearer {token}"})
        assert runs.json() == []
    rt.close()
    env = {"NETOPS_SECRETS_FILE": str(secrets_file), "NETOPS_STATE_DIR": str(tmp_path / "cli")}
    cli = subprocess.run(
        [sys.executable, "-m", "netops", "runbook", "run", "internet-exit-abnormal-traffic",
         "--playbooks", str(SHIPPED), "--inventory", str(inventory),
         "--param", "device=centre-inet", "--param", f"interface={INJECTION}"],
        capture_output=True, text=True, timeout=60, check=False, env={**os.environ, **env},
    )  # fmt: skip
    assert cli.returncode == 2, cli.stdout + cli.stderr
    assert "parameter 'interface'" in cli.stderr


def test_values_that_reach_a_device_line_another_way_are_refused_before_sending(tmp_path: Path) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "evidence.yaml").write_text(PLAYBOOK, encoding="utf-8")

    class Pusher:  # records what reaches the change engine: nothing may
        def __init__(self) -> None:
            self.pushed: list[list[str]] = []

        async def push(self, request: PushRequest) -> PushOutcome:
            self.pushed.append(request.lines)
            return PushOutcome(
                False, PushState("rejected"), detail="a smuggled line reached the change engine"
            )

        async def rollback(self, change_id: str, device: str) -> PushOutcome:
            return PushOutcome(False, PushState("failed"))

    pusher = Pusher()
    svc = build_service(tmp_path, inv, secrets, playbooks, pusher=pusher)
    with running_lab(inv, secrets, ["hami-ce1"], ssh=["hami-ce1"]):
        before = netmiko_config(inv, secrets, "hami-ce1")

        async def scenario() -> rec.RunView:
            run_id = svc.start("evidence", {"device": "hami-ce1"}, actor="test")
            return await svc.wait(run_id)

        run = asyncio.run(scenario())
        after = netmiko_config(inv, secrets, "hami-ce1")
    steps = {s.step: s for s in rec.steps_of(svc.store, run.id)}
    assert run.state == "succeeded"
    assert steps["smuggled"].state == "failed" and "control characters (U+000A)" in (
        steps["smuggled"].error or ""
    )
    assert "nothing was sent" in (steps["smuggled"].error or "")
    assert steps["redirect"].state == "failed" and "'>'" in (steps["redirect"].error or "")
    assert steps["push"].state == "failed" and "control characters" in (steps["push"].error or "")
    assert steps["honest"].state == "succeeded"  # the guard lets real read-only commands through
    assert pusher.pushed == []
    assert after == before and "HACKED" not in after
    # the dry run applies the same guard: it shows the refusal, never the command as it would be sent
    planned = asyncio.run(plan(svc.catalog, svc.engine.tools, "evidence", {"device": "hami-ce1"}))
    rows = {r["step"]: r for r in planned["steps"]}
    assert rows["smuggled"]["action"] == PlanAction.CANNOT_RENDER and "U+000A" in rows["smuggled"]["error"]
    assert rows["redirect"]["action"] == PlanAction.REFUSED and "commands" not in rows["redirect"]
    assert (
        "refused, nothing would be sent" in rows["redirect"]["error"] and "'>'" in rows["redirect"]["error"]
    )
    assert rows["push"]["action"] == PlanAction.CANNOT_RENDER and "lines" not in rows["push"]
    assert rows["honest"]["action"] == PlanAction.WOULD_SEND
    assert planned["goal"] == {"none": "a test runbook: no network state to reach"}
    svc.store.close()


def test_a_string_parameter_with_a_newline_is_refused_too(tmp_path: Path) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "evidence.yaml").write_text(PLAYBOOK, encoding="utf-8")
    svc = build_service(tmp_path, inv, secrets, playbooks)
    with pytest.raises(ParamError, match=r"parameter 'note': control characters are not allowed \(U\+000A\)"):
        svc.engine.create_run("evidence", {"device": "hami-ce1", "note": "ok\nsysname X"}, actor="test")
    with pytest.raises(ParamError, match="parameter 'device': control characters"):
        svc.engine.create_run("evidence", {"device": "hami-ce1\nsystem-view"}, actor="test")
    with pytest.raises(ParamError, match="expected a device id"):
        svc.engine.create_run("evidence", {"device": "hami-ce1;reload"}, actor="test")
    assert rec.list_runs(svc.store) == []
    svc.store.close()


# -- properties ----------------------------------------------------------------------------------------

CONTROL = st.sampled_from(
    ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\u202e", "\u200b"]
)
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp", "Cs")), max_size=40)
TYPES = ["string", "enum", "regex", "interface", "ip", "device", "site", "secret"]


@st.composite
def with_control(draw: st.DrawFn) -> str:
    head, tail = draw(TEXT), draw(TEXT)
    return head + draw(CONTROL) + tail


@settings(max_examples=300, deadline=None)
@given(value=with_control(), kind=st.sampled_from(TYPES))
def test_no_parameter_type_takes_a_control_character(value: str, kind: str) -> None:
    spec = ParamSpec.model_validate(
        {"name": "p", "type": kind, "values": [value], "pattern": "(?s).*"}  # enum/regex that would match it
    )
    with pytest.raises(ParamError) as info:
        coerce([spec], {"p": value}, None)
    assert "control characters" in str(info.value)


@settings(max_examples=300, deadline=None)
@given(
    value=with_control(),
    platform=st.sampled_from(["huawei_vrp8", "huawei_vrp5", "h3c_comware7", "cisco_ios", None]),
    verb=st.sampled_from(["display interface", "show interfaces", "ping", "dir"]),
)
def test_no_command_with_a_control_character_passes_the_guard(
    value: str, platform: str | None, verb: str
) -> None:
    command = f"{verb} {value}"
    assert control_characters(command)
    problem = command_problem(command, platform)
    assert problem is not None


@settings(max_examples=200, deadline=None)
@given(
    name=st.from_regex(
        r"(GigabitEthernet|GE|Eth-Trunk|Vlanif|LoopBack)[0-9]{1,2}(/[0-9]{1,2}){0,2}", fullmatch=True
    )
)
def test_interface_values_make_commands_the_guard_accepts(name: str) -> None:
    plain, _ = coerce([ParamSpec(name="i", type="interface")], {"i": name}, None)
    assert command_problem(f"display interface {plain['i']}", "huawei_vrp8") is None
    assert command_problem(f"show interfaces {plain['i']} | include rate", "cisco_ios") is None


@pytest.mark.parametrize(
    ("command", "platform", "why"),
    [
        ("display interface GE0/0/1 > flash:/x", "h3c_comware7", "'>'"),
        ("show running-config | redirect flash:x", "cisco_ios", "not an output filter"),
        ("show running-config | tee flash:x", "cisco_ios", "not an output filter"),
        ("display version", "cisco_ios", "not read-only on cisco_ios"),
        ("show version", "huawei_vrp8", "not read-only on huawei_vrp8"),
        ("ping", "cisco_ios", "needs a destination"),
        ("display current-configuration ?", "huawei_vrp5", "'?'"),
        ("system-view", None, "not read-only"),
    ],
)
def test_the_guard_refuses_what_writes_or_asks(command: str, platform: str | None, why: str) -> None:
    problem = command_problem(command, platform)
    assert problem is not None and why in problem, problem


def test_shipped_playbooks_use_typed_interface_parameters() -> None:
    text = (SHIPPED / "internet-exit-abnormal-traffic.yaml").read_text(encoding="utf-8")
    assert "{name: interface, type: interface" in text
    assert "notify_webhook" not in "".join(p.read_text(encoding="utf-8") for p in SHIPPED.glob("*.yaml"))
