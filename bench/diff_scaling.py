"""Benchmark: configuration diff + remediation of large VRP, Comware and IOS configurations, netops vs
hier_config in the same run.

Configurations are generated like a core router's (seeded): interfaces and sub-interfaces, VPN instances / VRFs,
OSPF with one network per link, BGP with many peers and address families, ACLs of a few hundred rules,
route-policies / route-maps, prefix lists and static routes. The running configuration is in the device's
form (VRP ``#`` sections and ``return``, Comware's indented top-level lines, IOS ``!`` and ``end``); the
intended one is in the templates' form (one space per level, no separators), its top-level sections in
another order, with a few % of lines changed, added and removed (and a few whole interfaces).

netops: ``diff_texts`` (parse both, diff, remediation commands) and the diff's text. hier_config (optional,
not a netops dependency: ``.venv/bin/pip install hier_config``): ``get_hconfig`` of both, the
``WorkflowRemediation`` remediation and its text; platforms ``HUAWEI_VRP`` for VRP, ``HP_COMWARE5`` (the
closest it has) for Comware 7, ``CISCO_IOS`` for IOS. Each time is the best of ``--repeat`` runs.

``--before REV`` also times the remediation module of git revision REV (e.g. the quadratic one, ``e0d0d18``)
on the sizes up to ``--before-max`` lines.

Usage: .venv/bin/python bench/diff_scaling.py [--sizes 1000,5000,20000,50000] [--repeat 3] [--before REV]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import random
import subprocess
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.benchreport import REPO, machine
from netops.drivers.platforms.remediation import diff_texts
from netops.drivers.platforms.syntax import Node, Syntax, syntax_for
from netops.inventory.models import Platform

PLATFORMS = {"VRP8": Platform.HUAWEI_VRP8, "Comware 7": Platform.H3C_COMWARE7, "IOS": Platform.CISCO_IOS}
HIER_PLATFORMS = {"VRP8": "HUAWEI_VRP", "Comware 7": "HP_COMWARE5", "IOS": "CISCO_IOS"}
GOALS = {20_000: 1.0, 50_000: 3.0}


# -- generated configurations ---------------------------------------------------------------------------------
class CoreRouter:
    """A core router's configuration of about ``size`` lines, as a tree of top-level sections."""

    def __init__(self, platform: Platform, size: int, rnd: random.Random) -> None:
        self.p = platform
        self.ios = platform is Platform.CISCO_IOS
        self.comware = platform is Platform.H3C_COMWARE7
        self.r = rnd
        self.size = size

    def ip(self, a: int, b: int, c: int) -> str:
        return f"10.{a % 256}.{b % 256}.{c % 256}"

    def build(self) -> list[Node]:
        n, r = self.size, self.r
        out: list[Node] = [Node(x) for x in self.base()]
        vrfs = [f"VPN{i:03d}" for i in range(max(2, n // 600))]
        out += [self.vrf(name, i) for i, name in enumerate(vrfs)]
        ports = max(4, n * 40 // 100 // 7)
        links: list[str] = []
        for i in range(ports):
            slot, port = 1 + i // 48, i % 48
            if i % 4 == 3:  # a sub-interface towards a VPN site
                name = self.ifname(slot, port - 1) + f".{100 + i}"
                out.append(self.subif(name, i, r.choice(vrfs)))
            else:
                out.append(self.port(self.ifname(slot, port), i))
                links.append(self.ip(i // 64, i % 64 * 4, 0))
        out.append(self.ospf(links, n * 3 // 100))
        out.append(self.bgp(max(4, n * 4 // 100 // 3), vrfs))
        rules = n * 15 // 100
        per_acl = 200
        out += [
            self.acl(i, min(per_acl, rules - i * per_acl)) for i in range((rules + per_acl - 1) // per_acl)
        ]
        out += [self.policy(i) for i in range(max(2, n * 6 // 100 // 4))]
        out += [Node(self.prefix_list(i)) for i in range(n * 8 // 100)]
        out += [Node(self.static(i)) for i in range(n * 12 // 100)]
        return out

    def base(self) -> list[str]:
        if self.ios:
            return [
                "hostname core1",
                "service timestamps log datetime msec",
                "no ip http server",
                "aaa new-model",
                "ntp server 127.1.2.1",
                "logging host 127.1.0.6",
                "snmp-server location region-centre",
                "snmp-server contact noc",
            ]
        return [
            "sysname core1",
            "clock timezone BJ add 08:00:00",
            "ntp-service unicast-server 127.1.2.1",
            "info-center loghost 127.1.0.6",
            "snmp-agent",
            "snmp-agent sys-info location region-centre",
            "snmp-agent sys-info version v2c v3",
        ]

    def ifname(self, slot: int, port: int) -> str:
        if self.ios:
            return f"GigabitEthernet{slot}/0/{port}"
        if self.comware:
            return f"Ten-GigabitEthernet{slot}/0/{port}"
        return f"GigabitEthernet{slot}/0/{port}"

    def port(self, name: str, i: int) -> Node:
        kids = [
            f"description to-county-{i:05d}-ce1",
            f"mtu {self.r.choice((1500, 4470, 9000))}",
            f"ip address {self.ip(i // 64, i % 64 * 4, 1)} 255.255.255.252",
        ]
        if self.ios:
            kids += ["ip ospf network point-to-point", f"ip ospf cost {10 + i % 50}", "no shutdown"]
        else:
            kids += [
                "ospf network-type p2p",
                f"ospf cost {10 + i % 50}",
                "qos trust dscp" if self.comware else "undo shutdown",
            ]
        return Node(f"interface {name}", [Node(k) for k in kids])

    def subif(self, name: str, i: int, vrf: str) -> Node:
        vid = 100 + i
        if self.ios:
            kids = [
                f"description vpn-site-{i:05d}",
                f"encapsulation dot1Q {vid}",
                f"ip vrf forwarding {vrf}",
                f"ip address {self.ip(100 + i // 250, i % 250, 1)} 255.255.255.0",
            ]
        elif self.comware:
            kids = [
                f"description vpn-site-{i:05d}",
                f"ip binding vpn-instance {vrf}",
                f"ip address {self.ip(100 + i // 250, i % 250, 1)} 255.255.255.0",
                f"vlan-type dot1q vid {vid}",
            ]
        else:
            kids = [
                f"description vpn-site-{i:05d}",
                f"dot1q termination vid {vid}",
                f"ip binding vpn-instance {vrf}",
                f"ip address {self.ip(100 + i // 250, i % 250, 1)} 255.255.255.0",
            ]
        return Node(f"interface {name}", [Node(k) for k in kids])

    def vrf(self, name: str, i: int) -> Node:
        rd = f"65000:{i + 1}"
        if self.ios:
            return Node(
                f"ip vrf {name}",
                [Node(f"rd {rd}"), Node(f"route-target export {rd}"), Node(f"route-target import {rd}")],
            )
        family = "address-family ipv4" if self.comware else "ipv4-family"
        return Node(
            f"ip vpn-instance {name}",
            [
                Node(f"route-distinguisher {rd}"),
                Node(
                    family,
                    [
                        Node(f"vpn-target {rd} export-extcommunity"),
                        Node(f"vpn-target {rd} import-extcommunity"),
                    ],
                ),
            ],
        )

    def ospf(self, links: list[str], networks: int) -> Node:
        nets = links[: max(1, networks)]
        if self.ios:
            kids = [Node("router-id 10.255.0.1"), Node("passive-interface Loopback0")]
            kids += [Node(f"network {a} 0.0.0.3 area 0") for a in nets]
            return Node("router ospf 1", kids)
        area = Node("area 0.0.0.0", [Node(f"network {a} 0.0.0.3") for a in nets])
        return Node("ospf 1 router-id 10.255.0.1", [Node("silent-interface LoopBack0"), area])

    def bgp(self, peers: int, vrfs: list[str]) -> Node:
        addrs = [self.ip(200 + i // 60000, i // 250, i % 250 + 1) for i in range(peers)]
        if self.ios:
            kids = [Node("bgp router-id 10.255.0.1"), Node("bgp log-neighbor-changes")]
            kids += [Node(f"neighbor {a} remote-as {64512 + i % 500}") for i, a in enumerate(addrs)]
            kids += [Node(f"neighbor {a} description peer-{i:05d}") for i, a in enumerate(addrs)]
            af = Node("address-family ipv4", [Node(f"neighbor {a} activate") for a in addrs])
            kids.append(af)
            kids += [
                Node(
                    f"address-family ipv4 vrf {v}",
                    [Node("redistribute connected"), Node("redistribute static")],
                )
                for v in vrfs
            ]
            return Node("router bgp 65000", kids)
        kids = [Node("router-id 10.255.0.1")]
        kids += [Node(f"peer {a} as-number {64512 + i % 500}") for i, a in enumerate(addrs)]
        kids += [Node(f"peer {a} description peer-{i:05d}") for i, a in enumerate(addrs)]
        family = "address-family ipv4 unicast" if self.comware else "ipv4-family unicast"
        kids.append(Node(family, [Node(f"peer {a} enable") for a in addrs]))
        vfamily = "ip vpn-instance" if self.comware else "ipv4-family vpn-instance"
        kids += [
            Node(f"{vfamily} {v}", [Node("import-route direct"), Node("import-route static")]) for v in vrfs
        ]
        return Node("bgp 65000", kids)

    def acl(self, i: int, rules: int) -> Node:
        def rule(k: int) -> str:
            src = f"{self.ip(i, k // 250, k % 250)} 0.0.0.255"
            proto, dscp = ("udp", "af41") if k % 3 else ("ip", "ef")
            if self.ios:
                return f"permit {proto} {src} any dscp {dscp}"
            return f"rule {5 * (k + 1)} permit {proto} source {src} dscp {dscp}"

        if self.ios:
            head = f"ip access-list extended VIDEO-{i:03d}"
        elif self.comware:
            head = f"acl advanced {3000 + i}"
        else:
            head = f"acl number {3000 + i}"
        return Node(head, [Node(rule(k)) for k in range(rules)])

    def policy(self, i: int) -> Node:
        if self.ios:
            return Node(
                f"route-map RP-{i // 4:03d} permit {10 * (i % 4 + 1)}",
                [
                    Node(f"match ip address prefix-list PL-{i:04d}"),
                    Node(f"set local-preference {100 + i % 100}"),
                ],
            )
        return Node(
            f"route-policy RP-{i // 4:03d} permit node {10 * (i % 4 + 1)}",
            [
                Node(f"if-match ip-prefix PL-{i:04d}"),
                Node(f"apply local-preference {100 + i % 100}"),
                Node("apply community 65000:1"),
            ],
        )

    def prefix_list(self, i: int) -> str:
        net = f"{self.ip(150 + i // 65536, i // 256, i % 256)}"
        if self.ios:
            return f"ip prefix-list PL-{i // 8:04d} seq {5 * (i % 8 + 1)} permit {net}/32"
        word = "ip prefix-list" if self.comware else "ip ip-prefix"
        return f"{word} PL-{i // 8:04d} index {10 * (i % 8 + 1)} permit {net} 32"

    def static(self, i: int) -> str:
        net, hop = self.ip(172 + i // 65536, i // 256, i % 256), self.ip(i // 64, i % 64 * 4, 2)
        if self.ios:
            return f"ip route {net} 255.255.255.255 {hop}"
        return f"ip route-static {net} 255.255.255.255 {hop}"


def _changed(line: str, rnd: random.Random) -> str:
    """Another line like ``line``: an address or a number in it changed (a description reworded). A line with
    a key (``description``, ``ip address``) so becomes its replacement."""
    words = line.split()
    quads = [i for i, w in enumerate(words) if w.count(".") == 3 and not w.startswith(("255.", "0.0."))]
    numbers = [i for i, w in enumerate(words) if w.isdigit()]
    if quads:
        i = rnd.choice(quads)
        a, b, c, d = words[i].split(".")
        words[i] = f"{a}.{b}.{(int(c) + 1 + rnd.randrange(50)) % 256}.{d}"
    elif numbers:
        i = numbers[-1]
        words[i] = str(int(words[i]) + 1 + rnd.randrange(7))
    else:
        words[-1] = f"{words[-1]}-new"
    return " ".join(words)


def mutate(nodes: list[Node], rate: float, rnd: random.Random) -> list[Node]:
    """A copy with about ``rate`` of the leaf lines removed, changed or added, and a few interfaces removed.
    No block gets the same line twice (a device never shows that, and hier_config refuses it)."""
    out: list[Node] = []
    for node in nodes:
        if node.line.startswith("interface") and rnd.random() < rate / 4:
            continue  # a whole interface gone
        if not node.children:
            roll = rnd.random()
            if roll < rate / 3:
                continue
            out.append(Node(_changed(node.line, rnd) if roll < 2 * rate / 3 else node.line))
            if roll > 1 - rate / 3:
                out.append(Node(_changed(node.line, rnd)))
            continue
        out.append(Node(node.line, mutate(node.children, rate, rnd)))
    unique: dict[str, Node] = {}
    for n in out:
        unique.setdefault(n.line, n)
    return list(unique.values())


def device_text(platform: Platform, nodes: list[Node]) -> str:
    """As the device shows it."""
    if platform is Platform.CISCO_IOS:
        head = ["Building configuration...", "", "Current configuration : 123456 bytes", "!", "version 15.7"]
        sep, tail = "!", ["end"]
    elif platform is Platform.H3C_COMWARE7:
        head, sep, tail = ["#", " version 7.1.064, Release 7585P05"], "#", ["#", "return"]
    else:
        head, sep, tail = ["!Software Version V800R021C10SPC600", "#"], "#", ["#", "return"]
    out = list(head)
    flat = False
    for node in nodes:
        if node.children or not flat:
            out.append(sep)
        flat = not node.children
        lead = " " if flat and platform is Platform.H3C_COMWARE7 else ""  # Comware: top-level leaves indented
        out.append(lead + node.line)
        out.extend(" " + ln for ln in node.lines())
    return "\n".join([*out, *tail]) + "\n"


def template_text(nodes: list[Node]) -> str:
    """As the templates render it: one space per level, no separators."""
    out: list[str] = []
    for node in nodes:
        out.append(node.line)
        out.extend(" " + ln for ln in node.lines())
    return "\n".join(out) + "\n"


@dataclass(slots=True)
class Case:
    name: str
    platform: Platform
    size: int
    running: str
    intended: str
    lines: int  # configuration lines of the running configuration
    hier_running: (
        str  # for hier_config: Comware without separators (its HP_COMWARE5 driver keeps ``#`` lines)
    )


def make_case(name: str, size: int, seed: int) -> Case:
    platform = PLATFORMS[name]
    rnd = random.Random(f"{seed}-{name}-{size}")
    syntax = syntax_for(platform)
    nodes = CoreRouter(platform, size, rnd).build()
    first = sum(1 for _ in syntax.parse(device_text(platform, nodes)).walk())
    nodes = CoreRouter(platform, size * size // first, rnd).build()  # scaled to about ``size`` lines
    intended = mutate(nodes, 0.03, rnd)
    gen = CoreRouter(platform, size, rnd)
    intended += [
        gen.port(gen.ifname(90 + k // 48, k % 48), 90_000 + k) for k in range(1 + size // 2000)
    ]  # new
    rnd.shuffle(intended)
    running = device_text(platform, nodes)
    count = sum(1 for _ in syntax.parse(running).walk())
    hier = template_text(nodes) if platform is Platform.H3C_COMWARE7 else running
    return Case(name, platform, size, running, template_text(intended), count, hier)


# -- timing ------------------------------------------------------------------------------------------------
def best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    times, result = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def netops_run(diff: Callable[[Syntax, str, str], Any], case: Case) -> Callable[[], int]:
    syntax = syntax_for(case.platform)

    def run() -> int:
        rem = diff(syntax, case.running, case.intended)
        rem.text()
        return len(rem.commands)

    return run


def hier_run(hc: Any, case: Case) -> Callable[[], int]:
    platform = getattr(hc.Platform, HIER_PLATFORMS[case.name])

    def run() -> int:
        running = hc.get_hconfig(platform, case.hier_running)
        intended = hc.get_hconfig(platform, case.intended)
        remediation = hc.WorkflowRemediation(running, intended).remediation_config
        lines = [c.cisco_style_text() for c in remediation.all_children_sorted()]
        return len(lines)

    return run


def module_at(rev: str) -> Callable[[Syntax, str, str], Any]:
    """``diff_texts`` of netops' remediation module as it was at git revision ``rev``."""
    source = subprocess.run(
        ["git", "show", f"{rev}:netops/drivers/platforms/remediation.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType(f"remediation_{rev}")
    sys.modules[module.__name__] = module  # its dataclasses look their module up
    exec(compile(source, f"{rev}:remediation.py", "exec"), module.__dict__)  # our own history
    fn: Callable[[Syntax, str, str], Any] = module.diff_texts
    return fn


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--sizes", default="1000,5000,20000,50000", help="running configuration sizes (lines)")
    ap.add_argument("--platforms", default=",".join(PLATFORMS), help="of: " + ", ".join(PLATFORMS))
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--before", metavar="REV", help="also time the remediation module of this git revision")
    ap.add_argument("--before-max", type=int, default=5000, help="only on sizes up to this (it is quadratic)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    names = [s.strip() for s in args.platforms.split(",")]
    try:
        hc: Any = importlib.import_module("hier_config")
        hier_version = getattr(hc, "__version__", None) or importlib.metadata.version("hier_config")
    except ImportError:
        hc, hier_version = None, None
        print(
            "hier_config is not installed: its column stays empty. It is not a netops dependency; to compare,"
            " install it into the venv: .venv/bin/pip install hier_config",
            file=sys.stderr,
        )
    before = module_at(args.before) if args.before else None
    rows: list[str] = []
    verdicts: list[str] = []
    for name in names:
        for size in sizes:
            case = make_case(name, size, args.seed)
            ours, commands = best(netops_run(diff_texts, case), args.repeat)
            theirs = best(hier_run(hc, case), args.repeat) if hc is not None else None
            old = (
                best(netops_run(before, case), 1) if before is not None and size <= args.before_max else None
            )
            diff_lines = len(diff_texts(syntax_for(case.platform), case.running, case.intended).changes)
            cells = [
                name,
                f"{case.lines:,}",
                f"{diff_lines:,}",
                f"{commands:,}",
                f"{ours:.3f}",
                f"{old[0]:.2f}" if old else "-",
                f"{theirs[0]:.3f} ({HIER_PLATFORMS[name]}, {theirs[1]:,} lines)" if theirs else "-",
                f"{theirs[0] / ours:.1f}x" if theirs else "-",
            ]
            rows.append("| " + " | ".join(cells) + " |")
            print(rows[-1], file=sys.stderr, flush=True)
            goal = GOALS.get(size)
            if goal is not None:
                verdicts.append(
                    f"{name} {size:,}: {ours:.3f} s ({'met' if ours < goal else 'MISSED'}, < {goal:g} s)"
                )
    nproc = len(os.sched_getaffinity(0))
    cmd = "`.venv/bin/python bench/diff_scaling.py " + " ".join(sys.argv[1:]) + "`"
    out = [
        "## Configuration diff scaling",
        "",
        f"Command: {cmd.replace(' `', '`')} ({time.strftime('%Y-%m-%d')}; {machine()}; nproc {nproc};"
        f" hier_config {hier_version or 'not installed'}). Goals: 20,000 lines < 1 s, 50,000 lines < 3 s.",
        "",
        "| platform | running lines | diff lines | commands | netops s | before s | hier_config s (platform,"
        " remediation lines) | hier_config / netops |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
        *rows,
        "",
        "Goals: " + "; ".join(verdicts) + "." if verdicts else "",
    ]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
