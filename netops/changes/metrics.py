"""Configuration change metrics, built from the store at scrape time (``ChangesCollector``).

- ``netops_config_change_devices_total{outcome}``: device results of every recorded change, by outcome
  (confirmed, unchanged, reverted, rejected, failed, refused, skipped, rolled-back);
- ``netops_config_changes_total{state}``: changes by final state (done, halted, refused, running);
- ``netops_config_rollbacks_total``: devices whose change was undone (reverted after a post-check, or
  rolled back with a halted wave);
- ``netops_config_drift_lines{device}``: lines that differ between running and intended (last backup pass);
- ``netops_config_backup_last_success_timestamp_seconds{device}``;
- ``netops_config_rollout_wave`` / ``netops_config_rollout_waves`` / ``netops_config_rollout_devices_done``
  / ``netops_config_rollout_devices``: progress of the newest running rollout (absent when none runs).
Labels are bounded: outcome and state come from fixed sets, devices from the inventory.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from netops.store.db import Store
from netops.store.schema import ConfigChange, ConfigChangeDevice, ConfigDeviceStatus

UNDONE = ("reverted", "rolled-back")


class ChangesCollector(Collector):
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        outcomes = CounterMetricFamily(
            "netops_config_change_devices", "Device results of configuration changes", labels=["outcome"]
        )
        states = CounterMetricFamily(
            "netops_config_changes", "Configuration changes by state", labels=["state"]
        )
        rollbacks = CounterMetricFamily(
            "netops_config_rollbacks", "Device changes undone (revert or rollback)"
        )
        drift = GaugeMetricFamily(
            "netops_config_drift_lines", "Lines differing between running and intended", labels=["device"]
        )
        backup = GaugeMetricFamily(
            "netops_config_backup_last_success_timestamp_seconds",
            "When the device's configuration was last backed up",
            labels=["device"],
        )
        with self.store.session() as s:
            undone = 0
            for outcome, count in s.execute(
                select(ConfigChangeDevice.outcome, func.count()).group_by(ConfigChangeDevice.outcome)
            ):
                outcomes.add_metric([outcome], count)
                undone += count if outcome in UNDONE else 0
            rollbacks.add_metric([], undone)
            for state, count in s.execute(
                select(ConfigChange.state, func.count()).group_by(ConfigChange.state)
            ):
                states.add_metric([state], count)
            for row in s.scalars(select(ConfigDeviceStatus)):
                if row.drift_lines is not None:
                    drift.add_metric([row.device], row.drift_lines)
                if row.last_backup_ok_at is not None:
                    backup.add_metric([row.device], row.last_backup_ok_at)
            running = s.scalars(
                select(ConfigChange)
                .where(ConfigChange.state == "running")
                .order_by(ConfigChange.created_at.desc())
            ).first()
            progress = None
            if running is not None:
                done = s.scalar(
                    select(func.count())
                    .select_from(ConfigChangeDevice)
                    .where(ConfigChangeDevice.change_id == running.id)
                )
                progress = _progress(running.waves, done or 0)
        yield from (outcomes, states, rollbacks, drift, backup)
        if progress is not None:
            for name, value, text in zip(
                ("wave", "waves", "devices_done", "devices"),
                progress,
                ("Wave in progress (1-based)", "Waves planned", "Devices with a result", "Devices planned"),
                strict=True,
            ):
                g = GaugeMetricFamily(f"netops_config_rollout_{name}", f"Running rollout: {text}")
                g.add_metric([], value)
                yield g


def _progress(waves: list[dict[str, object]], done: int) -> tuple[int, int, int, int]:
    def size(w: dict[str, object]) -> int:
        devs = w.get("devices")
        return len(devs) if isinstance(devs, list) else 0

    current = next((i + 1 for i, w in enumerate(waves) if w.get("state") == "running"), 0)
    return current, len(waves), done, sum(size(w) for w in waves)
