"""The CLI finds its state like git finds its repository (``netops.cli.state``), through real CLI processes:
``--state-dir``/``NETOPS_STATE_DIR``, else ``.netops/`` here or in a parent, else the user's state folder.
Commands that only read never create a database; commands that write create ``./.netops``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, run_netops


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """An empty folder tree with no ``.netops`` anywhere above it."""
    for parent in (tmp_path, *tmp_path.parents):
        if (parent / ".netops").exists():
            pytest.fail(
                f"{parent / '.netops'} exists above the test folder: remove it or point TMPDIR elsewhere"
            )
    return tmp_path


def netops(*args: str, cwd: Path, xdg: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI with no state settings of its own: only what the test sets."""
    base = {"NETOPS_STATE_DIR": "", "NETOPS_DATABASE_URL": "", "XDG_STATE_HOME": str(xdg)}
    return run_netops(*args, cwd=cwd, env={**base, **env})


def tokens(res: subprocess.CompletedProcess[str]) -> list[str]:
    assert res.returncode == 0, res.stderr
    return [t["name"] for t in json.loads(res.stdout)]


def created(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name in (".netops", "netops.db"))


def test_write_command_creates_dot_netops_and_readers_find_it_from_below(tree: Path) -> None:
    top, below = tree / "project", tree / "project" / "a" / "b"
    below.mkdir(parents=True)
    made = netops("token", "create", "--name", "noc", "--role", "viewer", cwd=top, xdg=tree / "xdg")
    assert made.returncode == 0, made.stderr
    assert (top / ".netops" / "netops.db").is_file()
    assert tokens(netops("token", "list", "--json", cwd=below, xdg=tree / "xdg")) == ["noc"]
    assert created(tree) == ["project/.netops", "project/.netops/netops.db"]


def test_environment_wins_over_a_folder_found_upward(tree: Path) -> None:
    near, far = tree / "project", tree / "elsewhere"
    near.mkdir()
    xdg = tree / "xdg"
    assert netops("token", "create", "--name", "near", "--role", "viewer", cwd=near, xdg=xdg).returncode == 0
    res = netops("token", "create", "--name", "far", "--role", "viewer", cwd=near, xdg=xdg,
                 NETOPS_STATE_DIR=str(far))  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert tokens(netops("token", "list", "--json", cwd=near, xdg=xdg, NETOPS_STATE_DIR=str(far))) == ["far"]
    assert tokens(netops("token", "list", "--json", cwd=near, xdg=xdg)) == ["near"]
    option = netops("token", "list", "--json", "--state-dir", str(near / ".netops"), cwd=tree, xdg=xdg,
                    NETOPS_STATE_DIR=str(far))  # fmt: skip
    assert tokens(option) == ["near"]  # the option wins over the environment


def test_user_state_folder_is_the_last_resort(tree: Path) -> None:
    xdg = tree / "xdg"
    user = xdg / "netops"
    made = netops("token", "create", "--name", "mine", "--role", "viewer", "--state-dir", str(user), cwd=tree,
                  xdg=xdg)  # fmt: skip
    assert made.returncode == 0, made.stderr
    (tree / "work").mkdir()
    assert tokens(netops("token", "list", "--json", cwd=tree / "work", xdg=xdg)) == ["mine"]


READERS = [
    ["status", "--inventory", str(REPO / "inventory")],
    ["incidents"],
    ["audit"],
    ["ack", "1"],
    ["token", "list"],
    ["config", "changes"],
    ["config", "history", "kashgar-ce1"],
    ["runbook", "runs"],
    ["runbook", "transcript", "rb-1"],
    ["vc", "list", "--inventory", str(REPO / "inventory")],
]


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a[:2]))
def test_read_only_command_in_an_empty_tree_creates_nothing(tree: Path, args: list[str]) -> None:
    cwd = tree / "a" / "b"
    cwd.mkdir(parents=True)
    res = netops(*args, cwd=cwd, xdg=tree / "xdg")
    assert res.returncode == 1, (res.stdout, res.stderr)
    message = " ".join(res.stderr.split())
    assert "no netops state found: looked in NETOPS_STATE_DIR (unset), ./.netops," in message
    assert str(tree / "a" / ".netops") in message and str(tree / ".netops") in message
    assert str(tree / "xdg" / "netops") in message and "--state-dir" in message
    assert created(tree) == []
    assert not (tree / "xdg").exists()


def test_read_only_command_never_creates_a_database_in_a_named_folder(tree: Path) -> None:
    state = tree / "state"
    state.mkdir()
    res = netops("incidents", "--state-dir", str(state), cwd=tree, xdg=tree / "xdg")
    assert res.returncode == 1 and "no netops database in" in " ".join(res.stderr.split())
    missing = netops("audit", cwd=tree, xdg=tree / "xdg", NETOPS_STATE_DIR=str(tree / "nowhere"))
    assert missing.returncode == 1 and "no such folder" in missing.stderr
    assert list(state.iterdir()) == [] and not (tree / "nowhere").exists()


def test_lab_commands_without_state_say_where_they_looked(tree: Path) -> None:
    res = netops("lab", "status", cwd=tree, xdg=tree / "xdg")
    assert res.returncode == 1
    message = " ".join(res.stderr.split())
    assert "no lab is running" in message and "./.netops" in message
    assert created(tree) == []
