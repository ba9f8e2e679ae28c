"""Settings the service refuses: one line naming the variable and the rule (``SettingsError``), never pydantic's
traceback, for every setting; ``netops serve`` exits 1 with that line (the CLI's error mapping)."""

from __future__ import annotations

import types
import typing
from pathlib import Path

import pytest

from netops.errors import SettingsError
from netops.settings import Settings
from tests.conftest import run_netops

TAKES_TEXT = (str, Path)


def _takes_any_text(annotation: object) -> bool:
    args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    return any(a in TAKES_TEXT for a in args)


CHECKED = [name for name, f in Settings.model_fields.items() if not _takes_any_text(f.annotation)]


def test_every_checked_setting_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "audit_retention_days" in CHECKED and "poll_enabled" in CHECKED and "mode" in CHECKED
    for name in CHECKED:
        variable = f"NETOPS_{name.upper()}"
        with monkeypatch.context() as env:
            env.setenv(variable, "abc\n{{ 7*7 }}")
            with pytest.raises(SettingsError) as refused:
                Settings()
        message = str(refused.value)
        assert message.startswith(f"invalid settings: {variable}: "), message
        assert "\n" not in message and "7*7" not in message and "pydantic" not in message, message
    for value, rule in (("-5", "greater than 0"), ("0", "greater than 0"), ("abc", "a valid number")):
        with monkeypatch.context() as env:
            env.setenv("NETOPS_AUDIT_RETENTION_DAYS", value)
            with pytest.raises(
                SettingsError, match=f"^invalid settings: NETOPS_AUDIT_RETENTION_DAYS: .*{rule}"
            ):
                Settings()


def test_serve_with_a_bad_setting_says_one_line(tmp_path: Path) -> None:
    done = run_netops(
        "serve", env={"NETOPS_AUDIT_RETENTION_DAYS": "-5", "NETOPS_STATE_DIR": str(tmp_path / "state")}
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "error: invalid settings: NETOPS_AUDIT_RETENTION_DAYS: Input should be greater than 0"
    ], lines
