"""Kill the process executing a run (SIGKILL, no clean-up), then resume it from another process: the run
continues at the step it was on, and no step that had finished runs again (the webhook counts them)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from netops.auth.audit import cli_actor
from netops.auth.tokens import Role
from netops.inventory import load_inventory
from netops.lab.testing import wait_until
from netops.runbooks import records as rec
from netops.secrets import SecretStore
from netops.store.db import open_store
from tests.runbooks.rb_testlib import (
    PATIENT_SSH,
    PLAYBOOKS,
    build_service,
    webhook,
    write_inventory,
    write_secrets,
)

CLI = "from netops.cli.runbook import app; app(prog_name='netops runbook')"


def runbook_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_killed_run_resumes_without_repeating_finished_steps(tmp_path: Path) -> None:
    inventory, _ = write_inventory(tmp_path / "inventory")
    state = tmp_path / "state"
    env = {
        **os.environ, "NETOPS_SECRETS_FILE": str(write_secrets(tmp_path / "secrets.yaml")),
        "NETOPS_INVENTORY": str(inventory), "NETOPS_STATE_DIR": str(state), "NETOPS_PLAYBOOKS": str(PLAYBOOKS),
        "NETOPS_DATABASE_URL": "", **PATIENT_SSH,
    }  # fmt: skip
    env.pop("NETOPS_DATABASE_URL")
    with webhook() as hook, (tmp_path / "cli.log").open("wb") as log:
        env.update(hook.env)  # the notify target hook: this receiver
        proc = subprocess.Popen(
            [sys.executable, "-c", CLI, "run", "approve-flow", "--param", "site=hami",
             "--as", "duty"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:

            def waiting() -> rec.RunView | None:
                assert proc.poll() is None, (tmp_path / "cli.log").read_text()
                if not (state / "netops.db").exists():
                    return None
                store = open_store(f"sqlite:///{state / 'netops.db'}")
                try:
                    found = rec.list_runs(store)
                finally:
                    store.close()
                return found[0] if found and found[0].state == "waiting" else None

            run = wait_until("the run to reach its approval step", waiting, every=0.1)
            os.kill(proc.pid, signal.SIGKILL)  # a crash: nothing is cleaned up
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
        assert hook.messages() == ["starting at hami with token None"]

        listed = runbook_cli("runs", "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        (row,) = json.loads(listed.stdout)
        assert row["id"] == run.id and row["state"] == "waiting" and row["interrupted"] is True

        approved = runbook_cli("approve", run.id, "--input", "ticket=CT-7", "--as", "erin", env=env)
        assert approved.returncode == 0, approved.stderr
        resumed = runbook_cli("resume", run.id, "--json", env=env)
        assert resumed.returncode == 0, resumed.stderr + resumed.stdout
        result = json.loads(resumed.stdout)
        assert result["state"] == "succeeded"
        assert hook.messages() == ["starting at hami with token None", "ticket CT-7 opened", "run over"]

    attempts = [(s["step"], s["state"]) for s in result["steps"]]
    assert attempts == [
        ("announce", "succeeded"), ("polled", "succeeded"), ("approve", "interrupted"), ("approve", "succeeded"),
        ("done", "succeeded"), ("closing", "succeeded"),
    ]  # fmt: skip
    assert (
        result["approvals"][0]["actor"] == cli_actor()
    )  # ``--as erin`` is a note in the audit, not the actor
    text = runbook_cli("transcript", run.id, env=env).stdout
    assert "continues at steps approve" in text and f"approved by {cli_actor()} (admin): ticket=CT-7" in text


def test_running_service_continues_a_run_a_killed_cli_process_left(tmp_path: Path) -> None:
    """A run started by ``netops runbook run`` whose process died is continued by the service that is already
    running, whoever started it: its periodic job (``launch_pending``, every 15 s in ``netops serve``) claims
    it; the start-up hook (``resume_interrupted``) does the same at start."""
    inventory, _ = write_inventory(tmp_path / "inventory")
    secrets_file = write_secrets(tmp_path / "secrets.yaml")
    state = tmp_path / "state"
    env = {**os.environ, "NETOPS_SECRETS_FILE": str(secrets_file), "NETOPS_INVENTORY": str(inventory),
           "NETOPS_STATE_DIR": str(state), "NETOPS_PLAYBOOKS": str(PLAYBOOKS), **PATIENT_SSH}  # fmt: skip
    env.pop("NETOPS_DATABASE_URL", None)
    with webhook() as hook:
        env.update(hook.env)  # the notify target hook: this receiver
        proc = subprocess.Popen(
            [sys.executable, "-c", CLI, "run", "approve-flow", "--param", "site=hami"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not hook.received:
                time.sleep(0.05)
            while time.monotonic() < deadline:  # the approval step is reached and stored
                store = open_store(f"sqlite:///{state / 'netops.db'}")
                runs = rec.list_runs(store)
                store.close()
                if runs and runs[0].state == "waiting":
                    break
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        svc = build_service(tmp_path, load_inventory(inventory), SecretStore(secrets_file),
                            db_url=f"sqlite:///{state / 'netops.db'}")  # fmt: skip

        async def restart() -> rec.RunView:
            resumed = await svc.launch_pending()
            assert len(resumed) == 1
            assert await svc.launch_pending() == []  # claimed once: the next round leaves it alone
            async with asyncio.timeout(10):
                while True:
                    if rec.get_run(svc.store, resumed[0]).state == "waiting":
                        break
                    await asyncio.sleep(0.05)
            svc.engine.approve(resumed[0], None, actor="erin", role=Role.ENGINEER, inputs={"ticket": "CT-8"})
            return await svc.wait(resumed[0])

        done = asyncio.run(restart())
        assert done.state == "succeeded"
        assert hook.messages() == ["starting at hami with token None", "ticket CT-8 opened", "run over"]
    assert [s.step for s in rec.steps_of(svc.store, done.id)].count("announce") == 1
    text = " ".join(line["text"] for line in rec.transcript(svc.store, done.id))
    assert "gone): resumed by the service" in text
    svc.store.close()
