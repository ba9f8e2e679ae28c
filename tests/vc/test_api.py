"""The vc routes through a real app (``create_app`` plus the router) served by uvicorn on 127.70.0.200, with
httpx as the client, against the lab's codecs: create, change, delete conferences; precheck on demand; the
board and the checklist."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from netops.api.app import create_app
from netops.auth import tokens
from netops.inventory.models import Inventory
from netops.lab.faults import FaultBook
from netops.runtime import Runtime
from netops.secrets import SecretStore
from netops.settings import Settings
from netops.store.db import open_store
from tests.conftest import free_port
from tests.vc.conftest import INVENTORY

HOST = "127.70.0.200"


@pytest.fixture
def client(
    tmp_path: Path, inventory: Inventory, secrets: SecretStore, threaded_lab: None
) -> Iterator[httpx.Client]:
    settings = Settings(inventory=INVENTORY, state_dir=tmp_path)
    runtime = Runtime(settings, inventory, open_store(settings.db_url))
    app = create_app(settings, runtime)  # the vc routes are part of the app
    app.state.secrets = secrets
    _, token = tokens.create_token(runtime.store, "duty-engineer", tokens.Role.ENGINEER)
    port = free_port(HOST)
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="vc-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        with httpx.Client(
            base_url=f"http://{HOST}:{port}", timeout=20, headers={"Authorization": f"Bearer {token}"}
        ) as c:
            yield c
    finally:
        server.should_exit = True
        thread.join(10)


def body(
    ident: str = "drill", rooms: list[str] | str | None = None, title: str = "应急演练"
) -> dict[str, object]:
    start = datetime.fromtimestamp(time.time() + 1800, UTC).isoformat()
    return {
        "id": ident,
        "title": title,
        "start": start,
        "duration_min": 60,
        "rooms": rooms or ["kashgar-vc", "hotan-vc"],
    }


def test_conference_crud(client: httpx.Client) -> None:
    listed = client.get("/conferences").json()
    assert [(c["id"], c["source"]) for c in listed] == [("region-weekly", "conferences/weekly.yaml:2")]
    created = client.post("/conferences", json=body())
    assert created.status_code == 201 and created.json()["source"] == "api"
    assert client.post("/conferences", json=body()).status_code == 409
    unknown = client.post("/conferences", json=body("other", ["kashgar-vc", "nowhere-vc"]))
    assert unknown.status_code == 422 and "nowhere-vc" in unknown.json()["detail"]
    assert client.post("/conferences", json={**body(), "id": "Bad Id"}).status_code == 422
    assert (
        client.post("/conferences", json={**body("naive"), "start": "2030-01-01T10:00:00"}).status_code == 422
    )
    changed = client.put("/conferences/drill", json=body(title="应急演练（改）", rooms="all"))
    assert changed.status_code == 200 and changed.json()["rooms"] == "all"
    read_only = client.put("/conferences/region-weekly", json=body("region-weekly"))
    assert read_only.status_code == 409 and "conferences/weekly.yaml:2" in read_only.json()["detail"]
    assert client.delete("/conferences/region-weekly").status_code == 409
    assert {c["id"] for c in client.get("/conferences").json()} == {"region-weekly", "drill"}
    assert client.delete("/conferences/drill").status_code == 204
    missing = client.get("/conferences/drill/readiness")
    assert missing.status_code == 404 and missing.json()["kind"] == "conference"


def test_precheck_board_and_checklist(client: httpx.Client, faults: FaultBook) -> None:
    faults.apply("camera-disconnected", "kashgar-vc")
    assert client.post("/conferences", json=body()).status_code == 201
    before = client.get("/conferences/drill/readiness").json()
    assert before["counts"]["NOT-CHECKED"] == 2 and before["last_round"] is None
    ran = client.post("/conferences/drill/precheck")
    assert ran.status_code == 200
    board = ran.json()
    assert board["round"]["kind"] == "manual"
    assert {k: v for k, v in board["counts"].items() if v} == {"RED": 1, "GREEN": 1}
    first = board["prefectures"][0]
    assert (first["prefecture"], first["worst"]) == ("kashgar", "RED")
    [room] = first["rooms"]
    assert room["failing_checks"] == ["camera"] and room["reasons"] == [
        "camera: camera disconnected (camera 1)"
    ]
    assert room["delay_ms"] is not None and room["loss_ratio"] == 0.0
    assert {c["name"] for c in board["mcu_checks"]} >= {"mcu_status_api", "mcu_ports", "mcu_sip"}
    again = client.get("/conferences/drill/readiness").json()
    assert again["counts"] == board["counts"] and again["last_round"]["kind"] == "manual"
    resp = client.get("/conferences/drill/checklist.csv")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text.lstrip("\ufeff"))))
    assert [(r["room"], r["colour"]) for r in rows] == [("kashgar-vc", "RED"), ("hotan-vc", "GREEN")]
    assert rows[0]["name"] == "喀什地区视频会议室" and rows[0]["phone"] == "0998-0000-0002"
    assert "attachment" in resp.headers["content-disposition"]
