"""The routers' own service probes, as their SNMP agents show them: Huawei NQA-MIB, DISMAN-PING-MIB (RFC 4560,
H3C Comware NQA) and CISCO-RTTMON-MIB (IP SLA).

The probes are those the router's *running configuration* defines (``nqa test-instance OWNER NAME`` on VRP,
``nqa entry OWNER NAME`` on Comware, ``ip sla N`` with ``tag NAME`` on IOS: what netops pushes from
``inventory/templates/*/nqa.j2``/``ipsla.j2``); a router without them shows empty tables. Each result follows
the lab: the probe succeeds when the router has a path to the centre and the service answers there (no
``service-down`` fault, destination one of the service's endpoints); the round-trip time grows with the
router's hops to the centre. Only the latest result is served (resultsIndex/hopIndex 1 on NQA-MIB).

- Huawei NQA-MIB (1.3.6.1.4.1.2011.5.25.111), index owner.test (length-prefixed strings) then .1.1:
  nqaAdminCtrlTag .2.1.1.3; nqaResultsCompletions .4.1.1.3 (success(1), failure(2)); nqaResultsRttAvg
  .4.1.1.26 (ms).
- DISMAN-PING-MIB (RFC 4560, 1.3.6.1.2.1.80), index owner.test: pingResultsOperStatus .1.3.1.1,
  pingResultsAverageRtt .6, pingResultsProbeResponses .7, pingResultsSentProbes .8.
- CISCO-RTTMON-MIB (1.3.6.1.4.1.9.9.42), index rttMonCtrlAdminIndex: rttMonCtrlAdminTag .1.2.1.1.3,
  rttMonLatestRttOperCompletionTime .1.2.10.1.1 (ms), rttMonLatestRttOperSense .1.2.10.1.2 (ok(1), timeout(4)).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from ipaddress import AddressValueError, IPv4Address
from typing import Any, Protocol
from urllib.parse import urlsplit

from netops.inventory.models import Platform
from netops.lab.services import probe_result
from netops.lab.state import DeviceState, LabWorld
from netops.snmp.ber import GAUGE32, Oid, encode_integer, encode_octets, encode_unsigned

NQA_ADMIN_TAG: Oid = (1, 3, 6, 1, 4, 1, 2011, 5, 25, 111, 2, 1, 1, 3)
NQA_RESULTS_ENTRY: Oid = (1, 3, 6, 1, 4, 1, 2011, 5, 25, 111, 4, 1, 1)  # .3 completions, .26 rtt avg
PING_RESULTS_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 80, 1, 3, 1)
RTT_ADMIN_TAG: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 42, 1, 2, 1, 1, 3)
RTT_LATEST_ENTRY: Oid = (1, 3, 6, 1, 4, 1, 9, 9, 42, 1, 2, 10, 1)


class Entries(Protocol):
    def cell(self, entry: Oid, column: int, index: Oid, value: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class ProbeConfig:
    """One probe as the running configuration defines it."""

    owner: str
    name: str  # the test name (VRP/Comware) or tag (IOS): netops uses the service id
    kind: str  # http | tcp | dns
    host: IPv4Address | None
    port: int | None
    number: int = 0  # IOS: the operation number


def octet_index(text: str) -> Oid:
    raw = text.encode()
    return (len(raw), *raw)


def _addr(text: str) -> IPv4Address | None:
    try:
        return IPv4Address(text)
    except AddressValueError:
        return None


def _lines(node: Any) -> Iterator[str]:
    for child in node.children:
        yield child.line.strip()
        yield from _lines(child)


def configured_probes(state: DeviceState) -> list[ProbeConfig]:
    """The probes of the device's running configuration (none without a simulated CLI)."""
    running = getattr(state.cli, "running", None)
    if running is None:
        return []
    out: list[ProbeConfig] = []
    for node in running.children:
        words = node.line.split()
        lines = list(_lines(node))
        if words[:2] in (["nqa", "test-instance"], ["nqa", "entry"]) and len(words) == 4:
            out.append(_nqa(words[2], words[3], lines))
        elif words[:2] == ["ip", "sla"] and len(words) == 3 and words[2].isdigit():
            out.append(_ipsla(int(words[2]), lines))
    return out


def _nqa(owner: str, name: str, lines: list[str]) -> ProbeConfig:
    kind, host, port = "tcp", None, None
    for line in lines:
        w = line.split()
        if w[0] in ("test-type", "type") and len(w) > 1:
            kind = w[1]
        elif w[:2] in (["destination-address", "ipv4"], ["dns-server", "ipv4"], ["destination", "ip"]):
            host = _addr(w[2]) if len(w) > 2 else None
        elif w[0] == "destination-port" or w[:2] == ["destination", "port"]:
            port = int(w[-1]) if w[-1].isdigit() else None
        elif w[0] == "url" and len(w) > 1:
            parts = urlsplit(w[1])
            host, port = _addr(parts.hostname or ""), parts.port
    return ProbeConfig(owner, name, kind, host, port)


def _ipsla(number: int, lines: list[str]) -> ProbeConfig:
    kind, host, port, tag = "tcp", None, None, str(number)
    for line in lines:
        w = line.split()
        if w[:2] == ["http", "get"] and len(w) > 2:
            parts = urlsplit(w[2])
            kind, host, port = "http", _addr(parts.hostname or ""), parts.port
        elif w[0] == "tcp-connect" and len(w) > 2:
            kind, host, port = "tcp", _addr(w[1]), int(w[2]) if w[2].isdigit() else None
        elif w[0] == "dns" and "name-server" in w:
            kind, host = "dns", _addr(w[w.index("name-server") + 1])
        elif w[0] == "tag" and len(w) > 1:
            tag = w[1]
    return ProbeConfig("", tag, kind, host, port, number)


def add_probes(out: Entries, world: LabWorld, state: DeviceState) -> None:
    """Add the device's probe tables to its MIB view (called from ``device_view.build_view``)."""
    probes = configured_probes(state)
    if not probes:
        return
    platform = state.device.platform
    for probe in probes:
        result: Callable[[float], tuple[bool, int]] = _result_fn(world, state, probe)
        if platform in (Platform.HUAWEI_VRP8, Platform.HUAWEI_VRP5):
            idx = (*octet_index(probe.owner), *octet_index(probe.name))
            out.cell(NQA_ADMIN_TAG[:-1], NQA_ADMIN_TAG[-1], idx, encode_octets(probe.name.encode()))
            out.cell(
                NQA_RESULTS_ENTRY,
                3,
                (*idx, 1, 1),
                lambda now, r=result: encode_integer(1 if r(now)[0] else 2),
            )
            out.cell(NQA_RESULTS_ENTRY, 26, (*idx, 1, 1), lambda now, r=result: encode_integer(r(now)[1]))
        elif platform is Platform.H3C_COMWARE7:
            idx = (*octet_index(probe.owner), *octet_index(probe.name))
            out.cell(PING_RESULTS_ENTRY, 1, idx, encode_integer(1))  # enabled(1)
            out.cell(PING_RESULTS_ENTRY, 6, idx, lambda now, r=result: encode_unsigned(r(now)[1], GAUGE32))
            out.cell(
                PING_RESULTS_ENTRY,
                7,
                idx,
                lambda now, r=result: encode_unsigned(1 if r(now)[0] else 0, GAUGE32),
            )
            out.cell(PING_RESULTS_ENTRY, 8, idx, encode_unsigned(1, GAUGE32))
        elif platform is Platform.CISCO_IOS:
            idx = (probe.number,)
            out.cell(RTT_ADMIN_TAG[:-1], RTT_ADMIN_TAG[-1], idx, encode_octets(probe.name.encode()))
            out.cell(RTT_LATEST_ENTRY, 1, idx, lambda now, r=result: encode_unsigned(r(now)[1], GAUGE32))
            out.cell(RTT_LATEST_ENTRY, 2, idx, lambda now, r=result: encode_integer(1 if r(now)[0] else 4))


def _result_fn(
    world: LabWorld, state: DeviceState, probe: ProbeConfig
) -> Callable[[float], tuple[bool, int]]:
    def result(_now: float) -> tuple[bool, int]:
        return probe_result(world, state, probe.name, probe.host, probe.port)

    return result
