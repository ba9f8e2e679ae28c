"""Fixtures for the lab CLI tests: a fresh small inventory per test (its own 127.66.N.x addresses), its
secrets file, and the lab SSH server on a background event loop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.errors import LabError
from netops.inventory.loader import load_inventory
from netops.lab.cli import start_ssh
from netops.lab.state import LabWorld
from netops.lab.testing import write_secrets
from netops.secrets import SecretStore
from tests.lab.cli.cli_testlib import ENABLE, INVENTORY, PASSWORD, SUBNETS, Lab, LoopThread


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.stop()


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    path = write_secrets(
        tmp_path / "secrets.yaml",
        {"lab-cli-password": PASSWORD, "lab-community": "c0mmunity-x", "lab-enable": ENABLE},
    )
    return SecretStore(path)


def _new_world(tmp_path: Path) -> tuple[LabWorld, int]:
    n = next(SUBNETS)
    inv_dir = tmp_path / f"inventory-{n}"
    inv_dir.mkdir()
    (inv_dir / "region.yaml").write_text(INVENTORY.format(n=n), encoding="utf-8")
    return LabWorld(load_inventory(inv_dir)), n


@pytest.fixture
def lab(tmp_path: Path, secrets: SecretStore, loop_thread: LoopThread) -> Iterator[Lab]:
    """A fresh world and SSH lab; another test run on this machine may hold a subnet, so try the next."""
    for _ in range(20):
        world, n = _new_world(tmp_path)
        try:
            ssh = loop_thread.run(start_ssh(world, secrets, minute_seconds=1.0))
        except LabError:
            continue
        break
    else:
        raise LabError("no free 127.66.N.0/24 subnet for the lab CLI tests")
    yield Lab(world, ssh, loop_thread, n)
    loop_thread.run(ssh.close())
