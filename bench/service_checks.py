"""Benchmark: one e-government service check cycle over 120 sites x 6 services (720 router results, plus the
centre's own 6 checks), with netops' storage of the results, on the lab.

The region is ``bench/config_push.py``'s generator moved to 127.76.x: a VRP8 core and 12 prefectures of 10 CE
routers each (the prefecture's and 9 counties', all four platforms) = 120 sites, plus 6 services on
127.76.200.x that every site must reach (3 HTTPS portal pages in zh/ug/en, HTTP document exchange and
government information, the TCP MCU). The lab (SSH CLIs, SNMP agents, the simulated services) runs in a child
process (this script with ``--serve``), so the CPU and memory figures are netops' own. Setup pushes every
router's NQA / IP SLA probes through the change engine (timed, not part of the cycle). Then ``--cycles``
cycles of ``ServiceChecker.run_cycle`` (centre probes + one SNMP walk per router + storing the rows in SQLite).

Usage: .venv/bin/python bench/service_checks.py [--cycles 5] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchreport import REPO, machine, write_section
from bench.config_push import write_region

MARKS = ("<!-- bench:service_checks -->", "<!-- /bench:service_checks -->")
NET = "127.76"

SERVICES = f"""\
services:
  - {{id: portal-zh, name: 门户网站（中文）, kind: https, endpoints: ["https://{NET}.200.10:10443/zh/"], sites: [all],
     expect: {{status: 200, language: zh}}}}
  - {{id: portal-ug, name: 门户网站（维吾尔文）, kind: https,
     endpoints: ["https://{NET}.200.10:10443/ug/"], sites: [all],
     expect: {{status: 200, language: ug}}}}
  - {{id: portal-en, name: 门户网站（英文）, kind: https, endpoints: ["https://{NET}.200.10:10443/en/"], sites: [all],
     expect: {{status: 200, language: en}}}}
  - {{id: docex, name: 公文无纸化传输系统, kind: http,
     endpoints: ["http://{NET}.200.20:10080/docex/health"], sites: [all],
     expect: {{status: 200}}}}
  - {{id: govinfo, name: 政务信息, kind: http, endpoints: ["http://{NET}.200.22:10080/"], sites: [all]}}
  - {{id: mcu, name: 视频会议MCU, kind: tcp, endpoints: ["{NET}.200.30:10060"], sites: [all]}}
"""


def make_region(directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    ids = write_region(directory, 121)
    region = directory / "region.yaml"
    region.write_text(region.read_text(encoding="utf-8").replace("127.75.", f"{NET}."), encoding="utf-8")
    (directory / "services.yaml").write_text(SERVICES, encoding="utf-8")
    return [d for d in ids if d != "centre-core1"]


def serve(directory: Path) -> None:
    """Child process: the lab (SSH + SNMP + services) until stdin closes."""
    from netops.inventory.loader import load_inventory
    from netops.lab.services import start_services
    from netops.lab.simulators import start_parts
    from netops.lab.state import LabWorld
    from netops.secrets import SecretStore

    async def main() -> None:
        world = LabWorld(load_inventory(directory))
        secrets = SecretStore(directory.parent / "secrets.yaml")
        started = await start_parts(world, secrets, codecs=False)
        services = await start_services(world, directory.parent / "tls")
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await services.close()
        for sim in reversed(started.values()):
            await sim.close()

    asyncio.run(main())


def push_probes(directory: Path, ids: list[str]) -> tuple[float, dict[str, int]]:
    from netops.changes.apply import ChangeRequest, run_change
    from netops.changes.plan import Wave
    from netops.drivers.snmp.source import SnmpSource
    from netops.inventory.loader import load_inventory
    from netops.secrets import SecretStore
    from netops.store.db import open_store

    inv = load_inventory(directory)
    secrets = SecretStore(directory.parent / "secrets.yaml")
    store = open_store(f"sqlite:///{directory.parent / 'push.db'}")

    async def go() -> dict[str, int]:
        request = ChangeRequest(
            [Wave(1, "all", tuple(ids), 5, 32)], user="bench", reason="probes", threads=32
        )
        run = await run_change(inv, secrets, store, request, [], SnmpSource(lambda: inv, secrets))
        return {str(k): v for k, v in run.summary().items()}

    t0 = time.perf_counter()
    summary = asyncio.run(go())
    store.close()
    return time.perf_counter() - t0, summary


def cycles(directory: Path, n: int) -> list[tuple[float, float, int, int, int]]:
    """(wall s, CPU s, results, failed, missing) per cycle."""
    from netops.inventory.loader import load_inventory
    from netops.secrets import SecretStore
    from netops.services.cycle import ServiceChecker
    from netops.store.db import open_store

    inv = load_inventory(directory)
    secrets = SecretStore(directory.parent / "secrets.yaml")
    store = open_store(f"sqlite:///{directory.parent / 'checks.db'}")
    checker = ServiceChecker(lambda: inv, secrets, store, ca_file=directory.parent / "tls" / "lab-ca.crt")
    out = []

    async def go() -> None:
        for _ in range(n):
            wall, cpu = time.perf_counter(), time.process_time()
            cycle = await checker.run_cycle()
            out.append(
                (
                    time.perf_counter() - wall,
                    time.process_time() - cpu,
                    len(cycle.results),
                    len(cycle.failed),
                    len(cycle.missing),
                )
            )

    asyncio.run(go())
    store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=5)
    ap.add_argument("--write", action="store_true", help="put the results into docs/benchmarks.md")
    ap.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return
    with tempfile.TemporaryDirectory(prefix="bench-services-") as tmp:
        directory = Path(tmp) / "inventory"
        routers = make_region(directory)
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(directory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            if child.stdout.readline().strip() != "ready":
                raise SystemExit("the lab did not start")
            push_s, summary = push_probes(directory, routers)
            print(f"probes pushed to {len(routers)} routers in {push_s:.1f} s: {summary}", flush=True)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            runs = cycles(directory, args.cycles)
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        finally:
            child.stdin.close()
            child.wait(30)
    for i, (wall, cpu, results, failed, missing) in enumerate(runs, 1):
        print(
            f"cycle {i}: {wall:.2f} s wall, {cpu:.2f} s CPU, {results} results, {failed} failed, {missing} missing"
        )
    walls = [r[0] for r in runs]
    cpus = [r[1] for r in runs]
    print(f"median {statistics.median(walls):.2f} s wall, max RSS {rss_after / 1024:.0f} MiB")
    if args.write:
        rows = "\n".join(
            f"| {i} | {w:.2f} | {c:.2f} | {n} | {f} | {m} |" for i, (w, c, n, f, m) in enumerate(runs, 1)
        )
        text = f"""## E-government service checks (`bench/service_checks.py`, issue 16)

Command: `.venv/bin/python bench/service_checks.py --cycles {args.cycles} --write` ({date.today()}; {machine()};
other work ran on the machine). 120 sites (12 prefectures x 10 CE routers of all four platforms) x 6 services
(3 HTTPS portal pages zh/ug/en, 2 HTTP, 1 TCP): each cycle = the centre's own 6 checks + one SNMP walk of each
router's NQA-MIB / DISMAN-PING-MIB / CISCO-RTTMON-MIB results (720 router results) + storing the 726 rows in
SQLite. The lab runs in a child process; the figures are netops' process. Setup: the routers' probes pushed
through the change engine in {push_s:.1f} s ({summary}). Goal: a cycle < 10 s.

| cycle | wall s | CPU s | results | failed | no probe |
| ---: | ---: | ---: | ---: | ---: | ---: |
{rows}

Median {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU per cycle; peak RSS of the
netops process {rss_after / 1024:.0f} MiB (before the cycles, after the push: {rss_before / 1024:.0f} MiB).
"""
        write_section(text, MARKS)


if __name__ == "__main__":
    main()
