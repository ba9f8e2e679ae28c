"""Read YAML keeping line numbers, so every later error can say ``file:line``.

Mappings come back as ``LineDict`` (a plain dict plus the line of the mapping and of each key); lists as
``LineList`` (plus the line of each item). A syntax error or a duplicate key becomes a ``Problem``, never a
traceback. Uses libyaml's C parser when available (it is on every supported platform), else pure Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from netops.errors import Problem

try:
    _Base: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - libyaml missing
    _Base = yaml.SafeLoader


class LineDict(dict[str, Any]):
    """A mapping read from YAML; ``line`` is where it starts, ``key_lines`` where each key is."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence read from YAML; ``line`` is where it starts, ``item_lines`` where each item starts."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        if 0 <= index < len(self.item_lines):
            return self.item_lines[index]
        return self.line


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int, first: int) -> None:
        self.key, self.line, self.first = key, line, first


class _LineLoader(_Base):  # type: ignore[misc, valid-type]
    pass


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class _Builder:
    """Turn a composed node tree into LineDict/LineList/scalars.

    A tight walk instead of PyYAML's generic constructor machinery (about 3x faster on big inventories);
    non-string scalars (int, float, bool, null, dates) still go through PyYAML's safe constructors.
    """

    def __init__(self, loader: _LineLoader) -> None:
        self.loader = loader
        self.memo: dict[int, Any] = {}  # aliases share nodes

    def build(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            if node.tag == _STR:
                return node.value
            return self.loader.construct_object(node, deep=True)
        found = self.memo.get(id(node))
        if found is not None:
            return found
        if isinstance(node, MappingNode):
            return self._map(node)
        if isinstance(node, SequenceNode):
            seq = LineList()
            seq.line = node.start_mark.line + 1
            seq.item_lines = [child.start_mark.line + 1 for child in node.value]
            self.memo[id(node)] = seq
            seq.extend(self.build(child) for child in node.value)
            return seq
        return self.loader.construct_object(node, deep=True)

    def _map(self, node: MappingNode) -> LineDict:
        data = LineDict()
        data.line = node.start_mark.line + 1
        key_lines: dict[str, int] = {}
        data.key_lines = key_lines
        self.memo[id(node)] = data
        if any(k.tag == _MERGE for k, _ in node.value):
            self.loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = key_node.value if key_node.tag == _STR else self.build(key_node)
            if not isinstance(key, str):
                key = str(key)
            line = key_node.start_mark.line + 1
            if key in key_lines:
                raise _DuplicateKey(key, line, key_lines[key])
            key_lines[key] = line
            data[key] = self.build(value_node)
        return data


def read_yaml(path: Path, display: str) -> tuple[Any, list[Problem]]:
    """Parse one file. Returns (data, problems); data is None when the file could not be parsed."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(display, None, "", f"not UTF-8 text: {exc.reason} at byte {exc.start}")]
    except OSError as exc:
        return None, [Problem(display, None, "", f"cannot read: {exc.strerror}")]
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        return (None if node is None else _Builder(loader).build(node)), []
    except _DuplicateKey as dup:
        return None, [Problem(display, dup.line, dup.key, f"duplicate key (first at line {dup.first})")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or "syntax error"
        ctx = f" ({exc.context})" if exc.context else ""
        begun = exc.context_mark
        if exc.context and begun is not None and mark is not None and begun.line != mark.line:
            ctx = f" ({exc.context} that starts at line {begun.line + 1})"
        return None, [Problem(display, line, "", f"YAML syntax error: {what}{ctx}")]
    except yaml.YAMLError as exc:
        return None, [Problem(display, None, "", f"YAML error: {exc}")]
    finally:
        loader.dispose()


def line_at(data: Any, loc: Sequence[int | str], default: int) -> int:
    """The line of the deepest element of ``data`` that ``loc`` (a pydantic error location) reaches."""
    line = default
    node = data
    for step in loc:
        if isinstance(node, LineDict) and isinstance(step, str):
            line = node.line_of(step)
            if step not in node:
                break
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int):
            line = node.line_of(step)
            if not 0 <= step < len(node):
                break
            node = node[step]
        else:
            break
    return line


__all__ = ["LineDict", "LineList", "line_at", "read_yaml"]
