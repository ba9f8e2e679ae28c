"""The inventory's ``services:`` section: validated like the rest, every problem with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.errors import InventoryError
from netops.inventory import load_inventory

REGION = """\
sites:
  - {id: centre, name: 自治区人民政府办公厅, tier: region}
  - {id: kashgar, name: 喀什地区, parent: centre}
  - {id: kashgar-shufu, name: 疏附县, parent: kashgar}
  - {id: dept-health, name: 卫生厅, tier: department, parent: centre}
"""

BAD = """\
services:
  - id: portal-ug
    name: 门户网站（维吾尔文）
    kind: https
    endpoints: ["http://127.1.1.10/ug/"]
    sites: [counties]
    expect: {language: ug}
  - id: docex
    name: 公文无纸化传输系统
    kind: tcp
    endpoints: ["127.1.1.20:443"]
    sites: [kashgar-nowhere]
    expect: {language: zh}
  - id: dns
    name: 域名服务
    kind: dns
    endpoints: ["127.1.1.53"]
    sites: [all]
  - id: mcu
    name: MCU
    kind: ftp
    endpoints: ["127.1.1.30:1"]
    sites: [all]
"""

GOOD = """\
services:
  - id: portal-ug
    name: 门户网站（维吾尔文）
    kind: https
    endpoints: ["https://127.1.1.10:10443/ug/"]
    sites: [counties, dept-health]
    expect: {status: 200, language: ug}
  - id: dns
    name: 域名服务
    kind: dns
    endpoints: ["127.1.1.53"]
    sites: [prefectures]
    expect: {query: www.xinjiang.gov.cn, answer: 127.1.1.10}
"""


def _inventory(tmp_path: Path, services: str) -> Path:
    (tmp_path / "region.yaml").write_text(REGION, encoding="utf-8")
    (tmp_path / "services.yaml").write_text(services, encoding="utf-8")
    return tmp_path


def test_bad_services_are_reported_with_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(_inventory(tmp_path, BAD))
    problems = sorted(str(p) for p in caught.value.problems)
    text = "\n".join(problems)
    assert "services.yaml:5: endpoints[0]: service 'portal-ug': expected a https:// URL" in text
    assert "services.yaml:12: sites: service 'docex' names unknown site 'kashgar-nowhere'" in text
    assert (
        "services.yaml:13: expect: service 'docex': status and language apply to http/https, not tcp" in text
    )
    assert "services.yaml:14: expect: service 'dns': a dns service needs expect.query" in text
    assert any(p.startswith("services.yaml:21: services[3].kind:") for p in problems), problems


def test_good_services_resolve_sites_and_endpoints(tmp_path: Path) -> None:
    inv = load_inventory(_inventory(tmp_path, GOOD))
    ug = inv.service("portal-ug")
    assert ug.sites == ("dept-health", "kashgar-shufu")
    assert (str(ug.endpoints[0].host), ug.endpoints[0].port, ug.endpoints[0].path) == (
        "127.1.1.10",
        10443,
        "/ug/",
    )
    assert ug.tls_warn_days == 30 and ug.tls_chain  # https defaults
    dns = inv.service("dns")
    assert dns.sites == ("kashgar",) and dns.endpoints[0].port == 53


def test_the_shipped_region_has_its_services(shipped_inventory: Path) -> None:
    inv = load_inventory(shipped_inventory)
    assert {"portal-zh", "portal-ug", "portal-en", "docex", "supervision", "govinfo", "mcu"} <= set(
        inv.services
    )
    assert inv.service("portal-ug").language == "ug"
    counties = [s for s in inv.sites.values() if s.tier == "county"]
    assert set(inv.service("docex").sites) >= {s.id for s in counties}
