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


def test_folder_problems_are_shown_and_do_not_stop_the_service(
    base_inventory: Path, tmp_path: Path, db_url: str
) -> None:
    """A broken push template or notify.yaml is not the model: the service starts and polls on, and says so
    (file and line) in /healthz, GET /inventory and a metric, until the file is fixed."""
    import httpx

    from netops.api.app import create_app
    from tests.conftest import served_app

    inv = tmp_path / "inv"
    shutil.copytree(base_inventory, inv)
    broken = inv / "templates" / "huawei_vrp8" / "broken.j2"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("sysname {{ device.id\n", encoding="utf-8")  # unclosed expression on line 1
    (inv / "stray.txt.bak").write_text("?", encoding="utf-8")  # nothing reads it
    settings = Settings(inventory=inv, state_dir=tmp_path / "state", database_url=db_url, poll_enabled=False)
    rt = Runtime.start(settings)
    try:
        problems = rt.folder_problems
        assert any("templates/huawei_vrp8/broken.j2" in p and ":1" in p for p in problems), problems
        assert any("stray.txt.bak" in p for p in problems), problems
        registry = build_registry(rt)
        assert registry.get_sample_value("netops_inventory_folder_problems") == len(problems)
    finally:
        rt.close()
    app = create_app(settings)
    with served_app(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "ok" and health["inventory_problems"] == len(problems)
        runtime: Runtime = app.state.runtime
        shutil.rmtree(inv / "templates")
        (inv / "stray.txt.bak").unlink()
        assert runtime.reload_if_changed() is False  # the model did not change; the folder did
        assert client.get("/healthz").json()["inventory_problems"] == 0
        assert runtime.folder_problems == []
