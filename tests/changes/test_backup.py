"""Backups: versions only when the configuration changed, volatile lines dropped, secrets masked, error
outputs rejected, unreachable devices recorded; drift per device; diffs between versions."""

from __future__ import annotations

import pytest

from netops.changes import backup
from netops.drivers.cli import Timeouts
from netops.lab.faults import FaultBook
from netops.store.db import Store
from tests.changes.changes_testlib import COMMUNITY, LIVE_TIMEOUTS, ROUTERS, Lab, one_wave, push_devices

# A device that answers is given as long as a loaded machine needs to log in (LIVE_TIMEOUTS); with a silent one
# in the run the SSH banner wait is short (it is waited out), every other phase long (they cost nothing then)
SILENT_BANNER = Timeouts(connect=30.0, banner=1.0, auth=30.0, command=60.0)


def test_backup_versions_drift_and_history(lab: Lab, store: Store) -> None:
    first = {
        r.device: r for r in backup.run_backups(lab.inventory, lab.secrets, store, timeouts=LIVE_TIMEOUTS)
    }
    assert {r.outcome for r in first.values()} == {"stored"} and set(first) == set(ROUTERS)
    assert all((r.drift_lines or 0) > 0 for r in first.values())  # the lab starts away from the templates
    again = backup.run_backups(lab.inventory, lab.secrets, store, timeouts=LIVE_TIMEOUTS)
    assert {r.outcome for r in again} == {"unchanged"}  # timestamps differ, but they are volatile
    push_devices(lab, store, one_wave("kashgar-kashi-ce1"))
    third = {
        r.device: r for r in backup.run_backups(lab.inventory, lab.secrets, store, timeouts=LIVE_TIMEOUTS)
    }
    assert third["kashgar-kashi-ce1"].outcome == "stored" and third["kashgar-kashi-ce1"].drift_lines == 0
    assert third["kashgar-ce1"].outcome == "unchanged"
    versions = backup.history(store, "kashgar-kashi-ce1")
    assert len(versions) == 2
    _, text = backup.version_text(store, versions[0]["id"])
    assert "snmp-server community ****** RO" in text and COMMUNITY not in text
    assert "Last configuration change" not in text
    changed = backup.diff_versions(store, lab.inventory, versions[1]["id"], versions[0]["id"])
    assert "+ logging host 127.1.0.6" in changed
    status = {s["device"]: s for s in backup.device_status(store)}
    assert status["kashgar-kashi-ce1"]["drift_lines"] == 0 and status["kashgar-ce1"]["drift_lines"] > 0


def test_unreachable_device_is_recorded_not_stored(lab: Lab, store: Store) -> None:
    FaultBook(lab.world).apply("node-down", "hotan-ce1")
    results = {
        r.device: r
        for r in backup.run_backups(
            lab.inventory, lab.secrets, store, ["hotan-ce1", "kashgar-ce1"], timeouts=SILENT_BANNER
        )
    }
    assert results["hotan-ce1"].outcome == "failed" and "no answer" in (results["hotan-ce1"].detail or "")
    assert results["kashgar-ce1"].outcome == "stored"
    assert backup.history(store, "hotan-ce1") == []
    status = {s["device"]: s for s in backup.device_status(store)}
    assert status["hotan-ce1"]["last_backup_ok_at"] is None and status["hotan-ce1"]["last_backup_error"]


@pytest.mark.parametrize(
    "output",
    [
        "% Authorization failed.\n",
        "Error: You do not have permission to run the command or the command is incomplete.\n",
        "",
        "interface GigabitEthernet0/0/1\n description no-hostname-so-not-a-whole-config\n",
    ],
)
def test_error_outputs_are_rejected(output: str) -> None:
    with pytest.raises(backup.BackupRejected, match="not a configuration"):
        backup.clean(output, [])


def test_clean_drops_volatile_lines_and_masks() -> None:
    text = "!Last configuration was updated at 2026-11-25 by x\nsysname r1\nsnmp-agent community read cipher Q1\n"
    assert backup.clean(text, ["Q1"]) == "sysname r1\nsnmp-agent community read cipher ******\n"


def test_backup_job_runs_off_the_event_loop(lab: Lab, store: Store) -> None:
    import asyncio

    results = asyncio.run(backup.backup_job(lab.inventory, lab.secrets, store))
    assert sorted(r.device for r in results) == sorted(ROUTERS) and {r.outcome for r in results} == {"stored"}
