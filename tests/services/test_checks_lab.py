"""Service checks against one lab (module-scoped): the centre's own probes and the routers' NQA / IP SLA probes
pushed through the change engine and read over SNMP. Expectations come from the lab's topology and faults:
a service down fails everyone's check, a county cut off fails only its own, the Uyghur page served in Chinese
fails its language check, a certificate 10 days from expiry warns."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.lab.services import ServiceLab, start_services
from netops.lab.testing import (
    InProcessLab,
    in_process_lab,
    start_on_free_subnet,
    wait_until,
    write_inventory,
    write_secrets,
)
from netops.secrets import SecretStore
from netops.services.cycle import CycleResult, ServiceChecker
from netops.services.metrics import ServiceCollector
from netops.services.records import CheckSource, CheckState, latest_results
from netops.store.db import Store, open_store
from tests.conftest import run_netops
from tests.services.services_testlib import INVENTORY, ROUTERS, SECRETS, SITES, TEMPLATES, push_probes


@dataclass
class Region:
    inventory: Inventory
    directory: Path
    secrets_file: Path
    secrets: SecretStore
    store: Store
    lab: InProcessLab
    services: ServiceLab
    state_dir: Path

    def cycle(self) -> CycleResult:
        checker = ServiceChecker(
            lambda: self.inventory, self.secrets, self.store, ca_file=self.services.ca_file
        )
        return asyncio.run(checker.run_cycle())

    def fault(self, kind: str, target: str, **params: Any) -> int:
        fault = self.lab.call(self.lab.faults.apply, kind, target, params)
        return int(fault.id)

    def clear(self, fault_id: int) -> None:
        self.lab.call(self.lab.faults.clear, fault_id)


def by_key(cycle: CycleResult) -> dict[tuple[str, str, str], Any]:
    return {(r.site, r.service, str(r.source)): r for r in cycle.results}


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Region]:
    root = tmp_path_factory.mktemp("services")
    secrets_file = write_secrets(root / "secrets.yaml", SECRETS)
    secrets = SecretStore(secrets_file)
    store = open_store(f"sqlite:///{root / 'state' / 'netops.db'}")
    stack = contextlib.ExitStack()

    def start(net: int) -> tuple[Inventory, Path, InProcessLab, ServiceLab]:
        directory = root / f"inventory-{net}"
        write_inventory(directory, INVENTORY, {"net": net})
        (directory / "templates").symlink_to(TEMPLATES)
        inv = load_inventory(directory)
        attempt = contextlib.ExitStack()
        with attempt:
            lab = attempt.enter_context(in_process_lab(inv, secrets, snmp=None, ssh=ROUTERS, codecs=False))
            services = lab.loop.run(start_services(lab.world, root / f"tls-{net}"))
            attempt.callback(lambda: lab.loop.run(services.close()))
            stack.push(attempt.pop_all())
        return inv, directory, lab, services

    try:
        inv, directory, lab, services = start_on_free_subnet(start)
        run = push_probes(inv, secrets, store, ROUTERS)
        assert {str(r.outcome) for r in run.results.values()} == {"confirmed"}, {
            d: (str(r.outcome), r.detail) for d, r in run.results.items()
        }
        yield Region(inv, directory, secrets_file, secrets, store, lab, services, root / "state")
    finally:
        stack.close()
        store.close()


def test_every_site_reaches_every_service(region: Region) -> None:
    cycle = region.cycle()
    assert not cycle.missing  # the pushed configuration holds a probe for each (site, service)
    results = by_key(cycle)
    for svc in region.inventory.services.values():
        centre = results[("centre", svc.id, "centre")]
        assert centre.state is CheckState.OK, centre
        for site in svc.sites:
            r = results[(site, svc.id, "router")]
            assert r.state is CheckState.OK, r
            assert r.latency_ms is not None and r.latency_ms > 0
    tls = results[("centre", "portal-zh", "centre")].tls_days_left
    assert tls is not None and tls > 300


def test_portal_down_at_the_centre_fails_every_sites_check(region: Region) -> None:
    fault = region.fault("service-down", "portal-zh")
    try:
        results = by_key(region.cycle())
    finally:
        region.clear(fault)
    assert results[("centre", "portal-zh", "centre")].reason == "status: 503"
    for site in SITES:
        r = results[(site, "portal-zh", "router")]
        assert r.state is CheckState.FAIL and (r.reason or "").startswith("probe-failed"), r
        assert results[(site, "portal-ug", "router")].state is CheckState.OK  # the other services still work
        assert results[(site, "dns", "router")].state is CheckState.OK
    assert results[("centre", "portal-ug", "centre")].state is CheckState.OK


def test_a_county_cut_off_fails_only_its_own_checks(region: Region) -> None:
    fault = region.fault("link-down", "shufu-up")
    try:
        results = by_key(region.cycle())
    finally:
        region.clear(fault)
    for (site, _svc, source), r in results.items():
        if site == "kashgar-shufu":
            assert r.state is CheckState.FAIL and (r.reason or "").startswith("unreachable"), r
        else:
            assert r.state is CheckState.OK, (site, source, r)


def test_uyghur_page_served_in_chinese_fails_its_language_check(region: Region) -> None:
    fault = region.fault("wrong-language", "portal-ug", language="zh")
    try:
        results = by_key(region.cycle())
    finally:
        region.clear(fault)
    ug = results[("centre", "portal-ug", "centre")]
    assert ug.state is CheckState.FAIL
    assert ug.reason == "wrong-language: expected ug (arabic), found lang=zh-cn, script han"
    assert results[("centre", "portal-zh", "centre")].state is CheckState.OK
    # the routers' probes see reachability, not content: their portal-ug results stay ok
    assert all(results[(site, "portal-ug", "router")].state is CheckState.OK for site in SITES)


def test_certificate_ten_days_from_expiry_warns(region: Region) -> None:
    fault = region.fault("cert-expiring", "portal-zh", days=10)
    try:
        results = by_key(region.cycle())
    finally:
        region.clear(fault)
    zh = results[("centre", "portal-zh", "centre")]
    assert zh.state is CheckState.WARN and zh.ok
    assert zh.tls_days_left is not None and 9.0 < zh.tls_days_left <= 10.0
    assert zh.reason == "tls-expiring: 10 days left"


def test_results_are_stored_and_exported(region: Region) -> None:
    region.cycle()
    latest = {(r.site, r.service, str(r.source)): r for r in latest_results(region.store)}
    assert ("hotan-hetian", "mcu", "router") in latest
    registry = CollectorRegistry()
    registry.register(ServiceCollector(region.store))
    labels = {"service": "portal-ug", "site": "kashgar-kashi", "source": "router"}
    assert registry.get_sample_value("netops_service_up", labels) == 1.0
    assert (registry.get_sample_value("netops_service_latency_seconds", labels) or 0) > 0
    centre = {"service": "portal-zh", "site": "centre", "source": "centre"}
    assert (registry.get_sample_value("netops_service_tls_days_left", centre) or 0) > 300
    assert latest[("centre", "dns", "centre")].source is CheckSource.CENTRE


def test_cli_check_json(region: Region) -> None:
    done = run_netops(
        "services",
        "check",
        "--inventory",
        str(region.directory),
        "--ca-file",
        str(region.services.ca_file),
        "--state-dir",
        str(region.state_dir),
        "--json",
        env={"NETOPS_SECRETS_FILE": str(region.secrets_file)},
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    sources = {(r["site"], r["source"]) for r in data["results"]}
    assert ("centre", "centre") in sources and ("hotan-hetian", "router") in sources
    assert data["failed"] == 0 and data["missing"] == []


def test_mcu_down_refuses_connections_and_comes_back(region: Region) -> None:
    fault = region.fault("service-down", "mcu")
    try:
        results = by_key(region.cycle())
    finally:
        region.clear(fault)
    centre = results[("centre", "mcu", "centre")]
    assert centre.state is CheckState.FAIL and (centre.reason or "").startswith("down:"), centre
    assert all(results[(site, "mcu", "router")].state is CheckState.FAIL for site in SITES)

    def back() -> bool:
        return by_key(region.cycle())[("centre", "mcu", "centre")].state is CheckState.OK

    wait_until("the MCU's listener reopened", back)
