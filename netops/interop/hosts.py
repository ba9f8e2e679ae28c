"""What every export says about a device: address, ports, platform names, place in the hierarchy, and the
names (never the values) of the secrets that log into it. Group names are shared by the exports."""

from __future__ import annotations

import re
from dataclasses import dataclass

from netops.inventory.models import Device, Inventory
from netops.secrets import env_name


@dataclass(frozen=True, slots=True)
class HostFacts:
    id: str
    address: str
    ssh_port: int
    platform: str  # netops' platform id (huawei_vrp8, codec, ...)
    netmiko_device_type: str | None  # None: no CLI (codecs, the MCU)
    vendor: str
    role: str
    tier: str
    site: str
    site_name: str
    prefecture: str | None
    status: str
    model: str | None
    username: str | None
    password_env: str | None  # NETOPS_SECRET_<NAME>: the variable to set, never its value
    enable_env: str | None
    password_secret: str | None  # the secret's name in the secrets file (the same rule: never its value)
    enable_secret: str | None
    groups: tuple[str, ...]


def group_name(kind: str, value: str) -> str:
    """``platform_huawei_vrp8``, ``prefecture_kashgar``: letters, digits and ``_`` only (Ansible warns on
    anything else in a group name)."""
    return f"{kind}_{re.sub(r'[^A-Za-z0-9_]', '_', value)}"


def host_facts(inv: Inventory, device: Device) -> HostFacts:
    site = inv.sites[device.site]
    cred = inv.credentials.get(device.credential) if device.credential else None
    groups = [
        group_name("platform", str(device.platform)),
        group_name("role", str(device.role)),
        group_name("tier", str(site.tier)),
    ]
    if site.prefecture:
        groups.append(group_name("prefecture", site.prefecture))
    return HostFacts(
        id=device.id,
        address=str(device.address),
        ssh_port=device.ssh_port,
        platform=str(device.platform),
        netmiko_device_type=device.platform.netmiko_device_type,
        vendor=device.platform.vendor,
        role=str(device.role),
        tier=str(site.tier),
        site=site.id,
        site_name=site.name,
        prefecture=site.prefecture,
        status=str(device.status),
        model=device.model,
        username=cred.username if cred else None,
        password_env=env_name(cred.password.name) if cred else None,
        enable_env=env_name(cred.enable.name) if cred and cred.enable else None,
        password_secret=cred.password.name if cred else None,
        enable_secret=cred.enable.name if cred and cred.enable else None,
        groups=tuple(groups),
    )


def all_hosts(inv: Inventory) -> list[HostFacts]:
    return [host_facts(inv, d) for d in sorted(inv.devices.values(), key=lambda d: d.id)]
