"""``netops demo``: the whole thing on one machine — the lab region in the background, the service over it.

Starts ``netops lab up --detach`` (unless a lab already runs from this state dir), then ``netops serve`` in the
foreground with its poll jobs; Ctrl-C stops the service and the lab it started.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from netops.cli.common import InventoryOpt, StateDirOpt, load, out
from netops.settings import DEFAULT_PORT


def demo(
    inventory: InventoryOpt = Path("inventory"),
    port: Annotated[
        int, typer.Option(envvar="NETOPS_PORT", min=1, max=65535, help="Service port.")
    ] = DEFAULT_PORT,
    state_dir: StateDirOpt = None,
    control_port: Annotated[int, typer.Option("--control-port", help="Lab control API port.")] = 8690,
) -> None:
    """Start the lab region and the service over it; print where to look."""
    from netops.cli import lab
    from netops.cli.serve import serve
    from netops.cli.state import state_for_writing

    load(inventory)  # fail early, with every problem, on a bad inventory
    os.environ.setdefault("NETOPS_MODE", "lab")  # the demo runs on the lab's secrets
    state_dir = state_for_writing(state_dir)
    started_lab = False
    if lab.running(state_dir) is None:
        lab.start_detached(inventory, state_dir, control_port)
        started_lab = True
    token = _demo_token(state_dir)
    conference = _demo_conference(inventory, state_dir)
    url = f"http://127.0.0.1:{port}"
    out.print(
        f"""
[bold]netops demo[/]
  board      {url}/board#token={token}
  service    {url}   (API docs {url}/docs)
  status     {url}/status   metrics {url}/metrics   incidents {url}/incidents
  lab        control http://127.0.0.1:{control_port}/status
  conference {conference}: all prefectures, starts in 16 min (T-15 and T-5 prechecks run during the demo)
             readiness {url}/conferences/{conference}/readiness   board: netops vc board {conference}
  token      {token}   (operator, for this demo: curl -H "Authorization: Bearer $TOKEN" {url}/status)
The first poll cycles run within a minute. Try, in another terminal:
  netops status --problems
  netops lab fault add link-down kashgar-ce1--centre-core1
  netops lab fault add link-down kashgar-ce1:GigabitEthernet0/0/2
  netops incidents
  netops lab fault clear --all
Ctrl-C stops the service{" and the lab" if started_lab else ""}.
""",
        highlight=False,
    )
    try:
        serve(inventory=inventory, host="127.0.0.1", port=port, state_dir=state_dir, log_level="warning")
    finally:
        if started_lab:
            lab.down(state_dir)


def _demo_token(state_dir: Path) -> str:
    """A fresh operator token for this demo run (older demo tokens are revoked)."""
    import time

    from netops.auth import tokens
    from netops.cli.common import open_store_at

    store = open_store_at(state_dir, create=True)
    try:
        for t in tokens.list_tokens(store):
            if t.name.startswith("demo-") and t.revoked_at is None:
                tokens.revoke(store, t.name)
        _info, token = tokens.create_token(store, f"demo-{int(time.time())}", tokens.Role.OPERATOR)
        return token
    finally:
        store.close()


def _demo_conference(inventory: Path, state_dir: Path) -> str:
    """A conference of all prefectures starting in 16 minutes, so the T-15 and T-5 prechecks run in the demo."""
    import time
    from datetime import UTC, datetime, timedelta

    from netops.cli.common import open_store_at
    from netops.inventory.loader import load_inventory
    from netops.vc.conferences import ConferenceIn
    from netops.vc.store import add_conference

    ident = f"demo-{int(time.time())}"
    spec = ConferenceIn(
        id=ident,
        title="演示：全区视频调度会 (netops demo)",
        start=datetime.now(UTC) + timedelta(minutes=16),
        duration_min=60,
        rooms="all-prefectures",
    )
    store = open_store_at(state_dir, create=True)
    try:
        add_conference(store, load_inventory(inventory), spec)
    finally:
        store.close()
    return ident
