"""Fixtures for the lab SNMP agent tests: the small inventory in ``inventory/``, its secrets, a running lab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from netops.lab.state import LabWorld
from netops.lab.testing import write_secrets
from netops.secrets import SecretStore
from tests.lab.snmp.snmp_testlib import AUTH, COMMUNITY, PRIV, LabThread

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def inventory() -> Inventory:
    return load_inventory(HERE / "inventory")


@pytest.fixture(scope="session")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> SecretStore:
    path = write_secrets(
        tmp_path_factory.mktemp("snmp-secrets") / "secrets.yaml",
        {
            "snmp-test-community": COMMUNITY,
            "snmp-test-auth": AUTH,
            "snmp-test-priv": PRIV,
            "snmp-test-cli": "cli-password-3",
        },
    )
    return SecretStore(path)


@pytest.fixture
def lab(inventory: Inventory, secrets: SecretStore) -> Iterator[LabThread]:
    running = LabThread(LabWorld(inventory), secrets)
    try:
        yield running
    finally:
        running.close()
