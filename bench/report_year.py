"""The yearly assessment report over 12 months of stored data for the whole region (issue 16: goal < 10 s).

A synthetic region of 196 devices (``bench/gen_inventory.py --devices 196 --counties 3``: the centre, 16
prefectures, 48 counties) and a whole past year (2025, UTC+8) of stored data written the way netops writes it:
poll cycles of both poll jobs (30 s and 60 s, with a dozen ten-minute gaps where the service was down), about 1,100
incidents (county outages ~1.5 a month per county, prefecture outages ~0.5 a month taking their counties
along, management-plane ones, some with hold-down and recurrences), 48 conferences with T-60/T-15/T-5 and live
rounds for all 64 rooms, two pushes a month to every router, backups, and (when the table exists) hourly service
checks of 6 services per site. Then ``netops report --period 2025`` runs as a user runs it, once per format, in
its own process: wall time and peak resident memory (``ru_maxrss`` of that process).

    .venv/bin/python -m bench.report_year              # prints the table and writes it into docs/benchmarks.md
    .venv/bin/python -m bench.report_year --no-write
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.benchreport import REPO, machine, write_section
from bench.gen_inventory import main as gen_inventory

CST = timezone(timedelta(hours=8))
YEAR = 2025  # a whole year in the past: every month of it is in the report
YEAR_START = datetime(YEAR, 1, 1, tzinfo=CST).timestamp()
YEAR_END = datetime(YEAR + 1, 1, 1, tzinfo=CST).timestamp()
MARKS = ("<!-- bench:report_year -->", "<!-- /bench:report_year -->")
SERVICES = ("portal-zh", "portal-ug", "portal-en", "docex", "supervision", "govinfo")


def fill(db: Path, inventory: Path, rng: random.Random, checks_per_hour: int) -> dict[str, int]:
    """A year of stored data for the inventory's sites, devices and rooms (plain SQL, one transaction)."""
    from netops.inventory.loader import load_inventory
    from netops.inventory.models import Tier

    inv = load_inventory(inventory)
    con = sqlite3.connect(db)
    counts: dict[str, int] = {}
    with con:
        # poll cycles: poll-uplinks every 30 s, poll-access every 60 s, except 12 ten-minute gaps
        gaps = sorted(rng.uniform(YEAR_START, YEAR_END - 600) for _ in range(12))

        def cycles(job: str, interval: float) -> list[tuple[object, ...]]:
            out: list[tuple[object, ...]] = []
            t, g = YEAR_START - 120.0, 0
            while t < YEAR_END:
                while g < len(gaps) and t >= gaps[g] + 600:
                    g += 1
                if not (g < len(gaps) and gaps[g] <= t < gaps[g] + 600):
                    out.append((job, t, 1.2, interval, 100, 0, 0))
                t += interval
            return out

        rows = cycles("poll-uplinks", 30.0) + cycles("poll-access", 60.0)
        con.executemany(
            "INSERT INTO poll_cycles (job, started_at, duration_s, interval_s, devices, failed, overrun)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        counts["poll cycles"] = len(rows)

        # incidents with their history
        counties = [s for s in inv.sites.values() if s.tier is Tier.COUNTY]
        prefectures = [s for s in inv.sites.values() if s.tier is Tier.PREFECTURE]
        plan: list[tuple[str, list[str]]] = []
        for site in counties:
            plan += [("device", [site.id])] * rng.randint(12, 24)
        for site in prefectures:
            below = [site.id, *(c.id for c in inv.children(site.id))]
            plan += [("device", below)] * rng.randint(3, 9)
            plan += [("unmanaged", [site.id])] * rng.randint(3, 9)
        incidents = history = 0
        for inc_id, (kind, sites) in enumerate(plan, start=1):
            opened = rng.uniform(YEAR_START - 86400, YEAR_END)
            duration = min(86400.0, rng.lognormvariate(7.8, 1.0))  # median ~40 min
            gone = opened + duration
            changes = [(opened, "opened")]
            if rng.random() < 0.1:  # a recovery that did not last
                mid = opened + duration / 2
                changes += [(mid, "recovering"), (mid + 60, "recurred")]
            holddown = 60.0 if rng.random() < 0.5 else 0.0
            if holddown:
                changes.append((gone, "recovering"))
            resolved = gone + holddown
            still_open = resolved > YEAR_END
            if not still_open:
                changes.append((resolved, "resolved"))
            con.execute(
                "INSERT INTO incidents (id, key, state, summary, opened_at, last_seen_at, resolved_at, root_devices,"
                " root_links, affected_devices, affected_sites, affected_rooms, kind, cause, peak_sites,"
                " cause_gone_at) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', '[]', '[]', ?, '[]', ?, '[]', ?, ?)",
                (
                    inc_id,
                    f"{kind}:{sites[0]}:{inc_id}",
                    "open" if still_open else "resolved",
                    f"{sites[0]} down",
                    opened,
                    gone,
                    None if still_open else resolved,
                    json.dumps(sites),
                    kind,
                    json.dumps(sites),
                    None if still_open else gone,
                ),
            )
            con.executemany(
                "INSERT INTO incident_history (incident_id, at, change, kind, cause, sites, devices, rooms, summary)"
                " VALUES (?, ?, ?, ?, '[]', ?, 0, 0, '')",
                [(inc_id, at, change, kind, len(sites)) for at, change in changes],
            )
            incidents += 1
            history += len(changes)
        counts["incidents"], counts["incident history rows"] = incidents, history

        # conferences: 4 a month, every room, T-60/T-15/T-5 and six live rounds
        rooms = sorted(inv.rooms)
        round_id = results = 0
        for month in range(12):
            for n in range(4):
                start = datetime(YEAR, month + 1, 3 + 7 * n, 10, tzinfo=CST).timestamp()
                conf = f"conf-{month + 1:02d}-{n}"
                offsets = [("t60", -3600), ("t15", -900), ("t5", -300)] + [
                    ("live", 600 * k) for k in range(6)
                ]
                for kind, offset in offsets:
                    round_id += 1
                    con.execute(
                        "INSERT INTO vc_rounds (id, conference, kind, started_at, duration_s, counts,"
                        " conference_checks) VALUES (?, ?, ?, ?, 3.0, '{}', '[]')",
                        (round_id, conf, kind, start + offset),
                    )
                    colours = [
                        ("GREEN" if rng.random() < 0.96 else rng.choice(("AMBER", "RED"))) for _ in rooms
                    ]
                    con.executemany(
                        "INSERT INTO vc_room_results (round_id, room, colour, reasons, checks)"
                        " VALUES (?, ?, ?, '[]', '[]')",
                        [(round_id, room, colour) for room, colour in zip(rooms, colours, strict=True)],
                    )
                    results += len(rooms)
        counts["precheck room results"] = results

        # configuration changes: two pushes a month to every router and switch; backups
        devices = [d.id for d in inv.devices.values() if d.platform.has_cli]
        change_rows = []
        for month in range(12):
            for n in range(2):
                started = datetime(YEAR, month + 1, 5 + 14 * n, 22, tzinfo=CST).timestamp()
                change = f"ch-{month + 1:02d}-{n}"
                for dev in devices:
                    outcome = (
                        "confirmed" if rng.random() < 0.97 else rng.choice(("reverted", "rejected", "failed"))
                    )
                    change_rows.append((change, dev, outcome, started))
        con.executemany(
            "INSERT INTO config_change_devices (change_id, device, wave, outcome, commands, templates, checks,"
            " rolled_back, started_at, duration_s) VALUES (?, ?, 1, ?, '[]', '{}', '[]', 0, ?, 4.0)",
            change_rows,
        )
        counts["change device rows"] = len(change_rows)
        con.executemany(
            "INSERT INTO config_device_status (device, last_backup_ok_at) VALUES (?, ?)",
            [(d, YEAR_END - rng.uniform(0, 30 * 3600)) for d in devices],
        )

        has_checks = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'service_checks'"
        ).fetchone()
        if has_checks and checks_per_hour > 0:
            step = 3600.0 / checks_per_hour
            sites = sorted(inv.sites)
            batch: list[tuple[object, ...]] = []
            total = 0
            t = YEAR_START
            while t < YEAR_END:
                for site_id in sites:
                    for svc in SERVICES:
                        ok = rng.random() < 0.995
                        batch.append((site_id, svc, "https://x/", t, ok, 12.0, "ok" if ok else "fail"))
                if len(batch) > 200_000:
                    con.executemany(
                        "INSERT INTO service_checks (site, service, endpoint, checked_at, ok, latency_ms, source,"
                        " state) VALUES (?, ?, ?, ?, ?, ?, 'centre', ?)",
                        batch,
                    )
                    total += len(batch)
                    batch = []
                t += step
            con.executemany(
                "INSERT INTO service_checks (site, service, endpoint, checked_at, ok, latency_ms, source, state)"
                " VALUES (?, ?, ?, ?, ?, ?, 'centre', ?)",
                batch,
            )
            counts["service check rows"] = total + len(batch)
    con.close()
    return counts


# A small process between this one and netops measures netops' resources: a child forked from this (large,
# after filling the store) process would count this process's pages in its peak resident memory until exec.
_MEASURE = """
import json, os, subprocess, sys, time
with open(sys.argv[1], "w") as log:
    t0 = time.perf_counter()
    proc = subprocess.Popen(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
print(json.dumps([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]))
"""


def run_report(inventory: Path, state: Path, fmt: str, out: Path) -> tuple[float, float, float, str]:
    """``netops report --period YEAR`` in its own process: wall seconds, CPU seconds (user + system), peak RSS
    (MiB), its message."""
    args = [
        sys.executable,
        "-m",
        "netops",
        "report",
        "--period",
        str(YEAR),
        "--format",
        fmt,
        "--output",
        str(out),
    ]
    args += ["--inventory", str(inventory), "--state-dir", str(state)]
    log = out.with_suffix(".log")
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(log), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    wall, cpu, rss_kib, code = json.loads(done.stdout)
    if code != 0:
        raise SystemExit(f"netops report --format {fmt} failed:\n{log.read_text()}")
    return float(wall), float(cpu), float(rss_kib) / 1024.0, log.read_text().strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--checks-per-hour", type=int, default=1, help="service checks per site and service")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--dir", type=Path, help="keep the region and its store here (reused when present)")
    opts = parser.parse_args(argv)
    from netops.store.db import open_store

    with tempfile.TemporaryDirectory(prefix="netops-report-bench-") as tmp:
        root = opts.dir or Path(tmp)
        inventory, state = root / "inventory", root / "state"
        counts_file = root / "counts.json"
        if counts_file.is_file():
            counts = json.loads(counts_file.read_text())
        else:
            gen_inventory([str(inventory), "--devices", "196", "--counties", "3"])
            open_store(f"sqlite:///{state / 'netops.db'}").close()
            t0 = time.perf_counter()
            counts = fill(state / "netops.db", inventory, random.Random(opts.seed), opts.checks_per_hour)
            print(f"stored in {time.perf_counter() - t0:.1f} s: {counts}")
            counts_file.write_text(json.dumps(counts))
        open_store(f"sqlite:///{state / 'netops.db'}").close()  # migrations applied before anything is timed
        size_mib = (state / "netops.db").stat().st_size / 2**20
        results = []
        for fmt in ("csv", "html", "pdf"):
            load = os.getloadavg()[0]
            wall, cpu, rss, said = run_report(inventory, state, fmt, root / f"report-{YEAR}.{fmt}")
            size = (root / f"report-{YEAR}.{fmt}").stat().st_size / 1024.0
            results.append((fmt, wall, cpu, rss, size, load))
            print(
                f"{fmt}: {wall:.2f} s wall, {cpu:.2f} s CPU, {rss:.0f} MiB peak RSS, {size:.0f} KiB; {said}"
            )
    stored = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    lines = [
        "## The yearly assessment report (`bench/report_year.py`)",
        "",
        f"Command: `.venv/bin/python -m bench.report_year` ({datetime.now(CST).date()}; {machine()}; other",
        "engineers' tests ran on the machine meanwhile). The region: 196 devices, 65 sites (centre, 16",
        f"prefectures, 48 counties), 64 rooms; the year {YEAR} stored in SQLite ({size_mib:.0f} MiB): {stored}.",
        f"Each row is `netops report --period {YEAR} --format F` in its own process (start-up, inventory load,",
        "queries, charts, layout): wall time, CPU time and peak resident memory of that process (`os.wait4`), with",
        "the machine's 1-minute load average just before (2 cores: above 2, other work competed). Goal: < 10 s.",
        "",
        "| format | wall s | CPU s (user + sys) | peak RSS MiB | file KiB | load average before |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {fmt} | {wall:.2f} | {cpu:.2f} | {rss:.0f} | {size:.0f} | {load:.1f} |"
            for fmt, wall, cpu, rss, size, load in results
        ),
    ]
    text = "\n".join(lines)
    print(text)
    if not opts.no_write:
        write_section(text, MARKS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
