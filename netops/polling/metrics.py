"""Polling metrics, built from the store at scrape time (``PollingCollector``).

Labels are inventory ids (device, interface, site, prefecture, role, platform, protocol, peer, job) and fixed
sets (status, reason): bounded by the inventory, never free text. Interface counters are netops' own running
totals of accepted deltas (``counters.py``): a device reboot or counter reset never makes them jump or go back,
and they never grow faster than the interface speed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import select

from netops.inventory.topology import Failure, Topology
from netops.polling import queries
from netops.store.db import Store
from netops.store.schema import PollErrorCount, PollInterface, PollNeighbor

_DEV = ["device", "site", "prefecture", "role", "platform"]
_ITF_COUNTERS = (
    ("in_octets", "netops_interface_receive_bytes_total", "Bytes received (ifHCInOctets)"),
    ("out_octets", "netops_interface_transmit_bytes_total", "Bytes sent (ifHCOutOctets)"),
    ("in_errors", "netops_interface_receive_errors_total", "Inbound packets with errors (ifInErrors)"),
    ("out_errors", "netops_interface_transmit_errors_total", "Outbound packets with errors (ifOutErrors)"),
    ("in_discards", "netops_interface_receive_discards_total", "Inbound packets discarded (ifInDiscards)"),
    (
        "out_discards",
        "netops_interface_transmit_discards_total",
        "Outbound packets discarded (ifOutDiscards)",
    ),
)


def _metric_name(counter: str) -> str:
    return counter[: -len("_total")]


class PollingCollector(Collector):
    def __init__(self, store: Store, topology: Callable[[], Topology]) -> None:
        self.store = store
        self.topology = topology

    def collect(self) -> Iterator[Metric]:
        topo = self.topology()
        inv = topo.inventory
        rows = queries.device_rows(self.store)

        def labels(device: str) -> list[str]:
            dev = inv.devices[device]
            site = inv.sites[dev.site]
            return [device, site.id, site.prefecture or "", str(dev.role), str(dev.platform)]

        up = GaugeMetricFamily("netops_device_up", "1 if the device answered its last poll", labels=_DEV)
        state = GaugeMetricFamily(
            "netops_device_status",
            "1 for the device's current status (up, down = root cause, unreachable = behind a failure, "
            "unmanaged = answers but cannot be read)",
            labels=[*_DEV, "status"],
        )
        flapping = GaugeMetricFamily(
            "netops_device_flapping", "1 if the device is flapping", labels=["device"]
        )
        uptime = GaugeMetricFamily(
            "netops_device_uptime_seconds", "sysUpTime at the last poll", labels=["device"]
        )
        reboots = CounterMetricFamily(
            "netops_device_reboots", "Reboots seen (sysUpTime went back)", labels=["device"]
        )
        cpu = GaugeMetricFamily(
            "netops_device_cpu_ratio", "CPU usage of the main board, 0-1", labels=["device"]
        )
        mem = GaugeMetricFamily(
            "netops_device_memory_ratio", "Memory usage of the main board, 0-1", labels=["device"]
        )
        battery = GaugeMetricFamily(
            "netops_ups_on_battery", "1 if the node's UPS runs on battery", labels=["device"]
        )
        minutes = GaugeMetricFamily(
            "netops_ups_runtime_remaining_seconds", "UPS estimated runtime left", labels=["device"]
        )
        duration = GaugeMetricFamily(
            "netops_poll_duration_seconds", "Duration of the device's last poll", labels=["device"]
        )
        last = GaugeMetricFamily(
            "netops_poll_last_timestamp_seconds", "When the device was last polled", labels=["device"]
        )
        for device, row in rows.items():
            if device not in inv.devices:
                continue
            lab = labels(device)
            up.add_metric(lab, 1.0 if row.ok else 0.0)
            for s in ("up", "down", "unreachable", "unmanaged"):
                state.add_metric([*lab, s], 1.0 if row.status == s else 0.0)
            flapping.add_metric([device], 1.0 if row.flapping else 0.0)
            reboots.add_metric([device], float(row.reboots or 0))
            duration.add_metric([device], row.duration_s)
            last.add_metric([device], row.polled_at)
            if row.sys_uptime_s is not None:
                uptime.add_metric([device], row.sys_uptime_s)
            if row.cpu_ratio is not None:
                cpu.add_metric([device], row.cpu_ratio)
            if row.memory_ratio is not None:
                mem.add_metric([device], row.memory_ratio)
            if row.ups_on_battery is not None:
                battery.add_metric([device], 1.0 if row.ups_on_battery else 0.0)
            if row.ups_minutes is not None:
                minutes.add_metric([device], row.ups_minutes * 60.0)
        yield from (up, state, flapping, uptime, reboots, cpu, mem, battery, minutes, duration, last)
        yield from self._interfaces(inv.devices.keys())
        yield from self._sites(topo, {d: r.status for d, r in rows.items()})
        yield from self._cycles()

    def _interfaces(self, known: Collection[str]) -> Iterator[Metric]:
        labels = ["device", "interface"]
        oper = GaugeMetricFamily(
            "netops_interface_oper_up", "1 if the interface is operationally up", labels=labels
        )
        admin = GaugeMetricFamily(
            "netops_interface_admin_up", "1 if the interface is administratively up", labels=labels
        )
        speed = GaugeMetricFamily(
            "netops_interface_speed_bytes", "Interface speed in bytes per second", labels=labels
        )
        counters = {
            key: CounterMetricFamily(_metric_name(name), doc, labels=labels)
            for key, name, doc in _ITF_COUNTERS
        }
        nb = GaugeMetricFamily(
            "netops_neighbor_up",
            "1 if the routing adjacency is up (OSPF full, BGP established)",
            labels=["device", "protocol", "peer"],
        )
        with self.store.session() as session:
            for itf in session.scalars(select(PollInterface)):
                if itf.device not in known:
                    continue
                lab = [itf.device, itf.name]
                oper.add_metric(lab, 1.0 if itf.oper_up else 0.0)
                admin.add_metric(lab, 1.0 if itf.admin_up else 0.0)
                speed.add_metric(lab, itf.speed_bps / 8)
                for key, family in counters.items():
                    family.add_metric(lab, float(itf.totals.get(key, 0)))
            for n in session.scalars(select(PollNeighbor)):
                if n.device in known:
                    nb.add_metric([n.device, n.protocol, n.peer], 1.0 if n.up else 0.0)
            errors = CounterMetricFamily(
                "netops_poll_errors", "Failed device polls by reason", labels=["reason"]
            )
            for e in session.scalars(select(PollErrorCount)):
                errors.add_metric([e.reason], float(e.count))
        yield from (oper, admin, speed, *counters.values(), nb, errors)

    def _sites(self, topo: Topology, devices: dict[str, str]) -> Iterator[Metric]:
        site_state = GaugeMetricFamily(
            "netops_site_status",
            "1 for the site's current status",
            labels=["site", "tier", "prefecture", "status"],
        )
        for site in topo.inventory.sites.values():
            st = queries.site_status(topo, devices, site.id)
            for s in queries.STATES:
                site_state.add_metric(
                    [site.id, str(site.tier), site.prefecture or "", s], 1.0 if st == s else 0.0
                )
        down = queries.down_links(self.store, topo)
        backup = set(topo.impact(Failure(links=frozenset(down))).on_backup) if down else set()
        on_backup = GaugeMetricFamily(
            "netops_site_on_backup",
            "1 if the site is reached only over a backup link now",
            labels=["site", "tier", "prefecture"],
        )
        for site in topo.inventory.sites.values():
            on_backup.add_metric(
                [site.id, str(site.tier), site.prefecture or ""], 1.0 if site.id in backup else 0.0
            )
        link_up = GaugeMetricFamily(
            "netops_link_up",
            "1 if an end that answers sees the link up, 0 if one sees it down; absent when no end answers "
            "(or an end is not in service)",
            labels=["link", "kind", "a_device", "b_device"],
        )
        states = queries.link_states(self.store, topo)
        for link in topo.inventory.links.values():
            if link.id in states:
                link_up.add_metric(
                    [link.id, str(link.kind), link.a.device, link.b.device], 1.0 if states[link.id] else 0.0
                )
        open_now, unacked, total = queries.incident_counts(self.store)
        yield site_state
        yield on_backup
        yield link_up
        yield GaugeMetricFamily(
            "netops_incidents_open", "Open incidents (one per root cause)", value=open_now
        )
        yield GaugeMetricFamily(
            "netops_incidents_unacknowledged", "Open incidents nobody has acknowledged yet", value=unacked
        )
        yield CounterMetricFamily(
            "netops_incidents_opened", "Incidents opened since the database was created", value=total
        )

    def _cycles(self) -> Iterator[Metric]:
        dur = GaugeMetricFamily(
            "netops_poll_cycle_duration_seconds", "Duration of the last poll cycle", labels=["poll_job"]
        )
        interval = GaugeMetricFamily(
            "netops_poll_cycle_interval_seconds", "Configured interval of the job", labels=["poll_job"]
        )
        ts = GaugeMetricFamily(
            "netops_poll_cycle_last_timestamp_seconds",
            "When the job's last cycle started",
            labels=["poll_job"],
        )
        overrun = GaugeMetricFamily(
            "netops_poll_cycle_overrun",
            "1 if the last cycle took longer than its interval",
            labels=["poll_job"],
        )
        overruns = CounterMetricFamily(  # exported as netops_poll_cycle_overruns_total
            "netops_poll_cycle_overruns",
            "Cycles that took longer than their interval, since the database was created",
            labels=["poll_job"],
        )
        counts = queries.overrun_counts(self.store)
        for job, row in queries.last_cycles(self.store).items():
            dur.add_metric([job], row.duration_s)
            interval.add_metric([job], row.interval_s)
            ts.add_metric([job], row.started_at)
            overrun.add_metric([job], 1.0 if row.overrun else 0.0)
            overruns.add_metric([job], float(counts.get(job, 0)))
        yield from (dur, interval, ts, overrun, overruns)
