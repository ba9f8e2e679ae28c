"""The poller against the lab's SNMP agents (real UDP on 127.72.x, v2c and v3): a clean region, an uplink
down with the backup up, both uplinks down as one incident, recovery, high CPU, a wrong v3 key."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from netops.drivers.snmp.source import SnmpSource
from netops.inventory import Topology, load_inventory
from netops.lab.faults import FaultBook
from netops.lab.snmp.server import start_snmp
from netops.lab.state import LabWorld
from netops.lab.testing import write_secrets
from netops.polling import queries
from netops.polling.metrics import PollingCollector
from netops.polling.poller import Poller, pollable
from netops.secrets import SecretStore
from netops.store.db import Store, open_store
from tests.polling.testlib import ANSWERED_TIMEOUT_S, polling_region

PRIMARY = "kashgar-ce1--centre-core1"
BACKUP = "kashgar-ce1--centre-core2-backup"


def secrets_file(path: Path, **overrides: str) -> SecretStore:
    values = {
        "poll-community": "c0mmunity-lab",
        "poll-v3-auth": "auth-passphrase-1",
        "poll-v3-priv": "priv-passphrase-1",
        "poll-cli-password": "x" * 12,
        **overrides,
    }
    write_secrets(path, values)
    return SecretStore(path)


Scenario = Callable[[Poller, FaultBook, Store], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario, *, poller_secrets: SecretStore | None = None) -> None:
    """``scenario`` against the region's agents, in the poller's event loop. Threshold 1 and assertions on
    which polls failed: a live device's answer must never be late, so the SNMP timeout is a long one (the
    region written to ``tmp_path / "region"``, which the scenario reads)."""
    inv = load_inventory(polling_region(tmp_path / "region", timeout_s=ANSWERED_TIMEOUT_S))
    topo = Topology(inv)
    lab_secrets = secrets_file(tmp_path / "lab-secrets.yaml")
    store = open_store(f"sqlite:///{tmp_path / 'netops.db'}")

    async def main() -> None:
        world = LabWorld(inv)
        agents = await start_snmp(world, lab_secrets)
        try:
            source = SnmpSource(lambda: inv, poller_secrets or lab_secrets)
            poller = Poller(store, source, lambda: topo, threshold=1)
            await scenario(poller, FaultBook(world), store)
        finally:
            await agents.close()

    try:
        asyncio.run(main())
    finally:
        store.close()


def test_clean_region_then_uplink_faults(tmp_path: Path) -> None:
    async def scenario(poller: Poller, faults: FaultBook, store: Store) -> None:
        inv = load_inventory(tmp_path / "region")
        topo = Topology(inv)
        devices = pollable(inv)
        result = await poller.run_cycle(devices)
        assert result.failed == [], [(s.device, s.detail) for s in result.failed]
        sample = {s.device: s for s in result.samples}
        core = sample["centre-core1"]
        assert core.sys_name == "centre-core1" and core.sys_uptime_s and core.sys_uptime_s > 86_400
        assert core.cpu_ratio is not None and 0 < core.cpu_ratio < 1
        assert core.ups_on_battery is False
        assert {i.name for i in core.interfaces} >= {"GigabitEthernet0/0/1", "GigabitEthernet0/0/9"}
        assert any(n.protocol == "ospf" and n.up for n in sample["kashgar-ce1"].neighbors)
        assert sample["kashgar-shule-ce1"].cpu_ratio is not None  # Cisco OIDs
        assert sample["kashgar-shufu-ce1"].memory_ratio is not None  # H3C OIDs
        assert queries.status(store, topo)["site_counts"]["up"] == 4

        # primary uplink down: the interface is down, the backup carries: no outage, the link is the cause
        faults.apply("link-down", PRIMARY)
        result = await poller.run_cycle(devices)
        assert result.failed == []
        [link] = result.analysis.findings
        assert (link.kind, link.root_links, link.affected_devices) == ("link", (PRIMARY,), ())
        assert result.analysis.degraded_links == (PRIMARY,)
        assert queries.down_links(store, topo) == {PRIMARY}
        assert queries.status(store, topo)["on_backup"] == ["kashgar", "kashgar-shufu", "kashgar-shule"]
        registry = CollectorRegistry()
        registry.register(PollingCollector(store, lambda: topo))
        assert (
            registry.get_sample_value(
                "netops_site_on_backup", {"site": "kashgar", "tier": "prefecture", "prefecture": "kashgar"}
            )
            == 1.0
        )
        assert (
            registry.get_sample_value(
                "netops_link_up",
                {"link": PRIMARY, "kind": "primary", "a_device": "kashgar-ce1", "b_device": "centre-core1"},
            )
            == 0.0
        )
        health = queries.device_health(store, topo, "centre-core1")
        assert not next(i for i in health["interfaces"] if i["name"] == "GigabitEthernet0/0/1")["oper_up"]

        # the backup too: exactly one incident, the silent router behind the two dead uplinks the cause
        # (from the centre a dead router and two cut circuits look the same), counties unreachable
        faults.apply("link-down", BACKUP)
        result = await poller.run_cycle(devices)
        assert {s.device for s in result.failed} == {
            "kashgar-ce1",
            "kashgar-codec",
            "kashgar-shufu-ce1",
            "kashgar-shule-ce1",
        }
        assert {s.error for s in result.failed} == {"timeout"}
        [finding] = result.analysis.findings
        assert finding.root_devices == ("kashgar-ce1",)
        st = queries.status(store, topo)
        assert st["devices"]["kashgar-shufu-ce1"] == "unreachable"
        assert st["sites"]["kashgar-shule"] == "unreachable"
        assert [(i["kind"], i["cause"]) for i in st["open_incidents"]] == [("device", ["kashgar-ce1"])]

        # clearing the faults resolves it
        faults.clear_all()
        result = await poller.run_cycle(devices)
        assert result.failed == []
        assert [c.change for c in result.changes] == ["resolved"]
        assert queries.status(store, topo)["open_incidents"] == []

        # high CPU shows in the next poll
        faults.apply("high-cpu", "kashgar-shufu-ce1", {"percent": "93"})
        result = await poller.run_cycle(devices)
        assert {s.device: s for s in result.samples}["kashgar-shufu-ce1"].cpu_ratio == pytest.approx(0.93)

    run(tmp_path, scenario)


def test_wrong_v3_key_is_an_auth_or_timeout_error(tmp_path: Path) -> None:
    wrong = secrets_file(tmp_path / "poller-secrets.yaml", **{"poll-v3-auth": "not-the-right-key"})

    async def scenario(poller: Poller, _faults: FaultBook, _store: Store) -> None:
        inv = load_inventory(tmp_path / "region")
        result = await poller.run_cycle([inv.device("centre-core1"), inv.device("kashgar-shufu-ce1")])
        by = {s.device: s for s in result.samples}
        assert by["kashgar-shufu-ce1"].ok  # v2c is unaffected
        assert not by["centre-core1"].ok
        assert by["centre-core1"].error in ("auth", "timeout")
        assert "not-the-right-key" not in (by["centre-core1"].detail or "")

    run(tmp_path, scenario, poller_secrets=wrong)
