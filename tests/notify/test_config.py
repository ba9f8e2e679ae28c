"""``notify.yaml`` is validated like the rest of the inventory folder: ``netops inventory validate`` reports
every problem with file and line (shape, secrets written into the file, references to channels and
prefectures), the inventory loader leaves the file alone, and routes match by severity, prefecture, runbook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netops.changes.template_checks import validate_inventory
from netops.cli import app
from netops.errors import InventoryError
from netops.notify.config import MAX_BYTES, MAX_CHANNELS, MAX_VALUES, load_notify, unknown_runbooks
from tests.runbooks.rb_testlib import write_inventory

SHAPE = """\
smtp: {host: mail.example.cn, password: hunter2}
channels:
  - {id: noc, kind: webhook, url: "https://oapi.dingtalk.com/robot/send?access_token=abc"}
  - {id: wx, kind: wecom, sign: true}
  - {id: pager, kind: pigeon}
routes:
  - {severity: [urgent], channels: [noc]}
  - {channels: [noc], runbook: ["http://example.cn/hook?key=k"]}
"""
SHAPE_PROBLEMS = [
    "notify.yaml:1: smtp.password: 'password' is never in notify.yaml: it is the secret notify-smtp-password",
    "notify.yaml:3: channels[0].url: 'url' is never in notify.yaml: it is the secret notify-webhook-noc "
    "(the whole URL)",
    "notify.yaml:4: channels[1]: 'sign' is only for kind dingtalk, not wecom",
    "notify.yaml:5: channels[2].kind: Input should be 'webhook', 'email', 'dingtalk' or 'wecom'; found 'pigeon'",
    "notify.yaml:7: routes[0].severity[0]: Input should be 'critical', 'major', 'minor', 'warning' or 'info'; "
    "found 'urgent'",
    "notify.yaml:8: routes[1].runbook[0]: a URL in notify.yaml: URLs (with their tokens and keys) are secrets; "
    "put it in the secret notify-webhook-<channel id>",
    "notify.yaml:8: routes[1].runbook[0]: expected a lowercase slug (a-z, 0-9, '-'), found a URL (not shown: "
    "it may hold a token or a password)",
]
REFERENCES = """\
channels:
  - {id: noc, kind: webhook}
  - {id: noc, kind: dingtalk}
  - {id: duty, kind: email, to: [duty@example.cn]}
routes:
  - {prefecture: [kashgar, dept-audit, hami], channels: [noc, sms]}
"""
REFERENCE_PROBLEMS = [
    "notify.yaml:3: channels[1].id: duplicate channel 'noc'",
    "notify.yaml:4: channels[2]: an email channel needs the 'smtp' section",
    "notify.yaml:6: routes[0].channels: unknown channel 'sms' (channels: duty, noc)",
    "notify.yaml:6: routes[0].prefecture: 'kashgar' is not a prefecture of the inventory (no such site)",
    "notify.yaml:6: routes[0].prefecture: 'dept-audit' is not a prefecture of the inventory (a department site)",
]

GAPS = """\
smtp: {host: "smtp://u:FILETOKEN5@mail.example", sender: netops@example.cn}
channels:
  - {id: noc, kind: webhook, note: "https://x.example/?key=FILETOKEN3"}
routes:
  - {severity: [urgent], prefecture: [atlantis], channels: [noc]}
  - {severity: [], prefecture: [], runbook: [], channels: [noc]}
"""
GAP_PROBLEMS = [
    "notify.yaml:1: smtp: 'host' is a host name or an IP address (no URL, user or password)",
    "notify.yaml:1: smtp.host: a URL in notify.yaml: URLs (with their tokens and keys) are secrets; put it in "
    "the secret notify-webhook-<channel id>",
    "notify.yaml:3: channels[0].note: a URL in notify.yaml: URLs (with their tokens and keys) are secrets; put it "
    "in the secret notify-webhook-<channel id>",
    "notify.yaml:3: channels[0].note: unknown key (see docs/notify.md for the keys allowed here)",
    "notify.yaml:5: routes[0].prefecture: 'atlantis' is not a prefecture of the inventory (no such site)",
    "notify.yaml:5: routes[0].severity[0]: Input should be 'critical', 'major', 'minor', 'warning' or 'info'; "
    "found 'urgent'",
    "notify.yaml:6: routes[1].prefecture: List should have at least 1 item after validation, not 0",
    "notify.yaml:6: routes[1].runbook: List should have at least 1 item after validation, not 0",
    "notify.yaml:6: routes[1].severity: List should have at least 1 item after validation, not 0",
]


def validate(directory: Path) -> tuple[int, dict[str, object]]:
    res = CliRunner().invoke(app, ["inventory", "validate", str(directory), "--json"])
    return res.exit_code, json.loads(res.stdout)


@pytest.mark.parametrize(("text", "expected"),
                         [(SHAPE, SHAPE_PROBLEMS), (REFERENCES, REFERENCE_PROBLEMS), (GAPS, GAP_PROBLEMS)],
                         ids=["shape-and-secrets", "references", "gaps"])  # fmt: skip
def test_validate_reports_every_problem_of_notify_yaml(
    text: str, expected: list[str], tmp_path: Path
) -> None:
    directory, _n = write_inventory(tmp_path / "inventory")
    (directory / "notify.yaml").write_text(text, encoding="utf-8")
    code, answer = validate(directory)
    assert code == 1 and answer["valid"] is False
    problems = answer["problems"]
    assert isinstance(problems, list)
    shown = [f"{p['file']}:{p['line']}: {p['field']}: {p['message']}" for p in problems]
    assert shown == expected
    # the composed folder validation itself checks notify.yaml, so its other callers get the same problems
    with pytest.raises(InventoryError) as caught:
        validate_inventory(directory)
    assert [f"{p.file}:{p.line}: {p.field}: {p.message}" for p in caught.value.problems] == expected


def test_a_valid_notify_yaml_is_skipped_by_the_loader_and_routes_match(tmp_path: Path) -> None:
    directory, _n = write_inventory(tmp_path / "inventory")
    (directory / "notify.yaml").write_text(
        "smtp: {host: mail.example.cn, username: netops}\n"
        "channels:\n"
        "  - {id: noc, kind: webhook}\n"
        "  - {id: hami-wx, kind: wecom, format: text}\n"
        "  - {id: duty, kind: email, to: [duty@example.cn]}\n"
        "  - {id: ding, kind: dingtalk, sign: true, attempts: 5, backoff: 2}\n"
        "routes:\n"
        "  - {severity: [critical], channels: [duty, noc]}\n"
        "  - {prefecture: [hami], channels: [hami-wx, noc]}\n"
        "  - {runbook: [ups-on-battery], severity: [major, critical], channels: [ding]}\n",
        encoding="utf-8",
    )
    code, answer = validate(directory)
    assert code == 0 and answer["valid"] is True  # the loader did not read it as inventory sections
    config = load_notify(directory)
    assert config.routed("critical", "hami", "county-unreachable") == ["duty", "noc", "hami-wx"]
    assert config.routed("major", "hami", "ups-on-battery") == ["hami-wx", "noc", "ding"]
    assert config.routed("major", None, "ups-on-battery") == ["ding"]
    assert config.routed("info", "kashgar", "room-precheck-failed") == []
    assert config.channels["ding"].attempts == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: &a [x,x,x,x,x,x,x,x,x]\n"
         + "".join(f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefg", "bcdefgh", strict=True))
         + "channels: [*h]\n",
         f"notify.yaml:5: : more than {MAX_VALUES} values once its aliases (*name) are expanded: notify.yaml is "
         "small; write the values out"),
        ("# padding\n" * (MAX_BYTES // 10 + 1),
         f"notify.yaml:None: : {(MAX_BYTES // 10 + 1) * 10} bytes: notify.yaml is at most {MAX_BYTES} bytes"),
        ("channels:\n" + "".join(f"  - {{id: c{i}, kind: webhook}}\n" for i in range(MAX_CHANNELS + 1)),
         f"notify.yaml:1: channels: List should have at most {MAX_CHANNELS} items after validation, not "
         f"{MAX_CHANNELS + 1}"),
    ],
    ids=["alias-bomb", "too-big", "too-many-channels"],
)  # fmt: skip
def test_notify_yaml_is_bounded(text: str, expected: str, tmp_path: Path) -> None:
    """An alias bomb ("billion laughs": 9**8 values), a file over 1 MB, too many channels: refused at once."""
    directory, _n = write_inventory(tmp_path / "inventory")
    (directory / "notify.yaml").write_text(text, encoding="utf-8")
    code, answer = validate(directory)
    assert code == 1
    problems = answer["problems"]
    assert isinstance(problems, list)
    assert [f"{p['file']}:{p['line']}: {p['field']}: {p['message']}" for p in problems] == [expected]


def test_defaults_bound_a_dead_receiver_and_unknown_runbooks_are_named(tmp_path: Path) -> None:
    """Default per channel: 3 attempts of at most 5 s, 1 s then 2 s between them (at most 18 s in all)."""
    directory, _n = write_inventory(tmp_path / "inventory")
    (directory / "notify.yaml").write_text(
        "channels: [{id: noc, kind: webhook}]\nroutes: [{runbook: [no-such-runbook, tell], channels: [noc]}]\n",
        encoding="utf-8",
    )
    config = load_notify(directory)
    noc = config.channels["noc"]
    assert (noc.attempts, noc.timeout, noc.backoff) == (3, 5.0, 1.0)
    assert unknown_runbooks(config, {"tell"}) == [
        "notify.yaml: routes[0].runbook: unknown runbook 'no-such-runbook'"
    ]
