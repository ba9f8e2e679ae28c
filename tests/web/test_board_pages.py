"""The board's pages and map data from a real app (no browser, no lab, nothing polled): before any poll the
map knows no room's path (never "path up" while the header says "not polled yet"); a region time zone that
cannot be used is refused at inventory load with its file:line, and the pages fall back visibly."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import httpx
import pytest
import uvicorn

from netops.api.app import create_app
from netops.auth import tokens
from netops.errors import InventoryError
from netops.inventory.loader import load_inventory
from netops.lab.testing import wait_until
from netops.runtime import Runtime
from netops.settings import Settings
from netops.store.db import open_store
from tests.conftest import free_port

HERE = Path(__file__).parent
TEXT = (HERE / "inventory" / "region.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Runtime]]:
    tmp = tmp_path_factory.mktemp("pages")
    inventory = load_inventory(HERE / "inventory")
    settings = Settings(inventory=HERE / "inventory", state_dir=tmp)
    runtime = Runtime(settings, inventory, open_store(settings.db_url))
    _, token = tokens.create_token(runtime.store, "wall", tokens.Role.VIEWER)
    # lifespan off: the scheduler never starts, so nothing is ever polled
    port = free_port("127.0.0.1")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, runtime), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, name="board-pages", daemon=True)
    thread.start()
    wait_until("uvicorn started", lambda: server.started or not thread.is_alive(), every=0.02)
    assert server.started, "uvicorn did not start"
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20,
                          headers={"Authorization": f"Bearer {token}"}) as client:  # fmt: skip
            yield client, runtime
    finally:
        server.should_exit = True
        thread.join(10)


def test_rooms_unknown_until_polled(app_client: tuple[httpx.Client, Runtime]) -> None:
    client, _ = app_client
    topo = client.get("/board/topology.json")
    assert topo.status_code == 200, topo.text
    rooms = topo.json()["rooms"]
    assert rooms and all(r["unknown"] for r in rooms), [r for r in rooms if not r["unknown"]]
    assert 'r.unknown ? "unknown"' in client.get("/board/topology").text


@pytest.mark.parametrize(
    "zone", ["localtime", "posix/Asia/Urumqi", "right/Asia/Urumqi", "Mars/Olympus", "UTC+8", ""]
)
def test_a_zone_browsers_or_zoneinfo_refuse_is_an_inventory_error(zone: str, tmp_path: Path) -> None:
    (tmp_path / "region.yaml").write_text(
        TEXT.replace("vars: {timezone: Asia/Urumqi}", f'vars: {{timezone: "{zone}"}}'), encoding="utf-8"
    )
    with pytest.raises(InventoryError) as exc:
        load_inventory(tmp_path)
    [problem] = exc.value.problems
    assert (problem.file, problem.field) == ("region.yaml", "vars.timezone")
    assert problem.line == TEXT.splitlines().index("  - id: centre") + 1
    assert repr(zone) in problem.message and "Asia/Urumqi" in problem.message


def test_pages_fall_back_visibly_on_a_zone_they_cannot_use(app_client: tuple[httpx.Client, Runtime]) -> None:
    client, runtime = app_client
    assert 'content="Asia/Urumqi"' in client.get("/board").text
    assert "netops-timezone-warning" not in client.get("/board").text
    inv = runtime.inventory
    centre = dataclasses.replace(inv.centre, vars=MappingProxyType({"timezone": "posix/Asia/Urumqi"}))
    runtime.inventory = dataclasses.replace(inv, sites=MappingProxyType({**inv.sites, centre.id: centre}))
    try:
        for page in ("/board", "/board/topology", "/board/runs"):
            text = client.get(page).text
            assert '<meta name="netops-timezone" content="Asia/Shanghai">' in text, page
            assert '<meta name="netops-timezone-warning" content="' in text and "posix/Asia/Urumqi" in text
    finally:
        runtime.inventory = inv
