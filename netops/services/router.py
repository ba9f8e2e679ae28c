"""Checks from where the users are: each site's CE router runs the probes netops configured on it (Huawei NQA,
H3C NQA, Cisco IP SLA; templates ``inventory/templates/*/nqa.j2``/``ipsla.j2``) and netops reads their latest
results over SNMP: NQA-MIB ``nqaResultsTable`` (VRP), DISMAN-PING-MIB ``pingResultsTable`` (Comware) and
CISCO-RTTMON-MIB ``rttMonLatestRttOperTable`` (IOS). A router that does not answer fails every service of its
site (``unreachable: ...``); a service without a probe on the router is reported as missing, not stored.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from netops.drivers.snmp import pysnmp_session
from netops.drivers.snmp.fast import FastSession
from netops.drivers.snmp.oids import Oid
from netops.drivers.snmp.session import SnmpSession, Table, Value
from netops.drivers.snmp.source import SnmpSource
from netops.errors import NetopsError
from netops.inventory.models import Device, Inventory, Lifecycle, Platform, Role, Service
from netops.services.records import CheckResult, CheckSource, CheckState

NQA_RESULTS_ENTRY: Oid = (1, 3, 6, 1, 4, 1, 2011, 5, 25, 111, 4, 1, 1)  # .3 completions, .26 rtt avg (ms)
PING_RESULTS_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 80, 1, 3, 1)  # .6 avg rtt, .7 responses, .8 sent
RTT_ADMIN_TAG: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 42, 1, 2, 1, 1, 3)
RTT_LATEST_ENTRY: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 42, 1, 2, 10, 1)  # .1 completion time (ms), .2 sense
OWNER = "netops"
SENSE = {1: "ok", 2: "disconnected", 3: "overThreshold", 4: "timeout", 5: "busy", 6: "notConnected"}


@dataclass(frozen=True, slots=True)
class ProbeReading:
    ok: bool
    rtt_ms: float | None
    detail: str | None = None


@dataclass(slots=True)
class RouterOutcome:
    results: list[CheckResult] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (site, service) without a probe


def site_router(inventory: Inventory, site: str) -> Device | None:
    """The site's first active CE router (the one whose probes speak for the site)."""
    for dev in inventory.devices_at(site):
        if dev.role is Role.CE and dev.status is Lifecycle.ACTIVE and dev.snmp_profile is not None:
            return dev
    return None


def _strings(index: Oid) -> tuple[str, str, Oid]:
    """owner, test name and the rest of an index made of two length-prefixed strings."""
    n = index[0]
    owner = bytes(index[1 : 1 + n]).decode("utf-8", "replace")
    rest = index[1 + n :]
    m = rest[0]
    return owner, bytes(rest[1 : 1 + m]).decode("utf-8", "replace"), rest[1 + m :]


def _int(value: Value) -> int | None:
    return value if isinstance(value, int) else None


def parse_nqa(table: Table) -> dict[str, ProbeReading]:
    """NQA-MIB: the newest result (highest nqaResultsIndex) of each netops test."""
    completions = table.get((*NQA_RESULTS_ENTRY, 3), {})
    rtts = table.get((*NQA_RESULTS_ENTRY, 26), {})
    newest: dict[str, tuple[int, ProbeReading]] = {}
    for index, value in completions.items():
        owner, name, rest = _strings(index)
        if owner != OWNER or not rest:
            continue
        code = _int(value)
        rtt = _int(rtts.get(index))
        reading = ProbeReading(
            code == 1, float(rtt) if code == 1 and rtt is not None else None, f"completion {code}"
        )
        if name not in newest or rest[0] >= newest[name][0]:
            newest[name] = (rest[0], reading)
    return {name: reading for name, (_, reading) in newest.items()}


def parse_ping(table: Table) -> dict[str, ProbeReading]:
    """DISMAN-PING-MIB: a test succeeded when every probe sent got its response."""
    out: dict[str, ProbeReading] = {}
    rtts = table.get((*PING_RESULTS_ENTRY, 6), {})
    responses = table.get((*PING_RESULTS_ENTRY, 7), {})
    sent = table.get((*PING_RESULTS_ENTRY, 8), {})
    for index, value in sent.items():
        owner, name, _ = _strings(index)
        if owner != OWNER:
            continue
        n_sent, n_ok = _int(value) or 0, _int(responses.get(index)) or 0
        ok = n_sent > 0 and n_ok == n_sent
        rtt = _int(rtts.get(index))
        out[name] = ProbeReading(
            ok, float(rtt) if ok and rtt is not None else None, f"{n_ok}/{n_sent} responses"
        )
    return out


def parse_rttmon(table: Table) -> dict[str, ProbeReading]:
    """CISCO-RTTMON-MIB: operations are found by their tag (the service id)."""
    out: dict[str, ProbeReading] = {}
    tags = table.get(RTT_ADMIN_TAG, {})
    times = table.get((*RTT_LATEST_ENTRY, 1), {})
    senses = table.get((*RTT_LATEST_ENTRY, 2), {})
    for index, tag in tags.items():
        if not isinstance(tag, bytes):
            continue
        sense = _int(senses.get(index))
        ok = sense == 1
        rtt = _int(times.get(index))
        out[tag.decode("utf-8", "replace")] = ProbeReading(
            ok, float(rtt) if ok and rtt is not None else None, f"sense {SENSE.get(sense or 0, sense)}"
        )
    return out


COLUMNS: dict[Platform, tuple[Oid, ...]] = {
    Platform.HUAWEI_VRP8: ((*NQA_RESULTS_ENTRY, 3), (*NQA_RESULTS_ENTRY, 26)),
    Platform.HUAWEI_VRP5: ((*NQA_RESULTS_ENTRY, 3), (*NQA_RESULTS_ENTRY, 26)),
    Platform.H3C_COMWARE7: tuple((*PING_RESULTS_ENTRY, c) for c in (6, 7, 8)),
    Platform.CISCO_IOS: (RTT_ADMIN_TAG, (*RTT_LATEST_ENTRY, 1), (*RTT_LATEST_ENTRY, 2)),
}
PARSERS = {
    Platform.HUAWEI_VRP8: parse_nqa,
    Platform.HUAWEI_VRP5: parse_nqa,
    Platform.H3C_COMWARE7: parse_ping,
    Platform.CISCO_IOS: parse_rttmon,
}


async def _session(source: SnmpSource, device: Device, inventory: Inventory) -> SnmpSession:
    assert device.snmp_profile is not None
    profile = inventory.snmp_profiles[device.snmp_profile]
    if source.uses_fast(profile):
        return FastSession(
            source.client,
            device.id,
            str(device.address),
            device.snmp_port,
            source._fast_for(profile),
            profile.timeout_s,
            profile.retries,
        )
    return await pysnmp_session.PysnmpSession.open(
        device.id,
        str(device.address),
        device.snmp_port,
        source._auth_for(profile),
        profile.timeout_s,
        profile.retries,
    )


async def read_site(
    source: SnmpSource, inventory: Inventory, site: str, services: Iterable[Service]
) -> RouterOutcome:
    """The latest probe results of ``site``'s router for ``services``."""
    wanted = list(services)
    outcome = RouterOutcome()
    router = site_router(inventory, site)
    now = time.time()

    def failed(service: Service, reason: str) -> CheckResult:
        return CheckResult(
            site,
            service.id,
            service.endpoints[0].text,
            now,
            CheckState.FAIL,
            CheckSource.ROUTER,
            reason=reason,
        )

    if router is None or router.platform not in COLUMNS:
        outcome.missing.extend((site, s.id) for s in wanted)
        return outcome
    session: SnmpSession | None = None
    try:
        session = await _session(source, router, inventory)
        table = await session.walk_columns(COLUMNS[router.platform], max_repetitions=32)
    except (NetopsError, OSError) as exc:
        reason = f"unreachable: {router.id} does not answer SNMP ({exc.__class__.__name__})"
        outcome.results.extend(failed(s, reason) for s in wanted)
        return outcome
    finally:
        if session is not None:
            session.close()
    readings = PARSERS[router.platform](table)
    for service in wanted:
        reading = readings.get(service.id)
        if reading is None:
            outcome.missing.append((site, service.id))
            continue
        outcome.results.append(
            CheckResult(
                site,
                service.id,
                service.endpoints[0].text,
                now,
                CheckState.OK if reading.ok else CheckState.FAIL,
                CheckSource.ROUTER,
                latency_ms=reading.rtt_ms,
                reason=None if reading.ok else f"probe-failed: {router.id} {reading.detail}",
            )
        )
    return outcome
