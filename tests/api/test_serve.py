"""``netops serve`` as a real process on a loopback port: health, metrics (checked by promtool), routes, store."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from netops.lab.testing import service_process
from netops.store.db import MIGRATIONS
from tests.conftest import REPO, free_port, run_netops


class Authed:
    """httpx's module functions with the bearer token added."""

    def __init__(self, token: str) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(url, headers=self.headers, **kwargs)


def head_revision() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


@pytest.fixture
def served(base_inventory: Path, tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    port = free_port()
    state = tmp_path / "state"
    args = ["serve", "--inventory", str(base_inventory), "--port", str(port), "--state-dir", str(state)]
    with service_process([*args, "--log-level", "warning"], tmp_path / "serve.log", port, cwd=REPO) as svc:
        made = run_netops(
            "token", "create", "--name", "test", "--role", "viewer", "--state-dir", str(state), "--json"
        )
        assert made.returncode == 0, made.stderr
        yield svc.base_url, state, json.loads(made.stdout)["token"]


def test_healthz_and_database_created_by_migrations(served: tuple[str, Path, str]) -> None:
    base, state, _ = served
    body = httpx.get(f"{base}/healthz").json()
    assert body["status"] == "ok"
    assert body["devices"] == 5
    db = state / "netops.db"
    assert db.is_file()
    with sqlite3.connect(db) as conn:
        assert conn.execute("select version_num from alembic_version").fetchone() == (head_revision(),)
        assert conn.execute("select devices, rooms from inventory_loads").fetchall() == [(5, 1)]


def test_metrics_pass_promtool(served: tuple[str, Path, str], tmp_path: Path) -> None:
    base, _, _ = served
    resp = httpx.get(f"{base}/metrics")
    assert resp.status_code == 200
    text = resp.text
    assert 'netops_inventory_devices{platform="h3c_comware7",role="ce",tier="county"} 1.0' in text
    assert "netops_build_info{" in text
    assert "netops_inventory_rooms 1.0" in text
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian package prometheus) must be installed"
    check = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_inventory_routes(served: tuple[str, Path, str]) -> None:
    base, _, token = served
    httpx = Authed(token)
    dev = httpx.get(f"{base}/devices/kashgar-shufu-ce1").json()
    assert dev["platform"] == "h3c_comware7"
    assert dev["site_name"] == "疏附县"
    assert [h["device"] for h in dev["upstream_path"]][-1] == "kashgar-shufu-ce1"
    assert {d["id"] for d in httpx.get(f"{base}/devices", params={"role": "core"}).json()} == {
        "centre-core1",
        "centre-core2",
    }
    assert httpx.get(f"{base}/sites/kashgar").json()["children"] == ["kashgar-shufu"]
    assert len(httpx.get(f"{base}/links", params={"kind": "backup"}).json()) == 1
    assert httpx.get(f"{base}/rooms/kashgar-vc").json()["codec"] == "kashgar-codec"
    impact = httpx.get(
        f"{base}/inventory/impact",
        params=[("failed", "kashgar-ce1--centre-core1"), ("failed", "kashgar-ce1:GE1/0/1")],
    ).json()
    assert [s["id"] for s in impact["lost_sites"]] == ["kashgar", "kashgar-shufu"]
    assert httpx.get(f"{base}/inventory/tree").json()["id"] == "centre"
    assert httpx.get(f"{base}/inventory/loads").json()[0]["devices"] == 5
    missing = httpx.get(f"{base}/devices/kashgar-ce9")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    assert httpx.get(f"{base}/inventory/impact", params={"failed": "nothing"}).status_code == 404
    assert httpx.get(f"{base}/inventory/impact").status_code == 422


def test_serve_refuses_a_bad_inventory_with_every_problem(base_inventory: Path, tmp_path: Path) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(base_inventory, inv)
    (inv / "extra.yaml").write_text("sites:\n  - {id: x, name: X, parent: nowhere}\n", encoding="utf-8")
    res = run_netops(
        "serve", "--inventory", str(inv), "--port", str(free_port()), "--state-dir", str(tmp_path / "s")
    )
    assert res.returncode == 1
    assert "extra.yaml:2: parent: site 'x' names unknown parent 'nowhere'" in res.stderr
    assert "Traceback" not in res.stderr
