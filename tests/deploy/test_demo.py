"""``netops demo`` restarted: the commands it prints run as printed (from another folder, with no venv on the
PATH), and the second run keeps the first run's token and conference (nothing revoked, nothing duplicated)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import httpx

from tests.conftest import DEMO_INVENTORY, demo_env, demo_service, run_netops


def _printed_commands(output: str) -> list[list[str]]:
    """The indented lines of the demo's banner that start with an absolute path to netops."""
    found = []
    for line in output.splitlines():
        text = line.strip()
        if text.startswith("/") and ("/netops " in text or " -m netops " in text):
            found.append(shlex.split(text))
    return found


def test_demo_prints_runnable_commands_and_keeps_token_and_conference(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = demo_env(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    bare_env = {k: v for k, v in os.environ.items() if not k.startswith("NETOPS_")}
    bare_env.update(PATH="/usr/bin:/bin", NETOPS_SECRETS_FILE=env["NETOPS_SECRETS_FILE"], COLUMNS="200")

    def run_as_printed(cmd: list[str]) -> subprocess.CompletedProcess[str]:
        """A printed command, run from another folder without the venv or any NETOPS_ setting."""
        return subprocess.run(
            cmd, capture_output=True, text=True, cwd=elsewhere, env=bare_env, timeout=120, check=False
        )

    outputs: list[str] = []
    for run in (1, 2):
        with demo_service(state, tmp_path / f"demo{run}.log", env) as svc:
            token = (state / "demo-token").read_text().strip()
            status = httpx.get(
                f"{svc.base_url}/status", headers={"Authorization": f"Bearer {token}"}, timeout=10
            )
            assert status.status_code == 200, status.text
            if run == 1:
                commands = _printed_commands(svc.output())
                verbs = [c[1:3] if c[1] != "-m" else c[3:5] for c in commands]
                assert ["status", "--problems"] in verbs and ["incidents", "--state-dir"] in verbs, commands
                for cmd in commands:
                    if "fault" in cmd or "status" in cmd:
                        continue  # faults change the lab; status exits 1 while polls are pending
                    res = run_as_printed(cmd)
                    assert res.returncode == 0, f"{shlex.join(cmd)}: {res.stdout}{res.stderr}"
                for cmd in (
                    next(c for c in commands if "fault" in c and "add" in c),
                    next(c for c in commands if "clear" in c),
                ):
                    res = run_as_printed(cmd)
                    assert res.returncode == 0, res.stdout + res.stderr
                res = run_as_printed(next(c for c in commands if "status" in c))
                assert res.returncode in (0, 1) and "error" not in res.stderr, res.stdout + res.stderr
        outputs.append(svc.output())

    tokens = [re.search(r"token\s+(nto_\S+)", o) for o in outputs]
    assert tokens[0] and tokens[1], outputs
    assert tokens[0].group(1) == tokens[1].group(1)  # kept, not revoked and replaced
    assert (state / "demo-token").stat().st_mode & 0o777 == 0o600
    listed = run_netops("token", "list", "--state-dir", str(state), "--json", env=env)
    demo_tokens = [t for t in json.loads(listed.stdout) if t["name"].startswith("demo")]
    assert len(demo_tokens) == 1 and not demo_tokens[0]["revoked"], demo_tokens

    confs = run_netops(
        "vc", "list", "--inventory", str(DEMO_INVENTORY), "--state-dir", str(state), "--json", env=env
    )
    assert confs.returncode == 0, confs.stderr
    ids = [c["id"] for c in json.loads(confs.stdout)]
    assert ids.count("demo-region") == 1 and not [
        i for i in ids if i.startswith("demo-") and i != "demo-region"
    ]
    assert "conference demo-region" in outputs[1]
