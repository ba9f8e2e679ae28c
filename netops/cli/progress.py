"""Progress of the commands that work over many devices (``config backup/diff/push/rollback``,
``vc precheck``): ``N/M`` done, on stderr only, so ``--json`` (stdout) stays one parseable document.

Shown when stderr is a terminal (a transient bar: ``backup 12/40 kashgar-core1``), or with ``--progress``
when it is not (one line per item: ``backup 12/40 kashgar-core1 ok``, for logs and CI); ``--no-progress``
silences it. Thread-safe: the services call ``advance`` from their worker threads or the event loop.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Annotated

import typer

from netops.cli.common import err

ProgressOpt = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="N/M progress on stderr (default: only when stderr is a terminal).",
        show_default=False,
    ),
]


class DeviceProgress:
    """``with DeviceProgress("backup", 40, flag) as p: ... p.advance("kashgar-core1", "ok")``."""

    def __init__(self, label: str, total: int, flag: bool | None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        terminal = err.is_terminal
        self.enabled = terminal if flag is None else flag
        self._lock = threading.Lock()
        self._bar = None
        self._task = None
        if self.enabled and terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[last]}"),
                console=err,
                transient=True,
            )
            self._task = self._bar.add_task(label, total=total, last="")

    def __enter__(self) -> DeviceProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def grow(self, more: int) -> None:
        """``more`` items to do, learnt on the way (a rollback's wave names its devices)."""
        with self._lock:
            self.total += more
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, total=self.total)

    def advance(self, item: str, outcome: str = "") -> None:
        """One more of ``total`` done: ``item`` (a device or a room) with its outcome."""
        if not self.enabled:
            return
        with self._lock:
            self.done += 1
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, advance=1, last=item)
            else:
                line = f"{self.label} {self.done}/{self.total} {item} {outcome}".rstrip()
                err.print(line, highlight=False, markup=False)


__all__ = ["DeviceProgress", "ProgressOpt"]
