"""One Ansible YAML inventory file from the inventory: every device under ``all.hosts`` with its variables,
groups by platform, role, tier and prefecture.

Connection variables: ``ansible_host``, ``ansible_port``, ``ansible_user``; the password is an ``env`` lookup
of the variable netops itself reads (``NETOPS_SECRET_<NAME>``), evaluated by Ansible when it connects, so no
secret is written. ``ansible_network_os`` is set where a maintained collection exists (Cisco IOS:
``cisco.ios.ios``); the other platforms carry ``netmiko_device_type`` and ``netops_platform`` for the user to
map (``ansible.netcommon.network_cli`` has no Huawei VRP5/VRP8 or H3C Comware plugin of its own).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from netops.interop.hosts import HostFacts, all_hosts
from netops.inventory.models import Inventory

NETWORK_OS = {"cisco_ios": "cisco.ios.ios"}


def _vars(h: HostFacts) -> dict[str, Any]:
    v: dict[str, Any] = {"ansible_host": h.address, "ansible_port": h.ssh_port}
    if h.username:
        v["ansible_user"] = h.username
    if h.password_env:
        v["ansible_password"] = f"{{{{ lookup('env', '{h.password_env}') }}}}"
    if h.enable_env:
        v["ansible_become_password"] = f"{{{{ lookup('env', '{h.enable_env}') }}}}"
    if h.platform in NETWORK_OS:
        v["ansible_connection"] = "ansible.netcommon.network_cli"
        v["ansible_network_os"] = NETWORK_OS[h.platform]
    v.update(
        {
            "netops_platform": h.platform,
            "netmiko_device_type": h.netmiko_device_type,
            "vendor": h.vendor,
            "role": h.role,
            "tier": h.tier,
            "site": h.site,
            "site_name": h.site_name,
            "prefecture": h.prefecture,
            "status": h.status,
            "model": h.model,
        }
    )
    return {k: val for k, val in v.items() if val is not None}


def ansible_inventory(inv: Inventory) -> dict[str, Any]:
    hosts = all_hosts(inv)
    children: dict[str, dict[str, Any]] = {}
    for h in hosts:
        for g in h.groups:
            children.setdefault(g, {"hosts": {}})["hosts"][h.id] = None
    return {
        "all": {
            "vars": {"netops_inventory_digest": inv.digest, "netops_region": inv.centre.id},
            "hosts": {h.id: _vars(h) for h in hosts},
            "children": dict(sorted(children.items())),
        }
    }


def write_ansible(inv: Inventory, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump(ansible_inventory(inv), allow_unicode=True, sort_keys=False, width=1000),
        encoding="utf-8",
    )
    return path
