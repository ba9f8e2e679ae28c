"""Writing what an export or ``netops init`` produces: atomically (a temporary file or folder beside the
target, then a rename), with one-line errors instead of tracebacks, and nothing half-written left behind.

``ExportPathError`` (exit 2): the target is the wrong kind of thing (a folder where a file goes, a file where a
folder goes). ``WriteFailed`` (exit 1): the operating system refused (read-only, no space, no such path).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from netops.errors import InvalidInputError, NetopsError


class ExportPathError(InvalidInputError):
    """The path names something that cannot be written as asked (exit 2)."""


class WriteFailed(NetopsError):
    """The operating system refused the write (read-only, full disk, missing folder): exit 1."""


def describe(exc: OSError, path: Path) -> str:
    """``PATH: read-only file system`` — the reason in words, without a traceback."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        first = exc.args[0][0]  # copytree's collected (src, dst, reason) triples: the first says why
        why = str(first[2]) if isinstance(first, tuple) and len(first) == 3 else str(first)
        if "No space left" in why:
            return f"cannot write {path}: no space left on the device"
        return f"cannot write {path}: {why.split('] ', 1)[-1]}"
    reason = {
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EROFS: "read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "no such file or folder",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.EISDIR: "is a folder",
    }.get(exc.errno or 0, exc.strerror or exc.__class__.__name__)
    where = exc.filename if isinstance(exc.filename, str) else str(path)
    return (
        f"cannot write {path}: {reason} ({where})" if where != str(path) else f"cannot write {path}: {reason}"
    )


@contextmanager
def os_errors(path: Path) -> Iterator[None]:
    """Turn an ``OSError`` into ``WriteFailed`` naming ``path`` and the reason."""
    try:
        yield
    except OSError as exc:
        raise WriteFailed(describe(exc, path)) from exc


def _make_parent(directory: Path) -> bool:
    """Create ``directory`` (and parents) if missing; True if this call created it."""
    if directory.exists():
        if not directory.is_dir():
            raise ExportPathError(f"{directory} is a file, not a folder")
        return False
    with os_errors(directory):
        directory.mkdir(parents=True)
    return True


def write_files_atomically(directory: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` (name -> text) into ``directory``: each into a temporary file first, renamed over its
    target only once every file is written; on failure nothing is replaced and the temporaries are gone
    (and ``directory`` too, if this call created it)."""
    for name in files:
        if (directory / name).is_dir():
            raise ExportPathError(f"{directory / name} is a folder, not a file")
    created = _make_parent(directory)
    temps: list[tuple[Path, Path]] = []
    try:
        with os_errors(directory):
            for name, text in files.items():
                fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
                tmp = Path(tmp_name)
                temps.append((tmp, directory / name))
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(text)
                    fh.flush()
                    os.fsync(fh.fileno())
                tmp.chmod(0o644)
            for tmp, dest in temps:
                tmp.replace(dest)
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        if created:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    return [dest for _, dest in temps]
