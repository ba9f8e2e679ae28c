"""Read-only access per platform, with the library that does it best: NAPALM where its driver is complete
(Cisco IOS: getters for facts and configuration), netmiko with netops' own platform drivers elsewhere (NAPALM has
no core Huawei or H3C driver). Writes never come here: configuration pushes are ``platforms/`` over netmiko.

``NAPALM_DRIVERS`` is the per-platform choice; everything blocks (run it in a thread) and raises ``DeviceError``s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netops.drivers.cli import CliSession, Timeouts
from netops.drivers.platforms import driver_for
from netops.errors import AuthenticationFailed, DeviceError, DeviceUnreachable
from netops.inventory.models import Device, Inventory, Platform
from netops.secrets import SecretStore

NAPALM_DRIVERS = {Platform.CISCO_IOS: "ios"}


def _napalm(device: Device, inventory: Inventory, secrets: SecretStore, timeouts: Timeouts) -> Any:
    from napalm import get_network_driver
    from napalm.base.exceptions import ConnectionException
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

    if device.credential is None or device.credential not in inventory.credentials:
        raise DeviceError(device.id, f"no credential {device.credential!r} to log in with")
    cred = inventory.credentials[device.credential]
    args: dict[str, Any] = {
        "port": device.ssh_port,
        "conn_timeout": timeouts.connect,
        "banner_timeout": timeouts.banner,
        "auth_timeout": timeouts.auth,
    }
    if cred.enable is not None:
        args["secret"] = secrets.get(cred.enable)
    driver = get_network_driver(NAPALM_DRIVERS[device.platform])(
        str(device.address),
        cred.username,
        secrets.get(cred.password),
        timeout=int(timeouts.command),
        optional_args=args,
    )
    try:
        driver.open()
    except NetmikoAuthenticationException as exc:
        raise AuthenticationFailed(device.id, "the device refused the credentials") from exc
    except (NetmikoTimeoutException, ConnectionException, OSError) as exc:
        raise DeviceUnreachable(device.id, f"no SSH session: {exc.__class__.__name__}") from exc
    return driver


def _with_napalm(
    device: Device, inventory: Inventory, secrets: SecretStore, timeouts: Timeouts, call: Callable[[Any], Any]
) -> Any:
    driver = _napalm(device, inventory, secrets, timeouts)
    try:
        return call(driver)
    except DeviceError:
        raise
    except Exception as exc:  # a getter's parsing or transport failure is this device's failure
        raise DeviceError(
            device.id, f"NAPALM {NAPALM_DRIVERS[device.platform]}: {exc.__class__.__name__}"
        ) from exc
    finally:
        driver.close()


def read_running(
    device: Device, inventory: Inventory, secrets: SecretStore, timeouts: Timeouts | None = None
) -> str:
    """The running configuration, by the platform's reader."""
    timeouts = timeouts or Timeouts(command=30.0)
    if device.platform in NAPALM_DRIVERS:
        text = str(
            _with_napalm(
                device, inventory, secrets, timeouts, lambda d: d.get_config(retrieve="running")["running"]
            )
        )
        if not text.strip():
            raise DeviceError(device.id, "NAPALM get_config gave no configuration")
        return text
    with CliSession.open(device, inventory, secrets, timeouts) as s:
        return driver_for(device.platform).running(s)


def read_facts(
    device: Device, inventory: Inventory, secrets: SecretStore, timeouts: Timeouts | None = None
) -> dict[str, Any]:
    """NAPALM's facts (vendor, model, OS version, serial, uptime, hostname, interfaces) where NAPALM serves
    the platform; ``{}`` elsewhere (the SNMP poller has the same facts for every platform)."""
    if device.platform not in NAPALM_DRIVERS:
        return {}
    facts: dict[str, Any] = _with_napalm(
        device, inventory, secrets, timeouts or Timeouts(), lambda d: d.get_facts()
    )
    return facts
