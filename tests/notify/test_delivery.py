"""Notifications from runbook runs, delivered for real: a plain JSON webhook, a DingTalk custom robot (signed),
a WeCom group robot (HTTP receivers on 127.0.0.1 answering as they do, errors included) and SMTP mail (aiosmtpd
with a login); routed by severity and prefecture through ``notify.yaml``; retried on 5xx, on a robot's
``errcode`` and on a 4xx mail reply; every attempt in the transcript; no secret anywhere in what is stored.

The expected DingTalk signature is computed here from the recipe DingTalk documents (HmacSHA256 keyed with the
secret over ``"<timestamp>\\n<secret>"``, base64), independently of ``netops.notify.channels``."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_string
from email.policy import default
from pathlib import Path

import pytest

from netops.drivers.snmp.source import SnmpSource
from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.lab.testing import free_port, write_secrets
from netops.runbooks import records as rec
from netops.runbooks.actions import Tools
from netops.runbooks.catalog import load_catalog
from netops.runbooks.service import RunbookService
from netops.secrets import SecretStore
from netops.store.db import open_store
from tests.notify.notify_testlib import PATHS, Mailbox, Receiver, receiver, smtp_server
from tests.runbooks.rb_testlib import SECRETS as LAB_SECRETS
from tests.runbooks.rb_testlib import write_inventory

HERE = Path(__file__).parent
SIGN_SECRET = "SECd1ngtalk-s1gning-secret-0001"
SMTP_PASSWORD = "smtp-Pa55w0rd-notify"
TOKENS = {"ops": "0ps-t0ken-4242", "ding": "d1ng-acc3ss-t0ken", "wx": "wx-k3y-0000-1111"}

# every channel's receiver answers: 30 s per attempt (not 5 s), so a loaded machine's slow answer is no retry
CONFIG = """\
smtp: {host: 127.0.0.1, port: %(smtp_port)d, sender: netops@noc.example.cn, username: netops, timeout: 30}
channels:
  - {id: ops, kind: webhook, backoff: 0.05, timeout: 30}
  - {id: ding, kind: dingtalk, sign: true, backoff: 0.05, timeout: 30}
  - {id: wx, kind: wecom, format: markdown, backoff: 0.05, timeout: 30}
  - {id: duty, kind: email, to: [duty@noc.example.cn, 值班@noc.example.cn], backoff: 0.05, timeout: 30}
  - {id: audit-wx, kind: wecom, format: text, timeout: 30}
routes:
  - {severity: [critical, major], prefecture: [hami], channels: [ops, ding, wx, duty]}
  - {severity: [critical], channels: [audit-wx]}
"""


@dataclass
class World:
    inventory: Inventory
    svc: RunbookService
    rx: Receiver
    mail: Mailbox
    smtp_port: int
    secrets: dict[str, str]

    def configure(self, text: str) -> None:
        """Write notify.yaml (a new file each time: the service reads it again when it changes)."""
        target = Path(self.inventory.directory) / "notify.yaml"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(text % {"smtp_port": self.smtp_port}, encoding="utf-8")
        tmp.replace(target)

    def run(self, runbook: str, site: str) -> rec.RunView:
        engine = self.svc.engine

        async def go() -> rec.RunView:
            return await engine.execute(engine.create_run(runbook, {"site": site}, actor="test"))

        return asyncio.run(go())

    def steps(self, run_id: str) -> dict[str, rec.StepView]:
        return {s.step: s for s in rec.steps_of(self.svc.store, run_id)}

    def transcript(self, run_id: str) -> list[str]:
        return [line["text"] for line in rec.transcript(self.svc.store, run_id)]

    def stored(self, run_id: str) -> str:
        """Everything the store holds about a run, as the API would answer it."""
        run = rec.get_run(self.svc.store, run_id)
        steps = [s.as_dict() for s in rec.steps_of(self.svc.store, run_id)]
        return json.dumps(
            [run.params, run.error, steps, self.transcript(run_id)], ensure_ascii=False, default=str
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("notify")
    directory, _n = write_inventory(tmp / "inventory")
    inventory = load_inventory(directory)
    with receiver() as rx, smtp_server() as (mail, smtp_port):
        secrets = {
            "notify-webhook-ops": f"{rx.base}{PATHS['webhook']}?token={TOKENS['ops']}",
            "notify-webhook-ding": f"{rx.base}{PATHS['dingtalk']}?access_token={TOKENS['ding']}",
            "notify-sign-ding": SIGN_SECRET,
            "notify-webhook-wx": f"{rx.base}{PATHS['wecom']}?key={TOKENS['wx']}",
            "notify-webhook-audit-wx": f"{rx.base}{PATHS['wecom']}?key=audit-k3y-9999",
            "notify-smtp-password": SMTP_PASSWORD,
        }
        store_path = write_secrets(tmp / "secrets.yaml", {**LAB_SECRETS, **secrets})
        secret_store = SecretStore(store_path)
        store = open_store(f"sqlite:///{tmp / 'netops.db'}")
        tools = Tools(lambda: inventory, secret_store, SnmpSource(lambda: inventory, secret_store), store)
        svc = RunbookService(store, load_catalog(HERE / "playbooks"), tools, poll_s=0.05, max_interval_s=0.2)
        w = World(inventory, svc, rx, mail, smtp_port, secrets)
        yield w
        store.close()


@pytest.fixture
def fresh(world: World) -> World:
    world.rx.reset()
    world.mail.messages.clear()
    world.mail.logins.clear()
    world.mail.answers.clear()
    world.mail.refuse_first = 0
    world.configure(CONFIG)
    return world


def expected_sign(timestamp: str) -> str:
    digest = hmac.new(SIGN_SECRET.encode(), f"{timestamp}\n{SIGN_SECRET}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def assert_no_secret(world: World, run_id: str) -> None:
    stored = world.stored(run_id)
    for value in [*world.secrets.values(), *TOKENS.values(), SIGN_SECRET, SMTP_PASSWORD]:
        assert value not in stored
    assert (
        world.rx.base not in stored
    )  # not even the receivers' addresses: the channel's name stands for them


def test_routes_deliver_to_webhook_dingtalk_wecom_and_mail_with_their_formats(fresh: World) -> None:
    w = fresh
    run = w.run("tell", "hami-yiwu")  # a county of the prefecture hami
    assert run.state == "succeeded", w.transcript(run.id)
    message = "hami-yiwu: 主用上联中断 primary uplink down"

    # the route for major in hami: all four channels; the route for critical: none
    (hook, named) = [r.body for r in w.rx.at("webhook")]
    assert hook == {"run": run.id, "runbook": "tell", "title": "测试通知 / Uplink notice", "step": "uplink",
                    "severity": "major", "prefecture": "hami", "site": "hami-yiwu", "message": message}  # fmt: skip
    assert named["step"] == "named" and named["severity"] == "info"  # named channel, info: no route matched

    (ding,) = w.rx.at("dingtalk")
    assert ding.query["access_token"] == TOKENS["ding"]
    assert ding.query["sign"] == expected_sign(ding.query["timestamp"])  # urlencoded on the wire
    assert abs(int(ding.query["timestamp"]) / 1000 - run.created_at) < 3600  # milliseconds, DingTalk's window
    assert ding.body["msgtype"] == "markdown"
    assert ding.body["markdown"]["title"] == "[major] 测试通知 / Uplink notice"
    assert message in ding.body["markdown"]["text"] and run.id in ding.body["markdown"]["text"]

    (wx,) = w.rx.at("wecom")
    assert wx.query == {"key": TOKENS["wx"]}
    assert wx.body["msgtype"] == "markdown" and message in wx.body["markdown"]["content"]
    assert '<font color="warning">[major] 测试通知 / Uplink notice</font>' in wx.body["markdown"]["content"]

    ((rcpts, text),) = w.mail.messages
    assert rcpts == ["duty@noc.example.cn", "值班@noc.example.cn"]
    assert w.mail.logins == [
        ("netops", SMTP_PASSWORD)
    ]  # the password from the secret store reached the server
    got = message_from_string(text, policy=default)
    assert got["From"] == "netops@noc.example.cn"
    assert got["Subject"] == "[netops] 测试通知 / Uplink notice (major)"
    body = got.get_body()
    assert body is not None and message in body.get_content() and run.id in body.get_content()
    steps = w.steps(run.id)
    deliveries = {d["channel"]: d for d in steps["uplink"].output["deliveries"]}
    assert set(deliveries) == {"ops", "ding", "wx", "duty"}
    assert all(d["sent"] and d["attempts"] == 1 for d in deliveries.values())
    assert steps["uplink"].output["prefecture"] == "hami"
    assert steps["named"].output["webhook"]["sent"] is True
    lines = w.transcript(run.id)
    assert any(line.startswith("routes for severity major, prefecture hami, runbook tell: ops, ding, wx, duty")
               for line in lines)  # fmt: skip
    assert any(line.startswith("notify ding (dingtalk): delivered (HTTP 200, errcode 0)") for line in lines)
    assert_no_secret(w, run.id)


def test_route_by_prefecture_reaches_only_that_prefecture(fresh: World) -> None:
    run = fresh.run("tell", "dept-audit")  # a department: no prefecture, no route, only the named channel
    assert run.state == "succeeded"
    assert [r.body["step"] for r in fresh.rx.at("webhook")] == ["named"]
    assert not fresh.rx.at("dingtalk") and not fresh.rx.at("wecom") and not fresh.mail.messages
    assert "no channel: the step names none and no route of notify.yaml matches" in fresh.transcript(run.id)


def test_retries_on_5xx_errcode_and_4xx_mail_then_delivers(fresh: World) -> None:
    w = fresh
    w.rx.script = {
        PATHS["webhook"]: [(503, None), (502, None)],
        PATHS["dingtalk"]: [
            (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        ],
        PATHS["wecom"]: [(200, {"errcode": 45009, "errmsg": "api freq out of limit"})],
    }
    w.mail.refuse_first = 1
    run = w.run("tell", "hami")
    assert run.state == "succeeded", w.transcript(run.id)
    deliveries = {d["channel"]: d for d in w.steps(run.id)["uplink"].output["deliveries"]}
    assert {k: (d["sent"], d["attempts"]) for k, d in deliveries.items()} == {
        "ops": (True, 3), "ding": (True, 2), "wx": (True, 2), "duty": (True, 2)}  # fmt: skip
    assert len(w.rx.at("dingtalk")) == 2 and len(w.rx.at("wecom")) == 2
    ding = w.rx.at("dingtalk")
    assert all(
        r.query["sign"] == expected_sign(r.query["timestamp"]) for r in ding
    )  # signed afresh each time
    assert w.mail.answers == ["451", "250"] and len(w.mail.messages) == 1
    lines = w.transcript(run.id)
    for expected in (
        "notify ops (webhook): attempt 1/3: HTTP 503; again in 0.05 s",
        "notify ops (webhook): attempt 2/3: HTTP 502; again in 0.1 s",
        "notify ding (dingtalk): attempt 1/3: errcode 130101: send too fast, exceed 20 times per minute; "
        "again in 0.05 s",
        "notify wx (wecom): attempt 1/3: errcode 45009: api freq out of limit; again in 0.05 s",
        f"notify duty (email): attempt 1/3: mail through 127.0.0.1:{w.smtp_port}: SMTPDataError 451; "
        "again in 0.05 s",
    ):
        assert expected in lines, lines
    assert "notify ops (webhook): delivered (HTTP 204), attempt 3/3" in lines
    assert_no_secret(w, run.id)


def test_failed_delivery_is_recorded_and_fails_the_step_only_when_required(fresh: World) -> None:
    w = fresh
    w.configure(
        "channels: [{id: ops, kind: webhook, backoff: 0.05}, {id: wx, kind: wecom}]\n"
        "routes: [{runbook: [must-tell], channels: [wx]}]\n"
    )
    w.rx.script = {
        PATHS["webhook"]: [(500, None)] * 6,  # both steps: three attempts each, all refused
        PATHS["wecom"]: [(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1]"})] * 2,
    }
    run = w.run("must-tell", "hami-yiwu")
    assert run.state == "failed"
    steps = w.steps(run.id)
    assert steps["optional"].state == "succeeded"  # not required: recorded, the run goes on
    assert steps["required"].state == "failed" and "after" not in steps
    assert steps["required"].error is not None and steps["required"].error.startswith(
        "delivery failed: ops: delivery failed after 3 attempts: HTTP 500; "
        "wx: delivery failed: errcode 93000: invalid webhook url, hint: [1] (not retried"
    )
    assert len(w.rx.at("webhook")) == 6 and len(w.rx.at("wecom")) == 2  # 93000: one attempt per step
    lines = w.transcript(run.id)
    assert any(line.startswith("delivery failed (not required): ops: delivery failed after 3 attempts")
               for line in lines)  # fmt: skip
    assert_no_secret(w, run.id)


def test_channel_without_secret_unreachable_receiver_and_invalid_config_are_reported_not_hidden(
    fresh: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = fresh
    dead = f"http://127.0.0.1:{free_port()}/hook?token=d3ad-t0ken"  # nothing listens there
    monkeypatch.setenv("NETOPS_SECRET_NOTIFY_WEBHOOK_DEAD", dead)
    w.configure(CONFIG.replace("channels: [ops, ding, wx, duty]", "channels: [ops, pager, dead]").replace(
        "  - {id: audit-wx", "  - {id: pager, kind: webhook}\n  - {id: dead, kind: webhook, backoff: 0.05}\n"
        "  - {id: audit-wx"))  # fmt: skip
    run = w.run("tell", "hami")
    assert run.state == "succeeded"  # the steps are not required
    deliveries = {d["channel"]: d for d in w.steps(run.id)["uplink"].output["deliveries"]}
    assert deliveries["pager"] == {"channel": "pager", "kind": "webhook", "sent": False, "attempts": 0,
                                   "detail": "not sent: no URL configured (notify-webhook-pager)"}  # fmt: skip
    assert deliveries["dead"] == {"channel": "dead", "kind": "webhook", "sent": False, "attempts": 3,
                                  "detail": "delivery failed after 3 attempts: no answer (ConnectError)"}  # fmt: skip
    assert deliveries["ops"]["sent"] is True
    lines = w.transcript(run.id)
    assert "notify dead (webhook): attempt 1/3: no answer (ConnectError); again in 0.05 s" in lines
    assert any(
        line.startswith("delivery failed (not required): pager: not sent: no URL configured")
        for line in lines
    )
    assert dead not in w.stored(run.id) and "d3ad-t0ken" not in w.stored(run.id)
    # a broken notify.yaml: the step's named channel still goes out (as a plain webhook), the problem is told
    w.configure("channels:\n  - {id: ops, kind: pigeon}\n")
    w.rx.reset()
    run = w.run("tell", "hami")
    assert run.state == "succeeded"
    assert [r.body["step"] for r in w.rx.at("webhook")] == ["named"]
    problem = w.steps(run.id)["uplink"].output["problem"]
    assert problem.startswith("notify.yaml not used, it has 1 problem(s): notify.yaml:2: channels[0].kind:")


def test_secrets_rotate_without_restart(fresh: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = fresh
    w.configure("channels: [{id: ops, kind: webhook}]\nroutes: [{channels: [ops]}]\n")
    monkeypatch.setenv(
        "NETOPS_SECRET_NOTIFY_WEBHOOK_OPS", f"{w.rx.base}{PATHS['webhook']}?token=r0tated-t0ken"
    )
    run = w.run("tell", "hami")
    assert run.state == "succeeded"
    assert {r.query["token"] for r in w.rx.at("webhook")} == {"r0tated-t0ken"}
    assert "r0tated-t0ken" not in w.stored(run.id)
