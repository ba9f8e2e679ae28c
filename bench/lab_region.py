"""Benchmark: the full lab region up (every device of inventory/), its start time, memory and idle CPU.

Goal (issue 3): up in under 10 s, under 400 MB RSS, idle CPU under 5 %. Starts `netops lab up --detach` with a
temporary state dir and secrets file, reads the lab process's RSS and CPU from /proc, then `netops lab down`.
Writes the table into docs/benchmarks.md between this benchmark's markers.

    .venv/bin/python bench/lab_region.py [--idle-seconds 10] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: make the repository importable

from bench.benchreport import machine, write_section  # noqa: E402

MARKS = ("<!-- bench:lab_region -->", "<!-- /bench:lab_region -->")
TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def proc_mem_mb(pid: int) -> tuple[float, float]:
    rss = hwm = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) / 1024
    return rss, hwm


def main() -> int:
    parser = argparse.ArgumentParser(description="Full lab region: start time, memory, idle CPU.")
    parser.add_argument("--inventory", type=Path, default=REPO / "inventory")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--control-port", type=int, default=8699)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NETOPS_SECRETS_FILE": str(Path(tmp) / "secrets.yaml")}
        state = Path(tmp) / "state"
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "netops",
                "lab",
                "up",
                "--detach",
                "--inventory",
                str(args.inventory),
                "--state-dir",
                str(state),
                "--control-port",
                str(args.control_port),
            ],
            check=True,
            env=env,
            cwd=REPO,
            capture_output=True,
        )
        wall_up = time.perf_counter() - t0
        run = json.loads((state / "lab.json").read_text())
        pid = int(run["pid"])
        try:
            rss_start, _ = proc_mem_mb(pid)
            cpu0, w0 = proc_cpu_s(pid), time.perf_counter()
            time.sleep(args.idle_seconds)
            idle_pct = 100 * (proc_cpu_s(pid) - cpu0) / (time.perf_counter() - w0)
            rss, hwm = proc_mem_mb(pid)
        finally:
            subprocess.run(
                [sys.executable, "-m", "netops", "lab", "down", "--state-dir", str(state)],
                check=True,
                env=env,
                cwd=REPO,
                capture_output=True,
            )
    lines = [
        "## The lab region",
        "",
        f"Command: `.venv/bin/python bench/lab_region.py --idle-seconds {args.idle_seconds:g}` "
        f"({time.strftime('%Y-%m-%d')}; {machine()}). Goals: up < 10 s, RSS < 400 MB, idle CPU < 5 %.",
        "",
        "| devices | `lab up --detach` until ready s | simulators started s | RSS MB (peak) | idle CPU % |",
        "| ---: | ---: | ---: | ---: | ---: |",
        f"| {run['devices']} | {wall_up:.2f} | {run['started_s']:.2f} | {rss:.0f} ({hwm:.0f}) | {idle_pct:.2f} |",
        "",
        f"RSS right after start: {rss_start:.0f} MB. Every device has its SSH CLI and SNMP agent; every codec and "
        "the MCU their status API, SIP responder and probe reflector; all on their own 127.x address.",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(text, MARKS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
