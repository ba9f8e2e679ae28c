"""Benchmark: diff + push + post-check + confirm to N lab devices with netops, next to a plain sequential
netmiko loop doing the same, in the same run.

The lab (SSH CLIs and SNMP agents of every device) runs in a child process (this script with ``--serve``),
so the CPU figures are netops' own. The region is generated: a VRP8 core at the centre, prefecture CEs and
county CEs of all four platforms, linked (OSPF neighbours) and addressed, on 127.75.0.0/16 (ports 2222 and
16161). The templates are the shipped ``inventory/templates``.

- netops: ``run_change`` with every device in one wave (``--concurrency`` netmiko sessions at once), and
  then again on a fresh lab with the planned waves (canary, prefecture, batches, centre last);
- plain loop: for each device, one after the other, what a script does with netmiko's usual calls:
  ``ConnectHandler``, ``send_command`` for the running configuration, the same remediation commands,
  ``send_config_set`` (+ ``commit()`` on VRP8), two displays as post-checks, ``save_config``,
  ``disconnect``. It runs on ``--sequential`` devices (a few per platform; all N would take many minutes)
  and its per-device time is extrapolated to N.

Usage: .venv/bin/python bench/config_push.py --devices 100 --concurrency 32 --sequential 8 [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchreport import REPO, machine, write_section
from netops.lab.testing import write_secrets

PASSWORD, COMMUNITY = "bench-Pa55word", "bench-c0mm"
PLATFORMS = ("huawei_vrp8", "h3c_comware7", "huawei_vrp5", "cisco_ios")
MARKS = ("<!-- bench:config_push -->", "<!-- /bench:config_push -->")


def ifname(platform: str, port: int) -> str:
    return f"Gi0/0/{port}" if platform == "cisco_ios" else f"GE0/0/{port}"


def write_region(directory: Path, devices: int) -> list[str]:
    """A centre core, prefectures of ~10 CEs each (one prefecture CE + counties); returns the device ids."""
    prefectures = max(1, (devices - 1 + 9) // 10)
    lines = [
        "defaults: {credential: bench, snmp_profile: bench-v2c, ssh_port: 2222, snmp_port: 16161,",
        "  vars: {ntp_server: 127.75.0.1, syslog_server: 127.1.0.6, ospf_process: 1}}",
        'snmp_profiles: [{id: bench-v2c, version: "2c", community: {secret: bench-community}, timeout_s: 1.0}]',
        "credentials: [{id: bench, username: netops, password: {secret: bench-cli}}]",
        "sites:",
    ]
    links: list[str] = []
    ids = ["centre-core1"]
    link_no = 0

    def pair() -> tuple[str, str]:
        nonlocal link_no
        base = link_no * 4
        link_no += 1
        return f"10.75.{base // 256}.{base % 256 + 1}/30", f"10.75.{base // 256}.{base % 256 + 2}/30"

    core_itfs: list[str] = []
    sites: list[str] = []
    left = devices - 1
    for p in range(prefectures):
        if left <= 0:
            break
        pf_id, pf_plat = f"pf{p:02d}-ce1", PLATFORMS[p % 2]
        up_parent, up_child = pair()
        core_itfs.append(f"{{name: GE0/0/{p + 1}, kind: downlink, address: {up_parent}}}")
        links.append(f'  - {{a: "{pf_id}:{ifname(pf_plat, 0)}", b: "centre-core1:GE0/0/{p + 1}"}}')
        pf_itfs = [
            f"{{name: {ifname(pf_plat, 0)}, kind: uplink, description: to-centre, address: {up_child}}}"
        ]
        counties: list[str] = []
        for c in range(min(9, left - 1)):
            cid, cplat = f"pf{p:02d}-c{c}-ce1", PLATFORMS[(p + c) % 4]
            a, b = pair()
            pf_itfs.append(f"{{name: {ifname(pf_plat, c + 1)}, kind: downlink, address: {a}}}")
            links.append(f'  - {{a: "{cid}:{ifname(cplat, 0)}", b: "{pf_id}:{ifname(pf_plat, c + 1)}"}}')
            n = len(ids) + len(counties) + 1
            counties.append(
                f"  - {{id: pf{p:02d}-c{c}, name: county-{p}-{c}, parent: pf{p:02d}, devices: [{{id: {cid}, role: ce,"
                f" platform: {cplat}, address: 127.75.{n // 250}.{n % 250 + 1}, interfaces: [{{name:"
                f" {ifname(cplat, 0)}, kind: uplink, description: to-prefecture, address: {b}}}]}}]}}"
            )
        n = len(ids)
        sites.append(
            f"  - {{id: pf{p:02d}, name: prefecture-{p}, parent: centre, devices: [{{id: {pf_id}, role: ce,"
            f" platform: {pf_plat}, address: 127.75.{n // 250}.{n % 250 + 1}, interfaces: [{', '.join(pf_itfs)}]}}]}}"
        )
        ids.append(pf_id)
        ids.extend(f"pf{p:02d}-c{c}-ce1" for c in range(len(counties)))
        sites.extend(counties)
        left -= 1 + len(counties)
    lines.append(
        "  - {id: centre, name: centre, tier: region, devices: [{id: centre-core1, role: core, platform:"
        f" huawei_vrp8, address: 127.75.0.1, interfaces: [{', '.join(core_itfs)}]}}]}}"
    )
    lines += sites
    lines += ["links:", *links]
    (directory / "region.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copytree(REPO / "inventory" / "templates", directory / "templates")
    secrets = directory.parent / "secrets.yaml"
    write_secrets(secrets, {"bench-cli": PASSWORD, "bench-community": COMMUNITY})
    return ids


def serve(directory: Path) -> None:
    """Child process: the lab (SSH + SNMP) until stdin closes; prints its CPU seconds."""
    from netops.inventory.loader import load_inventory
    from netops.lab.simulators import start_parts
    from netops.lab.state import LabWorld
    from netops.secrets import SecretStore

    async def main() -> None:
        world = LabWorld(load_inventory(directory))
        secrets = SecretStore(directory.parent / "secrets.yaml")
        started = await start_parts(world, secrets, codecs=False)
        print("ready", flush=True)
        cpu = time.process_time()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        print(f"{time.process_time() - cpu:.2f}", flush=True)
        for sim in reversed(started.values()):
            await sim.close()

    asyncio.run(main())


class LabProcess:
    def __init__(self, directory: Path) -> None:
        self.child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(directory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert self.child.stdout is not None
        if self.child.stdout.readline().strip() != "ready":
            raise SystemExit("the lab did not start")

    def stop(self) -> float:
        assert self.child.stdin is not None and self.child.stdout is not None
        self.child.stdin.close()
        cpu = float(self.child.stdout.readline().strip() or "nan")
        self.child.wait(20)
        return cpu


def netops_push(
    directory: Path, ids: list[str], concurrency: int, waves: bool
) -> tuple[float, float, dict[str, int]]:
    from netops.changes.apply import ChangeRequest, run_change
    from netops.changes.plan import Wave, plan_waves
    from netops.drivers.snmp.source import SnmpSource
    from netops.inventory.loader import load_inventory
    from netops.secrets import SecretStore
    from netops.store.db import open_store

    inv = load_inventory(directory)
    secrets = SecretStore(directory.parent / "secrets.yaml")
    store = open_store(f"sqlite:///{directory.parent / f'bench-{waves}.db'}")
    plan = (
        plan_waves(inv, ids, concurrency=concurrency, failure_budget=2)
        if waves
        else [Wave(1, "all", tuple(ids), 2, concurrency)]
    )

    async def go() -> dict[str, int]:
        request = ChangeRequest(plan, user="bench", reason="benchmark", threads=concurrency)
        snmp = SnmpSource(lambda: inv, secrets)
        run = await run_change(inv, secrets, store, request, [], snmp)
        return run.summary()

    wall, cpu = time.perf_counter(), time.process_time()
    summary = asyncio.run(go())
    result = time.perf_counter() - wall, time.process_time() - cpu, summary
    store.close()
    return result


def sequential(directory: Path, ids: list[str]) -> list[float]:
    """The plain loop on ``ids``: seconds per device."""
    from netmiko import ConnectHandler

    from netops.changes.render import Renderer
    from netops.drivers.platforms.remediation import diff_texts
    from netops.drivers.platforms.syntax import syntax_for
    from netops.inventory.loader import load_inventory
    from netops.secrets import SecretStore

    inv = load_inventory(directory)
    renderer = Renderer(inv, SecretStore(directory.parent / "secrets.yaml"))
    times = []
    for dev_id in ids:
        t0 = time.perf_counter()
        dev = inv.device(dev_id)
        ios = dev.platform.value == "cisco_ios"
        conn = ConnectHandler(
            device_type=dev.platform.netmiko_device_type,
            host=str(dev.address),
            port=dev.ssh_port,
            username="netops",
            password=PASSWORD,
        )
        running = str(conn.send_command("show running-config" if ios else "display current-configuration"))
        commands = diff_texts(syntax_for(dev.platform), running, renderer.render(dev_id).text).commands
        conn.send_config_set(commands)
        if dev.platform.value == "huawei_vrp8":
            conn.commit()
        conn.send_command("show ip interface brief" if ios else "display interface brief")
        conn.send_command("show ip ospf neighbor" if ios else "display ospf peer")
        conn.save_config()
        conn.disconnect()
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--devices", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--sequential", type=int, default=8, help="devices for the plain loop (0: skip)")
    ap.add_argument("--write", action="store_true", help="write the result into docs/benchmarks.md")
    ap.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        inv_dir = Path(tmp) / "inventory"
        inv_dir.mkdir()
        ids = write_region(inv_dir, args.devices)
        for waves in (False, True):
            lab = LabProcess(inv_dir)
            try:
                wall, cpu, summary = netops_push(inv_dir, ids, args.concurrency, waves)
            finally:
                lab_cpu = lab.stop()
            label = "planned waves" if waves else "one wave"
            print(
                f"netops ({label}): {len(ids)} devices in {wall:.2f} s, CPU {cpu:.2f} s (lab {lab_cpu:.2f} s)"
            )
            print(f"  outcomes: {summary}")
            rows.append((label, wall, cpu, lab_cpu, summary))
        seq_per_device = None
        if args.sequential:
            sample = [ids[i] for i in range(0, len(ids), max(1, len(ids) // args.sequential))][
                : args.sequential
            ]
            lab = LabProcess(inv_dir)
            try:
                times = sequential(inv_dir, sample)
            finally:
                lab.stop()
            seq_per_device = statistics.mean(times)
            print(
                f"plain sequential netmiko loop: {len(sample)} devices, {seq_per_device:.2f} s per device "
                f"(min {min(times):.2f}, max {max(times):.2f}) -> {seq_per_device * len(ids):.0f} s for {len(ids)}"
            )
    if args.write:
        write(rows, seq_per_device, len(ids), args)


def write(
    rows: list[tuple[str, float, float, float, dict[str, int]]],
    seq: float | None,
    n: int,
    args: argparse.Namespace,
) -> None:
    lines = [
        "## Configuration push",
        "",
        f"Command: `.venv/bin/python bench/config_push.py --devices {args.devices} --concurrency {args.concurrency}"
        f" --sequential {args.sequential} --write` ({time.strftime('%Y-%m-%d')}; {machine()}; the lab in its own"
        " process). Goal: 100 devices in under 60 s on 2 cores, at least 10x the sequential loop.",
        "",
        "| run | devices | wall s | netops CPU s | lab CPU s | outcomes | vs sequential |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for label, wall, cpu, lab_cpu, summary in rows:
        ratio = f"{seq * n / wall:.0f}x" if seq else "-"
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(summary.items()))
        lines.append(
            f"| netops, {label} | {n} | {wall:.1f} | {cpu:.1f} | {lab_cpu:.1f} | {outcomes} | {ratio} |"
        )
    if seq:
        lines.append(
            f"| plain sequential netmiko loop | {n} (extrapolated) | {seq * n:.0f} | - | - | - | 1x |"
        )
    lines += [
        "",
        "Per device, netops does: lock, render, login, read the running configuration, block-aware diff, baseline"
        " (interfaces, OSPF neighbours over SSH; SNMP), the remediation under a confirmed commit, post-checks from"
        " a new SSH login and SNMP, confirm, save, read the configuration again to verify. The plain loop skips the"
        " confirmed commit, SNMP and the verification, and uses netmiko's usual calls, whose Huawei/Comware"
        " config-mode checks wait for 2 s of silence each; its time per device is measured on a sample of"
        f" {args.sequential} devices (every platform) and multiplied by {n}.",
    ]
    write_section("\n".join(lines), MARKS)


if __name__ == "__main__":
    main()
