"""Configuration transactions per platform over netmiko (merge, confirmed commit, confirm, abort, rollback,
save) and the configuration syntax each platform shows. ``driver_for(platform)`` picks the driver; the error
for a platform without one lists those that have one.

NAPALM is not used for pushes: it has no core Huawei/H3C driver, and its IOS driver's ``commit_config``
with ``revert_in`` needs an ``archive`` path and SCP, which the lab (and many field routers) lack; one
netmiko-based transaction layer keeps the four platforms alike.
"""

from __future__ import annotations

from netops.drivers.parsing import InterfaceState, OspfNeighbour
from netops.drivers.platforms.base import Pending, PlatformDriver
from netops.drivers.platforms.comware7 import Comware7Driver
from netops.drivers.platforms.ios import IosDriver
from netops.drivers.platforms.vrp5 import Vrp5Driver
from netops.drivers.platforms.vrp8 import Vrp8Driver
from netops.errors import UnsupportedPlatform
from netops.inventory.models import Platform

DRIVERS: dict[Platform, PlatformDriver] = {
    Platform.HUAWEI_VRP8: Vrp8Driver(),
    Platform.HUAWEI_VRP5: Vrp5Driver(),
    Platform.H3C_COMWARE7: Comware7Driver(),
    Platform.CISCO_IOS: IosDriver(),
}


def driver_for(platform: Platform) -> PlatformDriver:
    try:
        return DRIVERS[platform]
    except KeyError:
        known = ", ".join(p.value for p in DRIVERS)
        raise UnsupportedPlatform(
            f"no configuration driver for platform {platform.value} (known: {known})"
        ) from None


__all__ = ["DRIVERS", "InterfaceState", "OspfNeighbour", "Pending", "PlatformDriver", "driver_for"]
