"""Counters through a real Prometheus across device restarts (issue 13): the lab reboots centre-core1 (sysUpTime
and counters from zero) and takes centre-core2 down briefly (sysUpTime restarts, counters keep their value:
the case that doubled an exported total and showed 92.5 Gbit/s on a 1 Gbit/s port). netops polls every 2 s,
Prometheus (Debian's) scrapes every 1 s; afterwards no sample of ``rate()`` of the exported byte counters is
above the interface's speed, no exported counter ever went back (``resets() == 0``), and the reboots were
seen."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tests.exporters.conftest import HTTP_TIMEOUT_S, Netops, Prometheus, wait_for

COUNTERS = ("netops_interface_receive_bytes_total", "netops_interface_transmit_bytes_total")
CORE_LINK = 'device=~"centre-core[12]",interface="GigabitEthernet0/0/9"'  # 1 Gbit/s between the cores


def rate_now(prometheus: Prometheus, device: str) -> float:
    """The current receive rate of ``device``'s 1 Gbit/s core port, 0 without a sample."""
    got = prometheus.query(
        f'rate(netops_interface_receive_bytes_total{{device="{device}",interface="GigabitEthernet0/0/9"}}[5s])'
    )
    return float(got[0]["value"][1]) if got else 0.0


def test_reboots_never_push_rate_above_line_rate(netops: Netops, prometheus: Prometheus) -> None:
    def counting(device: str) -> Callable[[], bool]:
        return lambda: rate_now(prometheus, device) > 0

    for device in ("centre-core1", "centre-core2"):
        wait_for(f"a rate on {device}'s core port", counting(device))
    started = time.time()

    def fault(kind: str, target: str) -> int:
        res = httpx.post(
            f"{netops.control}/faults", json={"kind": kind, "target": target}, timeout=HTTP_TIMEOUT_S
        )
        assert res.status_code == 201, res.text
        fault_id: int = res.json()["id"]
        return fault_id

    fault("reboot", "centre-core1")
    down = fault("node-down", "centre-core2")
    time.sleep(1.0)  # shorter than the hysteresis: a short node-down
    assert httpx.delete(f"{netops.control}/faults/{down}", timeout=HTTP_TIMEOUT_S).status_code == 200

    def rebooted() -> bool:
        got = prometheus.query('netops_device_reboots_total{device=~"centre-core[12]"} >= 1')
        return len(got) == 2

    wait_for("Prometheus to see both restarts", rebooted)
    # counting again after the restart: a few polls with a rate
    for device in ("centre-core1", "centre-core2"):
        wait_for(f"a rate on {device} after its restart", counting(device))
    time.sleep(6)  # three more polls, six more scrapes

    span = f"{int(time.time() - started) + 30}s"
    for name in COUNTERS:
        above = prometheus.query(
            f"max_over_time(rate({name}[5s])[{span}:1s]) > on(device, interface) group_left "
            "netops_interface_speed_bytes"
        )
        assert above == [], above
        went_back = prometheus.query(f"resets({name}[{span}]) > 0")
        assert went_back == [], went_back
        busy = prometheus.query(f"max_over_time(rate({name}{{{CORE_LINK}}}[5s])[{span}:1s]) > 0")
        assert len(busy) == 2, busy  # the check above saw real traffic on both cores' 1 Gbit/s port
