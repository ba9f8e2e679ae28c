"""One Ansible YAML inventory file from the inventory: every device under ``all.hosts`` with its variables,
groups by platform, role, tier and prefecture.

Connection variables: ``ansible_host``, ``ansible_port``, ``ansible_user``; the password is an ``env`` lookup
of the variable netops itself reads (``NETOPS_SECRET_<NAME>``), evaluated by Ansible when it connects, so no
secret is written. ``ansible_network_os`` is set where a maintained collection exists (Cisco IOS:
``cisco.ios.ios``); the other platforms carry ``netmiko_device_type`` and ``netops_platform`` for the user to
map (``ansible.netcommon.network_cli`` has no Huawei VRP5/VRP8 or H3C Comware plugin of its own).

Every string that comes from the inventory is written tagged ``!unsafe``: Ansible then never evaluates it as
a template (a username ``{{ lookup('pipe', ...) }}`` stays that text, it does not run on the automation
host). Only the two ``env`` lookups netops writes itself are templates.

Host names Ansible reserves (``all``, ``ungrouped``, ``localhost``) are valid netops ids; such a device is
written as ``netops_<id>`` (an underscore never occurs in a netops id, so this cannot clash), and every host
carries ``netops_id``, its id in netops.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from netops.interop.files import ExportPathError, write_files_atomically
from netops.interop.hosts import HostFacts, all_hosts
from netops.inventory.models import Inventory

NETWORK_OS = {"cisco_ios": "cisco.ios.ios"}
RESERVED_HOSTS = frozenset({"all", "ungrouped", "localhost"})


class Unsafe(str):
    """A string Ansible must not template: written as ``!unsafe 'text'``."""

    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    pass


def _represent_unsafe(dumper: yaml.SafeDumper, data: Unsafe) -> yaml.ScalarNode:
    return dumper.represent_scalar("!unsafe", str(data), style="'")


_Dumper.add_representer(Unsafe, _represent_unsafe)


def host_name(device_id: str) -> str:
    """The Ansible host name of a device: its id, or ``netops_<id>`` for a name Ansible reserves."""
    return f"netops_{device_id}" if device_id in RESERVED_HOSTS else device_id


def _unsafe(value: Any) -> Any:
    return Unsafe(value) if isinstance(value, str) else value


def _vars(h: HostFacts) -> dict[str, Any]:
    v: dict[str, Any] = {"ansible_host": Unsafe(h.address), "ansible_port": h.ssh_port}
    if h.username:
        v["ansible_user"] = Unsafe(h.username)
    if h.password_env:
        v["ansible_password"] = f"{{{{ lookup('env', '{h.password_env}') }}}}"
    if h.enable_env:
        v["ansible_become_password"] = f"{{{{ lookup('env', '{h.enable_env}') }}}}"
    if h.platform in NETWORK_OS:
        v["ansible_connection"] = "ansible.netcommon.network_cli"
        v["ansible_network_os"] = NETWORK_OS[h.platform]
    own = {
        "netops_id": h.id,
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
    v.update({k: _unsafe(val) for k, val in own.items()})
    return {k: val for k, val in v.items() if val is not None}


def ansible_inventory(inv: Inventory) -> dict[str, Any]:
    hosts = all_hosts(inv)
    children: dict[str, dict[str, Any]] = {}
    for h in hosts:
        for g in h.groups:
            children.setdefault(g, {"hosts": {}})["hosts"][host_name(h.id)] = None
    return {
        "all": {
            "vars": {"netops_inventory_digest": inv.digest, "netops_region": Unsafe(inv.centre.id)},
            "hosts": {host_name(h.id): _vars(h) for h in hosts},
            "children": dict(sorted(children.items())),
        }
    }


def dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def write_ansible(inv: Inventory, path: Path) -> Path:
    """The inventory file, written atomically (``netops.interop.files``)."""
    if path.name in ("", ".", ".."):
        raise ExportPathError(
            f"{path} is a folder: name the inventory file to write (e.g. {path}/hosts.yaml)"
        )
    return write_files_atomically(path.parent, {path.name: dump(ansible_inventory(inv))})[0]
