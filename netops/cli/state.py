"""Where the CLI's state lives (the embedded SQLite database, the lab's run file), found the way git finds its
repository:

1. ``--state-dir DIR``, else ``$NETOPS_STATE_DIR``;
2. else a ``.netops/`` folder in the current directory or the nearest parent that has one;
3. else the user's state folder, ``$XDG_STATE_HOME/netops`` (default ``~/.local/state/netops``), if it exists.

Commands that only read (``status``, ``incidents``, ``audit``, ``config changes`` ...) never create anything:
when no state is found they fail, naming every place they looked. Commands that write (``serve``, ``demo``,
``lab up``, ``token create``, ``poll once`` ...) create ``./.netops`` when nothing is found.
``NETOPS_DATABASE_URL`` (PostgreSQL) still names the database; the state folder then only holds run files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from netops.errors import NetopsError

ENV = "NETOPS_STATE_DIR"
DIR_NAME = ".netops"
DB_FILE = "netops.db"
HINT = "run `netops serve` or `netops demo` first, or pass --state-dir"


class StateNotFound(NetopsError):
    """No state folder (or no database in it) where a command that only reads looked. CLI exit 1."""


def user_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "netops"


@dataclass(frozen=True, slots=True)
class Lookup:
    """The state folder found (``None``: nowhere) and every place looked at, in order."""

    path: Path | None
    looked: tuple[str, ...]
    explicit: bool = False

    def describe(self) -> str:
        return ", ".join(self.looked)


def _home_relative(path: Path) -> str:
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) and path != home else str(path)


def find_state(explicit: Path | None, cwd: Path | None = None) -> Lookup:
    """Apply the rules; an explicit folder (option or environment) is returned whether it exists or not."""
    if explicit is not None:
        return Lookup(explicit, (f"--state-dir {explicit}",), explicit=True)
    env = os.environ.get(ENV)
    if env:
        return Lookup(Path(env), (f"{ENV} {env}",), explicit=True)
    looked = [f"{ENV} (unset)"]
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DIR_NAME
        looked.append(f"./{DIR_NAME}" if folder == here else str(candidate))
        if candidate.is_dir():
            return Lookup(candidate, tuple(looked))
    user = user_state_dir()
    looked.append(_home_relative(user))
    if user.is_dir():
        return Lookup(user, tuple(looked))
    return Lookup(None, tuple(looked))


def state_for_reading(explicit: Path | None) -> Path:
    """The state folder of a command that only reads; raises ``StateNotFound`` rather than create one."""
    lookup = find_state(explicit)
    if lookup.path is None:
        raise StateNotFound(f"no netops state found: looked in {lookup.describe()}; {HINT}")
    if not lookup.path.is_dir():
        raise StateNotFound(f"no netops state in {lookup.path} ({lookup.describe()}): no such folder; {HINT}")
    return lookup.path


def state_for_writing(explicit: Path | None) -> Path:
    """The state folder of a command that writes: the one found, else ``./.netops`` (created on first use)."""
    lookup = find_state(explicit)
    return lookup.path if lookup.path is not None else Path(DIR_NAME)


def database_for_reading(state_dir: Path) -> Path:
    """The SQLite file in ``state_dir``, which must exist (a command that only reads creates no database)."""
    db = state_dir / DB_FILE
    if not db.is_file():
        raise StateNotFound(f"no netops database in {state_dir} (no {DB_FILE}); {HINT}")
    return db
