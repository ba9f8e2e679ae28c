"""Test kit for the change tests: a small region (one device per platform, 127.74.N.x), its secrets,
and the lab (SSH CLI + SNMP agents) running on a background event loop (netmiko is blocking)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import APIRouter, FastAPI

from netops.api.errors import install_error_handlers
from netops.changes.apply import ChangeRequest, ChangeRun, run_change
from netops.changes.plan import Wave
from netops.changes.push import PushOptions
from netops.drivers.cli import Timeouts
from netops.drivers.snmp.source import SnmpSource
from netops.inventory.models import Inventory
from netops.lab.cli import SshLab
from netops.lab.snmp.server import SnmpLab
from netops.lab.state import LabWorld
from netops.lab.testing import LoopThread
from netops.lab.testing import write_inventory as write_inventory_files
from netops.lab.testing import write_secrets as write_secrets_file
from netops.runtime import Runtime
from netops.secrets import SecretStore
from netops.settings import Settings
from netops.store.db import Store
from netops.vc.conferences import Conference
from tests.conftest import served_app

PASSWORD = "chg-Pa55word"
COMMUNITY = "S3cret-c0mmunity"

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
  - {{id: lab-v2c, version: "2c", community: {{secret: chg-community}}, timeout_s: 2, retries: 1}}
credentials:
  - {{id: lab-cli, username: netops, password: {{secret: chg-password}}}}
sites:
  - id: centre
    name: 自治区人民政府办公厅
    name_en: region-centre
    tier: region
    devices:
      - id: centre-core1
        role: core
        platform: huawei_vrp8
        address: 127.74.{n}.1
        interfaces:
          - {{name: GE0/0/1, kind: downlink, description: to-kashgar, address: 10.74.0.1/30}}
          - {{name: GE0/0/2, kind: downlink, description: to-hotan, address: 10.74.0.17/30}}
          - {{name: LoopBack0, kind: loopback, address: 10.255.0.1/32}}
  - id: kashgar
    name: 喀什地区
    name_en: kashgar
    parent: centre
    devices:
      - id: kashgar-ce1
        role: ce
        platform: h3c_comware7
        address: 127.74.{n}.2
        interfaces:
          - {{name: GE0/0/0, kind: uplink, description: to-centre, address: 10.74.0.2/30}}
          - {{name: GE0/0/1, kind: downlink, description: to-shufu, address: 10.74.0.5/30}}
          - {{name: GE0/0/2, kind: downlink, description: to-kashi, address: 10.74.0.9/30}}
  - id: kashgar-shufu
    name: 疏附县
    name_en: shufu
    parent: kashgar
    devices:
      - id: kashgar-shufu-ce1
        role: ce
        platform: huawei_vrp5
        address: 127.74.{n}.3
        interfaces:
          - {{name: GE0/0/0, kind: uplink, description: to-kashgar, address: 10.74.0.6/30}}
          - {{name: GE0/0/1, kind: lan, description: county-lan, address: 10.74.100.1/24}}
      - {{id: kashgar-shufu-codec, role: codec, platform: codec, address: 127.74.{n}.13}}
    rooms:
      - {{id: kashgar-shufu-vc, name: 疏附县会议室, codec: kashgar-shufu-codec}}
  - id: kashgar-kashi
    name: 喀什市
    name_en: kashi
    parent: kashgar
    devices:
      - id: kashgar-kashi-ce1
        role: ce
        platform: cisco_ios
        address: 127.74.{n}.4
        interfaces:
          - {{name: Gi0/0/0, kind: uplink, description: to-kashgar, address: 10.74.0.10/30}}
  - id: hotan
    name: 和田地区
    name_en: hotan
    parent: centre
    devices:
      - id: hotan-ce1
        role: ce
        platform: huawei_vrp8
        address: 127.74.{n}.5
        interfaces:
          - {{name: GE0/0/0, kind: uplink, description: to-centre, address: 10.74.0.18/30}}
          - {{name: GE0/0/1, kind: downlink, description: to-hetian, address: 10.74.0.21/30}}
  - id: hotan-hetian
    name: 和田县
    name_en: hetian
    parent: hotan
    devices:
      - id: hotan-hetian-ce1
        role: ce
        platform: cisco_ios
        address: 127.74.{n}.6
        interfaces:
          - {{name: Gi0/0/0, kind: uplink, description: to-hotan, address: 10.74.0.22/30}}
links:
  - {{a: "kashgar-ce1:GE0/0/0", b: "centre-core1:GE0/0/1"}}
  - {{a: "kashgar-shufu-ce1:GE0/0/0", b: "kashgar-ce1:GE0/0/1"}}
  - {{a: "kashgar-kashi-ce1:Gi0/0/0", b: "kashgar-ce1:GE0/0/2"}}
  - {{a: "hotan-ce1:GE0/0/0", b: "centre-core1:GE0/0/2"}}
  - {{a: "hotan-hetian-ce1:Gi0/0/0", b: "hotan-ce1:GE0/0/1"}}
"""

# A loaded CI machine (4 workers on 2 cores, the lab in the same process as netmiko) can take many seconds to
# log in or to answer a display: the kit's pushes wait long enough that a device which answers is never
# failed for being slow (a failed login is a failed post-check: the change is reverted), and the device's trial
# timer (a lab minute = 1 s) cannot run out before the confirm of a push whose device answers. Tests of slow
# or silent devices and of timers running out pass their own, short, values.
LIVE_CONFIRM_S = 120.0  # IOS allows a revert timer of 1-120 minutes (a lab minute = 1 s)
LIVE_TIMEOUTS = Timeouts(connect=30.0, banner=30.0, auth=30.0, command=60.0)

ROUTERS = [
    "centre-core1",
    "kashgar-ce1",
    "kashgar-shufu-ce1",
    "kashgar-kashi-ce1",
    "hotan-ce1",
    "hotan-hetian-ce1",
]


def write_inventory(directory: Path, n: int, templates: Path | None = None) -> Path:
    """The region on ``127.74.n.x`` (the lab kit writes it), with ``templates`` linked in when given."""
    write_inventory_files(directory, INVENTORY.format(n=n))
    if templates is not None:
        (directory / "templates").symlink_to(templates)
    return directory


def write_secrets(path: Path) -> SecretStore:
    return SecretStore(write_secrets_file(path, {"chg-password": PASSWORD, "chg-community": COMMUNITY}))


@dataclass
class Lab:
    """A running lab for one test: world (state), SSH CLIs, SNMP agents, the loop they run on."""

    world: LabWorld
    ssh: SshLab
    snmp: SnmpLab
    loop: LoopThread
    subnet: int
    inventory: Inventory
    inventory_dir: Path
    secrets: SecretStore

    def running(self, device: str) -> str:
        """The device's running configuration lines (lab side, for assertions)."""
        return "\n".join(self.loop.call(lambda: self.ssh.store(device).running.text_lines()))


def push_devices(
    lab: Lab,
    store: Store,
    waves: list[Wave],
    *,
    snmp: bool = True,
    conferences: list[Conference] | None = None,
    force: bool = False,
    reason: str = "test",
    confirm_s: float = LIVE_CONFIRM_S,
) -> ChangeRun:
    """A rollout through the real runner (netmiko in threads, SNMP post-checks) on a fresh event loop."""
    return push_waves(
        lab.inventory,
        lab.secrets,
        store,
        waves,
        snmp=snmp,
        conferences=conferences,
        force=force,
        reason=reason,
        confirm_s=confirm_s,
    )


def push_waves(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    waves: list[Wave],
    *,
    snmp: bool = True,
    conferences: list[Conference] | None = None,
    force: bool = False,
    reason: str = "test",
    confirm_s: float = LIVE_CONFIRM_S,
) -> ChangeRun:
    """``push_devices`` for any inventory (the service checks push their routers' probes with it): confirmed
    commits with a lab minute of 1 s, post-checks over SNMP unless ``snmp=False``."""

    async def go() -> ChangeRun:
        source = SnmpSource(lambda: inventory, secrets) if snmp else None
        request = ChangeRequest(
            waves,
            user="tester",
            reason=reason,
            force=force,
            options=PushOptions(confirm_s=confirm_s, minute_s=1.0, timeouts=LIVE_TIMEOUTS),
            threads=8,
        )
        return await run_change(inventory, secrets, store, request, conferences or [], source)

    return asyncio.run(go())


def one_wave(*devices: str, budget: int = 0) -> list[Wave]:
    return [Wave(1, "test", tuple(devices), budget, 8)]


@contextlib.contextmanager
def served_routes(lab: Lab, state_dir: Path, router: APIRouter) -> Iterator[tuple[httpx.Client, Runtime]]:
    """``router`` on a real uvicorn over a runtime of the lab's inventory (no polling) and an httpx client to it;
    the service's SSH sessions wait the kit's ``LIVE_TIMEOUTS`` (its pushes reach devices that answer)."""
    settings = Settings(
        inventory=lab.inventory_dir,
        state_dir=state_dir,
        poll_enabled=False,
        ssh_login_timeout_s=LIVE_TIMEOUTS.auth,
        ssh_command_timeout_s=LIVE_TIMEOUTS.command,
    )
    rt = Runtime.start(settings)
    rt.secrets = lab.secrets
    rt.snmp.secrets = lab.secrets
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.state.runtime = rt
    app.state.secrets = lab.secrets
    try:
        with served_app(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            yield client, rt
    finally:
        rt.close()
