"""Who owns a lock or a running change: this process's identity (host, pid, start time), and whether the
owner of a record is gone. Part of ``netops.changes`` (``records`` writes owners, ``journal`` reconciles the
changes of owners that are gone).

A pid alone is not an identity (pids are reused), so the process start time (``/proc/<pid>/stat`` field 22,
clock ticks since boot) goes with it. An owner on another host cannot be checked from here: it is taken as
alive (its locks expire after ``LOCK_TTL_S``).
"""

from __future__ import annotations

import os
import socket
from functools import cache
from pathlib import Path
from typing import Any


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot; None when there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # the name may hold spaces and parentheses
    if not fields or fields[0] in ("Z", "X"):  # a zombie (killed, not reaped yet) or dead
        return None
    try:
        return int(fields[19])  # field 22 overall; fields[0] is field 3 (state)
    except (IndexError, ValueError):
        return None


@cache
def _identity() -> tuple[str, int, int | None]:
    pid = os.getpid()
    return socket.gethostname(), pid, start_ticks(pid)


def this_process() -> dict[str, Any]:
    host, pid, started = _identity()
    if pid != os.getpid():  # forked since: not the same process
        _identity.cache_clear()
        host, pid, started = _identity()
    return {"host": host, "pid": pid, "started": started}


def gone(owner: dict[str, Any] | None) -> bool:
    """True when ``owner`` was a process on this host that no longer runs (its pid dead or reused)."""
    if not owner or owner.get("host") != socket.gethostname():
        return False
    pid = owner.get("pid")
    if not isinstance(pid, int):
        return False
    started = start_ticks(pid)
    if started is None:
        return True
    return owner.get("started") is not None and started != owner.get("started")


def alive(owner: dict[str, Any] | None) -> bool | None:
    """True: a process on this host that still runs; False: gone; None: cannot be checked from here
    (another host, no pid)."""
    if not owner or owner.get("host") != socket.gethostname() or not isinstance(owner.get("pid"), int):
        return None
    return not gone(owner)


def describe(owner: dict[str, Any] | None) -> str:
    if not owner:
        return "an unknown process"
    return f"pid {owner.get('pid')} on {owner.get('host')}"
