"""Templates: per platform and role, inherited variables, secrets recorded for masking, undefined variables
named with template, line and device, content hashes for the change record."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from netops.changes.render import Renderer, TemplateError
from netops.inventory.loader import load_inventory
from netops.lab.testing import write_secrets as write_secrets_file
from netops.secrets import SecretStore
from tests.changes.changes_testlib import COMMUNITY, write_inventory, write_secrets

TEMPLATES = Path(__file__).parents[2] / "inventory" / "templates"


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, SecretStore]:
    inv = write_inventory(tmp_path / "inv", 1)
    shutil.copytree(TEMPLATES, inv / "templates")
    return inv, write_secrets(tmp_path / "secrets.yaml")


def test_render_per_platform_and_role(setup: tuple[Path, SecretStore]) -> None:
    inv_dir, secrets = setup
    r = Renderer(load_inventory(inv_dir), secrets)
    core = r.render("centre-core1")
    assert core.template == "huawei_vrp8/core.j2"  # the role's own template
    assert set(core.templates) == {
        "huawei_vrp8/core.j2",
        "huawei/base.j2",
        "huawei/ospf.j2",
        "huawei/bgp.j2",
        "huawei/qos.j2",
        "huawei/snmp.j2",
    }
    assert "lldp enable" in core.text
    assert "ospf 1 router-id 127.74.1.1\n area 0.0.0.0\n  network 10.74.0.0 0.0.0.3\n" in core.text
    assert "  network 10.255.0.1 0.0.0.0\n" in core.text  # the loopback
    county = r.render("kashgar-kashi-ce1")
    assert county.template == "cisco_ios/default.j2"
    assert (
        "interface Gi0/0/0\n description to-kashgar\n ip address 10.74.0.10 255.255.255.252\n" in county.text
    )
    assert "ntp server 127.1.0.7\n" in county.text and "logging host 127.1.0.6\n" in county.text
    assert f"snmp-server community {COMMUNITY} RO" in county.text
    assert county.secrets == frozenset({COMMUNITY})
    comware = r.render("kashgar-ce1")
    assert "ntp-service enable\n" in comware.text and " qos trust dscp\n" in comware.text
    assert r.render("kashgar-shufu-ce1").template == "huawei_vrp5/default.j2"


def test_site_and_device_vars_reach_templates(setup: tuple[Path, SecretStore]) -> None:
    inv_dir, secrets = setup
    f = inv_dir / "region.yaml"
    text = f.read_text(encoding="utf-8").replace(
        "    name_en: hotan\n",
        "    name_en: hotan\n    defaults:\n      vars:\n        ntp_server: 127.1.0.8\n"
        "        bgp: {asn: 65010, peers: [{address: 10.74.0.17, remote_as: 4134}]}\n",
    )
    f.write_text(text, encoding="utf-8")
    r = Renderer(load_inventory(inv_dir), secrets)
    hotan = r.render("hotan-ce1").text
    assert "ntp-service unicast-server 127.1.0.8" in hotan  # the prefecture's value wins
    assert (
        "bgp 65010\n peer 10.74.0.17 as-number 4134\n ipv4-family unicast\n  peer 10.74.0.17 enable\n"
        in hotan
    )
    assert "router bgp 65010\n neighbor 10.74.0.17 remote-as 4134\n" in r.render("hotan-hetian-ce1").text
    assert "127.1.0.7" in r.render("kashgar-ce1").text  # other prefectures keep the region's


def test_undefined_variable_names_template_line_and_device(setup: tuple[Path, SecretStore]) -> None:
    inv_dir, secrets = setup
    f = inv_dir / "region.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace("    syslog_server: 127.1.0.6\n", ""), encoding="utf-8"
    )
    r = Renderer(load_inventory(inv_dir), secrets)
    with pytest.raises(TemplateError) as err:
        r.render("kashgar-kashi-ce1")
    lines = (inv_dir / "templates" / "cisco_ios" / "default.j2").read_text().splitlines()
    lineno = next(i for i, ln in enumerate(lines, 1) if "syslog_server" in ln)
    assert str(err.value).startswith(f"cisco_ios/default.j2:{lineno}: kashgar-kashi-ce1: undefined variable")
    assert "syslog_server" in str(err.value)
    with pytest.raises(TemplateError, match=r"^huawei/base.j2:\d+: centre-core1: undefined variable"):
        r.render("centre-core1")  # the included template is named, not the top one


def test_template_hash_changes_with_content_and_missing_template_is_named(
    setup: tuple[Path, SecretStore],
) -> None:
    inv_dir, secrets = setup
    inv = load_inventory(inv_dir)
    first = Renderer(inv, secrets).render("kashgar-ce1")
    tpl = inv_dir / "templates" / "h3c_comware7" / "default.j2"
    tpl.write_text(tpl.read_text() + "lldp global enable\n")
    second = Renderer(inv, secrets).render("kashgar-ce1")
    assert first.templates["h3c_comware7/default.j2"] != second.templates["h3c_comware7/default.j2"]
    assert first.digest != second.digest
    tpl.unlink()
    with pytest.raises(TemplateError, match="kashgar-ce1: no template for it"):
        Renderer(inv, secrets).render("kashgar-ce1")


def test_every_device_of_the_shipped_region_renders(shipped_inventory: Path, tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    write_secrets_file(path, {"lab-snmp-community": "c0mm"})
    inv = load_inventory(shipped_inventory)
    r = Renderer(inv, SecretStore(path))
    devices = [d for d in inv.devices.values() if d.platform.has_cli]
    assert len(devices) >= 100
    texts = {d.id: r.render(d.id).text for d in devices}
    assert "snmp-agent usm-user v3 netops group netops" in texts["centre-core1"]
    assert all("ntp" in t for t in texts.values())
