"""Fixtures for the change tests: a fresh lab region per test (own 127.74.N.0/24), secrets, a store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.errors import LabError
from netops.inventory.loader import load_inventory
from netops.lab.cli import start_ssh
from netops.lab.snmp import start_snmp
from netops.lab.state import LabWorld
from netops.lab.testing import LoopThread
from netops.secrets import SecretStore
from netops.store.db import Store, open_store
from tests.changes.changes_testlib import SUBNETS, Lab, write_inventory, write_secrets

TEMPLATES = Path(__file__).parents[2] / "inventory" / "templates"


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[LoopThread]:
    lt = LoopThread()
    yield lt
    lt.stop()


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    return write_secrets(tmp_path / "secrets.yaml")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    st = open_store(f"sqlite:///{tmp_path / 'netops.db'}")
    yield st
    st.close()


@pytest.fixture
def lab(tmp_path: Path, secrets: SecretStore, loop_thread: LoopThread) -> Iterator[Lab]:
    """A fresh world with SSH CLIs (a lab "minute" = 1 s) and SNMP agents; the next subnet if one is taken."""
    for _ in range(20):
        n = next(SUBNETS)
        inv_dir = write_inventory(tmp_path / f"inventory-{n}", n, TEMPLATES)
        inventory = load_inventory(inv_dir)
        world = LabWorld(inventory)
        try:
            ssh = loop_thread.run(start_ssh(world, secrets, minute_seconds=1.0))
        except LabError:
            continue
        try:
            snmp = loop_thread.run(start_snmp(world, secrets))
        except LabError:
            loop_thread.run(ssh.close())
            continue
        break
    else:
        raise LabError("no free 127.74.N.0/24 subnet for the change tests")
    yield Lab(world, ssh, snmp, loop_thread, n, inventory, inv_dir, secrets)
    loop_thread.run(snmp.close())
    loop_thread.run(ssh.close())
