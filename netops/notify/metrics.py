"""Prometheus metrics of notifications, read at scrape time: deliveries since the process started (by channel,
kind and result) and whether ``notify.yaml`` can be used, so an alert catches a dead chat robot or a broken
file. Yielded by ``netops.metrics.InventoryCollector`` (``notify.yaml`` is part of the inventory folder)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from netops.errors import InventoryError
from netops.inventory.models import Inventory
from netops.notify.config import current
from netops.notify.deliver import DELIVERIES

RESULTS = ("delivered", "failed", "unrouted")


def notify_metrics(inventory: Inventory) -> Iterator[Metric]:
    deliveries = CounterMetricFamily(
        "netops_notify_deliveries",
        "Notifications by channel, kind and result: delivered, failed (after its retries, or not configured; "
        "channel '-' kind 'config': notify.yaml invalid), unrouted (no channel at all)",
        labels=["channel", "kind", "result"],
    )
    for (channel, kind, result), n in sorted(DELIVERIES.items()):
        deliveries.add_metric([channel, kind, result], n)
    yield deliveries
    try:
        current(inventory.directory, inventory)  # parsed again only when the file changed (bounded)
        problems = 0
    except InventoryError as exc:
        problems = max(1, len(exc.problems))
    yield GaugeMetricFamily(
        "netops_notify_config_problems",
        "Problems of notify.yaml as it is now (0: valid or absent; otherwise its routes are not applied)",
        value=problems,
    )


__all__ = ["RESULTS", "notify_metrics"]
