"""One actor naming (issue 17 item 5): mutating CLI commands write audit rows as ``cli:<os user>`` (tokens,
conferences, runbook runs, approvals and cancels; a refused one with the error's class as outcome; four CLI
processes here, each costs a start); ``netops audit`` shows them."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from netops.auth import audit
from tests.conftest import TESTS, run_netops

INVENTORY = TESTS / "inventory" / "base"
PLAYBOOKS = TESTS / "api" / "playbooks"


def test_mutating_cli_commands_are_audited_as_cli_user(tmp_path: Path) -> None:
    state = tmp_path / "state"
    where = ["--state-dir", str(state)]
    steps = [
        ["token", "create", "--name", "wall", "--role", "viewer", *where],
        ["vc", "add", "--id", "cli-conf", "--title", "t", "--start", "2030-01-01T10:00+08:00", "--rooms", "all",
         "--inventory", str(INVENTORY), *where],
    ]  # fmt: skip
    for args in steps:
        done = run_netops(*args)
        assert done.returncode == 0, (args, done.stderr)
    refused = run_netops(
        "runbook", "cancel", "run-nope", "--playbooks", str(PLAYBOOKS), "--inventory", str(INVENTORY), *where
    )
    assert refused.returncode != 0
    shown = run_netops("audit", "--json", *where)
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)
    me = audit.cli_actor()
    assert me == f"cli:{getpass.getuser()}"
    assert [(r["actor"], r["action"], r["target"], r["outcome"]) for r in reversed(rows)] == [
        (me, "token create", "wall", "ok"),
        (me, "conference add", "cli-conf", "ok"),
        (me, "runbook cancel", "run-nope", "NotFoundError"),
    ]
