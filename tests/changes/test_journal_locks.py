"""Locks that know their owner (issue 18, item 2): a lock of a live process refuses, a lock whose process is
gone is taken over at once (not after ``LOCK_TTL_S``); ``netops config unlock`` releases by hand and is
audited; a push whose every device is refused exits 1 and is audited; migration 0009 goes down and up."""

from __future__ import annotations

import getpass
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect
from typer.testing import CliRunner

from netops.auth import audit
from netops.changes import records
from netops.changes.owner import gone, start_ticks, this_process
from netops.cli.config import app
from netops.store.db import Store, alembic_config, migrate, open_store
from netops.store.schema import ConfigLock
from tests.changes.changes_testlib import Lab

runner = CliRunner()


def _dead_owner() -> dict[str, object]:
    """The identity of a process that ran and exited (its pid is free, or reused by another start)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    owner = {**this_process(), "pid": proc.pid, "started": start_ticks(proc.pid)}
    proc.kill()
    proc.wait()
    return owner


def _lock(store: Store, device: str, change: str, owner: dict[str, object]) -> None:
    with store.session() as s:
        s.add(ConfigLock(device=device, change_id=change, acquired_at=0.0, expires_at=9e12, owner=owner))


def test_a_live_owner_s_lock_refuses_a_dead_owner_s_lock_is_taken_over(store: Store) -> None:
    assert not gone(this_process())
    dead = _dead_owner()
    assert gone(dead)
    assert not gone({**dead, "host": "another-host"})  # cannot be checked from here: alive (TTL)
    _lock(store, "r1", "chg-live", this_process())
    assert records.acquire_lock(store, "r1", "chg-new") == "chg-live"
    _lock(store, "r2", "chg-dead", dead)  # a killed service's own lock: no hour to wait
    assert records.acquire_lock(store, "r2", "chg-new") is None
    assert records.list_locks(store)[1]["owner"]["pid"] == this_process()["pid"]


def test_unlock_by_hand_is_audited(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    store = open_store(f"sqlite:///{state / 'netops.db'}")
    try:
        _lock(store, "kashgar-ce1", "chg-stuck", {**_dead_owner(), "host": "another-host"})
    finally:
        store.close()
    args = ["unlock", "kashgar-ce1", "--state-dir", str(state), "-i", str(tmp_path / "none")]
    result = runner.invoke(app, [*args, "--reason", "   "])
    assert result.exit_code == 2
    result = runner.invoke(app, [*args, "--reason", "stuck after a power cut", "--force"])
    assert result.exit_code == 0, result.output
    assert "lock of change chg-stuck released" in result.output
    again = runner.invoke(app, [*args, "--reason", "again"])
    assert again.exit_code == 0 and "not locked" in again.output
    store = open_store(f"sqlite:///{state / 'netops.db'}")
    try:
        rows = audit.entries(store, actor=f"cli:{getpass.getuser()}")
        assert [(r.action, r.target, r.outcome) for r in rows] == [
            ("config.unlock", "kashgar-ce1", "not-locked"),
            ("config.unlock", "kashgar-ce1", "forced"),
        ]
        assert rows[1].detail["reason"] == "stuck after a power cut"
        assert rows[1].detail["lock"]["change"] == "chg-stuck"
        assert records.list_locks(store) == []
    finally:
        store.close()


def test_a_push_whose_every_device_is_refused_exits_1_and_is_audited(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_SECRETS_FILE", str(lab.secrets.path))
    state = tmp_path / "state"
    state.mkdir()
    store = open_store(f"sqlite:///{state / 'netops.db'}")
    try:
        for d in ("kashgar-ce1", "hotan-ce1"):
            _lock(store, d, "chg-other", this_process())  # held by a live process (this one)
    finally:
        store.close()
    args = ["push", "--apply", "-d", "kashgar-ce1", "-d", "hotan-ce1", "-i", str(lab.inventory_dir)]
    result = runner.invoke(app, [*args, "--state-dir", str(state), "--no-snmp-checks", "--reason", "refused"])
    assert result.exit_code == 1, result.output
    assert "device is locked by change chg-other" in result.output
    store = open_store(f"sqlite:///{state / 'netops.db'}")
    try:
        (entry,) = audit.entries(store, actor=f"cli:{getpass.getuser()}")
        assert entry.action == "config.push" and entry.outcome == "done"
        assert entry.detail["summary"] == {"refused": 2} and entry.detail["reason"] == "refused"
        assert records.list_changes(store)[0]["user"] == f"cli:{getpass.getuser()}"
    finally:
        store.close()


def test_0009_up_down_up(db_url: str) -> None:
    store = open_store(db_url)
    try:
        cols = {c["name"] for c in inspect(store.engine).get_columns("config_change_devices")}
        assert {"phase", "snapshot", "intended", "pending"} <= cols
        command.downgrade(alembic_config(store.engine), "0008")
        cols = {c["name"] for c in inspect(store.engine).get_columns("config_change_devices")}
        assert "phase" not in cols
        assert "owner" not in {c["name"] for c in inspect(store.engine).get_columns("config_locks")}
        migrate(store.engine, "head")
        records.create_change(store, "chg-1", "u", "r", False, [], "/inv")
        assert records.get_change(store, "chg-1")["reconciled"] is None
    finally:
        store.close()


def test_netops_serve_reconciles_a_change_left_running_by_a_dead_process(tmp_path: Path) -> None:
    """A change left ``running`` by a killed process (its device journaled at ``locked``, its lock held): the
    service's start finishes it (``interrupted``, the device ``failed`` with nothing changed, an unstarted
    device ``skipped``) and releases the lock, before it serves."""
    from netops.changes import journal
    from netops.changes.records import DevicePhase
    from netops.lab.testing import service_process
    from netops.settings import Settings
    from tests.changes.changes_testlib import write_inventory, write_secrets
    from tests.conftest import REPO, free_port

    inv = write_inventory(tmp_path / "inventory", 250)
    secrets = write_secrets(tmp_path / "secrets.yaml")
    state = tmp_path / "state"
    state.mkdir()
    store = open_store(f"sqlite:///{state / 'netops.db'}")
    dead = _dead_owner()
    try:
        wave = {"index": 1, "name": "w", "devices": ["kashgar-ce1", "hotan-ce1"], "state": "running"}
        records.create_change(store, "chg-killed", "cli:x", "killed", False, [wave], str(inv))
        with store.session() as s:
            from netops.store.schema import ConfigChange

            row = s.get(ConfigChange, "chg-killed")
            assert row is not None
            row.owner = {**dead, "inventory": str(inv)}
        journal.enter(store, "chg-killed", "kashgar-ce1", 1, DevicePhase.LOCKED)
        _lock(store, "kashgar-ce1", "chg-killed", dead)
    finally:
        store.close()
    port = free_port()
    env = {"NETOPS_SECRETS_FILE": str(secrets.path), "NETOPS_POLL_ENABLED": "false", "NETOPS_MODE": "lab"}
    assert "poll_enabled" in Settings.model_fields
    args = ["serve", "--inventory", str(inv), "--port", str(port), "--state-dir", str(state)]
    with service_process([*args, "--log-level", "warning"], tmp_path / "serve.log", port, env=env, cwd=REPO):
        store = open_store(f"sqlite:///{state / 'netops.db'}")
        try:
            change = records.get_change(store, "chg-killed")
            assert change["state"] == "interrupted" and change["reconciled"]["by"].startswith("service:")
            outcomes = {d["device"]: (d["outcome"], d["phase"]) for d in change["devices"]}
            assert outcomes == {"kashgar-ce1": ("failed", "done"), "hotan-ce1": ("skipped", "done")}
            assert records.list_locks(store) == []
        finally:
            store.close()
