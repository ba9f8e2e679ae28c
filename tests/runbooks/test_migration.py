"""Migration 0006 creates the runbook tables and removes them again, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from netops.store.db import alembic_config, migrate, open_store

TABLES = {"runbook_runs", "runbook_steps", "runbook_approvals", "runbook_transcript"}


def test_runbook_tables_both_ways(db_url: str) -> None:
    store = open_store(db_url)
    try:
        assert set(inspect(store.engine).get_table_names()) >= TABLES
        command.downgrade(alembic_config(store.engine), "0005")
        names = set(inspect(store.engine).get_table_names())
        assert not TABLES & names and "audit_log" in names
        migrate(store.engine, "head")
        assert set(inspect(store.engine).get_table_names()) >= TABLES
    finally:
        store.close()
