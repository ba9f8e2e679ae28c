"""Test kit for the twin tests (issue 14, item 4): a small region where configuration has consequences.

centre-core1 (VRP8) <- kashgar-ce1 (VRP8, a primary and a backup uplink) <- three counties with one uplink each:
kashgar-kashi-ce1 (IOS), kashgar-shufu-ce1 (Comware 7) and kashgar-yecheng-ce1 (VRP5). At the centre, BGP over
internet links: centre-core1 (its AS from the lab) <-> centre-exit (IOS, AS 65010) <-> carrier-pe (IOS, AS 4134),
the exit and the carrier also CDP neighbours; the exit is managed over an OSPF link to the core. Addresses
127.79.N.x, one lab per test module.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netmiko import BaseConnection, ConnectHandler

from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from netops.lab.state import LabEvent, LabWorld
from netops.lab.testing import (
    InProcessLab,
    in_process_lab,
    start_on_free_subnet,
    write_inventory,
    write_secrets,
)
from netops.secrets import SecretStore
from tests.lab.snmp.snmp_testlib import ANSWER_S, netsnmp, parse_netsnmp

PASSWORD = "twin-Pa55word"
COMMUNITY = "twin-c0mmunity"
SNMP_PORT = 16161
SECRETS_FILE = "secrets.yaml"
LOGIN_S = 30.0  # netmiko's connect/banner/auth waits: a loaded machine can take seconds to log in to the lab

INVENTORY = """\
defaults:
  snmp_profile: lab-v2c
  credential: lab-cli
  ssh_port: 2222
  snmp_port: 16161
  vars:
    ntp_server: 127.1.0.7
    syslog_server: 127.1.0.6
    ospf_process: 1
snmp_profiles:
  - {{id: lab-v2c, version: "2c", community: {{secret: twin-community}}, timeout_s: 2, retries: 1}}
credentials:
  - {{id: lab-cli, username: netops, password: {{secret: twin-password}}}}
sites:
  - id: centre
    name: 自治区人民政府办公厅
    name_en: region-centre
    tier: region
    devices:
      - id: centre-core1
        role: core
        platform: huawei_vrp8
        model: NE40E-X8A
        address: 127.79.{n}.1
        interfaces:
          - {{name: GE0/0/1, kind: downlink, description: to-kashgar, address: 10.79.0.1/30}}
          - {{name: GE0/0/2, kind: downlink, description: to-kashgar-backup, address: 10.79.0.5/30}}
          - {{name: LoopBack0, kind: loopback, address: 10.255.0.1/32}}
          - {{name: GE0/0/3, kind: uplink, description: to-exit, address: 10.79.0.22/30}}
          - {{name: GE0/0/4, kind: downlink, description: to-exit-mgmt, address: 10.79.0.30/30}}
      - id: centre-exit
        role: internet-exit
        platform: cisco_ios
        address: 127.79.{n}.6
        vars: {{bgp_asn: 65010}}
        interfaces:
          - {{name: Gi0/0/0, kind: downlink, description: to-core, address: 10.79.0.21/30}}
          - {{name: Gi0/0/1, kind: uplink, description: to-carrier, address: 10.79.0.25/30}}
          - {{name: Gi0/0/2, kind: uplink, description: to-core-mgmt, address: 10.79.0.29/30}}
      - id: carrier-pe
        role: internet-exit
        platform: cisco_ios
        address: 127.79.{n}.7
        vars: {{bgp_asn: 4134}}
        interfaces:
          - {{name: Gi0/0/0, kind: downlink, description: to-customer, address: 10.79.0.26/30}}
  - id: kashgar
    name: 喀什地区
    name_en: kashgar
    parent: centre
    devices:
      - id: kashgar-ce1
        role: ce
        platform: huawei_vrp8
        address: 127.79.{n}.2
        interfaces:
          - {{name: GE0/0/0, kind: uplink, description: to-centre, address: 10.79.0.2/30}}
          - {{name: GE0/0/3, kind: uplink, description: to-centre-backup, address: 10.79.0.6/30}}
          - {{name: GE0/0/1, kind: downlink, description: to-kashi, address: 10.79.0.9/30}}
          - {{name: GE0/0/2, kind: downlink, description: to-shufu, address: 10.79.0.13/30}}
          - {{name: GE0/0/4, kind: downlink, description: to-yecheng, address: 10.79.0.17/30}}
  - id: kashgar-kashi
    name: 喀什市
    name_en: kashi
    parent: kashgar
    devices:
      - id: kashgar-kashi-ce1
        role: ce
        platform: cisco_ios
        address: 127.79.{n}.3
        interfaces:
          - {{name: Gi0/0/0, kind: uplink, description: to-kashgar, address: 10.79.0.10/30}}
          - {{name: Gi0/0/1, kind: lan, description: county-lan, address: 10.79.100.1/24}}
  - id: kashgar-shufu
    name: 疏附县
    name_en: shufu
    parent: kashgar
    devices:
      - id: kashgar-shufu-ce1
        role: ce
        platform: h3c_comware7
        address: 127.79.{n}.4
        interfaces:
          - {{name: GE0/0/0, kind: uplink, description: to-kashgar, address: 10.79.0.14/30}}
          - {{name: GE0/0/1, kind: lan, description: county-lan, address: 10.79.101.1/24}}
  - id: kashgar-yecheng
    name: 叶城县
    name_en: yecheng
    parent: kashgar
    devices:
      - id: kashgar-yecheng-ce1
        role: ce
        platform: huawei_vrp5
        address: 127.79.{n}.5
        interfaces:
          - {{name: GE0/0/0, kind: uplink, description: to-kashgar, address: 10.79.0.18/30}}
links:
  - {{a: "centre-exit:Gi0/0/0", b: "centre-core1:GE0/0/3", medium: internet}}
  - {{a: "centre-exit:Gi0/0/1", b: "carrier-pe:Gi0/0/0", medium: internet}}
  - {{id: exit-mgmt, a: "centre-exit:Gi0/0/2", b: "centre-core1:GE0/0/4"}}
  - {{a: "kashgar-ce1:GE0/0/0", b: "centre-core1:GE0/0/1"}}
  - {{a: "kashgar-ce1:GE0/0/3", b: "centre-core1:GE0/0/2", kind: backup}}
  - {{a: "kashgar-kashi-ce1:Gi0/0/0", b: "kashgar-ce1:GE0/0/1"}}
  - {{a: "kashgar-shufu-ce1:GE0/0/0", b: "kashgar-ce1:GE0/0/2"}}
  - {{a: "kashgar-yecheng-ce1:GE0/0/0", b: "kashgar-ce1:GE0/0/4"}}
"""

NETMIKO_TYPES = {
    "huawei_vrp8": "huawei_vrpv8",
    "huawei_vrp5": "huawei",
    "h3c_comware7": "hp_comware",
    "cisco_ios": "cisco_ios",
}
IF_ADMIN = "1.3.6.1.2.1.2.2.1.7"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
OSPF_NBR_STATE = "1.3.6.1.2.1.14.10.1.6"


@dataclass
class Twin:
    lab: InProcessLab
    inventory: Inventory
    secrets: SecretStore
    subnet: int = 0
    events: list[LabEvent] = field(default_factory=list)

    def address(self, device: str) -> str:
        return str(self.inventory.device(device).address)

    def answers(self, device: str) -> bool:
        return bool(self.lab.world.devices[device].answers)

    def if_index(self, device: str, name: str) -> int:
        itf = self.lab.world.devices[device].interface(name)
        assert itf is not None, name
        return int(itf.index)

    def snmp(self, tool: str, device: str, *oids: str, timeout: float = ANSWER_S) -> dict[str, Any] | None:
        """net-snmp ``snmpget``/``snmpwalk`` against one lab agent: {oid: value}, or None when silent. The
        default wait is for an agent that should answer (a loaded machine may schedule it late); a test that
        expects silence passes a short ``timeout``."""
        done = netsnmp(
            tool, "-v2c", "-c", COMMUNITY, f"{self.address(device)}:{SNMP_PORT}", *oids, timeout=timeout
        )
        if done.returncode != 0 and "Timeout" in done.stderr:
            return None
        assert done.returncode == 0, done.stderr
        return {oid: value for oid, (_type, value) in parse_netsnmp(done.stdout).items()}

    def ospf_rows(self, device: str) -> dict[str, Any]:
        rows = self.snmp("snmpwalk", device, OSPF_NBR_STATE)
        assert rows is not None, f"{device} does not answer SNMP"
        return {
            oid[len(OSPF_NBR_STATE) + 1 :]: v for oid, v in rows.items() if oid.startswith(OSPF_NBR_STATE)
        }

    def connect(self, device: str) -> BaseConnection:
        dev = self.inventory.device(device)
        conn: BaseConnection = ConnectHandler(
            device_type=NETMIKO_TYPES[dev.platform.value],
            host=str(dev.address),
            port=dev.ssh_port,
            username="netops",
            password=PASSWORD,
            conn_timeout=LOGIN_S,
            banner_timeout=LOGIN_S,
            auth_timeout=LOGIN_S,
        )
        return conn

    def cli(self, device: str, command: str) -> str:
        conn = self.connect(device)
        try:
            pattern = rf"{re.escape(conn.base_prompt)}[^\n]*[>#\]]\s*$"
            return str(conn.send_command(command, expect_string=pattern, read_timeout=10))
        finally:
            drop(conn)


def typed(conn: BaseConnection, *lines: str) -> str:
    """Type configuration lines one by one, each answered by a prompt."""
    out = []
    for line in lines:
        out.append(str(conn.send_command(line, expect_string=r"[>#\]]\s*$", read_timeout=10)))
    return "".join(out)


def drop(conn: BaseConnection) -> None:
    """Close the client without a goodbye (the device may be silent: a cut path answers nothing)."""
    for part in (conn.remote_conn, conn.remote_conn_pre):
        if part is not None:
            with contextlib.suppress(Exception):
                part.close()


TEMPLATES = Path(__file__).resolve().parents[3] / "inventory" / "templates"


def intended_inventory(directory: Path, n: int, shutdown: dict[str, list[str]]) -> Path:
    """The same region as the lab's, with the shipped templates and ``vars.shutdown_interfaces`` per device:
    what a push is asked to make the devices run."""
    text = INVENTORY.format(n=n)
    for device, names in shutdown.items():
        head = f"      - id: {device}\n"
        assert head in text, device
        text = text.replace(head, f"{head}        vars: {{shutdown_interfaces: {names}}}\n")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "region.yaml").write_text(text, encoding="utf-8")
    (directory / "templates").symlink_to(TEMPLATES)
    return directory


@contextlib.contextmanager
def twin_lab(tmp: Path, ospf_dead_s: float | None = None) -> Iterator[Twin]:
    """The twin region in process; ``ospf_dead_s``: the lab's OSPF dead interval (None: the lab's default)."""
    secrets = SecretStore(
        write_secrets(tmp / SECRETS_FILE, {"twin-password": PASSWORD, "twin-community": COMMUNITY})
    )
    with contextlib.ExitStack() as stack:

        def start(n: int) -> tuple[InProcessLab, Inventory]:
            inv_dir = tmp / f"inventory-{n}"
            write_inventory(inv_dir, INVENTORY.format(n=n))
            inventory = load_inventory(inv_dir)
            world = LabWorld(inventory, ospf_dead_s=ospf_dead_s)
            lab = stack.enter_context(
                in_process_lab(inventory, secrets, codecs=False, minute_seconds=1.0, world=world)
            )
            return lab, inventory

        lab, inventory = start_on_free_subnet(start)
        twin = Twin(
            lab, inventory, secrets, subnet=int(str(inventory.device("centre-core1").address).split(".")[2])
        )
        lab.call(lambda: lab.world.subscribe(twin.events.append))
        for dev in inventory.devices:  # the configuration stores exist from the start (as on a device)
            lab.call(lambda d=dev: lab.ssh.store(d))
        yield twin


def expire_dead_intervals(twin: Twin) -> None:
    """Let every OSPF neighbour whose hellos stopped reach its dead interval now (the test's stand-in for the
    wait), then put the module's interval back."""

    def expire() -> None:
        world = twin.lab.world
        kept, world.ospf_dead_s = world.ospf_dead_s, 0.0
        try:
            world.recompute()
        finally:
            world.ospf_dead_s = kept

    twin.lab.call(expire)


def expire_revert_timer(twin: Twin, device: str) -> None:
    """Let ``device``'s pending revert timer (VRP ``commit trial``, Comware ``configuration commit delay``, IOS
    ``revert timer``) run out now: the device's own expiry rolls the change back. Tests arm long timers, so that
    a loaded machine cannot run one out while they still look at the change, and call this where they would
    wait for it."""
    expired = twin.lab.call(lambda: twin.lab.ssh.store(device).expire_now())
    assert expired, f"{device}: no revert timer pending"
