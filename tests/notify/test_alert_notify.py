"""An Alertmanager alert starts the shipped ``ups-on-battery`` runbook for a UPS the lab put on battery; its
``tell`` step delivers through the routes of ``notify.yaml`` (no run parameter names a target): a signed
DingTalk robot message and a mail over SMTP, plus the channel ``noc`` the playbook names. Nothing in the run's
record holds a secret."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email import message_from_string
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from netops.api.app import create_app
from netops.lab.testing import wait_until
from netops.runbooks import records as rec
from netops.runbooks.service import RunbookService
from netops.runtime import Runtime
from netops.settings import Settings
from tests.conftest import served_app
from tests.notify.notify_testlib import PATHS, Mailbox, Receiver, receiver, smtp_server
from tests.notify.test_delivery import expected_sign
from tests.runbooks.rb_testlib import SHIPPED, running_lab, write_inventory, write_secrets

AM_SECRET = "am-n0tify-s3cret"
SIGN_SECRET = "SECd1ngtalk-s1gning-secret-0001"  # the one expected_sign() uses
NOTIFY = """\
smtp: {host: 127.0.0.1, port: %(port)d, sender: netops@noc.example.cn}
channels:
  - {id: noc, kind: webhook}
  - {id: ding, kind: dingtalk, sign: true, format: text}
  - {id: duty, kind: email, to: [hami-duty@noc.example.cn]}
routes:
  - {severity: [critical, major], prefecture: [hami], channels: [ding, duty]}
"""


def answering(inventory: Path) -> None:
    """The runbook's ``on-battery`` check reads the UPS over SNMP from a device that answers: the runbook kit's
    profile waits 0.5 s a try (with no retry, as it was, an answer 700 ms late failed the check and nothing was
    delivered: reproduced). Here 5 s a try, one retry: it costs nothing, the device answers."""
    text = inventory.read_text(encoding="utf-8")
    text, profiles = re.subn(r"timeout_s: [0-9.]+, retries: [0-9]+", "timeout_s: 5, retries: 1", text)
    assert profiles == 1, f"{inventory}: expected one SNMP profile with a timeout, found {profiles}"
    inventory.write_text(text, encoding="utf-8")


def alert(site: str) -> dict[str, Any]:
    labels = {"alertname": "NetopsUpsOnBattery", "site": site, "severity": "major"}
    item = {"status": "firing", "labels": labels, "annotations": {"summary": f"{site}: UPS on battery"},
            "startsAt": "2026-12-05T03:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "",
            "fingerprint": f"fp-ups-{site}"}  # fmt: skip
    return {"version": "4", "groupKey": "{}:{alertname=\"NetopsUpsOnBattery\"}", "truncatedAlerts": 0,
            "status": "firing", "receiver": "netops", "groupLabels": {"alertname": "NetopsUpsOnBattery"},
            "commonLabels": labels, "commonAnnotations": item["annotations"], "externalURL": "",
            "alerts": [item]}  # fmt: skip


@pytest.fixture
def service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, Receiver, Mailbox, dict[str, str]]]:
    inventory, _n = write_inventory(tmp_path / "inventory")
    answering(inventory / "lab.yaml")
    with receiver() as rx, smtp_server() as (mail, port):
        (inventory / "notify.yaml").write_text(NOTIFY % {"port": port}, encoding="utf-8")
        secrets = {
            "notify-webhook-noc": f"{rx.base}{PATHS['webhook']}?token=n0c-t0ken",
            "notify-webhook-ding": f"{rx.base}{PATHS['dingtalk']}?access_token=d1ng-t0ken-hami",
            "notify-sign-ding": SIGN_SECRET,
        }
        secrets_file = write_secrets(
            tmp_path / "secrets.yaml", {"alertmanager-webhook": AM_SECRET, **secrets}
        )
        monkeypatch.setenv("NETOPS_SECRETS_FILE", str(secrets_file))
        settings = Settings(inventory=inventory, state_dir=tmp_path / "state", poll_enabled=False)
        rt = Runtime.start(settings)
        app: FastAPI = create_app(settings, rt)
        svc = RunbookService.from_runtime(rt, SHIPPED, poll_s=0.05, max_interval_s=0.2)
        app.state.runbooks = svc
        with (
            running_lab(rt.inventory, rt.secrets, ["hami-ce1"], ssh=[]) as lab,
            served_app(app) as url,
            httpx.Client(base_url=url, timeout=30) as client,  # a loaded machine may take seconds to answer
        ):
            lab.loop.call(lambda: lab.faults.apply("on-battery", "hami-ce1", {"minutes": 37}))
            yield client, rx, mail, secrets
            for run_id in list(svc.tasks):  # nothing left executing when the server stops
                svc.engine.cancel(run_id, actor="test")
            deadline = time.monotonic() + 10
            while svc.tasks and time.monotonic() < deadline:
                time.sleep(0.05)
            store = rt.store
            runs = rec.list_runs(store, runbook="ups-on-battery")
            service_state = [(r.id, rec.transcript(store, r.id), rec.steps_of(store, r.id)) for r in runs]
            stored = repr(service_state)
            for value in secrets.values():
                assert value not in stored
            assert rx.base not in stored


def test_alert_started_runbook_delivers_through_the_routes(
    service: tuple[Any, Receiver, Mailbox, dict[str, str]],
) -> None:
    client, rx, mail, _secrets = service
    answer = client.post("/alerts/alertmanager", json=alert("hami"),
                         headers={"Authorization": f"Bearer {AM_SECRET}"})  # fmt: skip
    assert answer.status_code == 202, answer.text
    wait_until(
        "the routed notifications delivered", lambda: rx.at("dingtalk") and mail.messages and rx.at("webhook")
    )
    told = "hami: UPS on battery, 37 minutes left."
    (ding,) = rx.at("dingtalk")
    assert ding.query["access_token"] == "d1ng-t0ken-hami"
    assert ding.query["sign"] == expected_sign(ding.query["timestamp"])
    assert ding.body["msgtype"] == "text" and told in ding.body["text"]["content"]
    assert ding.body["text"]["content"].startswith("[major] 节点UPS电池供电 / Node on UPS battery\n")
    ((rcpts, text),) = mail.messages
    assert rcpts == ["hami-duty@noc.example.cn"]
    got = message_from_string(text, policy=default)
    assert got["Subject"] == "[netops] 节点UPS电池供电 / Node on UPS battery (major)"
    (hook,) = rx.at("webhook")  # the channel the playbook names
    assert hook.body["runbook"] == "ups-on-battery" and told in hook.body["message"]
    assert hook.body["prefecture"] == "hami" and hook.body["severity"] == "major"
