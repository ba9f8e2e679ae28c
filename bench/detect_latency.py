"""Benchmark (issue 13, item 4): detection latency from a lab fault to an open incident and to the firing
alert in a real Prometheus, with traps+syslog and with polling only, on the shipped 196-device region.

For each mode, one ``netops lab up`` over ``inventory/`` (its devices send traps and syslog to the service in
the ``traps`` mode), one ``netops serve`` (both poll jobs every ``--interval`` s; receivers on 127.0.0.1 in the
``traps`` mode) and Debian's ``prometheus`` scraping it every 1 s with the shipped rules, every ``for`` divided
by 10 (as tests/exporters does: the shipped ``for: 1m`` of NetopsDeviceDown adds 54 s more to "firing").

Faults: node-down of ``--faults`` county routers (one per prefecture, in turn), one at a time: inject, wait
for the incident naming the router (its ``opened_at`` minus the injection time) and for the alert about it
in Prometheus (pending = the expression held at an evaluation; firing = after ``for``), clear, wait until
the incident is resolved and the alert gone. Reported: p50/p95/max per mode.

Usage: .venv/bin/python bench/detect_latency.py [--faults 10] [--interval 10] [--modes traps,polling]
       [--no-write]
Runs in a private network namespace (``private_network``); everything binds to 127.x.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import yaml

from bench.benchreport import REPO, machine, write_section
from netops.exporters import write_prometheus_targets
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory, Role, Tier
from netops.lab.testing import free_port, lab_process, private_network, service_process, stop, wait_until
from tests.conftest import run_netops
from tests.exporters import material

INVENTORY = REPO / "inventory"
MARKS = ("<!-- detect_latency:begin -->", "<!-- detect_latency:end -->")


@dataclass
class Sample:
    device: str
    incident_s: float
    pending_s: float
    firing_s: float


def county_routers(inv: Inventory, n: int) -> list[str]:
    """``n`` county CE routers, one per prefecture in turn (so consecutive faults are far apart)."""
    by_pref: dict[str, list[str]] = {}
    for dev in sorted(inv.devices.values(), key=lambda d: d.id):
        site = inv.sites[dev.site]
        if site.tier is Tier.COUNTY and dev.role is Role.CE and dev.snmp_profile:
            by_pref.setdefault(site.prefecture or "", []).append(dev.id)
    out: list[str] = []
    while len(out) < n and any(by_pref.values()):
        for devices in by_pref.values():
            if devices and len(out) < n:
                out.append(devices.pop(0))
    return out


def prometheus_config(directory: Path, target: str, inv: Inventory) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((material.PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": ["127.0.0.1:9"]}]
    (directory / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (directory / "rules").mkdir()
    for path in material.RULE_FILES:
        rules = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in rules["groups"]:
            for rule in group["rules"]:
                if "for" in rule:
                    value, unit = int(rule["for"][:-1]), rule["for"][-1]
                    rule["for"] = f"{value * {'s': 1, 'm': 60, 'h': 3600}[unit] // 10}s"
        (directory / "rules" / path.name).write_text(yaml.safe_dump(rules), encoding="utf-8")
    write_prometheus_targets(inv, directory / "targets", target)
    return directory / "prometheus.yml"


@contextmanager
def prometheus(tmp: Path, target: str, inv: Inventory) -> Iterator[str]:
    exe = shutil.which("prometheus")
    if exe is None:
        raise SystemExit("prometheus is not installed (Debian package prometheus)")
    config = prometheus_config(tmp, target, inv)
    port = free_port()
    with (tmp / "prometheus.log").open("wb") as log:
        proc = subprocess.Popen(
            [exe, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:

            def scraping() -> bool:
                body = httpx.get(f"{url}/api/v1/query", params={"query": "up"}, timeout=5).json()
                return any(r["value"][1] == "1" for r in body["data"]["result"])

            wait_until("Prometheus scraping netops", scraping)
            yield url
        finally:
            stop(proc)


# the lab runs the simulated e-government services too: their alerts (a site's probes failing while its
# router is down, checked every minute) are not the network detection measured here
NOT_NETWORK = ("NetopsService", "NetopsEgov", "NetopsVc")


def alerts_about(prom: str, device: str, site: str) -> list[dict[str, Any]]:
    body = httpx.get(f"{prom}/api/v1/alerts", timeout=5).json()
    return [
        a
        for a in body["data"]["alerts"]
        if (a["labels"].get("device") == device or a["labels"].get("site") == site)
        and not str(a["labels"].get("alertname", "")).startswith(NOT_NETWORK)
    ]


def run_mode(mode: str, inv: Inventory, faults: list[str], interval: float, tmp: Path) -> list[Sample]:
    tmp.mkdir(parents=True)
    secrets = tmp / "secrets.yaml"
    trap_port, syslog_port, port = free_port(), free_port(), free_port()
    env = {
        "NETOPS_MODE": "lab",
        "NETOPS_SECRETS_FILE": str(secrets),
        "NETOPS_POLL_FAST_S": str(interval),
        "NETOPS_POLL_NORMAL_S": str(interval),
        "NETOPS_INCIDENT_HOLDDOWN_S": "2",
        "NETOPS_BACKUP_INTERVAL_S": "0",  # no configuration backups (SSH to 196 devices) during the run
    }
    lab_env: dict[str, str] = {}
    if mode == "traps":
        env |= {
            "NETOPS_TRAP_LISTEN": f"127.0.0.1:{trap_port}",
            "NETOPS_SYSLOG_LISTEN": f"127.0.0.1:{syslog_port}",
        }
        lab_env = {
            "NETOPS_LAB_TRAP_COLLECTOR": f"127.0.0.1:{trap_port}",
            "NETOPS_LAB_SYSLOG_COLLECTOR": f"127.0.0.1:{syslog_port}",
        }
    state = tmp / "state"
    samples: list[Sample] = []
    with lab_process(INVENTORY, secrets, tmp / "lab", env=lab_env) as lab:
        made = run_netops("token", "create", "--name", "bench", "--role", "viewer", "--json", "--state-dir",
                          str(state), env=env)  # fmt: skip
        headers = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}
        args = ["serve", "--inventory", str(INVENTORY), "--state-dir", str(state), "--port", str(port)]
        with service_process(args, tmp / "serve.log", port, env=env) as svc:

            def incidents() -> list[dict[str, Any]]:
                resp = httpx.get(
                    svc.base_url + "/incidents?state=open&limit=1000", headers=headers, timeout=30
                )
                resp.raise_for_status()
                data: list[dict[str, Any]] = resp.json()
                return data

            with prometheus(tmp / "prom", f"127.0.0.1:{port}", inv) as prom:
                wait_until(
                    "a quiet region (no open incident, two cycles)", lambda: incidents() == [], timeout=300
                )
                time.sleep(2 * interval)
                for device in faults:
                    site = inv.devices[device].site
                    t0 = time.time()
                    resp = httpx.post(lab.control_url + "/faults", json={"kind": "node-down", "target": device},
                                      timeout=30)  # fmt: skip
                    resp.raise_for_status()
                    fault_id = resp.json()["id"]
                    [inc] = wait_until(
                        f"the incident for {device}",
                        opened(incidents, device),
                        timeout=300,
                    )
                    pending_at = firing_at = None
                    deadline = time.monotonic() + 300
                    while firing_at is None and time.monotonic() < deadline:
                        for a in alerts_about(prom, device, site):
                            if pending_at is None:
                                pending_at = time.time()
                            if a["state"] == "firing":
                                firing_at = time.time()
                        time.sleep(0.1)
                    assert pending_at is not None and firing_at is not None, f"no alert for {device}"
                    samples.append(Sample(device, inc["opened_at"] - t0, pending_at - t0, firing_at - t0))
                    print(f"{mode:8s} {device:28s} incident {samples[-1].incident_s:6.2f} s  "
                          f"alert pending {samples[-1].pending_s:6.2f} s  firing {samples[-1].firing_s:6.2f} s",
                          flush=True)  # fmt: skip
                    httpx.delete(f"{lab.control_url}/faults/{fault_id}", timeout=30).raise_for_status()
                    wait_until(f"{device} resolved", resolved(incidents, device), timeout=300)
                    wait_until(f"alerts about {device} gone", silenced(prom, device, site), timeout=300)
            every = httpx.get(
                svc.base_url + "/incidents?state=all&limit=1000", headers=headers, timeout=30
            ).json()
            flapping[mode] = sum(1 for i in every if i["kind"] == "flapping")
    return samples


flapping: dict[str, int] = {}  # mode -> flapping incidents opened during the run (should be 0)


def open_causes(incidents: list[dict[str, Any]], device: str) -> list[dict[str, Any]]:
    """Open incidents caused by ``device``, flapping ones aside (counted at the end of the run)."""
    return [i for i in incidents if device in i["cause"] and i["kind"] != "flapping"]


def opened(incidents: Callable[[], list[dict[str, Any]]], device: str) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [i for i in incidents() if device in i["cause"] and i["kind"] != "flapping"]


def resolved(incidents: Callable[[], list[dict[str, Any]]], device: str) -> Callable[[], bool]:
    return lambda: not open_causes(incidents(), device)


def silenced(prom: str, device: str, site: str) -> Callable[[], bool]:
    return lambda: not alerts_about(prom, device, site)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", type=int, default=10)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--modes", default="traps,polling")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    private_network()
    inv = load_inventory(INVENTORY)
    faults = county_routers(inv, args.faults)
    tmp = Path(tempfile.mkdtemp(prefix="detect-latency-"))
    results: dict[str, list[Sample]] = {}
    for mode in args.modes.split(","):
        results[mode] = run_mode(mode, inv, faults, args.interval, tmp / mode)
    lines = [
        "## Detection latency: traps and syslog vs polling only (issue 13, item 4)",
        "",
        f"`.venv/bin/python bench/detect_latency.py --faults {args.faults} --interval {args.interval:g}` on "
        f"{machine()}; {time.strftime('%Y-%m-%d')}. The shipped region ({len(inv.devices)} devices) in "
        "`netops lab up`, the real `netops serve` (both poll jobs every "
        f"{args.interval:g} s, hold-down 2 s, a first failed poll asked again 2 s later in the same cycle: "
        "`NETOPS_POLL_CONFIRM_S`), Debian's Prometheus scraping it every 1 s with the shipped rules "
        "(every `for` / 10, as tests/exporters does). Faults: node-down of county routers, one per prefecture "
        "in turn, one at a time. Seconds from the fault to the incident's `opened_at`, to the alert about the "
        "device/site being active (pending) and firing in Prometheus.",
        "",
        "| mode | faults | incident p50 | incident p95 | incident max | alert pending p50 / p95 | "
        "alert firing p50 / p95 | flapping incidents |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mode, samples in results.items():
        inc = [s.incident_s for s in samples]
        pend = [s.pending_s for s in samples]
        fire = [s.firing_s for s in samples]
        lines.append(
            f"| {'traps + syslog' if mode == 'traps' else 'polling only'} | {len(samples)} | "
            f"{pct(inc, 50):.1f} | {pct(inc, 95):.1f} | {max(inc):.1f} | {pct(pend, 50):.1f} / {pct(pend, 95):.1f} "
            f"| {pct(fire, 50):.1f} / {pct(fire, 95):.1f} | {flapping.get(mode, 0)} |"
        )
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(text, MARKS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
