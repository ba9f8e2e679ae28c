"""The indexed diff gives exactly what the quadratic one gave (issue 12, item 4).

``_reference_diff`` below is the algorithm of ``netops.drivers.platforms.remediation`` before siblings were
indexed (each intended line rescanned every running sibling; each line of an added or removed block searched
its block again for its ancestors). It is kept here only, as the reference: generated VRP, Comware and IOS
configurations (duplicates, nested blocks, negations, keyed lines that replace each other, logical and
physical interfaces, reordered sections) must give the same changes, in the same order, and the same
commands as ``diff_trees``/``diff_texts``.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netops.drivers.platforms.remediation import Change, Remediation, diff_texts, diff_trees
from netops.drivers.platforms.syntax import Node, Syntax, syntax_for
from netops.inventory.models import Platform

PLATFORMS = (Platform.HUAWEI_VRP8, Platform.HUAWEI_VRP5, Platform.H3C_COMWARE7, Platform.CISCO_IOS)


# -- the reference: the algorithm as it was, verbatim -------------------------------------------------------
def _reference_diff(syntax: Syntax, running: Node, intended: Node) -> Remediation:
    result = Remediation()
    _ref_block(syntax, running, intended, (), result)
    return result


def _ref_match(syntax: Syntax, running: list[Node], node: Node) -> Node | None:
    for r in running:
        if r.line == node.line:
            return r
    key = syntax.key(node.line)
    if key != node.line:
        for r in running:
            if syntax.key(r.line) == key:
                return r
    return None


def _ref_block(
    syntax: Syntax, running: Node, intended: Node, path: tuple[str, ...], out: Remediation
) -> None:
    cmds: list[str] = []
    intended_keys = {syntax.key(n.line) for n in intended.children}
    matched: set[int] = set()
    pairs: list[tuple[Node, Node | None]] = []
    for node in intended.children:
        twin = _ref_match(syntax, [r for r in running.children if id(r) not in matched], node)
        if twin is not None:
            matched.add(id(twin))
        pairs.append((node, twin))
    for r in running.children:
        if id(r) in matched:
            continue
        key = syntax.key(r.line)
        if key != r.line and key in intended_keys:
            out.changes.append(Change("-", path, r.line))
            continue
        out.changes.append(Change("-", path, r.line))
        for _depth, child in r.walk():
            out.changes.append(Change("-", (*path, r.line, *_ref_ancestors(r, child)), child.line))
        cmds.extend(_ref_removal(syntax, r))
    for node, twin in pairs:
        if twin is None:
            out.changes.append(Change("+", path, node.line))
            for _depth, child in node.walk():
                out.changes.append(Change("+", (*path, node.line, *_ref_ancestors(node, child)), child.line))
            cmds.extend(_ref_addition(syntax, node))
            continue
        if twin.line != node.line:
            out.changes.append(Change("-", path, twin.line))
            out.changes.append(Change("+", path, node.line))
        sub = Remediation()
        _ref_block(syntax, twin, node, (*path, node.line), sub)
        out.changes.extend(sub.changes)
        if twin.line != node.line or sub.commands:
            cmds.append(node.line)
            if sub.commands:
                cmds.extend(sub.commands)
            if node.children or sub.commands:
                cmds.append(syntax.leave)
    out.commands.extend(cmds)


def _ref_ancestors(block: Node, target: Node) -> list[str]:
    def search(node: Node, trail: list[str]) -> list[str] | None:
        for child in node.children:
            if child is target:
                return trail
            found = search(child, [*trail, child.line])
            if found is not None:
                return found
        return None

    return search(block, []) or []


def _ref_addition(syntax: Syntax, node: Node) -> list[str]:
    if not node.children:
        return [node.line]
    cmds = [node.line]
    for child in node.children:
        cmds.extend(_ref_addition(syntax, child))
    cmds.append(syntax.leave)
    return cmds


def _ref_removal(syntax: Syntax, node: Node) -> list[str]:
    words = node.line.split()
    if node.children and words[0] == "interface":
        name = " ".join(words[1:])
        if not name.startswith(syntax.logical_interfaces):
            return [node.line, *(syntax.negation(c.line) for c in node.children), syntax.leave]
    return [syntax.negation(node.line)]


# -- generated configurations -------------------------------------------------------------------------------
class _Gen:
    """Random configuration trees of one platform from small value domains, so that equal lines, equal keys
    and equal block headers occur often; and mutations of them (the intended configuration)."""

    def __init__(self, platform: Platform, rnd: random.Random) -> None:
        self.syntax = syntax_for(platform)
        self.ios = platform is Platform.CISCO_IOS
        self.neg = self.syntax.negate
        self.r = rnd

    def pick(self, *options: str) -> str:
        return self.r.choice(options)

    def n(self, hi: int = 3) -> int:
        return self.r.randint(0, hi)

    def interface_name(self) -> str:
        if self.ios:
            return self.pick(
                f"GigabitEthernet0/0/{self.n()}",
                f"Loopback{self.n()}",
                f"Tunnel{self.n(1)}",
                f"Vlan{self.n()}",
            )
        if self.syntax.platform is Platform.H3C_COMWARE7:
            return self.pick(
                f"GigabitEthernet1/0/{self.n()}",
                f"LoopBack{self.n()}",
                f"Vlan-interface{self.n()}",
                f"Route-Aggregation{self.n(1)}",
            )
        return self.pick(
            f"GigabitEthernet0/0/{self.n()}",
            f"LoopBack{self.n()}",
            f"Eth-Trunk{self.n(1)}",
            f"Vlanif{self.n()}",
        )

    def interface_leaf(self) -> str:
        return self.pick(
            f"description to-{self.n()}",
            "description",
            f"ip address 10.0.{self.n()}.1 255.255.255.{self.pick('252', '0')}",
            f"ip address 10.9.{self.n()}.1 255.255.255.0 sub",
            f"mtu {self.pick('1500', '9000')}",
            "shutdown",
            f"{self.neg} shutdown",
            f"ospf cost {self.n()}" if not self.ios else f"ip ospf cost {self.n()}",
            "qos trust dscp",
        )

    def leaf(self) -> str:
        if self.ios:
            return self.pick(
                f"hostname r{self.n()}",
                f"ntp server 127.1.2.{self.n()}",
                f"logging host 127.1.0.{self.n()}",
                f"snmp-server location site-{self.n()}",
                f"snmp-server contact noc-{self.n()}",
                "no ip http server",
                "service timestamps log datetime",
                "aaa new-model",
            )
        return self.pick(
            f"sysname r{self.n()}",
            f"ntp-service unicast-server 127.1.2.{self.n()}",
            f"info-center loghost 127.1.0.{self.n()}",
            f"snmp-agent sys-info location site-{self.n()}",
            f"snmp-agent sys-info contact noc-{self.n()}",
            "undo http server enable",
            "snmp-agent",
            f"clock timezone UTC{self.n()} add 08:00:00",
        )

    def block(self, depth: int = 0) -> Node:
        kind = self.r.randrange(6)
        if kind == 0:
            return Node(
                f"interface {self.interface_name()}", [Node(self.interface_leaf()) for _ in range(self.n(4))]
            )
        if kind == 1:  # OSPF
            if self.ios:
                head = f"router ospf {self.n(1) + 1}"
                kids = [Node(f"router-id 127.0.0.{self.n()}")] if self.n(1) else []
                kids += [
                    Node(f"network 10.{self.n()}.0.0 0.0.0.255 area {self.n(1)}") for _ in range(self.n())
                ]
                kids += [Node(f"passive-interface Loopback{self.n()}") for _ in range(self.n(1))]
                return Node(head, kids)
            area = self.pick("0.0.0.0", "0.0.0.1")
            networks = [Node(f"network 10.{self.n()}.0.0 0.0.0.255") for _ in range(self.n())]
            return Node(
                f"ospf {self.n(1) + 1} router-id 127.0.0.{self.n()}",
                [
                    Node(f"area {area}", networks),
                    *(Node(f"silent-interface LoopBack{self.n()}") for _ in range(self.n(1))),
                ],
            )
        if kind == 2:  # BGP with an address family
            peer = f"10.0.{self.n()}.2"
            if self.ios:
                af = Node(
                    "address-family ipv4",
                    [Node(f"neighbor {peer} activate"), Node(f"network 10.{self.n()}.0.0")],
                )
                return Node(f"router bgp 6500{self.n(1)}", [Node(f"neighbor {peer} remote-as 4809"), af])
            af = Node(
                "ipv4-family unicast", [Node(f"peer {peer} enable"), Node(f"network 10.{self.n()}.0.0 16")]
            )
            return Node(
                f"bgp 6500{self.n(1)}",
                [Node(f"router-id 127.0.0.{self.n()}"), Node(f"peer {peer} as-number 4809"), af],
            )
        if kind == 3:  # ACL
            if self.ios:
                rules = [
                    Node(f"permit ip any any dscp {self.pick('af41', 'ef', 'cs5')}") for _ in range(self.n(4))
                ]
                return Node(f"ip access-list extended VIDEO{self.n(1)}", rules)
            rules = [
                Node(f"rule {5 * self.n(4)} permit ip dscp {self.pick('af41', 'ef', 'cs5')}")
                for _ in range(self.n(4))
            ]
            return Node(f"acl number 300{self.n(1)}", rules)
        if kind == 4:  # route policy
            if self.ios:
                return Node(
                    f"route-map RP{self.n(1)} permit {10 * (self.n(1) + 1)}",
                    [
                        Node(f"match ip address prefix-list PL{self.n()}"),
                        Node(f"set local-preference {100 + self.n()}"),
                    ],
                )
            return Node(
                f"route-policy RP{self.n(1)} permit node {10 * (self.n(1) + 1)}",
                [Node(f"if-match ip-prefix PL{self.n()}"), Node(f"apply local-preference {100 + self.n()}")],
            )
        # a deeper generic block (nesting beyond what the real grammar has)
        inner = [Node(self.leaf()) for _ in range(self.n(2))]
        if depth < 3:
            inner += [self.block(depth + 1) for _ in range(self.n(1))]
        return Node(f"{self.pick('user-interface vty 0 4', 'line vty 0 4', 'aaa')}", inner)

    def config(self, size: int) -> Node:
        root = Node("")
        for _ in range(size):
            root.children.append(self.block() if self.r.random() < 0.5 else Node(self.leaf()))
        return root

    def mutate(self, node: Node, depth: int = 0) -> Node:
        """A copy of ``node`` with lines dropped, duplicated, replaced (same key or not), added, reordered."""
        out = Node(node.line)
        for child in node.children:
            roll = self.r.random()
            if roll < 0.08:
                continue  # removed
            copy = self.mutate(child, depth + 1) if child.children and self.r.random() < 0.5 else _copy(child)
            if roll < 0.14:
                copy.line = self._respell(copy.line)
            out.children.append(copy)
            if roll > 0.94:
                out.children.append(_copy(child))  # duplicated
        for _ in range(self.r.choice((0, 0, 0, 1, 2))):
            new = (
                Node(self.interface_leaf() if node.line.startswith("interface") else self.leaf())
                if depth or self.r.random() < 0.5
                else self.block()
            )
            out.children.insert(self.r.randint(0, len(out.children)), new)
        if self.r.random() < 0.3:
            self.r.shuffle(out.children)
        return out

    def _respell(self, line: str) -> str:
        """Another line of the same key when the line has one, else the negated or another line."""
        words = line.split()
        if self.syntax.key(line) != line and len(words) > 1:
            return " ".join([*words[:-1], words[-1] + "x"])
        if self.r.random() < 0.5:
            return self.syntax.negation(line)
        return self.leaf()


def _copy(node: Node) -> Node:
    return Node(node.line, [_copy(c) for c in node.children])


def _text(node: Node, ios: bool) -> str:
    sep = "!" if ios else "#"
    out: list[str] = []
    for child in node.children:
        out.extend([sep, child.line, *(" " + ln for ln in child.lines())])
    return "\n".join([*out, "end" if ios else "return"]) + "\n"


def _same(syntax: Syntax, running: Node, intended: Node) -> Remediation:
    want = _reference_diff(syntax, running, intended)
    got = diff_trees(syntax, running, intended)
    assert got.changes == want.changes
    assert got.commands == want.commands
    assert got.text() == want.text()
    return got


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.value)
@pytest.mark.parametrize("seed", range(100))
def test_generated_configurations_give_the_reference_diff(platform: Platform, seed: int) -> None:
    gen = _Gen(platform, random.Random(f"{platform.value}-{seed}"))
    running = gen.config(gen.r.randint(0, 40))
    intended = gen.mutate(running)
    syntax = gen.syntax
    _same(syntax, running, intended)
    _same(syntax, intended, running)  # the other way round: what a revert to the snapshot types
    _same(syntax, running, gen.config(gen.r.randint(0, 40)))  # unrelated configurations
    # and through the text: separators, canonical names, ``area 0``, the device's own lines
    ios = gen.ios
    want = _reference_diff(syntax, syntax.parse(_text(running, ios)), syntax.parse(_text(intended, ios)))
    got = diff_texts(syntax, _text(running, ios), _text(intended, ios))
    assert (got.changes, got.commands) == (want.changes, want.commands)


def test_generated_configurations_exercise_every_case() -> None:
    """The generator is worth something: duplicates, replaced keys, negations, both kinds of removed interface."""
    seen: set[str] = set()
    for platform in PLATFORMS:
        for seed in range(60):
            gen = _Gen(platform, random.Random(f"{platform.value}-{seed}"))
            running = gen.config(gen.r.randint(0, 40))
            intended = gen.mutate(running)
            rem = _same(gen.syntax, running, intended)
            blocks = [running, intended, *(n for _, n in running.walk()), *(n for _, n in intended.walk())]
            if any(len({c.line for c in b.children}) < len(b.children) for b in blocks):
                seen.add("duplicate siblings")
            signs = [c.sign for c in rem.changes]
            neg = gen.syntax.negate + " "
            if any(c.startswith(neg + "interface") for c in rem.commands):
                seen.add("logical interface deleted")
            if any(
                c.startswith("interface") and rem.commands[i + 1].startswith(neg)
                for i, c in enumerate(rem.commands[:-1])
            ):
                seen.add("interface contents negated")
            if any(c.startswith(neg) for c in rem.commands):
                seen.add("negation")
            if "+" in signs and "-" in signs:
                seen.add("both")
            if any(len(c.path) >= 2 for c in rem.changes):
                seen.add("nested")
            if any(
                rem.changes[i].sign == "-"
                and rem.changes[i + 1].sign == "+"
                and rem.changes[i].path == rem.changes[i + 1].path
                and gen.syntax.key(rem.changes[i].line)
                == gen.syntax.key(rem.changes[i + 1].line)
                != rem.changes[i].line
                for i in range(len(rem.changes) - 1)
            ):
                seen.add("key replaced")
    assert seen == {
        "duplicate siblings",
        "logical interface deleted",
        "interface contents negated",
        "negation",
        "both",
        "nested",
        "key replaced",
    }


# -- hypothesis: trees from a tiny vocabulary (many equal lines and keys), shrinking to a small case --------
_VOCAB = {
    Platform.HUAWEI_VRP8: (
        "sysname a",
        "sysname b",
        "description x",
        "description y",
        "description",
        "ip address 10.0.0.1 255.255.255.0",
        "ip address 10.0.0.2 255.255.255.0",
        "ip address 10.0.0.3 255.255.255.0 sub",
        "shutdown",
        "undo shutdown",
        "interface GigabitEthernet0/0/1",
        "interface LoopBack1",
        "ospf 1 router-id 1.1.1.1",
        "ospf 1 router-id 2.2.2.2",
        "ospf 2",
        "area 0.0.0.0",
        "network 10.0.0.0 0.0.0.255",
        "rule 5 permit ip",
    ),
    Platform.CISCO_IOS: (
        "hostname a",
        "hostname b",
        "description x",
        "description y",
        "ip address 10.0.0.1 255.255.255.0",
        "ip address 10.0.0.2 255.255.255.0",
        "shutdown",
        "no shutdown",
        "interface GigabitEthernet0/0/1",
        "interface Loopback1",
        "router ospf 1",
        "router bgp 65000",
        "router-id 1.1.1.1",
        "router-id 2.2.2.2",
        "neighbor 10.0.0.2 remote-as 1",
        "address-family ipv4",
        "snmp-server location x",
        "snmp-server location y",
    ),
}


def _trees(platform: Platform) -> st.SearchStrategy[Node]:
    line = st.sampled_from(_VOCAB[platform])
    leaf = st.builds(lambda text: Node(text), line)
    return st.recursive(leaf, lambda kids: st.builds(Node, line, st.lists(kids, max_size=5)), max_leaves=25)


def _forest(platform: Platform) -> st.SearchStrategy[Node]:
    return st.lists(_trees(platform), max_size=6).map(lambda children: Node("", children))


@pytest.mark.parametrize("platform", [Platform.HUAWEI_VRP8, Platform.CISCO_IOS], ids=lambda p: p.value)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_hypothesis_trees_give_the_reference_diff(platform: Platform, data: st.DataObject) -> None:
    running = data.draw(_forest(platform), label="running")
    intended = data.draw(_forest(platform), label="intended")
    _same(syntax_for(platform), running, intended)
