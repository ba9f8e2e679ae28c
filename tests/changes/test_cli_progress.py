"""Progress of the many-device ``netops config`` commands (issue 17 item 7): N/M counts on stderr with
``--progress`` (or when stderr is a terminal), never inside ``--json`` output, which stays one parseable
document on stdout; without a terminal and without the flag, stderr stays silent."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from netops.cli.config import app
from tests.changes.changes_testlib import COMMUNITY, LIVE_CONFIRM_S, Lab

runner = CliRunner()
# `config diff` of devices that answer: 30 s per login phase (its --timeout, 5 s by default, could fail a slow login
# on a loaded machine: the "failed once under load with exit 1" of ade3a10)
LIVE_DIFF = ["--timeout", "30"]
SITE = ["--site", "kashgar"]  # a prefecture: its core and its counties' routers
# rich takes these from the environment over isatty(): a CI runner that sets FORCE_COLOR=1 makes CliRunner's
# stderr "a terminal" (the bar instead of lines, and the quiet diff no longer silent)
TERMINAL_OVERRIDES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


@pytest.fixture(autouse=True)
def _terminal_from_isatty(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in TERMINAL_OVERRIDES:
        monkeypatch.delenv(name, raising=False)


def cli(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert COMMUNITY not in result.output
    return result


def counts(stderr: str, label: str) -> list[tuple[int, int]]:
    return [(int(n), int(m)) for n, m in re.findall(rf"^{label} (\d+)/(\d+) ", stderr, re.MULTILINE)]


def test_progress_on_stderr_and_json_stays_parseable(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_SECRETS_FILE", str(lab.secrets.path))
    common = ["-i", str(lab.inventory_dir), "--state-dir", str(tmp_path / "state")]
    # the kit's 120-minute trial (30 could run out before the confirm on a loaded machine)
    quick = ["--confirm-s", str(LIVE_CONFIRM_S), "--minute-s", "1", "--no-snmp-checks"]

    res = cli("backup", *SITE, *common, "--json", "--progress")
    assert res.exit_code == 0, res.output
    devices = [r["device"] for r in json.loads(res.stdout)]
    total = len(devices)
    assert total >= 3
    assert counts(res.stderr, "backup") == [(n, total) for n in range(1, total + 1)]
    assert {line.split()[2] for line in res.stderr.splitlines()} == set(devices)

    res = cli("diff", *SITE, "-i", str(lab.inventory_dir), *LIVE_DIFF, "--json", "--progress")
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)) == total
    assert counts(res.stderr, "diff") == [(n, total) for n in range(1, total + 1)]

    # no terminal, no flag: silent
    quiet = cli("diff", *SITE, "-i", str(lab.inventory_dir), *LIVE_DIFF, "--json")
    assert quiet.exit_code == 0, quiet.output  # the output names the device that failed and why
    assert quiet.stderr == "" and len(json.loads(quiet.stdout)) == total

    two = ["-d", devices[0], "-d", devices[1]]
    res = cli("push", "--apply", *two, *common, *quick, "--json", "--progress")
    assert res.exit_code == 0, res.output
    change = json.loads(res.stdout)["change"]
    assert counts(res.stderr, "push") == [(1, 2), (2, 2)]

    res = cli("rollback", change, *common, *quick, "--json", "--progress")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["rollback_of"] == change
    assert counts(res.stderr, "rollback") == [(1, 2), (2, 2)]


def test_a_terminal_gets_the_bar_and_stdout_keeps_the_json(lab: Lab, tmp_path: Path) -> None:
    """stderr on a pty (stdout a file): the bar with its N/M goes to the terminal, the JSON to the file."""
    device = next(iter(sorted(d for d in lab.inventory.devices if d.startswith("kashgar-kashi"))))
    env = {**os.environ, "NETOPS_SECRETS_FILE": str(lab.secrets.path), "TERM": "xterm", "COLUMNS": "120"}
    for name in ("NO_COLOR", *TERMINAL_OVERRIDES):
        env.pop(name, None)
    args = [
        sys.executable,
        "-m",
        "netops",
        "config",
        "diff",
        "-d",
        device,
        "-i",
        str(lab.inventory_dir),
        *LIVE_DIFF,
        "--json",
    ]
    master, slave = pty.openpty()
    seen: list[bytes] = []

    def drain() -> None:  # the terminal's side, until the command closes its end
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    with (tmp_path / "out.json").open("wb") as stdout:
        proc = subprocess.run(
            args, stdout=stdout, stderr=slave, stdin=subprocess.DEVNULL, env=env, check=False
        )
    os.close(slave)
    reader.join(timeout=30)
    os.close(master)
    assert proc.returncode == 0
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [d["device"] for d in data] == [device]
    terminal = b"".join(seen).decode("utf-8", "replace")
    assert "diff" in terminal and "1/1" in terminal
