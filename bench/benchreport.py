"""Shared by the benchmarks: describe the machine; put a result section into docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def write_section(text: str, marks: tuple[str, str]) -> None:
    """Put ``text`` into docs/benchmarks.md between ``marks``, replacing what a previous run wrote there."""
    begin, end = marks
    path = REPO / "docs" / "benchmarks.md"
    doc = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = f"{begin}\n{text.rstrip()}\n{end}"
    if begin in doc:
        head, rest = doc.split(begin, 1)
        tail = rest.split(end, 1)[1] if end in rest else ""
        doc = head + section + tail
    else:
        doc = doc.rstrip() + "\n\n" + section + "\n"
    path.write_text(doc, encoding="utf-8")
