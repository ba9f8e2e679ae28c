"""Benchmark: SSH logins per second against the lab CLI (``netops.lab.cli``), with asyncssh and netmiko clients.

The lab SSH server runs in a child process (this script with ``--serve``), one asyncio loop for all devices
as in ``netops lab``, so the clients' CPU does not share its core. A *login* is the whole path a poller pays:
TCP connect, key exchange, password authentication, PTY + shell, and the first prompt read back. Then:

- asyncssh: ``--logins`` logins spread over the devices, ``--parallel`` at a time, from one asyncio loop;
- netmiko: ``--netmiko`` full ``ConnectHandler`` sessions (login + paging off + prompt discovery) from
  ``--parallel`` threads, closed with ``quit`` as scripts do.

Usage: .venv/bin/python bench/lab_ssh_logins.py --devices 50 --logins 400 --netmiko 40 --parallel 8
Everything binds and connects on 127.66.250.0/23 only (the lab CLI test range), port 2222.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from netops.lab.testing import write_secrets

PORT = 2222
USER, PASSWORD = "netops", "bench-Pa55word"
PLATFORMS = ("huawei_vrp8", "huawei_vrp5", "h3c_comware7", "cisco_ios")
NETMIKO = {
    "huawei_vrp8": "huawei_vrpv8",
    "huawei_vrp5": "huawei",
    "h3c_comware7": "hp_comware",
    "cisco_ios": "cisco_ios",
}


def address(i: int) -> str:
    return f"127.66.{250 + i // 250}.{i % 250 + 1}"


def write_inventory(directory: Path, devices: int) -> None:
    lines = [
        "credentials: [{id: bench-cli, username: netops, password: {secret: bench-cli}}]",
        "sites:",
        "  - {id: centre, name: 自治区, tier: region, devices: [",
    ]
    for i in range(devices):
        platform = PLATFORMS[i % len(PLATFORMS)]
        lines.append(
            f"      {{id: dev{i}, role: ce, platform: {platform}, address: {address(i)}, ssh_port: {PORT},"
            f" credential: bench-cli, snmp_profile: null, interfaces: [{{name: GE0/0/0}}]}},"
        )
    lines.append("    ]}")
    (directory / "region.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    secrets = directory.parent / "secrets.yaml"
    write_secrets(secrets, {"bench-cli": PASSWORD})


def serve(directory: Path) -> None:
    """Child process: run the lab SSH server until stdin closes."""
    from netops.inventory.loader import load_inventory
    from netops.lab.simulators import start_parts
    from netops.lab.state import LabWorld
    from netops.secrets import SecretStore

    async def main() -> None:
        world = LabWorld(load_inventory(directory))
        secrets = SecretStore(directory.parent / "secrets.yaml")
        lab = (await start_parts(world, secrets, snmp=False, codecs=False))["ssh"]
        print("ready", flush=True)
        cpu = time.process_time()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        used = time.process_time() - cpu
        print(
            f"{lab.logins} logins in {used:.2f} CPU-s of the server = {lab.logins / used:.0f} logins per "
            "server CPU-second",
            flush=True,
        )
        await lab.close()

    asyncio.run(main())


async def asyncssh_logins(devices: int, logins: int, parallel: int) -> list[float]:
    import asyncssh

    sem = asyncio.Semaphore(parallel)
    times: list[float] = []

    async def one(i: int) -> None:
        async with sem:
            start = time.perf_counter()
            async with asyncssh.connect(
                address(i % devices), PORT, username=USER, password=PASSWORD, known_hosts=None
            ) as conn:
                proc = await conn.create_process(term_type="vt100")
                text = ""
                while not text.rstrip().endswith((">", "#", "]")):
                    text += await proc.stdout.read(4096)
                proc.stdin.write("quit\n")
                proc.close()
            times.append(time.perf_counter() - start)

    await asyncio.gather(*(one(i) for i in range(logins)))
    return times


def netmiko_logins(devices: int, sessions: int, parallel: int) -> list[float]:
    from netmiko import ConnectHandler

    platforms = [PLATFORMS[i % len(PLATFORMS)] for i in range(devices)]
    lock = threading.Lock()
    times: list[float] = []

    def one(i: int) -> None:
        d = i % devices
        start = time.perf_counter()
        conn = ConnectHandler(
            device_type=NETMIKO[platforms[d]], host=address(d), port=PORT, username=USER, password=PASSWORD
        )
        conn.write_channel("quit\n")
        conn.paramiko_cleanup()
        with lock:
            times.append(time.perf_counter() - start)

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, range(sessions)))
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=50)
    ap.add_argument("--logins", type=int, default=400)
    ap.add_argument("--netmiko", type=int, default=40)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return
    with tempfile.TemporaryDirectory() as tmp:
        inv = Path(tmp) / "inventory"
        inv.mkdir()
        write_inventory(inv, args.devices)
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(inv)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            if child.stdout.readline().strip() != "ready":
                raise SystemExit("the lab SSH server did not start")
            start = time.perf_counter()
            times = asyncio.run(asyncssh_logins(args.devices, args.logins, args.parallel))
            wall = time.perf_counter() - start
            print(
                f"asyncssh: {args.logins} logins in {wall:.2f} s = {args.logins / wall:.0f} logins/s "
                f"(parallel {args.parallel}; median {statistics.median(times) * 1000:.0f} ms per login)"
            )
            if args.netmiko:
                start = time.perf_counter()
                times = netmiko_logins(args.devices, args.netmiko, args.parallel)
                wall = time.perf_counter() - start
                print(
                    f"netmiko:  {args.netmiko} sessions in {wall:.2f} s = {args.netmiko / wall:.1f} sessions/s "
                    f"(parallel {args.parallel}; median {statistics.median(times):.2f} s per ConnectHandler)"
                )
        finally:
            child.stdin.close()
            print("server:", child.stdout.read().strip())
            child.wait(10)


if __name__ == "__main__":
    main()
