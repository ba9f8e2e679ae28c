"""``netops demo``: the whole thing on one machine — the lab region in the background, the service over it.

Starts ``netops lab up --detach`` (unless a lab already runs from this state dir), then ``netops serve`` in the
foreground with its poll jobs; Ctrl-C stops the service and the lab it started. A restart keeps what the last run
handed out: the operator token (``<state dir>/demo-token``, 0600, reused while the store knows it) and the demo
conference (kept until it ends, then moved to start in 16 minutes). The commands it prints name this netops by
absolute path (the venv's ``netops``, else ``python -m netops``) and the state folder, so they run as printed
from any shell.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from netops.cli.common import InventoryOpt, StateDirOpt, load, out
from netops.settings import DEFAULT_PORT

if TYPE_CHECKING:
    from netops.inventory.models import Inventory, Link

DEMO_CONFERENCE = "demo-region"
TOKEN_FILE = "demo-token"  # in the state folder, 0600: the demo's operator token, kept across restarts


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

    inv = load(inventory)  # fail early, with every problem, on a bad inventory
    _check_port_free(port)  # before the lab starts and the banner names a board that would be another's
    os.environ.setdefault("NETOPS_MODE", "lab")  # the demo runs on the lab's secrets
    state_dir = state_for_writing(state_dir)
    started_lab = False
    if lab.running(state_dir) is None:
        lab.start_detached(inventory, state_dir, control_port)
        started_lab = True
    token = _demo_token(state_dir)
    conference, starts = _demo_conference(inventory, state_dir)
    url = f"http://127.0.0.1:{port}"
    netops = shlex.join(netops_command())
    where = shlex.join(["--state-dir", str(state_dir.resolve())])
    inv_opt = shlex.join(["--inventory", str(inventory.resolve())])
    faults = "".join(f"  {netops} lab fault add link-down {t} {where}\n" for t in example_faults(inv))
    out.print(
        f"""
[bold]netops demo[/]
  board      {url}/board#token={token}
  service    {url}   (API: {url}/openapi.json)
  status     {url}/status   metrics {url}/metrics   incidents {url}/incidents
  lab        control http://127.0.0.1:{control_port}/status
  conference {conference}: all prefectures, {starts}
             readiness {url}/conferences/{conference}/readiness
  token      {token}   (operator; kept in {state_dir.resolve() / TOKEN_FILE} across restarts)
The first poll cycles run within a minute. Try, in another terminal:
  curl -H "Authorization: Bearer {token}" {url}/status
  {netops} status --problems {inv_opt} {where}
{faults}  {netops} incidents {where}
  {netops} vc board {conference} {inv_opt} {where}
  {netops} lab fault clear --all {where}
Ctrl-C stops the service{" and the lab" if started_lab else ""}.
""",
        highlight=False,
    )
    try:
        serve(inventory=inventory, host="127.0.0.1", port=port, state_dir=state_dir, log_level="warning")
    finally:
        if started_lab:
            lab.down(state_dir)


def _check_port_free(port: int) -> None:
    """Exit 1 with one line when 127.0.0.1:``port`` cannot be bound (another service has it)."""
    import socket

    from netops.cli.common import fail

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            fail(
                f"port {port} on 127.0.0.1 is not free ({exc.strerror}): another service listens there; "
                "stop it or pass --port N"
            )


def example_faults(inv: Inventory) -> list[str]:
    """Fault targets to try: a prefecture's primary uplink (the backup takes over), then its backup link's
    interface too (the prefecture is cut off)."""
    links = sorted(inv.links.values(), key=lambda lk: lk.id)
    primaries = [
        lk
        for lk in links
        if lk.kind == "primary" and inv.sites[inv.devices[lk.a.device].site].tier == "prefecture"
    ]

    def backup_of(device: str) -> Link | None:
        return next((b for b in inv.links_of(device) if b.kind == "backup" and b.a.device == device), None)

    first = next(iter([lk for lk in primaries if backup_of(lk.a.device)] or primaries or links), None)
    if first is None:
        return []
    backup = backup_of(first.a.device)
    return [first.id] + ([f"{backup.a.device}:{backup.a.interface}"] if backup else [])


def netops_command() -> list[str]:
    """How to run this very netops from any shell: the ``netops`` script beside this Python (a venv's
    ``bin/``), else ``python -m netops`` with this Python's absolute path."""
    script = Path(sys.executable).parent / "netops"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "netops"]


def _demo_token(state_dir: Path) -> str:
    """The demo's operator token: the one in the state folder if the store still knows it (not revoked),
    else a new one, written there 0600. Other tokens are never touched."""
    import time

    from netops.auth import tokens
    from netops.cli.common import open_store_at

    saved = state_dir / TOKEN_FILE
    store = open_store_at(state_dir, create=True)
    try:
        if saved.is_file():
            token = saved.read_text(encoding="utf-8").strip()
            if tokens.verify(store, token) is not None:
                return token
        _info, token = tokens.create_token(store, f"demo-{int(time.time())}", tokens.Role.OPERATOR)
    finally:
        store.close()
    tmp = saved.with_name(saved.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(token + "\n")
    tmp.replace(saved)
    return token


def _demo_conference(inventory: Path, state_dir: Path) -> tuple[str, str]:
    """The demo conference (all prefectures, 60 min): kept while it has not ended; created, or moved to start
    in 16 minutes (so the T-15 and T-5 prechecks run during the demo) when it is missing or over.
    Returns its id and when it starts, in words."""
    import time
    from datetime import UTC, datetime, timedelta

    from netops.cli.common import open_store_at
    from netops.errors import NotFoundError
    from netops.inventory.loader import load_inventory
    from netops.vc.conferences import ConferenceIn
    from netops.vc.store import add_conference, get_conference, update_conference

    inv = load_inventory(inventory)
    store = open_store_at(state_dir, create=True)
    try:
        try:
            conf = get_conference(store, inv.directory, DEMO_CONFERENCE)
        except NotFoundError:
            conf = None
        now = time.time()
        if conf is not None and conf.end_at > now:
            minutes = round((conf.start_at - now) / 60)
            return conf.id, f"starts in {minutes} min" if minutes > 0 else "running now"
        spec = ConferenceIn(
            id=DEMO_CONFERENCE,
            title="演示：全区视频调度会 (netops demo)",
            start=datetime.now(UTC) + timedelta(minutes=16),
            duration_min=60,
            rooms="all-prefectures",
        )
        if conf is None:
            add_conference(store, inv, spec)
        else:
            update_conference(store, inv, DEMO_CONFERENCE, spec)
    finally:
        store.close()
    return DEMO_CONFERENCE, "starts in 16 min (T-15 and T-5 prechecks run during the demo)"
