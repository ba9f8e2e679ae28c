"""Migration 0004 creates the change tables, and goes down and up again; every change-store query on SQLite
and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from netops.changes import backup, records
from netops.store.db import alembic_config, migrate, open_store

TABLES = {"config_changes", "config_change_devices", "config_locks", "config_backups", "config_device_status"}


def test_0004_up_down_up(db_url: str) -> None:
    store = open_store(db_url)
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


def test_change_store_queries(db_url: str) -> None:
    store = open_store(db_url)
    try:
        change = records.new_change_id(1000.0)
        records.create_change(
            store, change, "engineer", "ntp", False, [{"wave": 1, "devices": ["kashgar-ce1"]}]
        )
        rec = records.DeviceRecord(
            "kashgar-ce1",
            1,
            records.DeviceOutcome.CONFIRMED,
            None,
            "+ ntp server 127.1.0.1",
            ["ntp server 127.1.0.1"],
            {"huawei_vrp8/ce.j2": "abc"},
            "abc",
            [],
            1000.0,
            2.5,
        )
        records.record_device(store, change, rec, secrets=["s3cret"])
        assert records.finish_change(store, change, records.ChangeState.DONE, [], {"confirmed": 1})
        assert not records.finish_change(store, change, records.ChangeState.HALTED, [], {})  # ended already
        assert records.get_change(store, change)["devices"][0]["outcome"] == "confirmed"
        assert [c["id"] for c in records.list_changes(store, device="kashgar-ce1")] == [change]
        assert records.outcome_counts(store) == {"confirmed": 1}
        records.mark_rolled_back(store, change, "kashgar-ce1", "rolled back by test")
        assert records.acquire_lock(store, "kashgar-ce1", change) is None
        assert records.acquire_lock(store, "kashgar-ce1", "other") == change
        records.release_lock(store, "kashgar-ce1", change)
        assert records.acquire_lock(store, "kashgar-ce1", "other") is None
        assert backup.store_version(store, "kashgar-ce1", "sysname kashgar-ce1\n", 1000.0) is True
        assert (
            backup.store_version(store, "kashgar-ce1", "sysname kashgar-ce1\n", 1100.0) is False
        )  # unchanged
        assert backup.store_version(store, "kashgar-ce1", "sysname kashgar-ce1\nntp\n", 1200.0) is True
        versions = backup.history(store, "kashgar-ce1")
        assert len(versions) == 2
        assert backup.version_text(store, versions[0]["id"])[1].endswith("ntp\n")
        assert isinstance(backup.device_status(store), list)
    finally:
        store.close()
