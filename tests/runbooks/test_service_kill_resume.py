"""The real service (``python -m netops serve``) killed while a run waits for an approval: started again on the
same state folder it continues the run; approved through the API, the run pushes through the change engine
(against the lab's SSH CLI and SNMP agent on 127.77.N.x, served by this test) and succeeds, and no finished
step ran twice (a local webhook receiver counts the notifications). The lab's revert-timer minute is the
service's (60 s): the push's trial does not run out while its post-checks run on a loaded machine."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from netops.lab.testing import service_process, wait_until
from netops.runbooks import records as rec
from netops.store.db import open_store
from tests.conftest import REPO, free_port, run_netops
from tests.runbooks.ce_testlib import SERVICE_PLAYBOOKS, lab_region
from tests.runbooks.rb_testlib import PATIENT_SSH, SERVICE_MINUTE_S, running_config, running_lab, webhook


def wait_for(what: str, check: Callable[[], Any]) -> Any:
    """Wait (the lab kit's generous deadline) until ``check`` returns something truthy; return it."""
    return wait_until(f"the service: {what}", check, every=0.1)


@contextmanager
def service(
    inventory: Path, state: Path, env: dict[str, str], log: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``python -m netops serve`` on a free loopback port; yields the process and its base URL."""
    port = free_port()
    args = ["serve", "--inventory", str(inventory), "--port", str(port), "--state-dir", str(state)]
    with service_process([*args, "--log-level", "warning"], log, port, env=env, cwd=REPO) as svc:
        yield svc.proc, svc.base_url


def run_state(base: str, headers: dict[str, str], run_id: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/runs/{run_id}", headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_service_killed_at_an_approval_resumes_and_pushes_through_the_change_engine(tmp_path: Path) -> None:
    inventory, secrets, inv_dir, secrets_file = lab_region(tmp_path)
    state = tmp_path / "state"
    env = {**os.environ, "NETOPS_SECRETS_FILE": str(secrets_file), "NETOPS_PLAYBOOKS": str(SERVICE_PLAYBOOKS),
           "NETOPS_POLL_ENABLED": "false", "NETOPS_STATE_DIR": str(state), **PATIENT_SSH}  # fmt: skip
    env.pop("NETOPS_DATABASE_URL", None)
    with (
        running_lab(inventory, secrets, ["hami-ce1"], ["hami-ce1"], minute_seconds=SERVICE_MINUTE_S),
        webhook() as hook,
    ):
        with service(inv_dir, state, env, tmp_path / "serve1.log") as (proc, base):
            made = run_netops("token", "create", "--name", "duty", "--role", "operator", "--json", env=env)
            assert made.returncode == 0, made.stderr
            headers = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}
            started = httpx.post(
                f"{base}/runbooks/approve-then-push/runs",
                json={"params": {"device": "hami-ce1"}},
                headers=headers,
                timeout=10,
            )
            assert started.status_code == 202, started.text
            run_id = started.json()["id"]
            wait_for("the run waiting", lambda: run_state(base, headers, run_id)["state"] == "waiting")
            os.kill(proc.pid, signal.SIGKILL)  # a crash: nothing is cleaned up
            proc.wait(10)
        assert hook.messages() == ["starting on hami-ce1"]

        with service(inv_dir, state, env, tmp_path / "serve2.log") as (_proc, base):
            wait_for(  # continued at start
                "the run waiting again", lambda: run_state(base, headers, run_id)["state"] == "waiting"
            )
            approved = httpx.post(
                f"{base}/runs/{run_id}/approve", json={"inputs": {}}, headers=headers, timeout=10
            )
            assert approved.status_code == 200, approved.text
            done = wait_for(
                "the run over", lambda: (r := run_state(base, headers, run_id))["state"] in rec.FINAL and r
            )
        assert done["state"] == "succeeded", done
        change_id = next(s for s in done["steps"] if s["step"] == "push")["output"]["change_id"]
        assert hook.messages() == ["starting on hami-ce1", f"pushed {change_id}", "run over"]
        assert "description approved by token:duty" in running_config(inventory, secrets, "hami-ce1")

    attempts = [(s["step"], s["state"]) for s in done["steps"]]
    assert attempts == [
        ("announce", "succeeded"), ("approve", "interrupted"), ("approve", "succeeded"), ("push", "succeeded"),
        ("done", "succeeded"), ("closing", "succeeded"),
    ]  # fmt: skip
    listed = run_netops("config", "changes", "--state-dir", str(state), "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    (change,) = json.loads(listed.stdout)
    assert change["id"] == change_id and change["user"] == f"runbook run {run_id}"
    store = open_store(f"sqlite:///{state / 'netops.db'}")
    try:
        transcript = " | ".join(str(e["text"]) for e in rec.transcript(store, run_id))
    finally:
        store.close()
    assert "continues at steps approve" in transcript
