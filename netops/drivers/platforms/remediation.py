"""Block-aware comparison of two configuration trees of one platform, and the remediation commands.

Part of ``netops.drivers.platforms``: the platform drivers use it to converge back to a snapshot, and
``netops.changes.diff`` to show running vs intended. Siblings are matched order-insensitively by line, or by
key for lines that replace each other (``description``, ``ip address``, ``sysname``, ``ospf 1 router-id X``).

Remediation, per block: first the negations of what must go (``undo X`` / ``no X``; a removed physical
interface has its contents negated, a logical one is deleted), then what must be added or replaced, entering
and leaving blocks explicitly (``quit``/``exit``) so the commands work from the configuration view on any
device. A line whose key is being replaced is not negated (the new line replaces it, and a negation would
remove every line of that key).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netops.drivers.platforms.syntax import Node, Syntax


@dataclass(frozen=True, slots=True)
class Change:
    """One line that differs: ``+`` to add, ``-`` to remove, under the block ``path``."""

    sign: str
    path: tuple[str, ...]
    line: str


@dataclass(slots=True)
class Remediation:
    changes: list[Change] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # to type in the configuration view

    @property
    def empty(self) -> bool:
        return not self.changes

    def text(self) -> str:
        """The changes as an engineer reads them (block headers as context), unmasked."""
        out: list[str] = []
        shown: tuple[str, ...] = ()
        for ch in self.changes:
            common = 0
            while common < min(len(shown), len(ch.path)) and shown[common] == ch.path[common]:
                common += 1
            for depth in range(common, len(ch.path)):
                out.append("  " + " " * depth + ch.path[depth])
            out.append(f"{ch.sign} " + " " * len(ch.path) + ch.line)
            shown = (*ch.path, ch.line)
        return "\n".join(out) + ("\n" if out else "")


def diff_trees(syntax: Syntax, running: Node, intended: Node) -> Remediation:
    result = Remediation()
    _diff_block(syntax, running, intended, (), result)
    return result


def diff_texts(syntax: Syntax, running: str, intended: str) -> Remediation:
    """What differs between two configuration texts of one platform, and the commands from one to the other."""
    return diff_trees(syntax, syntax.parse(running), syntax.parse(intended))


def _match(syntax: Syntax, running: list[Node], node: Node) -> Node | None:
    """The running sibling that ``node`` corresponds to: same line, else same key."""
    for r in running:
        if r.line == node.line:
            return r
    key = syntax.key(node.line)
    if key != node.line:
        for r in running:
            if syntax.key(r.line) == key:
                return r
    return None


def _diff_block(
    syntax: Syntax, running: Node, intended: Node, path: tuple[str, ...], out: Remediation
) -> None:
    cmds: list[str] = []
    intended_keys = {syntax.key(n.line) for n in intended.children}
    matched: set[int] = set()
    pairs: list[tuple[Node, Node | None]] = []
    for node in intended.children:
        twin = _match(syntax, [r for r in running.children if id(r) not in matched], node)
        if twin is not None:
            matched.add(id(twin))
        pairs.append((node, twin))
    # 1. what must go (before additions: a negation may remove every line of its key)
    for r in running.children:
        if id(r) in matched:
            continue
        key = syntax.key(r.line)
        if key != r.line and key in intended_keys:
            out.changes.append(Change("-", path, r.line))  # replaced by the intended line of the same key
            continue
        out.changes.append(Change("-", path, r.line))
        for _depth, child in r.walk():
            out.changes.append(Change("-", (*path, r.line, *_ancestors(r, child)), child.line))
        cmds.extend(_removal(syntax, r))
    # 2. what must be added or changed
    for node, twin in pairs:
        if twin is None:
            out.changes.append(Change("+", path, node.line))
            for _depth, child in node.walk():
                out.changes.append(Change("+", (*path, node.line, *_ancestors(node, child)), child.line))
            cmds.extend(_addition(syntax, node))
            continue
        if twin.line != node.line:
            out.changes.append(Change("-", path, twin.line))
            out.changes.append(Change("+", path, node.line))
        sub = Remediation()
        _diff_block(syntax, twin, node, (*path, node.line), sub)
        out.changes.extend(sub.changes)
        if twin.line != node.line or sub.commands:
            cmds.append(node.line)
            if sub.commands:
                cmds.extend(sub.commands)
            if node.children or sub.commands:
                cmds.append(syntax.leave)
    out.commands.extend(cmds)


def _ancestors(block: Node, target: Node) -> list[str]:
    """The lines between ``block`` (exclusive) and ``target`` (exclusive)."""

    def search(node: Node, trail: list[str]) -> list[str] | None:
        for child in node.children:
            if child is target:
                return trail
            found = search(child, [*trail, child.line])
            if found is not None:
                return found
        return None

    return search(block, []) or []


def _addition(syntax: Syntax, node: Node) -> list[str]:
    if not node.children:
        return [node.line]
    cmds = [node.line]
    for child in node.children:
        cmds.extend(_addition(syntax, child))
    cmds.append(syntax.leave)
    return cmds


def _removal(syntax: Syntax, node: Node) -> list[str]:
    words = node.line.split()
    if node.children and words[0] == "interface":
        name = " ".join(words[1:])
        if not name.startswith(syntax.logical_interfaces):
            # a physical interface cannot be deleted: take its configuration away
            return [node.line, *(syntax.negation(c.line) for c in node.children), syntax.leave]
    return [syntax.negation(node.line)]
