"""Fixtures for the codec lab tests: a small inventory in 127.68.0.0/16, a secrets file, and ``with_lab``,
which runs an async scenario against freshly started endpoints in its own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from netops.lab.codec import CodecLab, start_codecs
from netops.lab.state import LabWorld
from netops.lab.testing import write_secrets
from netops.secrets import SecretStore
from tests.lab.codec.codec_testlib import INVENTORY, PASSWORD, WithLab


@pytest.fixture(scope="session")
def inventory() -> Inventory:
    return load_inventory(INVENTORY)


@pytest.fixture
def store(tmp_path: Path) -> SecretStore:
    path = write_secrets(
        tmp_path / "secrets.yaml", {"codec-admin-password": PASSWORD, "lab-cli-password": "cli-pw-0815"}
    )
    return SecretStore(path)


@pytest.fixture
def world(inventory: Inventory) -> LabWorld:
    return LabWorld(inventory)


@pytest.fixture
def with_lab(world: LabWorld, store: SecretStore) -> WithLab:
    def run(scenario: Callable[[CodecLab], Awaitable[Any]], devices: Iterable[str] | None = None) -> Any:
        async def main() -> Any:
            lab = await start_codecs(world, store, devices)
            try:
                return await scenario(lab)
            finally:
                await lab.close()

        return asyncio.run(main())

    return run
