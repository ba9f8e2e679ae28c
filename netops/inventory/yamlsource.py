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
from yaml.nodes import MappingNode, SequenceNode

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


def _construct_map(loader: _LineLoader, node: MappingNode) -> Any:
    data = LineDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        line = key_node.start_mark.line + 1
        if key in data.key_lines:
            raise _DuplicateKey(key, line, data.key_lines[key])
        data.key_lines[key] = line
        data[key] = loader.construct_object(value_node, deep=True)


def _construct_seq(loader: _LineLoader, node: SequenceNode) -> Any:
    data = LineList()
    data.line = node.start_mark.line + 1
    data.item_lines = [child.start_mark.line + 1 for child in node.value]
    yield data
    data.extend(loader.construct_object(child, deep=True) for child in node.value)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


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
        return loader.get_single_data(), []
    except _DuplicateKey as dup:
        return None, [Problem(display, dup.line, dup.key, f"duplicate key (first at line {dup.first})")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or "syntax error"
        ctx = f" ({exc.context})" if exc.context else ""
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
