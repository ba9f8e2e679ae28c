"""Migrations apply on an empty database (SQLite and PostgreSQL), downgrade to nothing and upgrade again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from netops.errors import StoreError
from netops.inventory import load_inventory
from netops.store.db import migrate, open_store
from netops.store.inventory_loads import recent_loads, record_load


def test_migrations_both_ways(db_url: str, base_inventory: Path) -> None:
    store = open_store(db_url)
    try:
        assert "inventory_loads" in inspect(store.engine).get_table_names()
        record_load(store, load_inventory(base_inventory))
        migrate(store.engine, "base")
        assert "inventory_loads" not in inspect(store.engine).get_table_names()
        migrate(store.engine, "head")
        assert recent_loads(store) == []
    finally:
        store.close()


def test_unopenable_database_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot open"):
        open_store(f"sqlite:///{blocker / 'sub' / 'netops.db'}")
