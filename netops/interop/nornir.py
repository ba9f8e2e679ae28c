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

from netops.errors import SecretError
from netops.interop.files import write_files_atomically
from netops.interop.hosts import HostFacts, all_hosts, group_name
from netops.inventory.models import Inventory, SecretRef
from netops.secrets import SecretStore

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
        "password_secret": h.password_secret,
        "enable_env": h.enable_env,
        "enable_secret": h.enable_secret,
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
    """The three files, written atomically (``netops.interop.files``): other files in ``directory`` stay."""
    texts = {
        name: yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=1000)
        for name, content in nornir_inventory(inv).items()
    }
    return write_files_atomically(directory, texts)


def fill_passwords(inventory: Any, store: SecretStore | None = None) -> list[str]:
    """Set ``password`` of every host of a loaded nornir inventory the way netops itself finds it: the
    variable ``password_env`` names, else the secrets file (``NETOPS_SECRETS_FILE`` or
    ``~/.config/netops/secrets.yaml``, the one ``netops lab up`` writes). Returns the hosts filled.

    Raises ``SecretError`` naming every variable (and the file) when a password is found in neither: a host
    is never left silently without its password."""
    store = store or SecretStore()
    filled: list[str] = []
    missing: dict[str, list[str]] = {}
    for name, host in inventory.hosts.items():
        var = host.data.get("password_env")
        if not var:
            continue
        secret = host.data.get("password_secret")
        value = os.environ.get(var) or None
        if value is None and secret:
            ref = SecretRef(str(secret))
            value = store.get(ref) if store.has(ref) else None
        if value is None:
            missing.setdefault(str(var), []).append(str(name))
            continue
        host.password = value
        filled.append(str(name))
    if missing:
        lines = ", ".join(
            f"{var} ({len(hosts)} host(s), e.g. {hosts[0]})" for var, hosts in sorted(missing.items())
        )
        raise SecretError(f"no password for {lines}: export the variable(s) or add them to {store.path}")
    return filled
