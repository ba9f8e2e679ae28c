"""Benchmark: what a ``netops`` command costs to start, hyperfine-style: N runs per command, median wall time
and median CPU (user + sys of the command's own process, from ``os.wait4``), next to ``python -c pass`` as the
anchor measured in the same run.

Commands: ``netops --help``; ``netops inventory validate`` on the shipped region; ``netops lab up --detach``
and ``netops lab down`` on a temporary state folder (the lab process itself is not counted: it is a detached
grandchild, and ``lab down`` waits for it to stop).

Usage: .venv/bin/python bench/cli_startup.py [--runs 10] [--lab-runs 5] [--tree DIR]
``--tree DIR`` measures another checkout of the package (``python -m netops`` with ``PYTHONPATH=DIR``), e.g. a
``git worktree`` of an older commit, for a before/after table. The lab binds the shipped region's 127.x
addresses: run it where nothing else uses them (``unshare -n sh -c 'ip link set lo up && ...'``).
Prints a Markdown section for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1])
)  # run as a script: make the repository importable

from bench.benchreport import REPO, machine


@dataclass(frozen=True, slots=True)
class Sample:
    wall_s: float
    cpu_s: float
    rc: int


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> Sample:
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr is not None:
        errors = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{errors}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, proc.returncode)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(slots=True)
class Row:
    name: str
    samples: list[Sample]

    def median(self, pick: Callable[[Sample], float]) -> float:
        return statistics.median(pick(s) for s in self.samples)


def measure(runs: int, lab_runs: int, tree: Path | None) -> list[Row]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("NETOPS_STATE_DIR", None)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    netops = [sys.executable, "-m", "netops"]
    rows = [
        Row("`python -c pass` (anchor)", []),
        Row("`netops --help`", []),
        Row("`netops inventory validate`", []),
        Row("`netops lab up --detach`", []),
        Row("`netops lab down`", []),
    ]
    inventory = str(REPO / "inventory")
    simple = [
        [sys.executable, "-c", "pass"],
        [*netops, "--help"],
        [*netops, "inventory", "validate", inventory],
    ]
    with tempfile.TemporaryDirectory(prefix="netops-bench-cli-") as tmp:
        cwd = Path(tmp)  # not the repository: `python -m` would import the package from the current folder
        for row, argv in zip(rows, simple, strict=False):
            run_once(argv, env, cwd)  # warm the file cache
            row.samples = [run_once(argv, env, cwd) for _ in range(runs)]
        state = Path(tmp) / "state"
        lab_env = {**env, "NETOPS_SECRETS_FILE": str(Path(tmp) / "secrets.yaml")}
        for i in range(lab_runs + 1):
            port = str(free_port())
            up = run_once([*netops, "lab", "up", "--detach", "--inventory", inventory, "--state-dir", str(state),
                           "--control-port", port], lab_env, cwd)  # fmt: skip
            down = run_once([*netops, "lab", "down", "--state-dir", str(state)], lab_env, cwd)
            if i:  # the first round warms the caches
                rows[3].samples.append(up)
                rows[4].samples.append(down)
    return rows


def report(rows: list[Row], runs: int, lab_runs: int, tree: Path | None) -> str:
    anchor_cpu = rows[0].median(lambda s: s.cpu_s)
    lines = [
        "| command | runs | wall s (median) | CPU s (median) | CPU over the anchor s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        wall, cpu = row.median(lambda s: s.wall_s), row.median(lambda s: s.cpu_s)
        over = "-" if row is rows[0] else f"{cpu - anchor_cpu:.3f}"
        lines.append(f"| {row.name} | {len(row.samples)} | {wall:.3f} | {cpu:.3f} | {over} |")
    what = f"the package in {tree}" if tree else "this checkout"
    return "\n".join(
        [
            f"Command: `.venv/bin/python bench/cli_startup.py --runs {runs} --lab-runs {lab_runs}` "
            f"({what}; {time.strftime('%Y-%m-%d')}; {machine()}).",
            "",
            *lines,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--lab-runs", type=int, default=5)
    parser.add_argument("--tree", type=Path, help="measure the netops package of this checkout instead")
    args = parser.parse_args()
    rows = measure(args.runs, args.lab_runs, args.tree)
    print(report(rows, args.runs, args.lab_runs, args.tree))


if __name__ == "__main__":
    main()
