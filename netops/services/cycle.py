"""One check cycle: the centre's own probes (one per service endpoint) and every site's router probes (one SNMP
walk per router, bounded concurrency), stored in ``service_checks``. Used by the scheduler job, the CLI
(``netops services check``) and the benchmark."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from netops.drivers.snmp.source import SnmpSource
from netops.inventory.models import Inventory, Lifecycle, Service
from netops.secrets import SecretStore
from netops.services.centre import CentreProbe
from netops.services.records import CheckResult, store_results
from netops.services.router import read_site
from netops.store.db import Store


@dataclass(slots=True)
class CycleResult:
    started_at: float
    duration_s: float = 0.0
    results: list[CheckResult] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (site, service): no probe on the router

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.ok]


def sites_of(inventory: Inventory, services: list[Service]) -> dict[str, list[Service]]:
    """site -> the services it must reach (active sites only)."""
    out: dict[str, list[Service]] = {}
    for svc in services:
        for site in svc.sites:
            if inventory.sites[site].status is Lifecycle.ACTIVE:
                out.setdefault(site, []).append(svc)
    return out


class ServiceChecker:
    """Runs cycles over the inventory in use (``inventory`` is called at each cycle: a reload applies)."""

    def __init__(
        self,
        inventory: Callable[[], Inventory],
        secrets: SecretStore,
        store: Store | None = None,
        ca_file: Path | None = None,
        concurrency: int = 64,
        routers: bool = True,
    ) -> None:
        self.inventory = inventory
        self.store = store
        self.centre = CentreProbe(ca_file)
        self.snmp = SnmpSource(inventory, secrets)
        self.concurrency = concurrency
        self.routers = routers

    async def run_cycle(
        self, services: list[str] | None = None, sites: list[str] | None = None
    ) -> CycleResult:
        inv = self.inventory()
        chosen = [inv.service(s) for s in services] if services else list(inv.services.values())
        cycle = CycleResult(started_at=time.time())
        t0 = time.perf_counter()
        limit = asyncio.Semaphore(self.concurrency)

        async def one_site(site: str, wanted: list[Service]) -> None:
            async with limit:
                outcome = await read_site(self.snmp, inv, site, wanted)
            cycle.results.extend(outcome.results)
            cycle.missing.extend(outcome.missing)

        tasks = [self.centre.check(svc) for svc in chosen]
        centre = asyncio.gather(*tasks)
        per_site = sites_of(inv, chosen)
        if sites:
            per_site = {s: v for s, v in per_site.items() if s in sites}
        routers = asyncio.gather(*(one_site(s, w) for s, w in per_site.items())) if self.routers else None
        for batch in await centre:
            cycle.results.extend(batch)
        if routers is not None:
            await routers
        cycle.duration_s = time.perf_counter() - t0
        if self.store is not None:
            await asyncio.to_thread(store_results, self.store, cycle.results)
        return cycle
