"""Grammars of configuration lines: which lines each view of each dialect accepts, and which open blocks.

Part of ``netops.lab.cli``; the engine (``engine.Session.config_line``) checks every configuration line
against the rules of the innermost view, then of the enclosing views. A rule is a keyword plus a regex for
its arguments; ``opens`` names the view of the block the line opens (``GENERIC`` blocks accept any line).
Only what the netops templates and drivers use is modelled; anything else is refused like a real device
refuses an unknown command.
"""

from __future__ import annotations

from collections.abc import Callable

from netops.lab.cli.engine import GENERIC, Rule

Canon = Callable[[str], str]


def area_id(body: str) -> str:
    """``area 0`` -> ``area 0.0.0.0`` (VRP stores the dotted form)."""
    words = body.split()
    if len(words) == 2 and words[1].isdigit():
        n = int(words[1])
        return f"area {n >> 24 & 255}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
    return body


def _leaves(*keywords: str) -> list[Rule]:
    return [Rule(k, r".+") for k in keywords]


def huawei_grammar(canon: Canon) -> dict[str, list[Rule]]:
    """VRP8/VRP5 (and Comware 7, which adds ``line`` and ``local-user`` blocks)."""
    return {
        "system": [
            Rule("sysname", r"\S+"),
            Rule("interface", r"\S+( \S+)?", opens="interface", canon=canon),
            Rule("ospf", r"\d+( router-id \S+)?( vpn-instance \S+)?", opens="ospf"),
            Rule("bgp", r"\d+(\.\d+)?", opens="bgp"),
            Rule("snmp-agent", r"(.+)?"),
            Rule("ntp-service", r".+"),
            Rule("ip", r"(route-static|ip-prefix|community-filter|as-path-filter) .+"),
            Rule("ip", r"vpn-instance \S+", opens=GENERIC),
            Rule("acl", r".+", opens=GENERIC),
            Rule("aaa", "", opens=GENERIC),
            Rule("user-interface", r".+", opens=GENERIC),
            Rule("route-policy", r".+", opens=GENERIC),
            Rule("nqa", r"test-instance \S+ \S+", opens=GENERIC),
            Rule("nqa", r"entry \S+ \S+", opens=GENERIC),  # Comware 7 (netops service probes)
            Rule("nqa", r"schedule \S+ \S+ .+"),
            Rule("vlan", r"batch .+"),
            Rule("vlan", r"\d+", opens=GENERIC),
            *[
                Rule(k, r".+")
                for k in (
                    "info-center",
                    "clock",
                    "stelnet",
                    "ssh",
                    "lldp",
                    "telnet",
                    "dns",
                    "ftp",
                    "header",
                    "sftp",
                    "ntp",
                    "dhcp",
                    "local-user",
                )
            ],
        ],
        "interface": [
            Rule("description", r".+"),
            Rule("ip", r"address \S+ \S+( sub)?|binding vpn-instance \S+"),
            Rule("shutdown"),
            Rule("mtu", r"\d+"),
            Rule("bandwidth", r"\d+"),
            Rule("negotiation", r"auto"),
            *[
                Rule(k, r".+")
                for k in (
                    "ospf",
                    "port",
                    "vrrp",
                    "ipv6",
                    "speed",
                    "duplex",
                    "traffic-policy",
                    "qos",
                    "dhcp",
                    "nqa",
                    "lldp",
                    "trust",
                    "isis",
                    "set",
                    "statistic",
                    "link-protocol",
                )
            ],
        ],
        "ospf": [
            Rule("area", r"\S+", opens="area", canon=area_id),
            Rule("bandwidth-reference", r"\d+"),
            Rule("default-route-advertise", r".*"),
            *[
                Rule(k, r".+")
                for k in (
                    "silent-interface",
                    "import-route",
                    "spf-schedule-interval",
                    "preference",
                    "filter-policy",
                    "stub-router",
                    "description",
                )
            ],
        ],
        "area": [
            Rule("network", r"\S+ \S+( description .+)?"),
            Rule("stub", r".*"),
            Rule("nssa", r".*"),
            *[Rule(k, r".+") for k in ("authentication-mode", "abr-summary", "description")],
        ],
        "bgp": [
            Rule("router-id", r"\S+"),
            Rule("ipv4-family", r".+", opens="bgp-af"),
            *[Rule(k, r".+") for k in ("peer", "group", "timer")],
        ],
        "bgp-af": [Rule(k, r".+") for k in ("peer", "network", "import-route", "preference", "maximum")],
    }


def ios_grammar(canon: Canon) -> dict[str, list[Rule]]:
    """Cisco IOS global configuration, interface, ``router ospf``/``router bgp`` and address-family."""
    return {
        "system": [
            Rule("hostname", r"\S+"),
            Rule("interface", r"\S+( \S+)?", opens="interface", canon=canon),
            Rule("router ospf", r"\d+( vrf \S+)?", opens="router"),
            Rule("router bgp", r"\d+", opens="router-bgp"),
            Rule("ip", r"sla \d+", opens=GENERIC),  # an IP SLA operation (netops service probes)
            Rule(
                "ip",
                r"(route|domain-name|domain|name-server|ssh|http|routing|cef|sla|prefix-list|host|"
                r"tftp|ftp|scp|forward-protocol|vrf|tcp|options)( .*)?",
            ),
            Rule("ip", r"access-list .+", opens=GENERIC),
            Rule("line", r".+", opens=GENERIC),
            Rule("archive", "", opens=GENERIC),
            Rule("vlan", r"\d+", opens=GENERIC),
            Rule("control-plane", "", opens=GENERIC),
            Rule("version", r"\S+"),
            *_leaves(
                "snmp-server",
                "ntp",
                "username",
                "enable",
                "logging",
                "service",
                "banner",
                "access-list",
                "crypto",
                "aaa",
                "clock",
                "boot",
                "spanning-tree",
                "cdp",
                "lldp",
            ),
        ],
        "interface": [
            Rule(
                "ip",
                r"address \S+ \S+( secondary)?|(ospf|access-group|helper-address|nat|mtu) .+|"
                r"vrf forwarding \S+",
            ),
            Rule("shutdown"),
            Rule("negotiation", r"auto"),
            Rule("mtu", r"\d+"),
            Rule("bandwidth", r"\d+"),
            Rule("load-interval", r"\d+"),
            *_leaves(
                "description",
                "duplex",
                "speed",
                "encapsulation",
                "service-policy",
                "standby",
                "vrrp",
                "cdp",
                "switchport",
            ),
        ],
        "router": [
            Rule("network", r"\S+ \S+ area \S+"),
            Rule("router-id", r"\S+"),
            Rule("log-adjacency-changes", r"(detail)?"),
            Rule("maximum-paths", r"\d+"),
            *_leaves(
                "passive-interface", "default-information", "redistribute", "area", "auto-cost", "timers"
            ),
        ],
        "router-bgp": [
            Rule("address-family", r".+", opens="af"),
            *_leaves("neighbor", "network", "bgp", "redistribute", "timers"),
        ],
        "af": _leaves("neighbor", "network", "redistribute"),
    }
