"""Configuration text as a tree, per platform: parse what a device shows (or a template renders) into blocks.

Part of ``netops.changes``: ``diff.py`` compares two trees built here. Each platform's ``Syntax`` knows its
separators and headers (``#``/``return`` and ``!Software Version`` on VRP, ``#`` and `` version`` on
Comware, ``!``/``end``/``Building configuration`` on IOS), its negation word (``undo``/``no``), the word that
leaves a block (``quit``/``exit``), the lines that are the device's own (IOS ``version 15.7``), which lines
replace each other (``sysname A`` -> ``sysname B``: a *key*), and how it spells interface names, so that
``GE0/0/1`` in a template and ``GigabitEthernet0/0/1`` on the device are the same line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from netops.drivers.names import canonical
from netops.inventory.models import Platform


@dataclass(slots=True)
class Node:
    """A configuration line; a block (``interface X``) has children."""

    line: str
    children: list[Node] = field(default_factory=list)

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Node]]:
        for child in self.children:
            yield depth, child
            yield from child.walk(depth + 1)

    def lines(self) -> list[str]:
        """Every line below this node, indented one space per level (the templates' form)."""
        return [" " * d + n.line for d, n in self.walk()]


@dataclass(frozen=True)
class Syntax:
    platform: Platform
    negate: str  # "undo" | "no"
    leave: str  # "quit" | "exit"
    comment: re.Pattern[str]  # separators and headers: not configuration
    own_lines: re.Pattern[str]  # lines the device keeps by itself (never pushed, never removed)
    keys: tuple[re.Pattern[str], ...]  # a line matching one of these replaces its sibling with the same key
    logical_interfaces: tuple[str, ...]  # interface blocks that can be deleted (``undo interface LoopBack1``)

    # -- lines -----------------------------------------------------------------------------------------
    def canonical(self, line: str) -> str:
        """``interface GE0/0/1`` -> ``interface GigabitEthernet0/0/1``; VRP ``area 0`` -> ``area 0.0.0.0``."""
        words = line.split()
        if len(words) >= 2 and words[0] == "interface":
            return "interface " + self.interface_name(" ".join(words[1:]))
        if self.negate == "undo" and len(words) == 2 and words[0] == "area" and words[1].isdigit():
            n = int(words[1])
            return f"area {n >> 24 & 255}.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        return " ".join(words)

    def interface_name(self, name: str) -> str:
        """The platform's full spelling (``netops.drivers.names.canonical``)."""
        return canonical(self.platform, name)

    def key(self, line: str) -> str:
        for pat in self.keys:
            m = pat.match(line)
            if m:
                return m.group(0)
        return line

    def negation(self, line: str) -> str:
        """The line that removes ``line``: ``undo X`` / ``no X``; a negated line is restored by its body."""
        if line.startswith(self.negate + " "):
            return line[len(self.negate) + 1 :]
        return f"{self.negate} {line}"

    # -- text -> tree ----------------------------------------------------------------------------------
    def parse(self, text: str) -> Node:
        """The configuration tree of a device's output or a rendered template (order kept)."""
        root = Node("")
        stack: list[tuple[int, Node]] = [(-1, root)]
        section_indent = 0  # Comware shows top-level leaves indented by one space inside ``#`` sections
        fresh_section = True
        for raw in text.replace("\r", "").splitlines():
            if not raw.strip() or self.comment.match(raw):
                fresh_section = True
                stack = stack[:1]
                continue
            indent = len(raw) - len(raw.lstrip(" "))
            if fresh_section:
                section_indent = indent
                fresh_section = False
            level = max(0, indent - section_indent)
            line = self.canonical(raw.strip())
            if level == 0 and self.own_lines.match(line):
                continue
            while stack[-1][0] >= level:
                stack.pop()
            node = Node(line)
            stack[-1][1].children.append(node)
            stack.append((level, node))
        return root


_HUAWEI_KEYS = (
    r"sysname(?= |$)",
    r"description(?= |$)",
    r"ip address(?=( \S+ \S+)?$)",
    r"mtu(?= |$)",
    r"ospf \d+(?= |$)",
    r"bgp \d+(?= |$)",
    r"router-id(?= |$)",
    r"snmp-agent sys-info (location|contact)",
)
_IOS_KEYS = (
    r"hostname(?= |$)",
    r"description(?= |$)",
    r"ip address(?=( \S+ \S+)?$)",
    r"router ospf \d+",
    r"router bgp \d+",
    r"router-id(?= |$)",
    r"mtu(?= |$)",
    r"snmp-server (location|contact)",
)

_HUAWEI_COMMENT = re.compile(r"^(#|return$|!)")
_COMWARE_OWN = re.compile(r"^version \d")
_IOS_COMMENT = re.compile(r"^(!|end$|Building configuration|Current configuration|Using \d+ out of)")
_IOS_OWN = re.compile(r"^version \d")
_NONE = re.compile(r"(?!)")


def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


SYNTAXES: dict[Platform, Syntax] = {
    Platform.HUAWEI_VRP8: Syntax(
        Platform.HUAWEI_VRP8,
        "undo",
        "quit",
        _HUAWEI_COMMENT,
        _NONE,
        _compile(_HUAWEI_KEYS),
        ("LoopBack", "Vlanif", "Tunnel", "Eth-Trunk"),
    ),
    Platform.HUAWEI_VRP5: Syntax(
        Platform.HUAWEI_VRP5,
        "undo",
        "quit",
        _HUAWEI_COMMENT,
        _NONE,
        _compile(_HUAWEI_KEYS),
        ("LoopBack", "Vlanif", "Tunnel", "Eth-Trunk"),
    ),
    Platform.H3C_COMWARE7: Syntax(
        Platform.H3C_COMWARE7,
        "undo",
        "quit",
        _HUAWEI_COMMENT,
        _COMWARE_OWN,
        _compile(_HUAWEI_KEYS),
        ("LoopBack", "Vlan-interface", "Tunnel", "Route-Aggregation"),
    ),
    Platform.CISCO_IOS: Syntax(
        Platform.CISCO_IOS,
        "no",
        "exit",
        _IOS_COMMENT,
        _IOS_OWN,
        _compile(_IOS_KEYS),
        ("Loopback", "Tunnel", "Vlan", "Port-channel"),
    ),
}


def syntax_for(platform: Platform) -> Syntax:
    try:
        return SYNTAXES[platform]
    except KeyError:
        raise ValueError(
            f"platform {platform} has no configuration syntax (known: {', '.join(SYNTAXES)})"
        ) from None
