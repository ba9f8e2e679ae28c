"""Test kit for runbook pushes through the change engine: a small region on 127.77.N.x (a VRP8 core, a
Comware prefecture router with a backup uplink, a Cisco department router), copied from
``tests/runbooks/inventory/`` and cut down; its playbooks are in ``ce_playbooks/`` and ``ce_service_playbooks/``."""

from __future__ import annotations

from pathlib import Path

from netops.changes import records
from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.lab.testing import SUBNETS
from netops.lab.testing import write_inventory as write_inventory_from
from netops.lab.testing import write_secrets as write_secrets_file
from netops.secrets import SecretStore
from netops.store.db import open_store

HERE = Path(__file__).parent
PLAYBOOKS = HERE / "ce_playbooks"
SERVICE_PLAYBOOKS = HERE / "ce_service_playbooks"
SECRETS = {"ce-community": "ce-c0mmunity", "ce-cli-password": "ce-Pa55word"}
SSH_DEVICES = ["centre-core1", "centre-core2", "hami-ce1", "dept-audit-ce1"]

INVENTORY = """\
defaults:
  platform: huawei_vrp8
  snmp_profile: v2c
  credential: cli
  ssh_port: 10022
  snmp_port: 10161
snmp_profiles:
  # two resends: a late answer of a live device (the lab shares a loaded machine) still counts; a silent one
  # is waited out 1.5 s
  - {id: v2c, version: "2c", community: {secret: ce-community}, timeout_s: 0.5, retries: 2}
credentials:
  - {id: cli, username: netops, password: {secret: ce-cli-password}}
sites:
  - id: centre
    name: 自治区人民政府办公厅
    tier: region
    devices:
      - id: centre-core1
        role: core
        address: 127.77.{{n}}.1
        interfaces: [{name: GigabitEthernet0/0/1, kind: downlink}, {name: GigabitEthernet0/0/2, kind: downlink}]
      - id: centre-core2
        role: core
        address: 127.77.{{n}}.2
        interfaces: [{name: GigabitEthernet0/0/1, kind: downlink}]
  - id: hami
    name: 哈密市
    parent: centre
    devices:
      - id: hami-ce1
        role: ce
        platform: h3c_comware7
        address: 127.77.{{n}}.21
        interfaces:
          - {name: GigabitEthernet1/0/1, kind: uplink}
          - {name: GigabitEthernet1/0/2, kind: uplink}
          - {name: GigabitEthernet1/0/3, kind: downlink}
          - {name: GigabitEthernet1/0/4, kind: lan}  # the switch and the codec behind it
  - id: dept-audit
    name: 审计厅
    tier: department
    parent: centre
    devices:
      - {id: dept-audit-ce1, role: ce, platform: cisco_ios, address: 127.77.{{n}}.41,
         interfaces: [{name: GigabitEthernet0/1, kind: uplink}]}
links:
  - {a: hami-ce1:GigabitEthernet1/0/1, b: centre-core1:GigabitEthernet0/0/1, bandwidth_mbps: 20}
  - {a: hami-ce1:GigabitEthernet1/0/2, b: centre-core2:GigabitEthernet0/0/1, bandwidth_mbps: 4, kind: backup}
  - {a: dept-audit-ce1:GigabitEthernet0/1, b: centre-core1:GigabitEthernet0/0/2, bandwidth_mbps: 10}
"""


def write_inventory(target: Path) -> Path:
    """The region on the next 127.77.N.0/24 (the lab kit's subnets)."""
    return write_inventory_from(target, INVENTORY, {"n": next(SUBNETS)}, "lab.yaml")


def write_secrets(path: Path) -> Path:
    return write_secrets_file(path, SECRETS)


def lab_region(tmp: Path) -> tuple[Inventory, SecretStore, Path, Path]:
    """Inventory, secret store, the inventory folder and the secrets file."""
    directory = write_inventory(tmp / "inventory")
    secrets_path = write_secrets(tmp / "secrets.yaml")
    return load_inventory(directory), SecretStore(secrets_path), directory, secrets_path


def changes_in(db: Path) -> list[dict[str, object]]:
    store = open_store(f"sqlite:///{db}")
    try:
        return records.list_changes(store)
    finally:
        store.close()
