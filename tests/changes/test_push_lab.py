"""Pushes against lab devices of every platform through the real netmiko client: render -> diff -> push ->
post-check -> confirm, reverts on failed post-checks, unconfirmed commits that revert on the device, locks."""

from __future__ import annotations

import logging
import threading

import pytest

from netops.changes import records
from netops.changes.diff import compare
from netops.changes.render import Renderer
from netops.drivers.cli import CliSession
from netops.drivers.platforms import driver_for
from netops.lab.faults import FaultBook
from netops.store.db import Store
from netops.store.schema import ConfigLock
from tests.changes.changes_testlib import COMMUNITY, ROUTERS, Lab, one_wave, push_devices
from tests.lab.cli.cli_testlib import wait_for


def lock_holder(store: Store, device: str) -> str | None:
    with store.session() as s:
        row = s.get(ConfigLock, device)
        return row.change_id if row is not None else None


def live_diff(lab: Lab, device: str) -> tuple[bool, str]:
    dev = lab.inventory.device(device)
    with CliSession.open(dev, lab.inventory, lab.secrets) as s:
        running = driver_for(dev.platform).running(s)
    diff = compare(dev, running, Renderer(lab.inventory, lab.secrets).render(device))
    return diff.empty, diff.text()


def test_every_platform_render_diff_push_check_confirm(
    lab: Lab, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    before = {d: live_diff(lab, d) for d in ROUTERS}
    assert all(not empty for empty, _ in before.values())
    assert "+ snmp-agent community read cipher ******" in before["centre-core1"][1]

    run = push_devices(lab, store, one_wave(*ROUTERS))

    assert run.state == "done"
    assert {d: r.outcome for d, r in run.results.items()} == {d: "confirmed" for d in ROUTERS}
    for d in ROUTERS:
        checks = {c.name: c.ok for c in run.results[d].checks}
        assert checks == {"ssh": True, "snmp": True, "uplinks": True, "neighbours": True, "errors": True}, d
        assert live_diff(lab, d) == (True, "")  # the running configuration equals the intended one
        assert lab.loop.call(lambda dev=d: lab.ssh.store(dev).pending) is None  # confirmed: no timer left
        assert lab.loop.call(lambda dev=d: lab.ssh.store(dev).saves) == 1
    assert "info-center loghost 127.1.0.6" in lab.running("kashgar-shufu-ce1")
    assert "logging host 127.1.0.6" in lab.running("kashgar-kashi-ce1")
    # the record: templates with content hashes, masked diff and commands; the secret nowhere
    shown = records.get_change(store, run.change_id)
    dev = next(x for x in shown["devices"] if x["device"] == "kashgar-kashi-ce1")
    assert dev["outcome"] == "confirmed" and dev["templates"]["cisco_ios/default.j2"]
    assert "snmp-server community ****** RO" in dev["commands"]
    assert COMMUNITY not in repr(shown)
    assert COMMUNITY not in caplog.text
    # a second push finds nothing to do
    again = push_devices(lab, store, one_wave(*ROUTERS))
    assert {r.outcome for r in again.results.values()} == {"unchanged"}


def test_post_check_failure_reverts_and_record_says_why(lab: Lab, store: Store, tmp_path: object) -> None:
    inv_file = lab.inventory_dir / "region.yaml"
    text = inv_file.read_text(encoding="utf-8")
    # the new intended configuration shuts the county's LAN (its only uplink would cut it off: the twin)
    text = text.replace(
        "      - id: kashgar-shufu-ce1\n",
        "      - id: kashgar-shufu-ce1\n        vars: {shutdown_interfaces: [GE0/0/1]}\n",
    )
    inv_file.write_text(text, encoding="utf-8")
    from netops.inventory.loader import load_inventory

    lab.inventory = load_inventory(lab.inventory_dir)
    before = lab.running("kashgar-shufu-ce1")

    run = push_devices(lab, store, one_wave("kashgar-shufu-ce1"))

    result = run.results["kashgar-shufu-ce1"]
    assert result.outcome == "reverted"
    assert "lan down after the change: GigabitEthernet0/0/1" in (result.detail or "")
    assert lab.running("kashgar-shufu-ce1") == before
    row = records.get_change(store, run.change_id)["devices"][0]
    assert row["outcome"] == "reverted" and "lan down" in row["detail"]
    assert {c["name"]: c["ok"] for c in row["checks"]}["uplinks"] is False


@pytest.mark.parametrize("device", ["centre-core1", "kashgar-ce1", "kashgar-kashi-ce1"])
def test_confirmed_commit_never_confirmed_reverts_on_the_device(lab: Lab, device: str) -> None:
    dev = lab.inventory.device(device)
    driver = driver_for(dev.platform)
    rendered = Renderer(lab.inventory, lab.secrets).render(device)
    before = lab.running(device)
    with CliSession.open(dev, lab.inventory, lab.secrets) as s:
        running = driver.running(s)
        diff = compare(dev, running, rendered)
        pending = driver.begin(s, diff.commands, diff.masked_commands(), running, 2.0, 1.0)
    assert pending.auto_revert
    assert lab.running(device) != before  # applied ...
    assert wait_for(lambda: lab.running(device) == before, timeout=6.0)  # ... and reverted by the device


@pytest.mark.parametrize("device", ["centre-core1", "kashgar-ce1", "kashgar-shufu-ce1", "kashgar-kashi-ce1"])
def test_confirmed_change_rolls_back_to_the_configuration_before(lab: Lab, device: str) -> None:
    dev = lab.inventory.device(device)
    driver = driver_for(dev.platform)
    before = lab.running(device)
    with CliSession.open(dev, lab.inventory, lab.secrets) as s:
        running = driver.running(s)
        diff = compare(dev, running, Renderer(lab.inventory, lab.secrets).render(device))
        pending = driver.begin(s, diff.commands, diff.masked_commands(), running, 30.0, 1.0)
        assert pending.auto_revert is (dev.platform.value != "huawei_vrp5")  # VRP5 has no timer
        driver.confirm(s, pending)
        assert lab.running(device) != before
        driver.rollback(s, pending)  # VRP8: rollback to the commit id; others: converge to the snapshot
    assert lab.running(device) == before
    assert lab.loop.call(lambda: lab.ssh.store(device).pending) is None


def test_two_pushes_to_one_device_at_once_one_is_refused(lab: Lab, store: Store) -> None:
    lab.world.devices["kashgar-ce1"].slow_ms = 40  # keep the first push busy for a while
    results = {}

    def push(name: str) -> None:
        results[name] = push_devices(lab, store, one_wave("kashgar-ce1"), snmp=False)

    first = threading.Thread(target=push, args=("a",))
    first.start()
    assert wait_for(lambda: lock_holder(store, "kashgar-ce1") is not None, timeout=20)
    push("b")
    first.join()  # the per-test timeout bounds it
    a, b = results["a"].results["kashgar-ce1"], results["b"].results["kashgar-ce1"]
    assert sorted([a.outcome, b.outcome]) == ["confirmed", "refused"], (a, b)  # the details say why
    refused = results["b"].results["kashgar-ce1"]
    assert refused.detail == f"device is locked by change {results['a'].change_id}"
    # the lock is released afterwards: a new push runs (and finds nothing to do)
    assert (
        push_devices(lab, store, one_wave("kashgar-ce1"), snmp=False).results["kashgar-ce1"].outcome
        == "unchanged"
    )


def test_interface_errors_growing_during_the_change_revert_it(lab: Lab, store: Store) -> None:
    FaultBook(lab.world).apply("if-errors", "kashgar-kashi-ce1:Gi0/0/0", {"rate": 500})
    before = lab.running("kashgar-kashi-ce1")
    result = push_devices(lab, store, one_wave("kashgar-kashi-ce1")).results["kashgar-kashi-ce1"]
    assert result.outcome == "reverted"
    assert "interface errors grew on:" in (result.detail or "")
    assert lab.running("kashgar-kashi-ce1") == before
