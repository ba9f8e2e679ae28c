"""Nornir's SimpleInventory (``hosts.yaml``, ``groups.yaml``, ``defaults.yaml``) from the inventory.

``platform`` is the netmiko device type (what nornir-netmiko and nornir-napalm connect with); codecs and the
MCU have none. No password is written: ``data.password_env`` names the variable that holds it, and the
``fill_passwords`` transform below (or the user's own) sets ``host.password`` from it at load time::

    nr = InitNornir(inventory={"plugin": "SimpleInventory", "options": {...}})
    netops.interop.nornir.fill_passwords(nr.inventory)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from netops.interop.hosts import HostFacts, all_hosts, group_name
from netops.inventory.models import Inventory

FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml")


def _host(h: HostFacts) -> dict[str, Any]:
    data: dict[str, Any] = {
        "netops_platform": h.platform,
        "vendor": h.vendor,
        "role": h.role,
        "tier": h.tier,
        "site": h.site,
        "site_name": h.site_name,
        "prefecture": h.prefecture,
        "status": h.status,
        "model": h.model,
        "password_env": h.password_env,
        "enable_env": h.enable_env,
    }
    host: dict[str, Any] = {
        "hostname": h.address,
        "port": h.ssh_port,
        "groups": list(h.groups),
        "data": {k: v for k, v in data.items() if v is not None},
    }
    if h.username:
        host["username"] = h.username
    return host


def nornir_inventory(inv: Inventory) -> dict[str, dict[str, Any]]:
    """The three files' contents: ``{"hosts.yaml": ..., "groups.yaml": ..., "defaults.yaml": ...}``."""
    hosts = all_hosts(inv)
    groups: dict[str, Any] = {}
    for h in hosts:
        for g in h.groups:
            groups.setdefault(g, {"data": {}})
        platform_group = groups[group_name("platform", h.platform)]
        if h.netmiko_device_type:
            platform_group["platform"] = h.netmiko_device_type
        platform_group["data"] = {"netops_platform": h.platform, "vendor": h.vendor}
    defaults = {"data": {"netops_inventory_digest": inv.digest, "region": inv.centre.id}}
    return {
        "hosts.yaml": {h.id: _host(h) for h in hosts},
        "groups.yaml": dict(sorted(groups.items())),
        "defaults.yaml": defaults,
    }


def write_nornir(inv: Inventory, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in nornir_inventory(inv).items():
        path = directory / name
        path.write_text(
            yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8"
        )
        written.append(path)
    return written


def fill_passwords(inventory: Any) -> list[str]:
    """Set ``password`` of every host of a loaded nornir inventory from the variable its ``password_env``
    names; returns the hosts left without one (variable unset)."""
    missing = []
    for name, host in inventory.hosts.items():
        var = host.data.get("password_env")
        if var and os.environ.get(var):
            host.password = os.environ[var]
        elif var:
            missing.append(name)
    return missing
