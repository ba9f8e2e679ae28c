"""Test kit for the service checks: a small region (a VRP8 prefecture with a VRP8 and a Comware county, a VRP5
prefecture with an IOS county) on 127.{net}.x, its services on 127.{net}.200.x, the lab (SNMP agents, SSH CLIs
of the CE routers, the simulated services) in one loop thread, and the routers' probes pushed through the
change engine from the shipped templates (inventory/templates: nqa.j2, ipsla.j2).

Timeouts are long where something answers (the routers' SNMP, the centre's checks of the services): on a
loaded machine a late answer of a live router or service would fail a check the test expects to pass. Only
the county cut off by a link fault waits out its router's SNMP timeout."""

from __future__ import annotations

from pathlib import Path

from netops.changes.apply import ChangeRun
from netops.inventory.models import Inventory
from netops.secrets import SecretStore
from netops.store.db import Store
from tests.changes.changes_testlib import one_wave, push_waves

TEMPLATES = Path(__file__).resolve().parents[2] / "inventory" / "templates"
SECRETS = {"svc-password": "svc-Pa55word", "svc-community": "svc-C0mmunity"}

INVENTORY = """\
defaults:
  snmp_profile: v2c
  credential: cli
  ssh_port: 2222
  snmp_port: 16161
  vars: {ntp_server: 127.1.0.7, syslog_server: 127.1.0.6, ospf_process: 1}
snmp_profiles:
  - {id: v2c, version: "2c", community: {secret: svc-community}, timeout_s: 2, retries: 0}
credentials:
  - {id: cli, username: netops, password: {secret: svc-password}}
sites:
  - id: centre
    name: 自治区人民政府办公厅
    tier: region
    devices:
      - id: centre-core1
        role: core
        platform: huawei_vrp8
        address: 127.{{net}}.0.1
        interfaces:
          - {name: GE0/0/1, kind: downlink, address: 10.80.0.1/30}
          - {name: GE0/0/2, kind: downlink, address: 10.80.0.17/30}
  - id: kashgar
    name: 喀什地区
    parent: centre
    devices:
      - id: kashgar-ce1
        role: ce
        platform: huawei_vrp8
        address: 127.{{net}}.1.1
        interfaces:
          - {name: GE0/0/0, kind: uplink, address: 10.80.0.2/30}
          - {name: GE0/0/1, kind: downlink, address: 10.80.0.5/30}
          - {name: GE0/0/2, kind: downlink, address: 10.80.0.9/30}
  - id: kashgar-shufu
    name: 疏附县
    parent: kashgar
    devices:
      - id: kashgar-shufu-ce1
        role: ce
        platform: huawei_vrp8
        address: 127.{{net}}.2.1
        interfaces: [{name: GE0/0/0, kind: uplink, address: 10.80.0.6/30}]
  - id: kashgar-kashi
    name: 喀什市
    parent: kashgar
    devices:
      - id: kashgar-kashi-ce1
        role: ce
        platform: h3c_comware7
        address: 127.{{net}}.3.1
        interfaces: [{name: GE0/0/0, kind: uplink, address: 10.80.0.10/30}]
  - id: hotan
    name: 和田地区
    parent: centre
    devices:
      - id: hotan-ce1
        role: ce
        platform: huawei_vrp5
        address: 127.{{net}}.4.1
        interfaces:
          - {name: GE0/0/0, kind: uplink, address: 10.80.0.18/30}
          - {name: GE0/0/1, kind: downlink, address: 10.80.0.21/30}
  - id: hotan-hetian
    name: 和田县
    parent: hotan
    devices:
      - id: hotan-hetian-ce1
        role: ce
        platform: cisco_ios
        address: 127.{{net}}.5.1
        interfaces: [{name: Gi0/0/0, kind: uplink, address: 10.80.0.22/30}]
links:
  - {id: kashgar-up, a: "kashgar-ce1:GE0/0/0", b: "centre-core1:GE0/0/1"}
  - {id: shufu-up, a: "kashgar-shufu-ce1:GE0/0/0", b: "kashgar-ce1:GE0/0/1"}
  - {id: kashi-up, a: "kashgar-kashi-ce1:GE0/0/0", b: "kashgar-ce1:GE0/0/2"}
  - {id: hotan-up, a: "hotan-ce1:GE0/0/0", b: "centre-core1:GE0/0/2"}
  - {id: hetian-up, a: "hotan-hetian-ce1:Gi0/0/0", b: "hotan-ce1:GE0/0/1"}
services:
  - id: portal-zh
    name: 门户网站（中文）
    kind: https
    timeout_s: 10
    endpoints: ["https://127.{{net}}.200.10:10443/zh/"]
    sites: [all]
    expect: {status: 200, language: zh, text: 新疆维吾尔自治区人民政府}
    tls: {warn_days: 30}
  - id: portal-ug
    name: 门户网站（维吾尔文）
    kind: https
    timeout_s: 10
    endpoints: ["https://127.{{net}}.200.10:10443/ug/"]
    sites: [all]
    expect: {status: 200, language: ug, text: شىنجاڭ ئۇيغۇر ئاپتونوم رايونلۇق خەلق ھۆكۈمىتى}
  - id: docex
    name: 公文无纸化传输系统
    kind: http
    timeout_s: 10
    endpoints: ["http://127.{{net}}.200.20:10080/docex/health"]
    sites: [counties, prefectures]
    expect: {status: 200, text: 公文无纸化传输系统}
  - id: mcu
    name: 视频会议MCU
    kind: tcp
    timeout_s: 10
    endpoints: ["127.{{net}}.200.30:10060"]
    sites: [prefectures, counties]
  - id: dns
    name: 域名服务
    kind: dns
    timeout_s: 10
    endpoints: ["127.{{net}}.200.53:10053"]
    sites: [all]
    expect: {query: www.xinjiang.gov.cn, answer: 127.{{net}}.200.10}
"""

ROUTERS = ["kashgar-ce1", "kashgar-shufu-ce1", "kashgar-kashi-ce1", "hotan-ce1", "hotan-hetian-ce1"]
SITES = ["kashgar", "kashgar-shufu", "kashgar-kashi", "hotan", "hotan-hetian"]


def push_probes(inventory: Inventory, secrets: SecretStore, store: Store, devices: list[str]) -> ChangeRun:
    """Render the routers' configuration (with their NQA / IP SLA probes) and push it through the change
    engine: confirmed commit, post-checks over SNMP, as for any other change (the change tests' runner)."""
    return push_waves(inventory, secrets, store, one_wave(*devices), reason="service probes")
