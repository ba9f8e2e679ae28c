"""The CLI starts light: importing it, ``--help`` and ``inventory validate`` load none of the heavy libraries
(device drivers, SQL, web stack); ``--help`` lists every command from the lazy table, whose short help
must stay the command's own; netops errors become exit codes in one place."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from netops.cli import COMMANDS, app
from netops.cli.groups import exit_code
from netops.errors import (
    ConflictError,
    InvalidInputError,
    InventoryError,
    NetopsError,
    NotFoundError,
    Problem,
    StoreError,
)
from tests.conftest import REPO

HEAVY = ("netmiko", "paramiko", "napalm", "sqlalchemy", "alembic", "pysnmp", "fastapi", "uvicorn")

PROBE = """
import contextlib, io, json, sys
HEAVY = {heavy!r}
def loaded():
    return sorted({{m.split(".")[0] for m in sys.modules}} & set(HEAVY))
report = {{}}
import netops.cli
report["import"] = loaded()
codes = {{}}
for name, args in (("help", ["--help"]), ("validate", ["inventory", "validate", {inventory!r}])):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            netops.cli.app(args, prog_name="netops")
        except SystemExit as exc:
            codes[name] = exc.code
    report[name] = loaded()
print(json.dumps({{"loaded": report, "codes": codes}}))
"""


def test_import_help_and_validate_load_no_heavy_library() -> None:
    script = PROBE.format(heavy=HEAVY, inventory=str(REPO / "inventory"))
    res = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout.strip().splitlines()[-1])
    assert data["codes"] == {"help": 0, "validate": 0}
    assert data["loaded"] == {"import": [], "help": [], "validate": []}


def test_help_lists_every_command_with_its_short_help() -> None:
    res = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    for name, (_target, short_help) in COMMANDS.items():
        line = next((ln for ln in res.output.splitlines() if ln.strip("│ ").startswith(f"{name} ")), "")
        assert short_help in line, f"{name}: {line!r}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_lazy_table_help_is_the_commands_own(name: str) -> None:
    import typer

    from netops.cli.groups import _load

    command = _load(name, COMMANDS[name][0])
    own = command.short_help or (command.help or "").split("\n\n")[0].strip()
    assert " ".join(own.split()) == COMMANDS[name][1]
    assert isinstance(command, typer.core.TyperCommand | typer.core.TyperGroup)


def test_unknown_command_suggests_lazy_names() -> None:
    res = CliRunner().invoke(app, ["incident"])
    assert res.exit_code == 2 and "incidents" in res.output


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFoundError("device", "x"), 2),
        (InvalidInputError("bad template"), 2),
        (ConflictError("already running"), 1),
        (StoreError("cannot open"), 1),
        (NetopsError("anything else"), 1),
        (InventoryError([Problem("sites.yaml", 3, "id", "duplicate")]), 1),
    ],
)
def test_error_to_exit_code(error: NetopsError, code: int) -> None:
    assert exit_code(error) == code
