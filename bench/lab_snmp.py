"""Benchmark: GETBULK answers per second per core of the lab SNMP agents, next to net-snmp's snmpd.

Both agents are driven the same way, in the same run: ``snmpbulkwalk`` processes (``xargs -P``) walking ifTable
(1.3.6.1.2.1.2.2) of every endpoint, max-repetitions 25 by default. The figure compared is GETBULK requests
answered per CPU-second of the *agent* process (from /proc/<pid>/task/*/schedstat), so the clients' own cost
on the same cores does not distort it. The lab agent runs in a child process (this script with ``--serve``),
one asyncio loop for all its devices as in ``netops lab``; snmpd is started from the shared bench anchors
(``start_agents.sh``: one snmpd process serving N UDP endpoints on 127.0.0.1).

Usage: .venv/bin/python bench/lab_snmp.py --devices 100 --rows 4 --parallel 8 --cycles 3 [--v3] [--no-snmpd]
Everything binds and sends on 127.0.0.0/8 only (lab: 127.69.x.y:16200, snmpd: 127.0.0.1:21001..).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netops.lab.testing import write_secrets

ANCHORS = (
    Path(__file__).resolve().parents[2] / "shared" / "bench-anchors" / "snmp"
)  # ../shared beside the repo
LAB_PORT = 16200
SNMPD_BASE = 21000
COMMUNITY, AUTH, PRIV = "bench-community", "bench-auth-pass", "bench-priv-pass"
IF_TABLE = "1.3.6.1.2.1.2.2"
SNMP_IN_PKTS = "1.3.6.1.2.1.11.1.0"


def lab_address(i: int) -> str:
    return f"127.69.{i // 250}.{i % 250 + 1}"


def write_inventory(directory: Path, devices: int, rows: int) -> Path:
    lines = [
        "defaults: {platform: huawei_vrp8, snmp_profile: bench-v2c, credential: bench-cli, snmp_port: 16200}",
        "snmp_profiles:",
        '  - {id: bench-v2c, version: "2c", community: {secret: bench-community}}',
        '  - {id: bench-v3, version: "3", user: perfuser, auth_protocol: sha, auth_key: {secret: bench-auth},',
        "     priv_protocol: aes, priv_key: {secret: bench-priv}}",
        "credentials: [{id: bench-cli, username: netops, password: {secret: bench-cli}}]",
        "sites:",
        "  - {id: centre, name: 自治区, tier: region, devices: [",
    ]
    itfs = ", ".join(f"{{name: GE0/0/{k}}}" for k in range(rows))
    for i in range(devices):
        profile = "bench-v3" if i % 2 else "bench-v2c"
        lines.append(
            f"      {{id: dev{i}, role: ce, address: {lab_address(i)}, snmp_profile: {profile},"
            f" interfaces: [{itfs}]}},"
        )
    lines.append("    ]}")
    (directory / "inventory").mkdir()
    (directory / "inventory" / "region.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    secrets = directory / "secrets.yaml"
    write_secrets(
        secrets,
        {"bench-community": COMMUNITY, "bench-auth": AUTH, "bench-priv": PRIV, "bench-cli": "bench-cli-pass"},
    )
    return secrets


async def serve(directory: Path) -> None:
    """Child process: run the lab agents; answer 'stats' lines on stdin with JSON counters; stop at EOF."""
    from netops.inventory.loader import load_inventory
    from netops.lab.simulators import start_parts
    from netops.lab.state import LabWorld
    from netops.secrets import SecretStore

    world = LabWorld(load_inventory(directory / "inventory"))
    lab = (await start_parts(world, SecretStore(directory / "secrets.yaml"), ssh=False, codecs=False))["snmp"]
    loop = asyncio.get_running_loop()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        sys.stdout.write(json.dumps(dict(lab.counters())) + "\n")
        sys.stdout.flush()
    await lab.close()


def cpu_seconds(pid: int) -> float:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1e9


def walk_all(targets: list[str], security: list[str], parallel: int, maxrep: int) -> tuple[int, int]:
    """One cycle: walk ifTable of every target; returns (output lines, error lines)."""
    cmd = [
        "xargs",
        "-P",
        str(parallel),
        "-I{}",
        "snmpbulkwalk",
        *security,
        "-m",
        "",
        "-On",
        "-t",
        "5",
        "-r",
        "3",
        f"-Cr{maxrep}",
        "{}",
        IF_TABLE,
    ]
    env = {**os.environ, "MIBS": ""}
    done = subprocess.run(
        cmd, input="\n".join(targets) + "\n", capture_output=True, text=True, env=env, check=False
    )
    return done.stdout.count("\n"), done.stderr.count("\n")


def measure(
    name: str,
    pid: int,
    targets: list[str],
    security: list[str],
    count: Callable[[], int],
    args: Any,
    overhead: int = 0,
) -> dict[str, Any]:
    """Run the cycles; ``count()`` reads the agent's GETBULK (or packet) counter, ``overhead`` is subtracted
    per cycle for packets that are not GETBULKs."""
    walk_all(targets, security, args.parallel, args.maxrep)  # warm-up: keys, views, page cache
    rates: list[float] = []
    walls: list[float] = []
    cpus: list[float] = []
    answered: list[int] = []
    for _ in range(args.cycles):
        before, cpu0, t0 = count(), cpu_seconds(pid), time.perf_counter()
        lines, errors = walk_all(targets, security, args.parallel, args.maxrep)
        wall, cpu, n = time.perf_counter() - t0, cpu_seconds(pid) - cpu0, count() - before - overhead
        if errors:
            print(f"{name}: {errors} error lines from snmpbulkwalk", file=sys.stderr)
        rates.append(n / cpu if cpu > 0 else float("nan"))
        walls.append(wall)
        cpus.append(cpu)
        answered.append(n)
    result = {
        "agent": name,
        "endpoints": len(targets),
        "security": "v3 authPriv SHA/AES" if args.v3 else "v2c",
        "getbulk_per_cycle": statistics.median(answered),
        "varbind_lines": lines,
        "wall_s": round(statistics.median(walls), 3),
        "agent_cpu_s": round(statistics.median(cpus), 3),
        "getbulk_per_agent_cpu_s": round(statistics.median(rates)),
        "getbulk_per_wall_s": round(statistics.median(answered) / statistics.median(walls)),
    }
    print(json.dumps(result), flush=True)
    return result


def bench_lab(args: Any, tmp: Path) -> dict[str, Any]:
    write_inventory(tmp, args.devices, args.rows)
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(tmp)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        if child.stdout.readline().strip() != "ready":
            raise SystemExit("lab agent did not start")

        def count() -> int:
            assert child.stdin is not None and child.stdout is not None
            child.stdin.write("stats\n")
            child.stdin.flush()
            return int(json.loads(child.stdout.readline()).get("getbulk", 0))

        parity = 1 if args.v3 else 0
        targets = [f"{lab_address(i)}:{LAB_PORT}" for i in range(args.devices) if i % 2 == parity]
        security = (
            ["-v3", "-l", "authPriv", "-u", "perfuser", "-a", "SHA", "-A", AUTH, "-x", "AES", "-X", PRIV]
            if args.v3
            else ["-v2c", "-c", COMMUNITY]
        )
        return measure("netops lab agent", child.pid, targets, security, count, args)
    finally:
        child.stdin.close()
        child.wait(10)


def bench_snmpd(args: Any, tmp: Path) -> dict[str, Any] | None:
    if shutil.which("snmpd") is None or not ANCHORS.is_dir():
        print("snmpd or the bench anchors are missing: skipping the net-snmp comparison", file=sys.stderr)
        return None
    work = tmp / "snmpd"
    shutil.copytree(ANCHORS, work)
    for path in [work, *work.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    n = args.devices // 2
    subprocess.run(
        [str(work / "start_agents.sh"), str(n), "1", str(SNMPD_BASE)],
        check=True,
        cwd=work,
        capture_output=True,
    )
    pid = int((work / "agents.pids").read_text().split()[0])
    security = (
        [
            "-v3",
            "-l",
            "authPriv",
            "-u",
            "perfuser",
            "-a",
            "SHA",
            "-A",
            "perfauthpass",
            "-x",
            "AES",
            "-X",
            "perfprivpass",
        ]
        if args.v3
        else ["-v2c", "-c", "public"]
    )
    targets = [f"127.0.0.1:{SNMPD_BASE + 1 + i}" for i in range(n)]

    calls = [0]

    def count() -> int:
        """snmpInPkts less the GETs that read it (each counts itself)."""
        out = subprocess.run(
            ["snmpget", "-v2c", "-c", "public", "-m", "", "-On", "-Oqv", targets[0], SNMP_IN_PKTS],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "MIBS": ""},
        )
        calls[0] += 1
        return int(out.stdout.strip()) - calls[0]

    try:
        # v3: each snmpbulkwalk process first sends one engine-discovery probe, which snmpInPkts counts too
        return measure(
            "net-snmp snmpd 5.9", pid, targets, security, count, args, len(targets) if args.v3 else 0
        )
    finally:
        subprocess.run([str(work / "stop_agents.sh")], cwd=work, capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100, help="lab devices (half v2c, half v3)")
    parser.add_argument("--rows", type=int, default=4, help="interfaces per lab device (ifTable rows)")
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--maxrep", type=int, default=25)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--v3", action="store_true", help="SNMPv3 authPriv (SHA/AES) instead of v2c")
    parser.add_argument("--no-snmpd", action="store_true", help="skip the net-snmp comparison")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve))
        return
    with tempfile.TemporaryDirectory(prefix="lab-snmp-bench-") as tmp:
        results = [bench_lab(args, Path(tmp))]
        if not args.no_snmpd:
            other = bench_snmpd(args, Path(tmp))
            if other:
                results.append(other)
    print(
        f"\n{'agent':22} {'security':20} {'endpoints':>9} {'GETBULK/cycle':>13} {'agent CPU s':>11} "
        f"{'GETBULK/s per agent core':>24} {'cycle wall s':>12}"
    )
    for r in results:
        print(
            f"{r['agent']:22} {r['security']:20} {r['endpoints']:>9} {r['getbulk_per_cycle']:>13} "
            f"{r['agent_cpu_s']:>11} {r['getbulk_per_agent_cpu_s']:>24} {r['wall_s']:>12}"
        )


if __name__ == "__main__":
    main()
