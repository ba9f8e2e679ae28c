"""``POST /changes/{id}/rollback`` and ``POST /config/versions/{n}/rollback`` (netops/api/rollback_routes.py)
over a real uvicorn + httpx: a new change in the background, linked to the old one, the device back to the
configuration before; 404s for unknown changes and versions, 4xx for a device the change did not touch."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from netops.api.rollback_routes import router
from netops.changes import backup, records
from netops.changes.lines import LinesChange, push_lines
from netops.changes.push import PushOptions
from netops.errors import NotFoundError
from netops.lab.testing import wait_until
from netops.runtime import Runtime
from tests.changes.changes_testlib import (
    COMMUNITY,
    LIVE_CONFIRM_S,
    LIVE_TIMEOUTS,
    Lab,
    one_wave,
    push_devices,
    served_routes,
)


@pytest.fixture
def api(lab: Lab, tmp_path: Path) -> Iterator[tuple[httpx.Client, Runtime]]:
    with served_routes(lab, tmp_path / "state", router) as served:
        yield served


# a trial of 120 lab minutes and long logins for the pushes and rollbacks of a device that answers: a 30 s trial
# (the default push_lines' 5 lab minutes) could run out before the confirm of a push a loaded machine made slow
LIVE = PushOptions(confirm_s=LIVE_CONFIRM_S, minute_s=1.0, timeouts=LIVE_TIMEOUTS)
LATER = ("interface Gi0/0/0", " description a later change")


def _ended(rt: Runtime, change: str) -> dict[str, object] | None:
    try:
        shown = records.get_change(rt.store, change)
    except NotFoundError:  # the background task has not created it yet
        return None
    return shown if shown["state"] != "running" else None


def test_rollback_routes(lab: Lab, api: tuple[httpx.Client, Runtime]) -> None:
    client, rt = api
    device = "kashgar-kashi-ce1"
    before = lab.running(device)
    backup.run_backups(lab.inventory, lab.secrets, rt.store, [device], timeouts=LIVE_TIMEOUTS)
    (version,) = backup.history(rt.store, device)
    pushed = push_devices(lab, rt.store, one_wave(device), snmp=False).change_id
    assert COMMUNITY in lab.running(device)

    assert client.post("/changes/chg-nope/rollback", json={}).status_code == 404
    bad = client.post(f"/changes/{pushed}/rollback", json={"devices": ["hotan-ce1"]})
    assert bad.status_code == 404 and "hotan-ce1" in bad.text
    later, _ = asyncio.run(
        push_lines(
            lab.inventory, lab.secrets, rt.store, LinesChange(device, LATER, "t", "later", options=LIVE)
        )
    )
    refused = client.post(f"/changes/{pushed}/rollback", json={"confirm_s": LIVE_CONFIRM_S, "minute_s": 1})
    assert refused.status_code == 409 and later in refused.text  # it would undo the later change too
    started = client.post(
        f"/changes/{pushed}/rollback", json={"confirm_s": LIVE_CONFIRM_S, "minute_s": 1, "force": True}
    )
    assert started.status_code == 202, started.text
    body = started.json()
    assert body["rollback_of"] == pushed and body["devices"] == [device]
    shown = wait_until("the rollback", lambda: _ended(rt, body["change"]))
    assert shown["state"] == "done" and shown["reason"] == f"rollback of {pushed}"
    assert lab.running(device) == before
    assert records.get_change(rt.store, pushed)["devices"][0]["outcome"] == "rolled-back"
    undone = records.get_change(rt.store, later)["devices"][0]
    assert undone["outcome"] == "rolled-back" and f"undone by {body['change']}" in undone["detail"]

    push_devices(lab, rt.store, one_wave(device), snmp=False)
    assert client.post("/config/versions/999999/rollback", json={}).status_code == 404
    started = client.post(
        f"/config/versions/{version['id']}/rollback", json={"confirm_s": LIVE_CONFIRM_S, "minute_s": 1}
    )
    assert started.status_code == 202, started.text
    shown = wait_until("the version rollback", lambda: _ended(rt, started.json()["change"]))
    assert shown["state"] == "done"
    assert lab.running(device) == before
    assert COMMUNITY not in repr(shown)
