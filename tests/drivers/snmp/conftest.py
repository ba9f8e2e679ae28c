"""Fixtures and helpers of the SNMP driver tests: the inventory in ``inventory/`` (127.73.0.0/16), its
secrets, lab agents started in the test's own event loop, and sessions (fast and pysnmp) built per device."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from netops.drivers.snmp import pysnmp_session
from netops.drivers.snmp.fast import Credentials, FastSession, V2cCredentials
from netops.drivers.snmp.fast_client import SnmpClient
from netops.drivers.snmp.fast_usm import V3Credentials
from netops.drivers.snmp.pysnmp_session import PysnmpSession
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from netops.lab.snmp import SnmpLab, start_snmp
from netops.lab.state import LabWorld
from netops.lab.testing import write_secrets as write_secrets_file
from netops.secrets import SecretStore

HERE = Path(__file__).parent
COMMUNITY = "drv-c0mmunity"
AUTH = "drv-auth-passphrase"
PRIV = "drv-priv-passphrase"
T = TypeVar("T")


def write_secrets(path: Path, **overrides: str) -> SecretStore:
    values = {
        "drv-community": COMMUNITY,
        "drv-auth": AUTH,
        "drv-priv": PRIV,
        "drv-cli": "cli-password-73",
        **overrides,
    }
    write_secrets_file(path, values)
    return SecretStore(path)


@pytest.fixture(scope="session")
def inventory() -> Inventory:
    return load_inventory(HERE / "inventory")


@pytest.fixture(scope="session")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> SecretStore:
    return write_secrets(tmp_path_factory.mktemp("drv-secrets") / "secrets.yaml")


def still_world(inventory: Inventory) -> LabWorld:
    """A world without traffic: counters hold still, so two clients reading one after the other agree."""
    world = LabWorld(inventory)
    for device in inventory.devices.values():
        for itf in world.device(device.id).interfaces:
            itf.set_error_rate(0.0)
            itf.rate_in_bps = itf.rate_out_bps = 0.0
    return world


async def with_lab(inventory: Inventory, secrets: SecretStore, body: Callable[[SnmpLab], Awaitable[T]]) -> T:
    """Run ``body`` with the lab's agents up in the running loop; everything is closed afterwards."""
    lab = await start_snmp(still_world(inventory), secrets)
    try:
        return await body(lab)
    finally:
        await lab.close()
        close_pysnmp()


def close_pysnmp() -> None:
    """Close the running loop's pysnmp engine, if a test made one (its sockets must not outlive the loop)."""
    eng = pysnmp_session._ENGINES.pop(asyncio.get_running_loop(), None)
    if eng is not None:
        eng.close_dispatcher()


def credentials(inventory: Inventory, secrets: SecretStore, device: str, **override: Any) -> Credentials:
    """The fast session's credentials for a device's profile; ``override`` replaces profile fields."""
    profile = inventory.snmp_profiles[inventory.device(device).snmp_profile or ""]
    if profile.version == "2c":
        assert profile.community is not None
        return V2cCredentials(override.get("community", secrets.get(profile.community)).encode())
    assert profile.user is not None
    return V3Credentials(
        override.get("user", profile.user),
        override.get("auth_protocol", profile.auth_protocol),
        override.get("auth_password", secrets.get(profile.auth_key) if profile.auth_key else None),
        override.get("priv_protocol", profile.priv_protocol),
        override.get("priv_password", secrets.get(profile.priv_key) if profile.priv_key else None),
    )


def fast(
    client: SnmpClient,
    inventory: Inventory,
    secrets: SecretStore,
    device: str,
    timeout_s: float | None = None,
    **override: Any,
) -> FastSession:
    """The fast session of a device's profile; ``timeout_s`` replaces the profile's (a test of silence waits it
    out, so it passes a short one), ``override`` the credentials' fields."""
    dev = inventory.device(device)
    profile = inventory.snmp_profiles[dev.snmp_profile or ""]
    return FastSession(
        client,
        dev.id,
        str(dev.address),
        dev.snmp_port,
        credentials(inventory, secrets, device, **override),
        profile.timeout_s if timeout_s is None else timeout_s,
        profile.retries,
    )


async def reference(inventory: Inventory, secrets: SecretStore, device: str) -> PysnmpSession:
    """The pysnmp session of a device (the reference implementation)."""
    dev = inventory.device(device)
    profile = inventory.snmp_profiles[dev.snmp_profile or ""]
    if profile.version == "2c":
        assert profile.community is not None
        auth = pysnmp_session.v2c(secrets.get(profile.community))
    else:
        assert profile.user is not None
        auth = pysnmp_session.v3(
            profile.user,
            profile.auth_protocol,
            secrets.get(profile.auth_key) if profile.auth_key else None,
            profile.priv_protocol,
            secrets.get(profile.priv_key) if profile.priv_key else None,
        )
    return await PysnmpSession.open(dev.id, str(dev.address), dev.snmp_port, auth, 2.0, 1)
