"""``netops config`` through typer's CliRunner against the lab: render, diff, push --plan/--apply, changes,
show, backup, history; secrets masked in every output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netops.cli.config import app
from netops.lab.faults import FaultBook
from tests.changes.changes_testlib import COMMUNITY, LIVE_CONFIRM_S, Lab

# `config diff` of devices that answer waits 30 s per login phase (its --timeout, 5 s by default, could fail a slow
# login on a loaded machine); pushes arm the kit's 120-minute trial (15 could run out before the confirm)
LIVE_DIFF = ("--timeout", "30")

runner = CliRunner()


@pytest.fixture
def env(lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("NETOPS_SECRETS_FILE", str(lab.secrets.path))
    return {"inv": str(lab.inventory_dir), "state": str(tmp_path / "state")}


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert COMMUNITY not in result.output
    return result.exit_code, result.output


def test_render_and_diff(lab: Lab, env: dict[str, str]) -> None:
    code, text = cli("render", "kashgar-kashi-ce1", "-i", env["inv"])
    assert code == 0 and "snmp-server community ****** RO" in text and "hostname kashgar-kashi-ce1" in text
    code, text = cli("render", "kashgar-kashi-ce1", "-i", env["inv"], "--json")
    assert code == 0 and json.loads(text)["template"] == "cisco_ios/default.j2"
    code, text = cli("render", "kashgar-kashi", "-i", env["inv"])
    assert code == 2 and "kashgar-kashi-ce1" in text  # unknown id, with a suggestion
    code, text = cli("diff", "--site", "kashgar-kashi", "-i", env["inv"], *LIVE_DIFF)
    assert code == 0 and "kashgar-kashi-ce1: " in text and "+ snmp-server community ****** RO" in text
    FaultBook(lab.world).apply("node-down", "kashgar-shufu-ce1")
    code, text = cli("diff", "--device", "kashgar-shufu-ce1", "-i", env["inv"], "--json", "--timeout", "1")
    data = json.loads(text)
    assert (
        code == 1
        and data[0]["available"] is False
        and data[0]["diff"].startswith("# kashgar-shufu-ce1: no diff")
    )
    code, text = cli("diff", "-i", env["inv"])
    assert code == 2 and "--device, --site or --all" in text


def test_push_plan_apply_changes_show(lab: Lab, env: dict[str, str]) -> None:
    code, text = cli("push", "--plan", "--all", "-i", env["inv"], "--json")
    assert code == 0, text
    assert next(w["name"] for w in json.loads(text)) == "canary hotan-hetian-ce1"
    code, text = cli("push", "--plan", "--apply", "--all", "-i", env["inv"])
    assert code == 2
    args = ["--device", "kashgar-kashi-ce1", "--device", "hotan-hetian-ce1", "-i", env["inv"]]
    code, text = cli(
        "push",
        "--apply",
        *args,
        "--state-dir",
        env["state"],
        "--confirm-s",
        str(LIVE_CONFIRM_S),
        "--minute-s",
        "1",
    )
    assert code == 0, text
    assert "wave 1" in text and "confirmed   kashgar-kashi-ce1" in text and ": done" in text
    code, text = cli("changes", "--state-dir", env["state"], "--json")
    assert code == 0, text
    change = json.loads(text)[0]
    assert change["state"] == "done" and change["summary"] == {"confirmed": 2}
    code, text = cli("show", change["id"], "--state-dir", env["state"])
    assert code == 0, text
    assert "kashgar-kashi-ce1 confirmed" in text and "+ snmp-server community ****** RO" in text
    assert "ok  uplinks" in text
    code, text = cli("show", "chg-nope", "--state-dir", env["state"])
    assert code == 2
    # two devices rendered at once: once failed here (a SecretStore race)
    code, text = cli("diff", *args, *LIVE_DIFF)
    assert code == 0 and text.count("in sync") == 2, text


def test_backup_and_history(lab: Lab, env: dict[str, str]) -> None:
    code, text = cli("backup", "--site", "kashgar-kashi", "-i", env["inv"], "--state-dir", env["state"])
    assert code == 0 and "kashgar-kashi-ce1: stored" in text
    code, text = cli("history", "kashgar-kashi-ce1", "--state-dir", env["state"], "--json")
    versions = json.loads(text)
    assert code == 0 and len(versions) == 1
    code, text = cli("history", "kashgar-kashi-ce1", "--diff", str(versions[0]["id"]), str(versions[0]["id"]),
                     "-i", env["inv"], "--state-dir", env["state"])  # fmt: skip
    assert code == 0 and "(no difference)" in text
    code, text = cli("drift", "--state-dir", env["state"], "--json")
    assert (
        code == 0
        and json.loads(text)[0]["device"] == "kashgar-kashi-ce1"
        and json.loads(text)[0]["drift_lines"] > 0
    )
    code, text = cli("drift", "--state-dir", env["state"])
    assert code == 0 and "kashgar-kashi-ce1" in text
