"""Poll results written to the real store with ``record_cycle``, as the poller would after polling the
routers of the test inventory: every routing device, its interfaces with counters growing at a given rate."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from netops.inventory.topology import Topology
from netops.polling.model import DeviceSample, InterfaceSample
from netops.polling.rootcause import analyse, links_down_from_interfaces
from netops.polling.store import record_cycle
from netops.polling.tracker import StatusTracker
from netops.store.db import Store

BASE_RATE_BPS = 2_000_000  # background traffic on every interface


def samples(
    topology: Topology,
    t: float,
    *,
    silent: Collection[str] = (),
    down_interfaces: Collection[str] = (),
    rates_bps: Mapping[str, float] | None = None,
    cpu: Mapping[str, float] | None = None,
) -> list[DeviceSample]:
    """One sample per device (codecs and the MCU answer SNMP too); ``down_interfaces`` and ``rates_bps`` keys are
    ``device:interface``."""
    out: list[DeviceSample] = []
    for dev in topology.inventory.devices.values():
        if dev.id in silent:
            out.append(DeviceSample(dev.id, t, 2.0, ok=False, error="timeout", detail="no answer"))
            continue
        itfs = []
        for n, itf in enumerate(dev.interfaces, start=1):
            key = f"{dev.id}:{itf.name}"
            octets = int(t * (rates_bps or {}).get(key, BASE_RATE_BPS) / 8)
            itfs.append(
                InterfaceSample(
                    n,
                    itf.name,
                    itf.description,
                    True,
                    key not in down_interfaces,
                    itf.speed_mbps * 1_000_000,
                    octets,
                    octets,
                    0,
                    0,
                    0,
                    0,
                )
            )
        out.append(
            DeviceSample(
                dev.id,
                t,
                0.05,
                ok=True,
                sys_name=dev.id,
                sys_uptime_s=1e6,
                cpu_ratio=(cpu or {}).get(dev.id, 0.1),
                memory_ratio=0.3,
                interfaces=tuple(itfs),
            )
        )
    return out


def poll(
    store: Store, topology: Topology, tracker: StatusTracker, cycle: list[DeviceSample], t: float
) -> None:
    """Record one cycle: status with hysteresis, root cause, incidents."""
    for s in cycle:
        tracker.observe(s.device, s.ok, t, s.error)
    down = links_down_from_interfaces(topology, {s.device: s.down_interfaces() for s in cycle if s.ok})
    analysis = analyse(topology, tracker.silent(), down)
    record_cycle(store, job="test", samples=cycle, tracker=tracker, analysis=analysis, started_at=t,
                 duration_s=1.0, interval_s=60.0)  # fmt: skip
