"""Test kit for the lab CLI tests: the small inventory (one device per platform, 127.66.x.x), a background
event loop for the lab server (netmiko is blocking), and netmiko helpers."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from netmiko import BaseConnection, ConnectHandler

from netops.errors import LabError
from netops.lab.cli import SshLab
from netops.lab.state import LabWorld
from netops.lab.testing import LoopThread as LoopThread
from netops.lab.testing import wait_until

T = TypeVar("T")
PASSWORD = "lab-Pa55word"
ENABLE = "lab-En4ble"
LOGIN_S = 30.0  # netmiko's connect/banner/auth waits: a loaded machine can take seconds to log in to the lab

INVENTORY = """\
defaults:
  snmp_profile: lab-v2c
  credential: lab-cli
  ssh_port: 2222
snmp_profiles:
  - {{id: lab-v2c, version: "2c", community: {{secret: lab-community}}}}
credentials:
  - {{id: lab-cli, username: netops, password: {{secret: lab-cli-password}}}}
  - {{id: ios-enable, username: netops, password: {{secret: lab-cli-password}}, enable: {{secret: lab-enable}}}}
sites:
  - id: centre
    name: 自治区人民政府办公厅
    name_en: region-centre
    tier: region
    devices:
      - id: centre-core1
        role: core
        platform: huawei_vrp8
        address: 127.66.{n}.1
        interfaces:
          - {{name: GE0/0/1, kind: downlink, description: to-kashgar, address: 10.66.0.1/30}}
          - {{name: LoopBack0, kind: loopback, address: 10.255.0.1/32}}
  - id: kashgar
    name: 喀什地区
    parent: centre
    devices:
      - id: kashgar-ce1
        role: ce
        platform: h3c_comware7
        address: 127.66.{n}.2
        interfaces:
          - {{name: GE0/0/0, kind: uplink, description: to-centre, address: 10.66.0.2/30}}
          - {{name: GE0/0/1, kind: downlink, address: 10.66.0.5/30}}
          - {{name: GE0/0/2, kind: downlink, address: 10.66.0.9/30}}
          - {{name: GE0/0/3, kind: downlink, address: 10.66.0.13/30}}
      - {{id: kashgar-codec, role: codec, platform: codec, address: 127.66.{n}.10}}
  - id: kashgar-shufu
    name: 疏附县
    parent: kashgar
    devices:
      - id: kashgar-shufu-ce1
        role: ce
        platform: huawei_vrp5
        address: 127.66.{n}.3
        interfaces:
          - {{name: GE0/0/0, kind: uplink, address: 10.66.0.6/30}}
  - id: kashgar-kashi
    name: 喀什市
    parent: kashgar
    devices:
      - id: kashgar-kashi-ce1
        role: ce
        platform: cisco_ios
        address: 127.66.{n}.4
        interfaces:
          - {{name: Gi0/0/0, kind: uplink, description: to-kashgar, address: 10.66.0.10/30}}
      - id: kashgar-kashi-ce2
        role: ce
        platform: cisco_ios
        credential: ios-enable
        address: 127.66.{n}.5
        interfaces:
          - {{name: Gi0/0/0, kind: uplink, address: 10.66.0.14/30}}
links:
  - {{a: "kashgar-ce1:GE0/0/0", b: "centre-core1:GE0/0/1"}}
  - {{a: "kashgar-shufu-ce1:GE0/0/0", b: "kashgar-ce1:GE0/0/1"}}
  - {{a: "kashgar-kashi-ce1:Gi0/0/0", b: "kashgar-ce1:GE0/0/2"}}
  - {{a: "kashgar-kashi-ce2:Gi0/0/0", b: "kashgar-ce1:GE0/0/3"}}
"""

NETMIKO_TYPES = {
    "centre-core1": "huawei_vrpv8",
    "kashgar-ce1": "hp_comware",
    "kashgar-shufu-ce1": "huawei",
    "kashgar-kashi-ce1": "cisco_ios",
    "kashgar-kashi-ce2": "cisco_ios",
}


@dataclass
class Lab:
    """A running SSH lab for one test: world, server, and how to reach each device."""

    world: LabWorld
    ssh: SshLab
    loop: LoopThread
    subnet: int

    def params(self, device: str, password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
        host, port = self.ssh.address(device)
        return {
            "device_type": NETMIKO_TYPES[device],
            "host": host,
            "port": port,
            "username": "netops",
            "password": password,
            "conn_timeout": LOGIN_S,
            "banner_timeout": LOGIN_S,
            "auth_timeout": LOGIN_S,
            **extra,
        }


def connect(lab: Lab, device: str, **extra: Any) -> BaseConnection:
    conn: BaseConnection = ConnectHandler(**lab.params(device, **extra))
    return conn


def in_parallel(fn: Callable[[str], T], devices: Iterable[str]) -> dict[str, T]:
    """Run one blocking client flow per device in threads (netmiko's Huawei checks sleep 2 s each)."""
    devs = list(devices)
    with ThreadPoolExecutor(max_workers=len(devs)) as pool:
        futures = {d: pool.submit(fn, d) for d in devs}
        return {d: f.result() for d, f in futures.items()}


def running(conn: BaseConnection) -> str:
    """The running configuration as the device shows it (any view)."""
    cmd = "show running-config" if conn.device_type == "cisco_ios" else "display current-configuration"
    if conn.device_type == "cisco_ios" and conn.check_config_mode():
        cmd = "do show running-config"
    return send(conn, cmd)


def send(conn: BaseConnection, command: str, expect: str | None = None) -> str:
    """``send_command`` that waits for this device's prompt (or ``expect``) without netmiko's prompt probe."""
    pattern = expect or rf"{re.escape(conn.base_prompt)}[^\n]*[>#\]]\s*$"
    return str(conn.send_command(command, expect_string=pattern, read_timeout=10))


def hang_up(conn: BaseConnection) -> None:
    """End the session (``return``/``end``, then ``quit``/``exit``), as scripts do, then close the client.

    (``disconnect()`` alone first probes for config mode, which netmiko's Huawei driver does with a fixed
    2-second quiet-time read; a closed channel skips that.)
    """
    conn.write_channel("end\nexit\n" if conn.device_type == "cisco_ios" else "return\nquit\n")
    channel = conn.remote_conn
    deadline = time.monotonic() + 3
    while not getattr(channel, "closed", True) and time.monotonic() < deadline:
        time.sleep(0.01)
    conn.disconnect()


def wait_for(predicate: Callable[[], bool], timeout: float | None = None) -> bool:
    """Poll ``predicate`` until it holds (True) or the deadline passes (False)."""
    try:
        return bool(wait_until("a condition", predicate, timeout=timeout, every=0.1))
    except LabError:
        return False


def revert_left(lab: Lab, device: str) -> float | None:
    """Seconds left on ``device``'s pending revert (trial, commit delay, revert timer); None when none is armed."""

    def left() -> float | None:
        return lab.ssh.store(device).seconds_left()

    return lab.loop.call(left)


def expire_revert(lab: Lab, device: str) -> bool:
    """Let ``device``'s pending revert run out now (the lab device's own expiry, on the lab's loop); False when
    none is armed. Tests arm long timers, so that a loaded machine cannot run one out while a step still needs
    it, and call this where they would wait for the timer."""
    return lab.loop.call(lambda: lab.ssh.store(device).expire_now())
