"""Benchmark: a full precheck round of every room, for the lab region (``inventory/``) and for 200 generated rooms.

The codecs and the MCU run in a child process (this script with ``--serve``), as real codecs are other
machines; the precheck runs here, with the default thresholds (50-packet TWAMP-light bursts at 10 ms, SIP
OPTIONS, the status document; concurrency 100). Wall time of the round, CPU seconds of this process and of the
lab process (from /proc/<pid>/stat) are reported, the median of ``--repeat`` rounds. The generated region has
one site per room (a CE router and a codec) in 127.71.0.0/16 and an MCU at the centre; the lab region's
addresses are shifted to 127.200-224.x.y (``shifted_copy``) so the benchmark runs next to a running lab.

Usage: .venv/bin/python bench/vc_precheck.py [--generated 200] [--repeat 3] [--probe-count 50] [--write]
Everything binds and sends on 127.0.0.0/8 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchreport import REPO, machine, write_section
from netops.inventory.loader import load_inventory
from netops.inventory.topology import Topology
from netops.lab.testing import write_secrets
from netops.secrets import SecretStore
from netops.store.db import open_store
from netops.vc.conferences import Conference
from netops.vc.precheck import Prechecker
from netops.vc.thresholds import Thresholds

MARKS = ("<!-- bench:vc_precheck -->", "<!-- /bench:vc_precheck -->")
SECRETS = {"lab-codec-password": "bench-codec-pw", "lab-cli-password": "bench-cli-pw"}


def shifted_copy(src: Path, dst: Path) -> Path:
    """The shipped region with every 127.a.b.c moved to 127.(200+a).b.c, so the benchmark can run while a
    ``netops lab`` (or a test) holds the shipped addresses."""
    for path in src.rglob("*.yaml"):
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = path.read_text(encoding="utf-8")
        target.write_text(
            re.sub(r"\b127\.(\d+)\.", lambda m: f"127.{200 + int(m.group(1))}.", text), encoding="utf-8"
        )
    return dst


def codec_address(i: int) -> str:
    return f"127.71.{1 + i // 120}.{(i % 120) * 2 + 2}"


def write_generated(directory: Path, rooms: int) -> Path:
    lines = [
        "defaults: {platform: huawei_vrp8, snmp_profile: lab-v2c, credential: lab-cli, http_port: 10080,"
        " sip_port: 5060, probe_port: 10862}",
        'snmp_profiles: [{id: lab-v2c, version: "2c", community: {secret: lab-snmp-community}}]',
        "credentials:",
        "  - {id: lab-cli, username: netops, password: {secret: lab-cli-password}}",
        "  - {id: lab-codec, username: admin, password: {secret: lab-codec-password}}",
        "sites:",
        "  - id: centre",
        "    name: 自治区",
        "    tier: region",
        "    devices:",
        "      - {id: core1, role: core, address: 127.71.0.1, interfaces: [",
        *(f"          {{name: GE0/1/{i}, kind: downlink}}," for i in range(rooms)),
        "        ]}",
        "      - {id: mcu, role: mcu, platform: mcu, credential: lab-codec, address: 127.71.0.5}",
    ]
    for i in range(rooms):
        ce = codec_address(i).rsplit(".", 1)
        lines += [
            f"  - id: p{i}",
            f"    name: 地州{i}",
            "    parent: centre",
            "    devices:",
            f"      - {{id: p{i}-ce1, role: ce, address: {ce[0]}.{int(ce[1]) - 1},"
            f" interfaces: [{{name: GE0/0/0, kind: uplink}}, {{name: GE0/0/3, description: p{i}-codec}}]}}",
            f"      - {{id: p{i}-codec, role: codec, platform: codec, credential: lab-codec,"
            f" address: {codec_address(i)}}}",
            f"    rooms: [{{id: p{i}-vc, name: 会议室{i}, codec: p{i}-codec}}]",
        ]
    lines.append("links:")
    lines += [f"  - {{a: p{i}-ce1:GE0/0/0, b: core1:GE0/1/{i}}}" for i in range(rooms)]
    (directory / "region.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


async def serve(directory: Path, silent_every: int) -> None:
    """Child process: run every codec and the MCU of the inventory until stdin closes; every
    ``silent_every``-th codec (0: none) is powered off, so its checks wait for their timeouts."""
    from netops.inventory.models import Role
    from netops.lab.codec import start_codecs
    from netops.lab.state import LabWorld

    world = LabWorld(load_inventory(directory))
    codecs = [d.id for d in world.inventory.devices.values() if d.role is Role.CODEC]
    for dev in codecs[::silent_every] if silent_every else []:
        world.set_node_down(dev, True)
    async with await start_codecs(world, SecretStore()) as lab:
        sys.stdout.write(f"ready {len(lab.devices)}\n")
        sys.stdout.flush()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    directory: Path, repeat: int, th: Thresholds, env: dict[str, str], silent_every: int = 0
) -> dict[str, Any]:
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(directory), "--silent-every", str(silent_every)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    try:
        ready = child.stdout.readline().split()
        if not ready or ready[0] != "ready":
            raise SystemExit(f"the lab did not start for {directory}")
        inv = load_inventory(directory)
        conf = Conference("bench", "bench", time.time() + 1800, 3600.0, "all", None, None, "api")
        with tempfile.TemporaryDirectory() as tmp:
            store = open_store(f"sqlite:///{tmp}/bench.db")
            checker = Prechecker(inv, Topology(inv), store, SecretStore(), thresholds=th)
            runs: list[dict[str, Any]] = []
            for _ in range(repeat):
                lab_cpu, cpu, wall = cpu_of(child.pid), time.process_time(), time.perf_counter()
                report = asyncio.run(checker.run(conf))
                runs.append(
                    {
                        "wall_s": time.perf_counter() - wall,
                        "cpu_s": time.process_time() - cpu,
                        "lab_cpu_s": cpu_of(child.pid) - lab_cpu,
                        "counts": report.counts,
                        "probes_received": sum(r.probe.received for r in report.rooms if r.probe),
                    }
                )
            store.close()
    finally:
        child.stdin.close()
        child.wait(30)
        child.stdout.close()
    return {
        "rooms": len(inv.rooms),
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "lab_cpu_s": statistics.median(r["lab_cpu_s"] for r in runs),
        "counts": runs[-1]["counts"],
        "first_counts": runs[0]["counts"],
        "probes_received": runs[-1]["probes_received"],
        "runs": runs,
    }


def _colours(counts: dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in counts.items() if v)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--silent-every", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--generated", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--probe-count", type=int, default=50)
    parser.add_argument("--probe-interval", type=float, default=0.01)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--write", action="store_true", help="write the section of docs/benchmarks.md")
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.silent_every))
        return
    th = Thresholds(
        probe_count=args.probe_count, probe_interval_s=args.probe_interval, concurrency=args.concurrency
    )
    with tempfile.TemporaryDirectory() as tmp:
        secrets = Path(tmp) / "secrets.yaml"
        write_secrets(secrets, SECRETS)
        env = {**os.environ, "NETOPS_SECRETS_FILE": str(secrets)}
        os.environ["NETOPS_SECRETS_FILE"] = str(secrets)
        gen = Path(tmp) / "generated"
        gen.mkdir()
        results = {
            "lab region (inventory/)": measure(
                shifted_copy(REPO / "inventory", Path(tmp) / "region"), args.repeat, th, env
            ),
            f"generated ({args.generated} rooms)": measure(
                write_generated(gen, args.generated), args.repeat, th, env
            ),
            "generated, every 10th codec powered off": measure(gen, args.repeat, th, env, silent_every=10),
        }
    print(json.dumps({k: {x: y for x, y in v.items() if x != "runs"} for k, v in results.items()}, indent=2))
    if args.write:
        rows = [
            f"| {name} | {r['rooms']} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['lab_cpu_s']:.2f} | "
            f"{r['probes_received']} | {_colours(r['first_counts'])} | {_colours(r['counts'])} |"
            for name, r in results.items()
        ]
        text = "\n".join(
            [
                "## Video-conference precheck (`bench/vc_precheck.py`)",
                "",
                f"One full precheck round of every room (median of {args.repeat}): {args.probe_count}-packet "
                f"TWAMP-light bursts at {args.probe_interval * 1000:g} ms, SIP OPTIONS, the status document, "
                f"MCU checks; at most {args.concurrency} rooms at a time. The lab's codecs run in a separate "
                f"process. Machine: {machine()}. Goal: 200 rooms in under 20 s on 2 cores. A silent codec makes "
                f"its room wait for the timeouts (status API {th.http_timeout_s:g} s, SIP {th.sip_timeout_s:g} s, "
                "probe replies 1 s, all at the same time), which sets the round's wall time when any room is silent; "
                "such a room is AMBER on the first round and RED from the second (the network two-round rule).",
                "",
                "| region | rooms | wall s | precheck CPU s | lab CPU s | probe replies | first round | last round |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |",
                *rows,
            ]
        )
        write_section(text, MARKS)


if __name__ == "__main__":
    main()
