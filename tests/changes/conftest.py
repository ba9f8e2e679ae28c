"""Fixtures for the change tests: a fresh lab region per test (own 127.74.N.0/24), secrets, a store."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from netops.lab.testing import InProcessLab, LoopThread, in_process_lab, start_on_free_subnet
from netops.secrets import SecretStore
from netops.store.db import Store, open_store
from tests.changes.changes_testlib import Lab, write_inventory, write_secrets

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
    with contextlib.ExitStack() as stack:

        def start(n: int) -> tuple[int, Path, Inventory, InProcessLab]:
            inv_dir = write_inventory(tmp_path / f"inventory-{n}", n, TEMPLATES)
            inventory = load_inventory(inv_dir)
            running = stack.enter_context(in_process_lab(inventory, secrets, codecs=False, loop=loop_thread))
            return n, inv_dir, inventory, running

        n, inv_dir, inventory, running = start_on_free_subnet(start)
        yield Lab(running.world, running.ssh, running.snmp, loop_thread, n, inventory, inv_dir, secrets)
