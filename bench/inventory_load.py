"""Benchmark: load and validate a generated N-device inventory (default 10,000); goal under 1 s on 2 cores.

Measures, on one machine in one run:
- ``load_inventory`` in a fresh process (cold: imports done, nothing cached), median of ``--runs`` processes;
- ``netops inventory validate DIR`` as a user runs it (whole process, imports included), median wall time;
- peak RSS of the loading process;
- the shipped lab region for comparison.
Writes the table into docs/benchmarks.md between the markers of this benchmark (other sections stay).

    .venv/bin/python bench/inventory_load.py                 # 10,000 devices, 5 runs
    .venv/bin/python bench/inventory_load.py --devices 2000 --runs 3 --no-write
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: make the repository importable

from bench.benchreport import machine, write_section  # noqa: E402
from bench.gen_inventory import write_inventory  # noqa: E402

MARKS = ("<!-- bench:inventory_load -->", "<!-- /bench:inventory_load -->")

_CHILD = """
import json, resource, sys, time
from netops.inventory import load_inventory
t = time.perf_counter()
inv = load_inventory(sys.argv[1])
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "devices": len(inv.devices), "sites": len(inv.sites), "links": len(inv.links),
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def load_in_fresh_process(directory: Path) -> dict[str, float]:
    res = subprocess.run(
        [sys.executable, "-c", _CHILD, str(directory)], capture_output=True, text=True, check=True, cwd=REPO
    )
    data: dict[str, float] = json.loads(res.stdout)
    return data


def cli_validate(directory: Path) -> float:
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "netops", "inventory", "validate", str(directory)],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    return time.perf_counter() - t


def measure(directory: Path, runs: int) -> dict[str, float]:
    loads = [load_in_fresh_process(directory) for _ in range(runs)]
    clis = [cli_validate(directory) for _ in range(runs)]
    return {
        "devices": loads[0]["devices"],
        "sites": loads[0]["sites"],
        "links": loads[0]["links"],
        "load_median_s": statistics.median(x["seconds"] for x in loads),
        "load_max_s": max(x["seconds"] for x in loads),
        "cli_median_s": statistics.median(clis),
        "maxrss_mb": max(x["maxrss_mb"] for x in loads),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "inv"
        write_inventory(directory, args.devices)
        big = measure(directory, args.runs)
    shipped = measure(REPO / "inventory", args.runs)
    rows = [("generated", big), ("shipped lab region", shipped)]
    lines = [
        "## Inventory load and validation",
        "",
        f"Command: `.venv/bin/python bench/inventory_load.py --devices {args.devices} --runs {args.runs}` "
        f"({time.strftime('%Y-%m-%d')}; {machine()}). Goal: 10,000 devices under 1 s.",
        "",
        "| inventory | devices | sites | links | load_inventory median s (max) | `netops inventory validate` s "
        "| peak RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['devices']:.0f} | {r['sites']:.0f} | {r['links']:.0f} | "
            f"{r['load_median_s']:.3f} ({r['load_max_s']:.3f}) | {r['cli_median_s']:.3f} | "
            f"{r['maxrss_mb']:.0f} |"
        )
    lines += [
        "",
        "`load_inventory` runs in a fresh process each time (imports excluded); the CLI column is the "
        "whole command, imports and output included. What made it fast: libyaml's C composer with a "
        "small node walker instead of PyYAML's generic constructor (0.9 s -> 0.5 s of parsing), the "
        "cyclic garbage collector paused while loading (3.0 s -> 1.1 s), and per-site indexes built "
        "once instead of scans (the path check was quadratic).",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(text, MARKS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
