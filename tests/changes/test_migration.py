"""Migration 0004 creates the change tables, and goes down and up again."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from netops.changes import records
from netops.store.db import alembic_config, migrate, open_store

TABLES = {"config_changes", "config_change_devices", "config_locks", "config_backups", "config_device_status"}


def test_0004_up_down_up(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        assert set(inspect(store.engine).get_table_names()) >= TABLES
        records.create_change(store, "chg-1", "u", "r", False, [])
        assert records.acquire_lock(store, "r1", "chg-1") is None
        assert records.acquire_lock(store, "r1", "chg-2") == "chg-1"
        command.downgrade(alembic_config(store.engine), "0003")
        names = set(inspect(store.engine).get_table_names())
        assert not TABLES & names and "vc_conferences" in names
        migrate(store.engine, "head")
        assert set(inspect(store.engine).get_table_names()) >= TABLES
        assert records.list_changes(store) == []
    finally:
        store.close()
