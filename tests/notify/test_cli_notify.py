"""``netops notify routes`` and ``netops notify test``, run as the real command in a subprocess against real
receivers (an HTTP robot receiver and aiosmtpd on 127.0.0.1): the notice arrives where notify.yaml routes it,
a channel that fails makes the command exit 1 and says why, and no secret (URL token, signing key, SMTP
password) is ever printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.lab.testing import wait_until, write_secrets
from tests.notify.notify_testlib import PATHS, Mailbox, Receiver, receiver, smtp_server
from tests.runbooks.rb_testlib import write_inventory

SIGN = "SECcli-sign-0001"
PASSWORD = "cli-smtp-Pa55"
TOKEN = "cli-t0ken-777"
# every channel's receiver answers: 30 s per attempt (not 5 s), so a loaded machine's slow answer is no retry
CONFIG = """\
smtp: {host: 127.0.0.1, port: %(port)d, sender: netops@noc.example.cn, username: netops, timeout: 30}
channels:
  - {id: ops, kind: webhook, backoff: 0.05, timeout: 30}
  - {id: ding, kind: dingtalk, sign: true, backoff: 0.05, timeout: 30}
  - {id: duty, kind: email, to: [duty@noc.example.cn], backoff: 0.05, timeout: 30}
  - {id: nourl, kind: wecom, attempts: 1}
routes:
  - {severity: [critical], prefecture: [hami], channels: [ops, duty]}
  - {severity: [critical], channels: [ding]}
"""


class Cli:
    def __init__(self, inventory: Path, env: dict[str, str], rx: Receiver, mail: Mailbox) -> None:
        self.inventory, self.env, self.rx, self.mail = inventory, env, rx, mail

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "netops", "notify", *args, "-i", str(self.inventory)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    tmp = tmp_path_factory.mktemp("notify-cli")
    directory, _n = write_inventory(tmp / "inventory")
    with receiver() as rx, smtp_server() as (mail, port):
        (Path(directory) / "notify.yaml").write_text(CONFIG % {"port": port}, encoding="utf-8")
        secrets = write_secrets(
            tmp / "secrets.yaml",
            {
                "notify-webhook-ops": f"{rx.base}{PATHS['webhook']}?token={TOKEN}",
                "notify-webhook-ding": f"{rx.base}{PATHS['dingtalk']}?access_token={TOKEN}",
                "notify-sign-ding": SIGN,
                "notify-smtp-password": PASSWORD,
            },
        )
        env = {**os.environ, "NETOPS_SECRETS_FILE": str(secrets)}
        yield Cli(Path(directory), env, rx, mail)


def _no_secret(*texts: str) -> None:
    for text in texts:
        for value in (SIGN, PASSWORD, TOKEN):
            assert value not in text


def test_routes_lists_channels_and_what_is_missing(cli: Cli) -> None:
    shown = cli("routes", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    ready = {c["id"]: c["configured"] for c in data["channels"]}
    assert ready == {"ops": True, "ding": True, "duty": True, "nourl": False}
    assert "notify-webhook-nourl" in next(c["missing"] for c in data["channels"] if c["id"] == "nourl")
    assert data["routes"][0] == {
        "severity": ["critical"], "prefecture": ["hami"], "runbook": None, "channels": ["ops", "duty"]
    }  # fmt: skip
    text = cli("routes")
    assert text.returncode == 0 and "NOT READY" in text.stdout
    _no_secret(shown.stdout, shown.stderr, text.stdout, text.stderr)


def test_a_routed_test_notice_reaches_every_channel(cli: Cli) -> None:
    cli.rx.reset()
    cli.mail.messages.clear()
    sent = cli("test", "--severity", "critical", "--prefecture", "hami", "--json")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    outcomes = {o["channel"]: o["sent"] for o in json.loads(sent.stdout)["deliveries"]}
    assert outcomes == {"ops": True, "duty": True, "ding": True}
    # what the receivers saw, not what the command says
    hook = cli.rx.at("webhook")
    assert len(hook) == 1 and "test" in json.dumps(hook[0].body, ensure_ascii=False).lower()
    ding = cli.rx.at("dingtalk")
    assert len(ding) == 1 and ding[0].query.get("sign")  # signed, as the channel asks
    wait_until("the test mail", lambda: cli.mail.messages or None)
    assert cli.mail.messages[0][0] == ["duty@noc.example.cn"]
    assert ("netops", PASSWORD) in cli.mail.logins
    _no_secret(sent.stdout, sent.stderr)


def test_a_channel_that_cannot_deliver_fails_the_command(cli: Cli) -> None:
    failed = cli("test", "--channel", "nourl")
    assert failed.returncode == 1
    assert "FAILED" in failed.stdout and "notify-webhook-nourl" in failed.stdout
    cli.rx.reset()
    cli.rx.script[PATHS["webhook"]] = [(500, None)] * 3  # every attempt of the webhook gets a 500
    down = cli("test", "--channel", "ops", "--json")
    assert down.returncode == 1
    (outcome,) = json.loads(down.stdout)["deliveries"]
    assert outcome["sent"] is False and outcome["attempts"] == 3 and "500" in outcome["detail"]
    assert len(cli.rx.at("webhook")) == 3
    _no_secret(failed.stdout, failed.stderr, down.stdout, down.stderr)


def test_nothing_chosen_and_bad_arguments(cli: Cli) -> None:
    none = cli("test", "--severity", "info")  # no channel named, no route matches info
    assert none.returncode == 1 and "no channel" in none.stderr
    assert cli("test", "--channel", "nope").returncode == 2
    assert cli("test", "--prefecture", "nowhere").returncode == 2
    assert cli("test", "--severity", "urgent").returncode == 2
