"""The inventory: sites, devices, links and rooms from YAML, validated once; the topology graph over them."""

from netops.inventory.loader import load_inventory
from netops.inventory.models import (
    Device,
    Interface,
    Inventory,
    Lifecycle,
    Link,
    LinkKind,
    Platform,
    Role,
    Room,
    Site,
    Tier,
)
from netops.inventory.topology import Topology

__all__ = [
    "Device",
    "Interface",
    "Inventory",
    "Lifecycle",
    "Link",
    "LinkKind",
    "Platform",
    "Role",
    "Room",
    "Site",
    "Tier",
    "Topology",
    "load_inventory",
]
