"""Outside lab mode the service refuses well-known placeholder secrets (a `public` community), naming the
secret, never its value; lab mode (the lab, the demo) accepts them."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.errors import SettingsError
from netops.lab.testing import write_secrets
from netops.runtime import Runtime
from netops.settings import Settings
from tests.conftest import free_port, run_netops


def secrets_file(path: Path, community: str) -> Path:
    write_secrets(path, {"lab-snmp-community": community, "lab-cli-password": "a-real-password-1"})
    return path


def test_placeholder_community_is_refused_in_production(
    base_inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_SECRETS_FILE", str(secrets_file(tmp_path / "s.yaml", "public")))
    with pytest.raises(SettingsError, match="lab-snmp-community") as info:
        Runtime.start(Settings(inventory=base_inventory, state_dir=tmp_path / "st"))
    assert "public" not in str(info.value).split("placeholder")[0]  # the value itself is never shown
    rt = Runtime.start(Settings(inventory=base_inventory, state_dir=tmp_path / "st", mode="lab"))
    rt.close()
    monkeypatch.setenv("NETOPS_SECRETS_FILE", str(secrets_file(tmp_path / "s2.yaml", "k7Hq2-xR9v")))
    Runtime.start(Settings(inventory=base_inventory, state_dir=tmp_path / "st")).close()


def test_serve_refuses_with_the_reason(base_inventory: Path, tmp_path: Path) -> None:
    env = {"NETOPS_SECRETS_FILE": str(secrets_file(tmp_path / "s.yaml", "changeme"))}
    res = run_netops(
        "serve",
        "--inventory",
        str(base_inventory),
        "--port",
        str(free_port()),
        "--state-dir",
        str(tmp_path / "st"),
        env=env,
    )
    assert res.returncode == 1
    assert "lab-snmp-community hold well-known placeholder values" in res.stderr
    assert "NETOPS_MODE=lab" in res.stderr
