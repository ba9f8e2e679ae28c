"""``netops vc`` through typer's CliRunner on ``netops.cli.vc.app`` (the lead wires it under ``netops vc``),
against the lab's codecs served from a background thread: add, list, precheck, board, checklist, remove."""

from __future__ import annotations

import csv
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from netops.cli.vc import app
from netops.lab.faults import FaultBook
from netops.secrets import SecretStore
from tests.vc.conftest import INVENTORY


@pytest.fixture
def cli(tmp_path: Path, secrets: SecretStore, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("NETOPS_SECRETS_FILE", str(secrets.path))
    monkeypatch.setenv("NETOPS_INVENTORY", str(INVENTORY))
    monkeypatch.setenv("NETOPS_STATE_DIR", str(tmp_path / "state"))
    return CliRunner()


def test_cli_add_precheck_board_checklist_remove(
    cli: CliRunner, faults: FaultBook, threaded_lab: None, tmp_path: Path
) -> None:
    start = datetime.fromtimestamp(time.time() + 1800, UTC).isoformat()
    added = cli.invoke(app, ["add", "--id", "drill", "--title", "演练", "--start", start, "--rooms",
                             "kashgar-vc,aksu-vc", "--json"])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["rooms"] == ["kashgar-vc", "aksu-vc"]
    assert cli.invoke(app, ["add", "--id", "drill", "--title", "x", "--start", start]).exit_code == 1
    bad = cli.invoke(app, ["add", "--id", "x", "--title", "x", "--start", "2030-01-01T10:00"])
    assert bad.exit_code == 2 and "time zone" in bad.output
    listed = json.loads(cli.invoke(app, ["list", "--json"]).stdout)
    assert [c["id"] for c in listed] == ["drill", "region-weekly"]

    faults.apply("standby", "aksu-vc")
    faults.apply("codec-unregistered", "kashgar-vc")
    ran = cli.invoke(app, ["precheck", "drill", "--json", "--progress"])
    assert ran.exit_code == 1  # a room is RED
    data = json.loads(ran.stdout)  # the progress went to stderr: N/M rooms, each with its colour
    lines = ran.stderr.splitlines()
    assert [line.split()[:2] for line in lines] == [["precheck", "1/2"], ["precheck", "2/2"]]
    assert {line.split()[2]: line.split()[3] for line in lines} == {"kashgar-vc": "RED", "aksu-vc": "AMBER"}
    assert {k: v for k, v in data["counts"].items() if v} == {"RED": 1, "AMBER": 1}
    assert [g["prefecture"] for g in data["prefectures"]] == ["kashgar", "aksu"]

    shown = cli.invoke(app, ["board", "drill"])
    assert shown.exit_code == 1
    assert shown.stdout.index("kashgar") < shown.stdout.index("aksu")
    assert "registration: codec unregistered" in shown.stdout and "standby: codec in standby" in shown.stdout
    assert "s" in shown.stdout.split("kashgar-vc")[1].splitlines()[0]  # last-check age on the room's line

    out = tmp_path / "drill.csv"
    written = cli.invoke(app, ["checklist", "drill", "--out", str(out), "--json"])
    assert written.exit_code == 0 and json.loads(written.stdout) == {"file": str(out), "rooms": 2}
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").lstrip("\ufeff").splitlines()))
    assert [(r["room"], r["colour"], r["failing_checks"]) for r in rows] == [
        ("kashgar-vc", "RED", "registration"), ("aksu-vc", "AMBER", "standby")]  # fmt: skip

    assert cli.invoke(app, ["remove", "region-weekly"]).exit_code == 1  # defined in a file
    assert cli.invoke(app, ["remove", "drill"]).exit_code == 0
    missing = cli.invoke(app, ["board", "drill"])
    assert missing.exit_code == 2 and "no conference named 'drill'" in missing.output


def test_board_words_a_running_conference_in_the_region_time_zone(cli: CliRunner) -> None:
    """A running conference is "running since ... ends ..." in the region's zone, never "starts in -10 min"."""
    from netops.cli.common import load
    from netops.vc.board import region_timezone

    zone = ZoneInfo(region_timezone(load(INVENTORY)))
    began = time.time() - 600
    start = datetime.fromtimestamp(began, UTC).isoformat()
    added = cli.invoke(
        app, ["add", "--id", "live", "--title", "live", "--start", start, "--duration-min", "90"]
    )
    assert added.exit_code == 0, added.output
    shown = cli.invoke(app, ["board", "live"])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    since = datetime.fromtimestamp(began, zone).strftime("%Y-%m-%d %H:%M")
    ends = datetime.fromtimestamp(began + 5400, zone)
    assert f"running since {since} (10 min), ends " in text and "starts in" not in text
    assert ends.strftime("%H:%M") in text.split("ends ")[1] and str(zone) in text


@pytest.mark.parametrize(
    ("now", "phase", "text"),
    [
        (1000.0, "upcoming", "starts 2026-12-06 10:00 (in 30 min)"),
        (3400.0, "running", "running since 2026-12-06 10:00 (10 min), ends 11:30"),
        (9000.0, "ended", "ended 2026-12-06 11:30"),
    ],
)
def test_schedule_phases(now: float, phase: str, text: str) -> None:
    from netops.vc.board import schedule

    base = datetime(2026, 12, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp() - 2800
    assert schedule(base + 2800, base + 2800 + 5400, base + now, "Asia/Shanghai") == (phase, text)
