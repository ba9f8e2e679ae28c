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


def test_cli_as_is_a_checked_note_never_the_actor(tmp_path: Path) -> None:
    """F6: ``--as`` cannot impersonate (``token:tengineer``) nor forge log lines (a newline): refused with exit 2,
    the value not echoed; an honest note goes to the audit row's detail; the run, the approval, the transcript
    and the audit row all name ``cli:<os user>``."""
    import subprocess
    import sys

    from netops.lab.testing import wait_until
    from netops.runbooks import records as rec
    from netops.store.db import open_store

    state = tmp_path / "state"
    where = ["--playbooks", str(PLAYBOOKS), "--inventory", str(INVENTORY), "--state-dir", str(state)]
    forged = "eve\nINFO forged"
    for bad in (" CLI:root", forged, "x" * 65, "ls\u2028ep"):
        refused = run_netops("runbook", "run", "duty-check", "--as", bad, *where)
        assert refused.returncode == 2, (bad, refused.stdout, refused.stderr)
        assert (
            "--as" in refused.stderr and "tengineer" not in refused.stderr and "forged" not in refused.stderr
        )
    with (tmp_path / "run.log").open("wb") as log:
        runner = subprocess.Popen(
            [sys.executable, "-m", "netops", "runbook", "run", "duty-check", "--as", "night shift", *where],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:

            def waiting() -> rec.RunView | None:
                assert runner.poll() is None, (tmp_path / "run.log").read_text()
                if not (state / "netops.db").exists():
                    return None
                store = open_store(f"sqlite:///{state / 'netops.db'}")
                try:
                    found = rec.list_runs(store)
                finally:
                    store.close()
                return found[0] if found and found[0].state == "waiting" else None

            run = wait_until("the run to wait for its approval", waiting, every=0.2)
            impersonated = run_netops(
                "runbook", "approve", run.id, "confirm", "--as", "token:tengineer", *where
            )
            assert impersonated.returncode == 2, impersonated.stderr
            approved = run_netops(
                "runbook", "approve", run.id, "confirm", "--as", "shift lead", "--json", *where
            )
            assert approved.returncode == 0, approved.stderr
            runner.wait(60)
        finally:
            if runner.poll() is None:
                runner.kill()
                runner.wait(10)
    assert runner.returncode == 0, (tmp_path / "run.log").read_text()
    me = audit.cli_actor()
    shown = json.loads(approved.stdout)
    assert [a["actor"] for a in shown["approvals"]] == [me]
    store = open_store(f"sqlite:///{state / 'netops.db'}")
    try:
        assert rec.get_run(store, run.id).created_by == me
        text = "\n".join(line["text"] for line in rec.transcript(store, run.id))
        assert f"by {me}" in text and "tengineer" not in text and "shift lead" not in text
        rows = [
            r for r in audit.entries(store, limit=50) if r.action.startswith("runbook")
        ]  # CLI and engine rows
    finally:
        store.close()
    assert {r.actor for r in rows} == {me}
    assert sorted((r.action, r.detail.get("as")) for r in rows if " " in r.action) == [
        ("runbook approve", "shift lead"), ("runbook run", "night shift"),
    ]  # fmt: skip
