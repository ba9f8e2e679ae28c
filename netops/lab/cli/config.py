"""The configuration tree of a simulated device: ordered lines with nested blocks, and edits on it.

Part of the lab CLI (``netops.lab.cli``). The engine turns each accepted configuration line into an ``Edit``
(add or remove one line under a block path); the transaction store applies edits to the running tree at once
(VRP5, Comware, IOS) or keeps them as a VRP8 candidate until ``commit``. Rendering to text is per dialect
(``#`` separators on Huawei/H3C, ``!`` on IOS) but the walk is here.

A line's *key* says which sibling it replaces: ``sysname B`` replaces ``sysname A``, ``ospf 1 router-id X``
is the same block as ``ospf 1``. Keys come from the dialect's ``key_patterns`` (regexes matched at the start
of the line); a line no pattern matches is its own key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class ConfigNode:
    """One configuration line and, for a block (``interface X``, ``ospf 1``), the lines inside it."""

    line: str
    children: list[ConfigNode] = field(default_factory=list)

    def copy(self) -> ConfigNode:
        return ConfigNode(self.line, [c.copy() for c in self.children])

    def walk(self, depth: int = 0) -> Iterator[tuple[int, ConfigNode]]:
        """(depth, node) for every node below this one, in order; direct children have depth ``depth``."""
        for child in self.children:
            yield depth, child
            yield from child.walk(depth + 1)

    def text_lines(self, indent: int = 1) -> list[str]:
        """The lines below this node, each indented ``indent`` spaces per level (no separators)."""
        return [" " * (indent * d) + n.line for d, n in self.walk()]


@dataclass(frozen=True, slots=True)
class Edit:
    """Add (or, with ``remove``, take away) ``line`` in the block reached by the key ``path``."""

    path: tuple[str, ...]
    line: str
    remove: bool = False


class Keys:
    """Computes line keys from the dialect's patterns."""

    def __init__(self, patterns: Sequence[str], first: Sequence[str] = ("description",)) -> None:
        self._patterns = [re.compile(p) for p in patterns]
        self._first = tuple(first)  # keys that a device lists at the top of their block

    def key(self, line: str) -> str:
        for pat in self._patterns:
            m = pat.match(line)
            if m:
                return m.group(0)
        return line

    def find(self, node: ConfigNode, key: str) -> ConfigNode | None:
        for child in node.children:
            if self.key(child.line) == key:
                return child
        return None

    def block(self, root: ConfigNode, path: Sequence[str]) -> ConfigNode | None:
        node = root
        for key in path:
            found = self.find(node, key)
            if found is None:
                return None
            node = found
        return node

    def apply(self, root: ConfigNode, edit: Edit) -> None:
        """Apply one edit in place; blocks on the path that do not exist (any more) are created."""
        node = root
        for key in edit.path:
            found = self.find(node, key)
            if found is None:
                found = ConfigNode(key)
                node.children.append(found)
            node = found
        if edit.remove:
            self._remove(node, edit.line)
            return
        key = self.key(edit.line)
        for i, child in enumerate(node.children):
            if child.line == edit.line:
                return
            if self.key(child.line) == key:
                if edit.line == key:  # ``ospf 1`` enters ``ospf 1 router-id X`` without changing it
                    return
                node.children[i] = ConfigNode(edit.line, child.children)
                return
        if key in self._first:
            at = sum(1 for c in node.children if self.key(c.line) in self._first)
            node.children.insert(at, ConfigNode(edit.line))
        else:
            node.children.append(ConfigNode(edit.line))

    def _remove(self, node: ConfigNode, line: str) -> None:
        key = self.key(line)
        node.children = [
            c
            for c in node.children
            if not (c.line == line or c.line.startswith(line + " ") or self.key(c.line) == key)
        ]

    def apply_all(self, root: ConfigNode, edits: Sequence[Edit]) -> ConfigNode:
        """A copy of ``root`` with ``edits`` applied in order."""
        out = root.copy()
        for edit in edits:
            self.apply(out, edit)
        return out
