"""The lab kit itself (netops/lab/testing.py): private network, generated inventories, secrets files, waits,
processes whose output goes to a file."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from netops.errors import LabError
from netops.inventory.loader import load_inventory
from netops.inventory.models import SecretRef
from netops.lab.testing import (
    Subnets,
    in_process_lab,
    service_process,
    wait_until,
    write_inventory,
    write_secrets,
)
from netops.secrets import SecretStore
from tests.conftest import PRIVATE_NETWORK, REPO, free_port

TEMPLATE = """\
defaults: {snmp_profile: v2c, credential: cli}
snmp_profiles: [{id: v2c, version: "2c", community: {secret: kit-community}}]
credentials: [{id: cli, username: netops, password: {secret: kit-password}}]
sites:
  - id: centre
    name: centre
    tier: region
    devices: [{id: core1, role: core, platform: huawei_vrp8, address: 127.{{net}}.{{n}}.1, snmp_port: 16161}]
"""


def test_the_test_process_has_a_network_of_its_own(request: pytest.FixtureRequest) -> None:
    assert request.config.stash.get(PRIVATE_NETWORK, False), "unshare(CLONE_NEWNET) should work here (root)"
    assert (
        Path("/proc/self/ns/net").readlink() != Path(f"/proc/{os.getppid()}/ns/net").readlink()
    )  # not the parent's
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # loopback is up in it
        sock.bind(("127.9.9.9", 0))
        sock.listen()
        with socket.create_connection(sock.getsockname(), timeout=5):
            pass


def test_inventory_generated_from_a_template_with_parameters(tmp_path: Path) -> None:
    directory = write_inventory(tmp_path / "inv", TEMPLATE, {"net": 99, "n": 7})
    assert str(load_inventory(directory).device("core1").address) == "127.99.7.1"
    with pytest.raises(LabError, match=r"\{\{n\}\} was not given"):
        write_inventory(tmp_path / "inv2", TEMPLATE, {"net": 99})


def test_secrets_file_is_private_from_the_start_and_keeps_odd_values(tmp_path: Path) -> None:
    odd = 'pa:ss "word" # not a comment'
    path = write_secrets(tmp_path / "s" / "secrets.yaml", {"kit-password": odd, "kit-community": "c0m"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SecretStore(path).get(SecretRef("kit-password")) == odd


def test_subnets_never_repeat_within_a_cycle() -> None:
    subnets = Subnets(10, 20)
    assert sorted(next(subnets) for _ in range(10)) == list(range(10, 20))


def test_wait_until_returns_the_value_or_names_what_it_waited_for() -> None:
    calls = iter([None, 0, "", "ready"])
    assert wait_until("the thing", lambda: next(calls), every=0.001) == "ready"

    def broken() -> bool:
        raise ConnectionRefusedError("nobody there")

    with pytest.raises(LabError, match="gave up waiting for the service") as info:
        wait_until("the service", broken, timeout=0.05, every=0.01)
    assert isinstance(info.value.__cause__, ConnectionRefusedError)

    def knows_it_failed() -> bool:
        raise AssertionError("the process exited")

    with pytest.raises(AssertionError, match="the process exited"):  # at once, not at the deadline
        wait_until("the process", knows_it_failed, timeout=3600)


def test_in_process_lab_answers_and_frees_its_addresses(tmp_path: Path) -> None:
    directory = write_inventory(tmp_path / "inv", TEMPLATE, {"net": 98, "n": 1})
    secrets = SecretStore(
        write_secrets(tmp_path / "secrets.yaml", {"kit-community": "c", "kit-password": "p"})
    )
    inventory = load_inventory(directory)
    with in_process_lab(inventory, secrets, ssh=False, codecs=False) as lab:
        assert lab.snmp is not None and lab.ssh is None
        with (  # the address is taken while it runs
            pytest.raises(LabError),
            in_process_lab(inventory, secrets, ssh=False, codecs=False),
        ):
            pass
    with in_process_lab(inventory, secrets, ssh=False, codecs=False) as again:  # and free afterwards
        assert again.snmp is not None


def test_a_service_that_exits_is_reported_with_its_log_at_once(tmp_path: Path) -> None:
    port = free_port()
    args = [
        "serve",
        "--inventory",
        str(tmp_path / "missing"),
        "--port",
        str(port),
        "--state-dir",
        str(tmp_path),
    ]
    with (
        pytest.raises(LabError, match="did not become healthy") as info,
        service_process(args, tmp_path / "serve.log", port, cwd=REPO),
    ):
        pass
    assert "missing" in str(info.value)  # the end of its log says what was wrong
