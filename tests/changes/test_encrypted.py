"""Secrets a device shows encrypted are compared by their place, not their value (netops/changes/encrypted.py).

The running lines below follow the forms the vendors document for what `display current-configuration` /
`show running-config` print after a secret is typed in plain: VRP `cipher %^%#<ciphertext>%^%#` and
`irreversible-cipher $1a$...$`, Comware 7 `cipher $c$3$...` for a `simple` value, IOS `password 7 <hex>` and
`secret 9 $9$...`. The ciphertexts are made up here (only their form matters): no real device's secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.changes.diff import compare
from netops.changes.encrypted import encrypted, reconcile
from netops.changes.journal import Landing, Marks
from netops.changes.render import RenderedConfig
from netops.inventory.loader import load_inventory
from netops.inventory.models import Device, Inventory, Platform

REPO = Path(__file__).resolve().parents[2]
PLAIN = "Xj-c0mmunity-42"


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(REPO / "inventory")


def device(inv: Inventory, platform: Platform) -> Device:
    return next(d for d in inv.devices.values() if d.platform == platform)


def rendered(dev: Device, text: str) -> RenderedConfig:
    return RenderedConfig(dev.id, text, "t", {}, frozenset({PLAIN, "Adm1n-pass", "En4ble"}))


VRP_RUNNING = """\
#
sysname r1
#
aaa
 local-user netops password irreversible-cipher $1a$Yq]0Oz;f"*$M=8N>1\\@Q%8*.1:7Zp`#
#
snmp-agent
snmp-agent community read cipher %^%#Q(=7Ks~A3.9[oT1Nf"Lz-W]hB&c+@e%^%#
snmp-agent sys-info version v2c
#
return
"""
VRP_INTENDED = f"""\
sysname r1
aaa
 local-user netops password irreversible-cipher Adm1n-pass
snmp-agent
snmp-agent community read cipher {PLAIN}
snmp-agent sys-info version v2c
"""


def test_vrp_cipher_and_irreversible_lines_are_in_place_not_a_diff(inventory: Inventory) -> None:
    dev = device(inventory, Platform.HUAWEI_VRP8)
    diff = compare(dev, VRP_RUNNING, rendered(dev, VRP_INTENDED))
    assert diff.empty, diff.text()
    assert sorted(diff.unverified) == [
        "local-user netops password irreversible-cipher ******",
        "snmp-agent community read cipher ******",
    ]
    assert PLAIN not in diff.text() and "encrypted" in diff.text()
    # a real difference next to them is still one
    changed = compare(dev, VRP_RUNNING, rendered(dev, VRP_INTENDED.replace("sysname r1", "sysname r2")))
    assert sorted((c.sign, c.line) for c in changed.changes) == [("+", "sysname r2"), ("-", "sysname r1")]
    # a secret line of another shape (an ACL on the community) is not the same line
    acl = compare(dev, VRP_RUNNING, rendered(dev, VRP_INTENDED.replace(PLAIN, PLAIN + " acl 2000")))
    assert not acl.empty and "acl 2000" in acl.text()


def test_comware_simple_shown_as_cipher(inventory: Inventory) -> None:
    dev = device(inventory, Platform.H3C_COMWARE7)
    running = " snmp-agent community read cipher $c$3$kT0uNRu5mG+9yV3Ay2w1q8K3pIjQ==\n sysname c1\n"
    diff = compare(dev, running, rendered(dev, f"sysname c1\nsnmp-agent community read simple {PLAIN}\n"))
    assert diff.empty and diff.unverified == ["snmp-agent community read simple ******"]


def test_ios_type_7_and_9(inventory: Inventory) -> None:
    dev = device(inventory, Platform.CISCO_IOS)
    running = (
        "hostname r3\n"
        "username netops privilege 15 password 7 0822455D0A165445415F59\n"
        "enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM\n"
        f"snmp-server community {PLAIN} RO\n"
    )
    intended = (
        "hostname r3\nusername netops privilege 15 password Adm1n-pass\nenable secret En4ble\n"
        f"snmp-server community {PLAIN} RO\n"
    )
    diff = compare(dev, running, rendered(dev, intended))
    assert diff.empty, diff.text()
    assert len(diff.unverified) == 2  # the community is shown as typed: compared by value


def test_plain_values_are_still_compared_by_value(inventory: Inventory) -> None:
    """A device (or the lab) that shows the value as typed: a different value is a difference."""
    dev = device(inventory, Platform.HUAWEI_VRP8)
    running = "snmp-agent community read cipher Old-c0mmunity\n"
    diff = compare(dev, running, rendered(dev, f"snmp-agent community read cipher {PLAIN}\n"))
    assert not diff.empty and diff.unverified == []


def test_encrypted_forms() -> None:
    assert encrypted("snmp-agent community read cipher %^%#abc%^%#")
    assert encrypted(" password 7 0822455D0A16")
    assert encrypted("snmp-agent community read cipher $c$3$abcd==")
    assert not encrypted("snmp-agent community read cipher plain")
    assert not encrypted("description %^%#not-a-secret%^%#")  # not a secret argument
    text, unverified = reconcile("a\n", "b\n")
    assert (text, unverified) == ("a\n", [])


def test_the_journal_tells_new_from_old_across_encrypted_secrets(inventory: Inventory) -> None:
    """A change adding a line on a device that shows its community encrypted: after it, the running
    configuration is the intended one (NEW), before it the snapshot (OLD), never HALF."""
    dev = device(inventory, Platform.HUAWEI_VRP8)
    before = VRP_RUNNING
    after = VRP_RUNNING.replace(
        "snmp-agent sys-info version v2c\n", "snmp-agent sys-info version v2c\nsnmp-agent trap enable\n"
    )
    intended = VRP_INTENDED + "snmp-agent trap enable\n"
    marks = Marks(before, intended, {})
    assert marks.landing(dev, before) is Landing.OLD
    assert marks.landing(dev, after) is Landing.NEW
