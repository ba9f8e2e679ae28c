"""What one poll of one device yields: the contract between the SNMP driver and the rest of polling.

The driver (``netops/drivers/snmp``) fills a ``DeviceSample`` from the device's answers; a failed poll is a
sample with ``ok=False`` and an ``error`` reason from ``ERROR_REASONS`` (bounded: it becomes a metric label),
never an exception. Counters are the device's raw values; ``counters.py`` turns them into monotonic totals.
"""

from __future__ import annotations

from dataclasses import dataclass

# why a poll failed; a bounded set, used as a metric label
ERROR_REASONS = ("timeout", "auth", "refused", "protocol", "config", "internal", "snmp-silent")

# failures that say nothing against the device being alive: it answered (a v3 Report such as
# usmStatsWrongDigests/UnknownUserNames, an undecodable or error answer, port unreachable), or netops did not
# send anything (a missing secret) or failed itself. Such a device is ``unmanaged``, never an outage.
# ``snmp-silent``: SNMP timed out but the device sent its SSH banner (``poller.ssh_answers``; a codec or the
# MCU: an HTTP status line, ``poller.http_answers``): SNMPv2c with a wrong community gives plain timeouts, the
# SSH port (the status API) tells a live device from a dead one.
MANAGEMENT_ERRORS = frozenset({"auth", "protocol", "config", "internal", "snmp-silent"})
SNMP_SILENT_DETAIL = "SNMP silent, device answers on SSH"
SNMP_SILENT_HTTP_DETAIL = "SNMP silent, device answers on its status API"  # codecs, the MCU: HTTP, no SSH


def management_failure(error: str | None, detail: str | None = None) -> bool:
    """True when a failed poll is a management-plane problem (credentials, configuration), not silence.
    ``refused`` counts only for a refusal (ICMP port unreachable: the host is there), not for a host or
    network unreachable."""
    if error in MANAGEMENT_ERRORS:
        return True
    return error == "refused" and "refused" in (detail or "").lower()


@dataclass(frozen=True, slots=True)
class InterfaceSample:
    index: int  # ifIndex
    name: str  # ifName (ifDescr when the device has no ifName)
    alias: str  # ifAlias: the description an engineer configured
    admin_up: bool
    oper_up: bool
    speed_bps: int  # ifHighSpeed * 1e6 (ifSpeed when ifHighSpeed is 0)
    in_octets: int  # ifHCInOctets (64-bit), ifInOctets on devices without HC counters
    out_octets: int
    in_errors: int
    out_errors: int
    in_discards: int
    out_discards: int
    hc: bool = True  # the octet counters are 64-bit
    discontinuity: int | None = None  # ifCounterDiscontinuityTime (hundredths), None if the device has none


@dataclass(frozen=True, slots=True)
class NeighborSample:
    protocol: str  # "ospf" | "bgp"
    peer: str  # router id / peer address as the device reports it
    state: str  # "full", "down", "established", "idle", ... as the MIB names it
    up: bool  # ospf full (or 2-way on broadcast), bgp established


@dataclass(frozen=True, slots=True)
class DeviceSample:
    device: str
    polled_at: float  # unix time the poll started
    duration_s: float
    ok: bool
    error: str | None = None  # one of ERROR_REASONS when not ok
    detail: str | None = None  # human text for the error (logs, API), never a metric label
    sys_name: str | None = None
    sys_uptime_s: float | None = None
    cpu_ratio: float | None = None  # 0..1, main board
    memory_ratio: float | None = None
    interfaces: tuple[InterfaceSample, ...] = ()
    neighbors: tuple[NeighborSample, ...] = ()
    ups_on_battery: bool | None = None  # None: no UPS on this device
    ups_minutes_remaining: int | None = None
    # monotonic time the poll started (the poller sets it): orders a device's samples across overlapping
    # cycles, whatever the wall clock did meanwhile (``polled_at`` is what is stored and shown)
    polled_mono: float | None = None

    def down_interfaces(self) -> list[str]:
        """Interfaces admin-up but oper-down: a link or the far end has failed."""
        return [i.name for i in self.interfaces if i.admin_up and not i.oper_up]
