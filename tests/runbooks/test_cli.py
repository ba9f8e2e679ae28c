"""``netops runbook`` as a user runs it (a separate process): validate, list, show, plan (writes nothing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.runbooks.rb_testlib import PLAYBOOKS, SHIPPED, write_inventory, write_secrets

HERE = Path(__file__).parent
CLI = "from netops.cli.runbook import app; app(prog_name='netops runbook')"


def runbook_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, check=False)  # fmt: skip


def test_validate_lists_every_problem_with_file_and_line() -> None:
    bad = runbook_cli("validate", str(HERE / "cases" / "duplicate-step-id"))
    assert bad.returncode == 1
    assert "rb.yaml:7: steps.1.id: duplicate step id 'look'" in bad.stdout
    good = runbook_cli("validate", str(SHIPPED), "--json")
    assert good.returncode == 0 and len(json.loads(good.stdout)["runbooks"]) == 6


def test_list_show_and_plan_write_nothing(tmp_path: Path) -> None:
    listed = runbook_cli("list", "--playbooks", str(SHIPPED), "--json")
    assert listed.returncode == 0, listed.stderr
    assert {r["id"]: r["section"] for r in json.loads(listed.stdout)}["ups-on-battery"] == "8.1"
    shown = runbook_cli("show", "device-cpu-high", "--playbooks", str(SHIPPED), "--json")
    assert json.loads(shown.stdout)["steps"][1]["kind"] == "command"
    assert runbook_cli("show", "device-cpu-hgh", "--playbooks", str(SHIPPED)).returncode == 2
    inventory, _ = write_inventory(tmp_path / "inventory")
    env = {
        "NETOPS_SECRETS_FILE": str(write_secrets(tmp_path / "secrets.yaml")),
        "NETOPS_STATE_DIR": str(tmp_path / "s"),
    }
    planned = runbook_cli("run", "approve-flow", "--dry-run", "--playbooks", str(PLAYBOOKS), "--inventory",
                          str(inventory), "--param", "site=hami",
                          "--param", "token=t0p-s3cret-v4lue", "--json", env=env)  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["dry_run"] is True and plan["params"]["token"] == "********"
    rows = {r["step"]: r for r in plan["steps"]}
    assert rows["announce"]["message"] == "starting at hami with token ********"
    assert rows["approve"]["action"] == "would wait for approval" and rows["approve"]["role"] == "engineer"
    assert "t0p-s3cret-v4lue" not in planned.stdout + planned.stderr
    assert not (tmp_path / "s").exists()  # no database was even created
    refused = runbook_cli("plan", "approve-flow", "--playbooks", str(PLAYBOOKS), "--inventory", str(inventory),
                          "--param", "site=atlantis", env=env)  # fmt: skip
    assert refused.returncode == 2 and "no site named 'atlantis'" in refused.stderr  # invalid input: usage
