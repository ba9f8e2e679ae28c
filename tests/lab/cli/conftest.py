"""Fixtures for the lab CLI tests: a fresh small inventory per test (its own 127.66.N.x addresses), its
secrets file, and the lab SSH server on a background event loop."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.inventory.loader import load_inventory
from netops.lab.testing import (
    InProcessLab,
    in_process_lab,
    start_on_free_subnet,
    write_inventory,
    write_secrets,
)
from netops.secrets import SecretStore
from tests.lab.cli.cli_testlib import ENABLE, INVENTORY, PASSWORD, Lab, LoopThread


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


@pytest.fixture
def lab(tmp_path: Path, secrets: SecretStore, loop_thread: LoopThread) -> Iterator[Lab]:
    """A fresh world and SSH lab; another test run on this machine may hold a subnet, so try the next."""
    with contextlib.ExitStack() as stack:

        def start(n: int) -> tuple[int, InProcessLab]:
            inv_dir = tmp_path / f"inventory-{n}"
            write_inventory(inv_dir, INVENTORY.format(n=n))
            inventory = load_inventory(inv_dir)
            running = stack.enter_context(
                in_process_lab(inventory, secrets, snmp=False, codecs=False, loop=loop_thread)
            )
            return n, running

        n, running = start_on_free_subnet(start)
        yield Lab(running.world, running.ssh, loop_thread, n)
