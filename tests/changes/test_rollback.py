"""Rollback for users (issue 17, item 1) on every platform: a template push that adds a secret line (the SNMP
community), rolled back with ``netops config rollback CHANGE``: the running configuration equals the one
before the push, read by an independent netmiko session; the rollback is a new change linked to the old
one, whose devices are marked rolled back. Then the same devices back to a stored backup version
(``--version N``: its secret lines are masked, resolved from the secret store's values, never typed
masked)."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netops.auth import audit
from netops.changes import backup, records
from netops.cli.config import app
from netops.store.db import open_store
from tests.changes.changes_testlib import COMMUNITY, Lab
from tests.changes.faults_testlib import PLATFORM_DEVICES, Checker

runner = CliRunner()
DEVICES = list(PLATFORM_DEVICES.values())


@pytest.fixture
def checker(lab: Lab) -> Iterator[Checker]:
    c = Checker(lab)
    yield c
    c.close()


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert COMMUNITY not in result.output
    return result.exit_code, result.output


def test_rollback_of_a_push_that_added_a_secret_line_on_every_platform(
    lab: Lab, checker: Checker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_SECRETS_FILE", str(lab.secrets.path))
    state = str(tmp_path / "state")
    common = ["-i", str(lab.inventory_dir), "--state-dir", state]
    quick = ["--confirm-s", "30", "--minute-s", "1", "--no-snmp-checks"]
    before = {d: checker.running(d) for d in DEVICES}
    assert not any(COMMUNITY in text for text in before.values())
    devs = [arg for d in DEVICES for arg in ("-d", d)]
    code, text = cli("backup", *devs, *common)
    assert code == 0, text

    code, text = cli("push", "--apply", *devs, *common, *quick, "--reason", "templates", "--json")
    assert code == 0, text
    pushed = json.loads(text)["change"]
    for d in DEVICES:
        assert COMMUNITY in checker.running(d), d  # the push added the secret line

    code, text = cli("rollback", pushed, *common, *quick, "--json")
    assert code == 0, text
    out = json.loads(text)
    assert out["rollback_of"] == pushed and out["summary"] == {"confirmed": len(DEVICES)}
    for d in DEVICES:
        assert checker.running(d) == before[d], d  # equal to the configuration before the push
    store = open_store(f"sqlite:///{Path(state) / 'netops.db'}")
    try:
        old = records.get_change(store, pushed)
        assert {x["device"]: x["outcome"] for x in old["devices"]} == {d: "rolled-back" for d in DEVICES}
        assert all(f"undone by {out['change']}" in x["detail"] for x in old["devices"])
        new = records.get_change(store, out["change"])
        assert new["reason"] == f"rollback of {pushed}" and new["user"] == f"cli:{getpass.getuser()}"
        assert COMMUNITY not in repr(new)
        actions = [(e.action, e.target) for e in audit.entries(store)]
        assert ("config.rollback", pushed) in actions and ("config.push", pushed) in actions
        versions = {}
        for device in DEVICES:
            (version,) = backup.history(store, device)  # the one taken before the first push
            versions[device] = int(version["id"])
    finally:
        store.close()

    # push again, then a device back to the backup version taken before the first push (its masked lines
    # resolved; one platform keeps the suite's time: the target path is the same code on every platform)
    d = PLATFORM_DEVICES["vrp8"]
    code, text = cli("push", "--apply", "-d", d, *common, *quick, "--reason", "again", "--json")
    assert code == 0, text
    assert COMMUNITY in checker.running(d)
    code, text = cli("rollback", "--version", str(versions[d]), *common, *quick, "--json")
    assert code == 0, text
    assert json.loads(text)["summary"] == {"confirmed": 1}
    assert checker.running(d) == before[d], d

    # one device of a change; a device the change did not touch is named in the error
    code, text = cli("rollback", pushed, "-d", "centre-core1", *common, *quick)
    assert code != 0 and "centre-core1" in text
