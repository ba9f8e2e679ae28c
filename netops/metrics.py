"""Prometheus metrics: collectors that read current state at scrape time (never gauges set around the code).

Served at ``/metrics`` from the app's own ``CollectorRegistry``. Names carry the ``netops_`` prefix and base
units; labels are bounded (tier, platform, role, status, kind, prefecture ids), never free text.
"""

from __future__ import annotations

import platform as _platform
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date

from prometheus_client import PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from netops import __version__
from netops.inventory.models import Inventory, Lifecycle
from netops.notify.metrics import notify_metrics


class BuildCollector(Collector):
    """netops' version, and the process serving it: prometheus_client's ``process_*`` (CPU seconds, resident
    memory, open file descriptors, start time) and ``python_info``, read at scrape time."""

    def __init__(self) -> None:
        self._process = ProcessCollector(registry=None)
        self._platform = PlatformCollector(registry=None)

    def collect(self) -> Iterator[Metric]:
        info = InfoMetricFamily("netops_build", "Version of netops and of the Python running it")
        info.add_metric([], {"version": __version__, "python": _platform.python_version()})
        yield info
        yield from self._process.collect()
        yield from self._platform.collect()


class InventoryCollector(Collector):
    """Facts of the loaded inventory; ``source`` returns the current one (it can be reloaded)."""

    def __init__(
        self,
        source: Callable[[], Inventory],
        loaded_at: Callable[[], float],
        reload_failures: Callable[[], int],
        folder_problems: Callable[[], int] = lambda: 0,
    ) -> None:
        self._source = source
        self._loaded_at = loaded_at
        self._reload_failures = reload_failures
        self._folder_problems = folder_problems

    def collect(self) -> Iterator[Metric]:
        inv = self._source()
        devices = GaugeMetricFamily(
            "netops_inventory_devices", "Devices in the inventory", labels=["tier", "platform", "role"]
        )
        for (tier, platform, role), n in sorted(
            Counter(
                (str(inv.sites[d.site].tier), str(d.platform), str(d.role)) for d in inv.devices.values()
            ).items()
        ):
            devices.add_metric([tier, platform, role], n)
        yield devices
        sites = GaugeMetricFamily(
            "netops_inventory_sites",
            "Sites in the inventory by tier and lifecycle status",
            labels=["tier", "status"],
        )
        for (tier, status), n in sorted(
            Counter((str(s.tier), str(s.status)) for s in inv.sites.values()).items()
        ):
            sites.add_metric([tier, status], n)
        yield sites
        links = GaugeMetricFamily("netops_inventory_links", "Links in the inventory by kind", labels=["kind"])
        for kind, n in sorted(Counter(str(lk.kind) for lk in inv.links.values()).items()):
            links.add_metric([kind], n)
        yield links
        yield GaugeMetricFamily(
            "netops_inventory_rooms", "Video-conference rooms in the inventory", value=len(inv.rooms)
        )
        late = GaugeMetricFamily(
            "netops_inventory_late_sites",
            "Sites still planned or staging after their target date, per prefecture",
            labels=["prefecture"],
        )
        today = date.today()
        counts: Counter[str] = Counter()
        for s in inv.sites.values():
            if s.status in (Lifecycle.PLANNED, Lifecycle.STAGING) and s.target_date and s.target_date < today:
                counts[s.prefecture or inv.centre.id] += 1
        for pref, n in sorted(counts.items()):
            late.add_metric([pref], n)
        yield late
        yield GaugeMetricFamily(
            "netops_inventory_loaded_timestamp_seconds",
            "Unix time the inventory in use was loaded",
            value=self._loaded_at(),
        )
        yield CounterMetricFamily(
            "netops_inventory_reload_failures",
            "Reloads of a changed inventory that failed validation (the old one stays)",
            value=self._reload_failures(),
        )
        yield GaugeMetricFamily(
            "netops_inventory_folder_problems",
            "Problems `netops inventory validate` finds in the inventory folder (templates, conferences, ...)",
            value=self._folder_problems(),
        )
        yield from notify_metrics(inv)  # notify.yaml of the same folder: netops/notify/metrics.py
