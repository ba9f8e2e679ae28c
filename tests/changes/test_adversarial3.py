"""Adversarial round 3 (issue 18): an unlock never frees a live push's lock without --force, and a forced one
stops that push before it touches the device again (F1); a rollback refuses to undo later changes unless
forced, and then marks them undone (F5); a change that cuts its device off is read back after its trial
timer: ``reverted`` with the failed post-checks, never "process died" (F6). One lab for the module."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netops.auth import audit
from netops.changes import records
from netops.changes.lines import LinesChange, push_lines
from netops.changes.owner import this_process
from netops.changes.push import PushOptions, PushResult
from netops.changes.rollback import rollback_change
from netops.cli.config import app
from netops.drivers.cli import CliSession, Timeouts
from netops.drivers.platforms import driver_for
from netops.errors import ConflictError
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from netops.lab.state import LabEvent, LabEventKind
from netops.lab.testing import InProcessLab, LoopThread, in_process_lab, start_on_free_subnet, wait_until
from netops.store.db import Store, open_store
from netops.store.schema import ConfigLock
from tests.changes.changes_testlib import (
    LIVE_CONFIRM_S,
    LIVE_TIMEOUTS,
    Lab,
    write_inventory,
    write_secrets,
)
from tests.changes.conftest import TEMPLATES

runner = CliRunner()
# a device that the change cuts off is waited out on its SSH banner and on a command; the phases a silent
# device never reaches (TCP connect: the lab's listener accepts; password authentication) are long, so that the
# login before the change, on a loaded machine, does not fail for being slow
CUT_OFF = Timeouts(connect=30.0, banner=1.0, auth=30.0, command=4.0)


@pytest.fixture(scope="module")
def mlab(tmp_path_factory: pytest.TempPathFactory, loop_thread: LoopThread) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("adv3")
    secrets = write_secrets(tmp / "secrets.yaml")
    with contextlib.ExitStack() as stack:

        def start(n: int) -> tuple[int, Path, Inventory, InProcessLab]:
            inv_dir = write_inventory(tmp / f"inventory-{n}", n, TEMPLATES)
            inventory = load_inventory(inv_dir)
            running = stack.enter_context(in_process_lab(inventory, secrets, codecs=False, loop=loop_thread))
            return n, inv_dir, inventory, running

        n, inv_dir, inventory, running = start_on_free_subnet(start)
        yield Lab(running.world, running.ssh, running.snmp, loop_thread, n, inventory, inv_dir, secrets)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    (tmp_path / "state").mkdir()
    return tmp_path / "state"


def _store(state: Path) -> Store:
    return open_store(f"sqlite:///{state / 'netops.db'}")


def _push(lab: Lab, store: Store, device: str, lines: list[str], **opts: object) -> tuple[str, PushResult]:
    # the kit's trial and timeouts unless a test passes its own: a device that answers is never failed for being
    # slow, and its trial cannot run out before the confirm (15 s could, with a slow post-check)
    defaults = {"confirm_s": LIVE_CONFIRM_S, "minute_s": 1.0, "timeouts": LIVE_TIMEOUTS}
    options = PushOptions(**{**defaults, **opts})  # type: ignore[arg-type]
    change = LinesChange(device, tuple(lines), "tester", "adv3", options=options)
    return asyncio.run(push_lines(lab.inventory, lab.secrets, store, change))


def test_unlock_refuses_a_live_owner_and_one_it_cannot_check_without_force(state: Path) -> None:
    store = _store(state)
    with store.session() as s:
        s.add(
            ConfigLock(
                device="r1", change_id="chg-live", acquired_at=0, expires_at=9e12, owner=this_process()
            )
        )
        other = {"host": "another-host", "pid": 4242, "started": 1}
        s.add(ConfigLock(device="r2", change_id="chg-far", acquired_at=0, expires_at=9e12, owner=other))
    store.close()
    args = ["--state-dir", str(state), "-i", str(state / "none"), "--reason", "stuck"]
    live = runner.invoke(app, ["unlock", "r1", *args])
    assert live.exit_code == 1
    assert f"pid {this_process()['pid']}" in live.output and "chg-live" in live.output
    far = runner.invoke(app, ["unlock", "r2", *args])
    assert far.exit_code == 1 and "--force" in far.output and "chg-far" in far.output
    forced = runner.invoke(app, ["unlock", "r2", *args, "--force"])
    assert forced.exit_code == 0 and "forced" in forced.output
    store = _store(state)
    try:
        assert [lock["device"] for lock in records.list_locks(store)] == ["r1"]
        rows = audit.entries(store, actor=f"cli:{getpass.getuser()}")
        assert sorted((r.target, r.outcome, r.detail["force"]) for r in rows) == [
            ("r1", "refused", False),
            ("r2", "forced", True),
            ("r2", "refused", False),
        ]
    finally:
        store.close()


def test_a_forced_unlock_stops_the_live_push_before_it_touches_the_device_again(
    mlab: Lab, state: Path
) -> None:
    store = _store(state)
    device = "centre-core1"  # VRP8: the trial commit reverts by itself, never confirmed

    def on_event(event: LabEvent) -> None:  # the change is on the device: an engineer breaks its lock
        if event.kind is LabEventKind.CONFIG_CHANGED and event.device == device:
            with contextlib.suppress(Exception):
                records.force_unlock(store, device, force=True, note="lock broken by test")

    stop = mlab.world.subscribe(on_event)
    try:
        before = mlab.running(device)
        change_id, result = _push(
            mlab, store, device, ["interface GE0/0/1", " description adv3-f1"], confirm_s=2.0
        )
    finally:
        stop()
    try:
        assert result.outcome == "failed"
        assert "lock was broken" in (result.detail or "") and "not touched again" in (result.detail or "")
        row = records.get_change(store, change_id)["devices"][0]
        assert "lock was broken" in row["detail"] and row["phase"] == "done"
        wait_until("the trial timer's revert", lambda: mlab.running(device) == before)
    finally:
        store.close()


def test_rollback_refuses_to_undo_a_later_change_unless_forced(
    mlab: Lab, state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_SECRETS_FILE", str(mlab.secrets.path))
    device = "kashgar-kashi-ce1"
    store = _store(state)
    try:
        first, r1 = _push(mlab, store, device, ["interface Gi0/0/0", " description adv3-k"])
        later, r2 = _push(mlab, store, device, ["interface Gi0/0/0", " description adv3-later"])
        assert (r1.outcome, r2.outcome) == ("confirmed", "confirmed")
    finally:
        store.close()
    args = ["rollback", first, "-d", device, "-i", str(mlab.inventory_dir), "--state-dir", str(state)]
    args += ["--no-snmp-checks", "--confirm-s", str(LIVE_CONFIRM_S), "--minute-s", "1"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and later in refused.output, refused.output
    assert "description adv3-later" in mlab.running(device)
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "adv3-later" not in mlab.running(device) and "adv3-k" not in mlab.running(device)
    store = _store(state)
    try:
        (dev,) = records.get_change(store, later)["devices"]
        assert dev["outcome"] == "rolled-back" and "undone by" in dev["detail"]
        assert records.get_change(store, first)["devices"][0]["outcome"] == "rolled-back"
    finally:
        store.close()


def test_a_change_that_cuts_its_device_off_is_read_back_after_its_trial_timer(
    mlab: Lab, state: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    device = "hotan-ce1"  # VRP8; its only uplink to the centre
    before = mlab.running(device)
    store = _store(state)
    try:
        change_id, result = _push(
            mlab, store, device, ["interface GE0/0/0", " shutdown"], confirm_s=8.0, timeouts=CUT_OFF
        )
        assert result.outcome == "reverted", result.detail
        assert "reverted by its trial timer" in (result.detail or "")
        assert mlab.running(device) == before
        row = records.get_change(store, change_id)["devices"][0]
        assert row["outcome"] == "reverted" and row["phase"] == "done"
        assert row["checks"] and not all(c["ok"] for c in row["checks"])
        assert "process died" not in row["detail"]
    finally:
        store.close()
    assert "Traceback" not in capfd.readouterr().err


def test_rollback_refuses_a_device_changed_by_hand_since(mlab: Lab, state: Path) -> None:
    device = "hotan-hetian-ce1"  # IOS
    store = _store(state)
    try:
        first, r1 = _push(mlab, store, device, ["interface Gi0/0/0", " description adv3-k2"])
        assert r1.outcome == "confirmed"
        dev = mlab.inventory.device(device)
        driver = driver_for(dev.platform)
        with CliSession.open(
            dev, mlab.inventory, mlab.secrets, LIVE_TIMEOUTS
        ) as s:  # an engineer, outside netops
            running = driver.running(s)
            lines = ["interface Gi0/0/0", "description by-hand"]
            pending = driver.begin(s, lines, lines, running, 60, 1)
            driver.confirm(s, pending)
        with pytest.raises(ConflictError, match=f"{device}: runs neither what change {first} left"):
            asyncio.run(
                rollback_change(mlab.inventory, mlab.secrets, store, first, user="t", devices=[device])
            )
        assert "description by-hand" in mlab.running(device)
        run = asyncio.run(
            rollback_change(
                mlab.inventory, mlab.secrets, store, first, user="t", devices=[device], force=True
            )
        )
        assert run.results[device].outcome == "confirmed", run.results[device].detail
        assert "by-hand" not in mlab.running(device) and "adv3-k2" not in mlab.running(device)
    finally:
        store.close()
