"""What an adversarial test of notifications found, each fixed: a malformed URL secret, a title with a line break,
a non-ASCII recipient on a server without SMTPUTF8, a mail server without STARTTLS or that never greets, an
alias bomb in notify.yaml, a retry announced that cannot fit. A delivery never ends a run; each problem is a
recorded, masked delivery failure. Real receivers: HTTP on 127.0.0.1 and aiosmtpd."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_string
from email.policy import default

import pytest

from netops.drivers.snmp.source import SnmpSource
from netops.inventory import load_inventory
from netops.lab.testing import write_secrets
from netops.notify.config import MAX_VALUES
from netops.runbooks.actions import Tools
from netops.runbooks.catalog import load_catalog
from netops.runbooks.service import RunbookService
from netops.secrets import SecretStore
from netops.store.db import open_store
from tests.notify.notify_testlib import PATHS, receiver, silent_server, smtp_server
from tests.notify.test_delivery import HERE, World
from tests.runbooks.rb_testlib import SECRETS as LAB_SECRETS
from tests.runbooks.rb_testlib import write_inventory

OPS_TOKEN = "0ps-h4rden-t0ken"
BILLION = """\
a: &a [x,x,x,x,x,x,x,x,x]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
channels: [*h]
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("notify-hard")
    directory, _n = write_inventory(tmp / "inventory")
    inventory = load_inventory(directory)
    with receiver() as rx, smtp_server(utf8=False) as (mail, smtp_port):
        secrets = {"notify-webhook-ops": f"{rx.base}{PATHS['webhook']}?token={OPS_TOKEN}"}
        secret_store = SecretStore(write_secrets(tmp / "secrets.yaml", {**LAB_SECRETS, **secrets}))
        store = open_store(f"sqlite:///{tmp / 'netops.db'}")
        tools = Tools(lambda: inventory, secret_store, SnmpSource(lambda: inventory, secret_store), store)
        svc = RunbookService(store, load_catalog(HERE / "playbooks"), tools, poll_s=0.05, max_interval_s=0.2)
        yield World(inventory, svc, rx, mail, smtp_port, secrets)
        store.close()


@pytest.fixture
def w(world: World) -> World:
    world.rx.reset()
    world.mail.messages.clear()
    world.mail.answers.clear()
    return world


def deliveries(w: World, run_id: str, step: str = "uplink") -> dict[str, dict[str, object]]:
    return {d["channel"]: d for d in w.steps(run_id)[step].output["deliveries"]}


def test_malformed_url_secrets_are_recorded_failures_and_the_run_goes_on(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = {
        "m7": "http://[::1/?key=M7-s3cret-key",  # urllib: Invalid IPv6 URL
        "m8": "http://127.0.0.1:99999/?key=M8-s3cret-key",  # port out of range
        "m9": "http://xn--/hook?key=M9-s3cret-key",  # a valid URL that idna refuses when sending
    }
    for name, url in bad.items():
        monkeypatch.setenv(f"NETOPS_SECRET_NOTIFY_WEBHOOK_{name.upper()}", url)
    w.configure(
        "channels: [{id: m7, kind: wecom}, {id: m8, kind: dingtalk}, {id: m9, kind: webhook}, {id: ops, kind: "
        "webhook}]\nroutes: [{channels: [m7, m8, m9, ops]}]\n"
    )
    run = w.run("tell", "hami")
    assert run.state == "succeeded", w.transcript(run.id)
    got = deliveries(w, run.id)
    assert (
        got["m7"]["detail"]
        == "not sent: the secret notify-webhook-m7 is not a valid http(s) URL (host or port)"
    )
    assert (
        got["m8"]["detail"]
        == "not sent: the secret notify-webhook-m8 is not a valid http(s) URL (host or port)"
    )
    assert not got["m9"]["sent"] and str(got["m9"]["detail"]).startswith("delivery failed: unexpected error")
    assert got["ops"]["sent"] is True and len(w.rx.at("webhook")) == 2  # ops: the routed and the named step
    stored = w.stored(run.id)
    for url in bad.values():
        assert url not in stored and url.rpartition("=")[2] not in stored


def test_title_with_a_line_break_is_one_header_line_and_no_retry_is_announced_that_cannot_fit(
    w: World,
) -> None:
    w.configure(
        "smtp: {host: 127.0.0.1, port: %(smtp_port)d, sender: netops@noc.example.cn}\n"
        "channels:\n  - {id: duty, kind: email, to: [duty@noc.example.cn]}\n"
        "  - {id: ops, kind: webhook, backoff: 30}\n"
        "routes: [{channels: [duty, ops]}]\n"
    )
    w.rx.script = {PATHS["webhook"]: [(503, None)]}
    run = w.run("odd-title", "hami")
    assert run.state == "succeeded", w.transcript(run.id)
    ((rcpts, text),) = w.mail.messages
    assert rcpts == ["duty@noc.example.cn"]  # no Bcc: the line break did not make a header
    got = message_from_string(text, policy=default)
    assert got["Subject"] == "[netops] 标题 Bcc: evil@attacker.example (major)" and got["Bcc"] is None
    lines = w.transcript(run.id)
    assert not any("again in 30 s" in line for line in lines), lines  # 30 s does not fit in the 20 s step
    assert "notify ops (webhook): delivery failed: HTTP 503; no time left within the step's timeout for another " \
           "attempt" in lines  # fmt: skip


def test_non_ascii_recipient_without_smtputf8_still_delivers_to_the_others(w: World) -> None:
    w.configure(
        "smtp: {host: 127.0.0.1, port: %(smtp_port)d, sender: netops@noc.example.cn}\n"
        "channels:\n  - {id: duty, kind: email, to: [noc-duty@xj.gov.example, 值班室@xj.gov.example]}\n"
        "  - {id: only-cn, kind: email, to: [值班室@xj.gov.example]}\n"
        "routes: [{channels: [duty, only-cn]}]\n"
    )
    run = w.run("tell", "hami")
    assert run.state == "succeeded", w.transcript(run.id)
    # both steps of the run are routed to both channels: duty's mail went out twice, only-cn's never
    assert [m[0] for m in w.mail.messages] == [["noc-duty@xj.gov.example"]] * 2
    got = deliveries(w, run.id)
    assert got["duty"]["sent"] is True
    assert got["duty"]["detail"] == (
        "delivered (accepted for 1 of 2 recipients; not sent to 值班室@xj.gov.example (a non-ASCII address; "
        "the server does not offer SMTPUTF8)), attempt 1/3"
    )
    assert got["only-cn"]["sent"] is False and got["only-cn"]["attempts"] == 1  # permanent: not retried
    assert "the server does not offer SMTPUTF8" in str(got["only-cn"]["detail"])


def test_starttls_not_offered_is_not_retried_and_a_silent_server_is_a_timeout(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_SECRET_NOTIFY_SMTP_PASSWORD", "pässwörd-X9")
    w.configure(
        "smtp: {host: 127.0.0.1, port: %(smtp_port)d, sender: netops@noc.example.cn, username: netops}\n"
        "channels:\n  - {id: duty, kind: email, to: [duty@noc.example.cn]}\nroutes: [{channels: [duty]}]\n"
    )
    run = w.run("tell", "hami")
    got = deliveries(w, run.id)["duty"]
    assert got["detail"] == (
        f"delivery failed: mail through 127.0.0.1:{w.smtp_port}: the user name or password is not ASCII text "
        "(not retried: another attempt cannot change this answer)"
    )
    assert "ä" not in w.stored(run.id) and "pässwörd" not in w.stored(run.id)
    with silent_server() as silent:
        w.configure(
            "smtp: {host: 127.0.0.1, port: %(smtp_port)d, sender: netops@noc.example.cn, starttls: true}\n"
            "channels:\n  - {id: duty, kind: email, to: [duty@noc.example.cn], backoff: 0.05}\n"
            "routes: [{channels: [duty]}]\n"
        )
        run = w.run("tell", "hami")
        got = deliveries(w, run.id)["duty"]
        assert (got["sent"], got["attempts"]) == (False, 1)
        assert "SMTPNotSupportedError" in str(got["detail"]) and "not retried" in str(got["detail"])
        w.configure(
            f"smtp: {{host: 127.0.0.1, port: {silent}, sender: netops@noc.example.cn, timeout: 0.3}}\n"
            "channels:\n  - {id: duty, kind: email, to: [duty@noc.example.cn], attempts: 1}\n"
            "routes: [{channels: [duty]}]\n"
        )
        run = w.run("tell", "hami")
        got = deliveries(w, run.id)["duty"]
        assert got["detail"] == (
            f"delivery failed after 1 attempts: mail through 127.0.0.1:{silent}: no reply within 0.3 s (timeout)"
        )
    assert run.state == "succeeded"


def test_alias_bomb_in_notify_yaml_is_refused_at_once_and_the_step_records_it(w: World) -> None:
    w.configure(BILLION)
    run = w.run("tell", "hami")  # returns: the file is refused before anything expands it
    assert run.state == "succeeded"
    step = w.steps(run.id)["uplink"]
    (broken,) = [d for d in step.output["deliveries"] if d["channel"] == "notify.yaml"]
    assert broken["detail"] == (
        f"delivery failed: notify.yaml invalid: notify.yaml:5: more than {MAX_VALUES} values once its aliases "
        "(*name) are expanded: notify.yaml is small; write the values out"
    )
    assert any(line.startswith("delivery failed (not required): notify.yaml: delivery failed: notify.yaml "
                               "invalid") for line in w.transcript(run.id))  # fmt: skip
