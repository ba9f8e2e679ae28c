"""A killed service resumes its emergency runbook without being refused by its own stale lock (issue 18, item 2,
last sentence): ``python -m netops serve`` runs a runbook whose ``config_push`` step types its change on the
lab's device, which holds its answers from the change's first line on (the step stays in ``applying``, holding
the device's lock, however long the machine takes to see it there), is killed (SIGKILL) there, and is started
again on the same state folder. The start reconciles the dead process's change (``interrupted``, its lock
released) before the run continues; the push step runs again, takes the lock and the run succeeds; no lock is
left and the device runs the change (read from the lab).

Nothing here depends on speed: the device answers at full speed until the change is on it (a late SNMP answer
would fail the push's baseline before it types anything), and the lab's revert-timer minute is the service's
(60 s), so the second push's trial does not run out during its post-checks."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import httpx

from netops.changes import records
from netops.lab.state import LabEvent, LabEventKind
from netops.runbooks import records as rec
from netops.store.db import Store, open_store
from netops.store.schema import ConfigChangeDevice
from tests.conftest import run_netops
from tests.runbooks.ce_testlib import lab_region
from tests.runbooks.rb_testlib import PATIENT_SSH, SERVICE_MINUTE_S, running_config, running_lab
from tests.runbooks.test_service_kill_resume import run_state, service, wait_for

DEVICE = "hami-ce1"
HOLD_MS = 3_600_000.0  # the device's answers from the change's first line on: later than anything here waits
PLAYBOOK = """\
id: emergency-push
title: Emergency change on one device
severity: critical
plan_section: "test"
parameters:
  - {name: device, type: device}
triggers:
  - manual: true
steps:
  - id: push
    kind: config_push
    device: "{{ params.device }}"
    template: |
      interface {{ uplink(params.device).interface }}
       description emergency reroute
    confirm: 60
goal: {none: "a test runbook: no network state to reach"}
"""


def _held(store: Store) -> dict[str, tuple[str, str]]:
    """Per device whose lock is held: (the change holding it, that device's journal phase in it)."""
    locks = {lock["device"]: lock["change"] for lock in records.list_locks(store)}
    with store.session() as s:
        phases = {(r.change_id, r.device): r.phase or "" for r in s.query(ConfigChangeDevice)}
    return {d: (c, phases.get((c, d), "")) for d, c in locks.items()}


def test_a_killed_service_resumes_its_push_without_being_refused_by_its_own_lock(tmp_path: Path) -> None:
    inventory, secrets, inv_dir, secrets_file = lab_region(tmp_path)
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    (playbooks / "emergency-push.yaml").write_text(PLAYBOOK, encoding="utf-8")
    state = tmp_path / "state"
    env = {**os.environ, "NETOPS_SECRETS_FILE": str(secrets_file), "NETOPS_PLAYBOOKS": str(playbooks),
           "NETOPS_POLL_ENABLED": "false", "NETOPS_STATE_DIR": str(state), **PATIENT_SSH}  # fmt: skip
    env.pop("NETOPS_DATABASE_URL", None)
    with running_lab(inventory, secrets, [DEVICE], [DEVICE], minute_seconds=SERVICE_MINUTE_S) as lab:
        device = lab.world.devices[DEVICE]
        held_once: list[LabEvent] = []

        def hold(event: LabEvent) -> None:  # in the lab's thread, as the line is applied (before its answer)
            if event.kind is LabEventKind.CONFIG_CHANGED and event.device == DEVICE and not held_once:
                held_once.append(event)  # the first change of this device here: the push's line typed
                device.slow_ms = HOLD_MS  # the answers after it do not come: the push stays in "applying"

        unsubscribe = lab.world.subscribe(hold)
        with service(inv_dir, state, env, tmp_path / "serve1.log") as (proc, base):
            made = run_netops("token", "create", "--name", "duty", "--role", "operator", "--json", env=env)
            assert made.returncode == 0, made.stderr
            headers = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}
            started = httpx.post(
                f"{base}/runbooks/emergency-push/runs",
                json={"params": {"device": DEVICE}},
                headers=headers,
                timeout=10,
            )
            assert started.status_code == 202, started.text
            run_id = started.json()["id"]
            store = open_store(f"sqlite:///{state / 'netops.db'}")
            try:

                def typing() -> tuple[str, str] | None:
                    assert proc.poll() is None, (tmp_path / "serve1.log").read_text()
                    held = _held(store).get(DEVICE)
                    if held_once and held and held[1] == "applying":  # the line is in, the answer held
                        return held
                    run = run_state(base, headers, run_id)  # a push that ended never gets there: say why
                    assert run["state"] not in rec.FINAL, f"the run ended before its push typed: {run}"
                    return None

                first_change, phase = wait_for("the push typing its change, holding the lock", typing)
                os.kill(proc.pid, signal.SIGKILL)  # a crash while the push step holds the lock
                proc.wait(10)
                assert _held(store)[DEVICE][0] == first_change  # the dead service's lock is still there
            finally:
                store.close()
        unsubscribe()
        device.slow_ms = 0  # the device answers again (the dead service's session is gone)

        with service(inv_dir, state, env, tmp_path / "serve2.log") as (_proc, base):
            done: dict[str, Any] = wait_for(
                "the resumed run over",
                lambda: (r := run_state(base, headers, run_id))["state"] in rec.FINAL and r,
            )
        assert done["state"] == "succeeded", done
        assert "description emergency reroute" in running_config(inventory, secrets, DEVICE)

    attempts = [(s["step"], s["state"]) for s in done["steps"]]
    assert attempts == [("push", "interrupted"), ("push", "succeeded")], attempts
    second_change = done["steps"][-1]["output"]["change_id"]
    assert second_change != first_change
    store = open_store(f"sqlite:///{state / 'netops.db'}")
    try:
        assert records.list_locks(store) == []  # released: by the reconcile, then by the second push
        old = records.get_change(store, first_change)
        assert old["state"] == "interrupted" and old["reconciled"], old  # reconciled before the run went on
        new = records.get_change(store, second_change)
        assert new["state"] == "done" and new["user"] == f"runbook run {run_id}"
        transcript = " | ".join(str(e["text"]) for e in rec.transcript(store, run_id))
    finally:
        store.close()
    assert "refused" not in transcript and "locked" not in transcript, transcript
    assert phase == "applying" and len(held_once) == 1
