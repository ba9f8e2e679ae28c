"""Prometheus metrics of the service checks, read from the store at scrape time (the newest result of every
(site, service, source)): ``netops_service_up``, ``netops_service_latency_seconds``,
``netops_service_tls_days_left``, ``netops_service_check_timestamp_seconds``. Labels are ids (bounded)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from netops.services.records import latest_results
from netops.store.db import Store

LABELS = ["service", "site", "source"]


class ServiceCollector(Collector):
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "netops_service_up",
            "1 when the newest check of the service from the site worked (ok or warn), else 0",
            labels=LABELS,
        )
        warn = GaugeMetricFamily(
            "netops_service_warning",
            "1 when the newest check works but warns (a certificate close to expiry)",
            labels=LABELS,
        )
        latency = GaugeMetricFamily(
            "netops_service_latency_seconds", "Response or round-trip time of the newest check", labels=LABELS
        )
        tls = GaugeMetricFamily(
            "netops_service_tls_days_left",
            "Days until the service's server certificate expires, as seen by the newest check",
            labels=LABELS,
        )
        when = GaugeMetricFamily(
            "netops_service_check_timestamp_seconds", "When the newest check ran (Unix time)", labels=LABELS
        )
        for r in latest_results(self.store):
            labels = [r.service, r.site, str(r.source)]
            up.add_metric(labels, 1.0 if r.ok else 0.0)
            warn.add_metric(labels, 1.0 if r.state == "warn" else 0.0)
            when.add_metric(labels, r.checked_at)
            if r.latency_ms is not None:
                latency.add_metric(labels, r.latency_ms / 1000)
            if r.tls_days_left is not None:
                tls.add_metric(labels, r.tls_days_left)
        yield from (up, warn, latency, tls, when)
