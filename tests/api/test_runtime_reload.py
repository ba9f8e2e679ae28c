"""The service reloads a changed inventory; a broken change is counted and the last good inventory stays."""

from __future__ import annotations

import shutil
from pathlib import Path

from prometheus_client import CollectorRegistry

from netops.api.app import build_registry
from netops.runtime import Runtime
from netops.settings import Settings
from netops.store.inventory_loads import recent_loads


def test_reload_good_then_bad(base_inventory: Path, tmp_path: Path, db_url: str) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(base_inventory, inv)
    rt = Runtime.start(Settings(inventory=inv, state_dir=tmp_path / "state", database_url=db_url))
    registry: CollectorRegistry = build_registry(rt)
    try:
        assert rt.reload_if_changed() is False  # nothing changed
        (inv / "more.yaml").write_text(
            "sites:\n  - {id: kashgar-shule, name: 疏勒县, parent: kashgar, status: planned}\n",
            encoding="utf-8",
        )
        assert rt.reload_if_changed() is True
        assert "kashgar-shule" in rt.inventory.sites
        assert len(recent_loads(rt.store)) == 2
        (inv / "more.yaml").write_text(
            "sites:\n  - {id: kashgar-shule, name: 疏勒县, parent: nowhere}\n", encoding="utf-8"
        )
        assert rt.reload_if_changed() is False
        assert "kashgar-shule" in rt.inventory.sites  # the last good inventory stays in use
        assert rt.last_reload_error is not None and "nowhere" in rt.last_reload_error
        assert registry.get_sample_value("netops_inventory_reload_failures_total") == 1.0
        assert (
            registry.get_sample_value("netops_inventory_sites", {"tier": "county", "status": "planned"})
            == 1.0
        )
    finally:
        rt.close()
