"""``netops poll once``: one SNMP health cycle from the command line, printed as a table and stored."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from netops.cli.common import (
    EXIT_PROBLEMS,
    InventoryOpt,
    JsonOpt,
    StateDirOpt,
    command_group,
    fail,
    load,
    open_store_at,
    out,
    print_json,
)
from netops.cli.progress import DeviceProgress, ProgressOpt

app = command_group("SNMP health polling.")


@app.command()
def once(
    inventory: InventoryOpt = Path("inventory"),
    site: Annotated[
        list[str] | None, typer.Option("--site", help="Only devices of this site (and below).")
    ] = None,
    device: Annotated[list[str] | None, typer.Option("--device", help="Only this device.")] = None,
    state_dir: StateDirOpt = None,
    as_json: JsonOpt = False,
    progress: ProgressOpt = None,
) -> None:
    """Poll once (system, interfaces, CPU/memory, neighbours, UPS); exit 1 if a device failed. Progress (N/M
    devices) on stderr when it is a terminal or with --progress; never with --json."""
    from netops.drivers.snmp.source import SnmpSource
    from netops.inventory.topology import Topology
    from netops.polling.poller import Poller, pollable
    from netops.secrets import SecretStore

    inv = load(inventory)
    devices = pollable(inv)
    if site:
        wanted = set()
        for s in site:
            inv.site(s)
            wanted |= {s, *(d.id for d in inv.descendants(s))}
        devices = [d for d in devices if d.site in wanted]
    if device:
        ids = {inv.device(d).id for d in device}
        devices = [d for d in devices if d.id in ids]
    if not devices:
        fail("no active device with an SNMP profile matches", 2)
    topo = Topology(inv)
    if site or device:
        # also poll the routers on the way to the centre and the far ends of their links: a failure upstream
        # (a cut uplink, seen down from the far end) is then told apart from a device that is down itself
        chosen = {d.id for d in devices}
        upstream = {h.device for d in devices for h in topo.upstream_path(d.id)}
        far_ends = {lk.other(dev).device for dev in chosen | upstream for lk in inv.links_of(dev)}
        devices += [d for d in pollable(inv) if d.id in (upstream | far_ends) - chosen]
    logging.getLogger("netops.polling").setLevel(logging.ERROR)  # the table says it; no log lines on top
    store = open_store_at(state_dir, create=True)
    poller = Poller(store, SnmpSource(lambda: inv, SecretStore()), lambda: topo, threshold=1)

    try:
        with DeviceProgress("poll", len(devices), False if as_json else progress) as bar:
            result: Any = asyncio.run(
                poller.run_cycle(
                    devices,
                    job="cli",
                    on_done=lambda s: bar.advance(s.device, "ok" if s.ok else s.error or ""),
                )
            )
    finally:
        store.close()
    rows = []
    for s in sorted(result.samples, key=lambda x: x.device):
        status = result.analysis.status.get(s.device, "up")
        up = sum(1 for i in s.interfaces if i.oper_up)
        rows.append(
            {
                "device": s.device,
                "status": status,
                "ok": s.ok,
                "error": s.error,
                "detail": s.detail,
                "uptime_s": s.sys_uptime_s,
                "cpu_ratio": s.cpu_ratio,
                "memory_ratio": s.memory_ratio,
                "interfaces_up": up,
                "interfaces": len(s.interfaces),
                "duration_s": round(s.duration_s, 3),
            }
        )
    if as_json:
        print_json(
            {
                "duration_s": result.duration_s,
                "devices": rows,
                "findings": [f.summary for f in result.analysis.findings],
            }
        )
    else:
        table = Table(title=f"{len(rows)} devices polled in {result.duration_s:.1f} s")
        for col in ("device", "status", "result", "uptime", "cpu", "mem", "interfaces up", "s"):
            table.add_column(col)
        colour = {"up": "green", "down": "red", "unreachable": "yellow", "unmanaged": "magenta"}
        for r in rows:
            table.add_row(
                r["device"],
                f"[{colour.get(r['status'], 'white')}]{r['status']}[/]",
                "ok" if r["ok"] else f"[red]{r['error']}[/]",
                _days(r["uptime_s"]),
                _pct(r["cpu_ratio"]),
                _pct(r["memory_ratio"]),
                f"{r['interfaces_up']}/{r['interfaces']}" if r["ok"] else "-",
                f"{r['duration_s']:.2f}",
            )
        out.print(table)
        for f in result.analysis.findings:
            out.print(f"[bold red]root cause[/]: {f.summary}", highlight=False)
    if result.failed:
        raise typer.Exit(EXIT_PROBLEMS)


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.0f}%"


def _days(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v / 86400:.1f} d" if v >= 86400 else f"{v / 3600:.1f} h"
