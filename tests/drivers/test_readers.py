"""Read-only access per platform against the lab: NAPALM's IOS driver (facts, running config) and netmiko for
Comware; a wrong password and a silent device are the right errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.drivers.cli import Timeouts
from netops.drivers.readers import read_facts, read_running
from netops.errors import AuthenticationFailed, DeviceUnreachable
from netops.inventory import Inventory, load_inventory
from netops.secrets import SecretStore
from tests.conftest import REPO, free_port, run_netops

INVENTORY = REPO / "tests" / "lab" / "run" / "inventory"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Inventory, SecretStore, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("readers")
    env = {"NETOPS_SECRETS_FILE": str(tmp / "secrets.yaml"), "NETOPS_STATE_DIR": str(tmp / "state")}
    up = run_netops(
        "lab", "up", "--detach", "--inventory", str(INVENTORY), "--control-port", str(free_port()), env=env
    )
    assert up.returncode == 0, up.stderr
    try:
        yield load_inventory(INVENTORY), SecretStore(Path(env["NETOPS_SECRETS_FILE"])), env
    finally:
        run_netops("lab", "down", env=env)


def test_napalm_reads_ios_facts_and_config(lab: tuple[Inventory, SecretStore, dict[str, str]]) -> None:
    inv, secrets, _ = lab
    ios = inv.device("dept-audit-ce1")
    facts = read_facts(ios, inv, secrets)
    assert facts["hostname"] == "dept-audit-ce1" and facts["vendor"] == "Cisco"
    assert "GigabitEthernet0/1" in facts["interface_list"]
    assert "hostname dept-audit-ce1" in read_running(ios, inv, secrets)


def test_netmiko_reads_comware(lab: tuple[Inventory, SecretStore, dict[str, str]]) -> None:
    inv, secrets, _ = lab
    comware = inv.device("hami-ce1")
    assert read_facts(comware, inv, secrets) == {}  # NAPALM has no H3C driver: the poller has the facts
    assert "sysname hami-ce1" in read_running(comware, inv, secrets)


def test_errors(
    lab: tuple[Inventory, SecretStore, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inv, secrets, env = lab
    ios = inv.device("dept-audit-ce1")
    monkeypatch.setenv("NETOPS_SECRET_RUN_CLI_PASSWORD", "not-the-password")
    with pytest.raises(AuthenticationFailed):
        read_facts(ios, inv, SecretStore(tmp_path / "none.yaml"))
    monkeypatch.delenv("NETOPS_SECRET_RUN_CLI_PASSWORD")
    fault = run_netops("lab", "fault", "add", "node-down", "dept-audit-ce1", env=env)
    assert fault.returncode == 0, fault.stderr
    try:
        with pytest.raises(DeviceUnreachable):
            read_running(ios, inv, secrets, Timeouts(connect=3.0, command=3.0))
    finally:
        run_netops("lab", "fault", "clear", "--all", env=env)
    assert os.environ.get("NETOPS_SECRET_RUN_CLI_PASSWORD") is None
