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

from collections import deque
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
    result.commands = _diff_block(syntax, running, intended, (), result.changes)
    return result


def diff_texts(syntax: Syntax, running: str, intended: str) -> Remediation:
    """What differs between two configuration texts of one platform, and the commands from one to the other."""
    return diff_trees(syntax, syntax.parse(running), syntax.parse(intended))


def _first(indexes: deque[int] | None, matched: list[bool]) -> int | None:
    """The first sibling of ``indexes`` (in running order) not matched yet; matched ones are dropped as met."""
    if indexes is None:
        return None
    while indexes and matched[indexes[0]]:
        indexes.popleft()
    return indexes[0] if indexes else None


def _diff_block(
    syntax: Syntax, running: Node, intended: Node, path: tuple[str, ...], changes: list[Change]
) -> list[str]:
    """Append the changes of this block to ``changes``; return its commands.

    Each intended child is matched to a running sibling: the first unmatched one (in running order) with the
    same line, else (for a line with a key) the first unmatched one with the same key. The running siblings
    are indexed by line and by key, so a block of n lines costs O(n), not O(n^2).
    """
    cmds: list[str] = []
    olds = running.children
    old_keys = [syntax.key(r.line) for r in olds]
    new_keys = [syntax.key(n.line) for n in intended.children]
    intended_keys = set(new_keys)
    by_line: dict[str, deque[int]] = {}
    by_key: dict[str, deque[int]] = {}
    for i, r in enumerate(olds):
        by_line.setdefault(r.line, deque()).append(i)
        by_key.setdefault(old_keys[i], deque()).append(i)
    matched = [False] * len(olds)
    pairs: list[tuple[Node, Node | None]] = []
    for node, key in zip(intended.children, new_keys, strict=True):
        hit = _first(by_line.get(node.line), matched)
        if hit is None and key != node.line:
            hit = _first(by_key.get(key), matched)
        if hit is None:
            pairs.append((node, None))
        else:
            matched[hit] = True
            pairs.append((node, olds[hit]))
    # 1. what must go (before additions: a negation may remove every line of its key)
    for i, r in enumerate(olds):
        if matched[i]:
            continue
        key = old_keys[i]
        if key != r.line and key in intended_keys:
            changes.append(Change("-", path, r.line))  # replaced by the intended line of the same key
            continue
        changes.append(Change("-", path, r.line))
        _subtree("-", (*path, r.line), r, changes)
        cmds.extend(_removal(syntax, r))
    # 2. what must be added or changed
    for node, twin in pairs:
        if twin is None:
            changes.append(Change("+", path, node.line))
            _subtree("+", (*path, node.line), node, changes)
            cmds.extend(_addition(syntax, node))
            continue
        if twin.line != node.line:
            changes.append(Change("-", path, twin.line))
            changes.append(Change("+", path, node.line))
        sub: list[str] = []
        if twin.children or node.children:  # two leaves (most lines) have nothing below them to compare
            sub = _diff_block(syntax, twin, node, (*path, node.line), changes)
        if twin.line != node.line or sub:
            cmds.append(node.line)
            if sub:
                cmds.extend(sub)
            if node.children or sub:
                cmds.append(syntax.leave)
    return cmds


def _subtree(sign: str, path: tuple[str, ...], block: Node, changes: list[Change]) -> None:
    """Every line below ``block`` (depth first, in order) as a change under its own path."""
    for child in block.children:
        changes.append(Change(sign, path, child.line))
        if child.children:
            _subtree(sign, (*path, child.line), child, changes)


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
