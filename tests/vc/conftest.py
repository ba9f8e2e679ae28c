"""Fixtures for the video-conference tests: the inventory in 127.70.0.0/16, a secrets file, a fresh lab world
and store per test, and ``lab``, which runs an async scenario with the world's codecs and MCU started."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import pytest

from netops.events import Event, EventBus
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from netops.inventory.topology import Topology
from netops.lab.codec import start_codecs
from netops.lab.faults import FaultBook
from netops.lab.state import LabWorld
from netops.lab.testing import in_process_lab, write_secrets
from netops.secrets import SecretStore
from netops.store.db import Store, open_store
from netops.vc.precheck import Prechecker
from netops.vc.thresholds import Thresholds

INVENTORY = Path(__file__).parent / "inventory"
PASSWORD = "codec-pw-0707"
# The lab's codecs and MCU answer in the test's own process: a reply later than probe_timeout_s counts as lost (one
# in a burst of 50 is 2 % loss, RED), so the waits are long enough for a loaded machine (2 s); a silent codec's
# round waits them out, concurrently (2 s instead of 1.5 s)
FAST = Thresholds(
    probe_count=50, probe_interval_s=0.005, probe_timeout_s=2.0, sip_timeout_s=2.0, http_timeout_s=2.0
)


class RunLab(Protocol):
    def __call__(self, scenario: Callable[[], Awaitable[Any]]) -> Any: ...


@pytest.fixture(scope="session")
def inventory() -> Inventory:
    return load_inventory(INVENTORY)


@pytest.fixture(scope="session")
def topology(inventory: Inventory) -> Topology:
    return Topology(inventory)


@pytest.fixture
def secrets(tmp_path: Path) -> SecretStore:
    path = write_secrets(
        tmp_path / "secrets.yaml", {"codec-admin-password": PASSWORD, "lab-cli-password": "cli-pw-0815"}
    )
    return SecretStore(path)


@pytest.fixture
def world(inventory: Inventory) -> LabWorld:
    return LabWorld(inventory)


@pytest.fixture
def faults(world: LabWorld) -> FaultBook:
    return FaultBook(world)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'netops.db'}")
    yield store
    store.close()


@pytest.fixture
def events() -> tuple[EventBus, list[Event]]:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe("*", seen.append)
    return bus, seen


@pytest.fixture
def checker(
    inventory: Inventory,
    topology: Topology,
    db: Store,
    secrets: SecretStore,
    events: tuple[EventBus, list[Event]],
) -> Prechecker:
    return Prechecker(inventory, topology, db, secrets, events[0], thresholds=FAST)


@pytest.fixture
def lab(world: LabWorld, secrets: SecretStore) -> RunLab:
    def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
        async def main() -> Any:
            async with await start_codecs(world, secrets):
                return await scenario()

        return asyncio.run(main())

    return run


@contextmanager
def lab_in_thread(world: LabWorld, secrets: SecretStore) -> Iterator[None]:
    """The world's codecs and MCU served from a background thread's event loop, for blocking clients
    (FastAPI's TestClient, the CLI runner)."""
    with in_process_lab(world.inventory, secrets, snmp=False, ssh=False, world=world):
        yield


@pytest.fixture
def threaded_lab(world: LabWorld, secrets: SecretStore) -> Iterator[None]:
    with lab_in_thread(world, secrets):
        yield
