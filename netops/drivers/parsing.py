"""Device output -> records, for the displays the post-checks read: interface states and OSPF neighbours.

Part of ``netops.drivers`` (the platform drivers in ``platforms/`` call it). Where ntc-templates has a TextFSM
template for the platform and command, that template parses (named explicitly: ntc's command index would
match ``display ospf peer brief`` to ``huawei_vrp_dir`` through its ``d[[ir]]`` pattern); netops' own parsers
serve only where ntc has none (VRP ``display ospf peer brief``, Comware ``display ospf peer``).

A line nobody can read is an ``UnreadableOutput`` naming the command and the line, never a silent drop: the
VRP and Comware templates end in ``^. -> Error``; the IOS templates skip unknown lines, so every line of
their output must be a known header or the line of a parsed row (one per row, by its first word).
Legend lines of VRP's ``display interface brief`` (``(ld): loop-detect trigger down``, one per feature the
software has) are set aside before the template runs: they describe, they hold no interface.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from netops.drivers.names import canonical
from netops.errors import UnreadableOutput
from netops.inventory.models import Platform

# netops' platforms -> ntc-templates' (and netmiko's TextFSM) platform names
NTC_PLATFORM = {
    Platform.HUAWEI_VRP8: "huawei_vrp",
    Platform.HUAWEI_VRP5: "huawei_vrp",
    Platform.H3C_COMWARE7: "hp_comware",
    Platform.CISCO_IOS: "cisco_ios",
}


@dataclass(frozen=True, slots=True)
class InterfaceState:
    name: str  # canonical name
    admin_up: bool
    oper_up: bool
    status: str = (
        ""  # as the device printed it: "up/down", "*down/down", "UP/UP(s)", "administratively down/down"
    )


@dataclass(frozen=True, slots=True)
class OspfNeighbour:
    router_id: str
    interface: str  # canonical name of the local interface
    state: str  # as the device printed it: "Full", "FULL/DR", "Full/ -", "2-Way", "INIT/DROTHER"

    @property
    def full(self) -> bool:
        return self.state.upper().startswith("FULL")

    @property
    def key(self) -> str:
        """One adjacency: a router can be a neighbour on several interfaces."""
        return f"{self.router_id} on {self.interface}"


# -- ntc-templates ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Template:
    file: str  # the ntc-templates file
    key: str  # the field whose value starts a row's line (the unread-line check)
    known: tuple[str, ...] = ()  # header lines of a template without an Error rule (IOS)
    strict: bool = True  # the template ends in ``^. -> Error``


_IOS_STAMP = (r"Load\s+for\s+", r"Time\s+source\s+is\s+")
TEMPLATES: dict[tuple[str, str], Template] = {
    ("huawei_vrp", "display interface brief"): Template("huawei_vrp_display_interface_brief", "INTERFACE"),
    ("hp_comware", "display interface brief"): Template("hp_comware_display_interface_brief", "INTERFACE"),
    ("cisco_ios", "show ip interface brief"): Template(
        "cisco_ios_show_ip_interface_brief",
        "INTERFACE",
        (
            r"Interface\s+IP-Address\s+OK\?\s+Method\s+Status\s+Protocol\s*$",
            r'Any interface listed with OK\? value "NO" does not have a valid configuration\s*$',
            *_IOS_STAMP,
        ),
        strict=False,
    ),
    ("cisco_ios", "show ip ospf neighbor"): Template(
        "cisco_ios_show_ip_ospf_neighbor",
        "NEIGHBOR_ID",
        (r"Neighbor\s+ID\s+Pri\s+State\s+Dead\s+Time\s+Address\s+Interface\s*$", *_IOS_STAMP),
        strict=False,
    ),
}
# VRP legend lines: ``PHY: Physical``, ``*down: administratively down``, ``(dl): DLDP down``, ``InUti/OutUti: ...``
_VRP_LEGEND = re.compile(r"^\s*(PHY|[*^#!]down|\([A-Za-z]{1,3}\)|InUti/OutUti):\s+\S.*$")


@cache
def _template_text(name: str) -> str:
    import ntc_templates  # type: ignore[import-untyped]

    return (Path(ntc_templates.__file__).parent / "templates" / f"{name}.textfsm").read_text()


def ntc_rows(platform: Platform, command: str, text: str, device: str = "?") -> list[dict[str, str]]:
    """Parse ``text`` with ntc-templates' template for ``command`` on ``platform``: one dict per row, keys in
    the template's (upper-case) field names. Raises ``UnreadableOutput`` naming the line nobody read."""
    import io

    import textfsm  # type: ignore[import-untyped]

    ntc = NTC_PLATFORM.get(platform)
    spec = TEMPLATES.get((ntc or "", command))
    if ntc is None or spec is None:
        raise UnreadableOutput(device, f"{command!r}: no ntc-templates template for {platform.value}")
    lines = text.replace("\r", "").split("\n")
    if ntc == "huawei_vrp":
        lines = [ln for ln in lines if not _VRP_LEGEND.match(ln)]
    body = "\n".join(lines)
    fsm = textfsm.TextFSM(io.StringIO(_template_text(spec.file)))
    try:
        table = fsm.ParseText(body)
    except textfsm.TextFSMError as exc:
        line = str(exc).partition("Input Line: ")[2] or str(exc)
        raise UnreadableOutput(device, f"{command!r}: cannot read line {line!r}") from exc
    rows = [dict(zip(fsm.header, row, strict=True)) for row in table]
    if not spec.strict:
        _every_line_read(command, lines, [r[spec.key] for r in rows], spec.known, device)
    return rows


def _every_line_read(
    command: str, lines: Sequence[str], keys: Sequence[str], known: Sequence[str], device: str
) -> None:
    """Each non-blank line is a known header or the line of one parsed row (its first word = the row's key)."""
    patterns = [re.compile(r"^\s*" + k) for k in known]
    left = Counter(keys)
    for line in lines:
        if not line.strip() or any(p.match(line) for p in patterns):
            continue
        first = line.split()[0]
        if left[first] > 0:
            left[first] -= 1
            continue
        raise UnreadableOutput(device, f"{command!r}: cannot read line {line.strip()!r}")


# -- interface tables ------------------------------------------------------------------------------------
def interfaces(platform: Platform, command: str, text: str, device: str = "?") -> list[InterfaceState]:
    """Every row of the platform's interface table (``display interface brief``, ``show ip interface brief``)."""
    rows = ntc_rows(platform, command, text, device)
    out = []
    for r in rows:
        name = canonical(platform, r["INTERFACE"])
        if platform is Platform.CISCO_IOS:
            status, proto = r["STATUS"], r["PROTO"]
            admin = status not in ("administratively down", "deleted")
            out.append(InterfaceState(name, admin, status == "up" and proto == "up", f"{status}/{proto}"))
        elif platform is Platform.H3C_COMWARE7:
            link, proto = r["LINK"], r["PROTOCOL"]  # bridge-mode ports and ``--`` have no protocol
            oper = link == "UP" and (proto == "" or proto.startswith("UP"))
            out.append(InterfaceState(name, link != "ADM", oper, f"{link}/{proto or '--'}"))
        else:  # VRP: ``*down`` admin down, ``^down`` standby, ``up(l)`` loop detected, ``up(s)`` spoofing
            phy, proto = r["PHY"], r["PROTOCOL"]
            oper = phy in ("up", "up(s)") and proto in ("up", "up(s)")
            out.append(InterfaceState(name, phy != "*down", oper, f"{phy}/{proto}"))
    return out


# -- OSPF neighbours ----------------------------------------------------------------------------------------
_IP = r"\d{1,3}(?:\.\d{1,3}){3}"
_VRP_PEER = re.compile(rf"^\s*({_IP})\s+(\S+)\s+({_IP})(?:\(M\))?\s+(\S+)\s*$")
_VRP_SKIP = re.compile(
    r"^\s*(\(M\) Indicates MADJ (neighbor|interface)|Peer Statistic Information|-{10,}|Peer\(s\) in full state:\s*\d+"
    r"|Area Id\s+Interface\s+Neighbor id\s+State)\s*$"
)
_PROCESS = re.compile(rf"^\s*OSPF Process \d+ with Router ID {_IP}\s*$")
_VRP_TOTAL = re.compile(r"^\s*Total number of peer\(s\):\s*(\d+)\s*$")


def vrp_ospf_brief(platform: Platform, text: str, device: str = "?") -> list[OspfNeighbour]:
    """VRP ``display ospf peer brief`` (VRP5 and VRP8 layouts): one row per adjacency, per OSPF process;
    a process whose ``Total number of peer(s)`` differs from the rows read is an error."""
    command = "display ospf peer brief"
    out: list[OspfNeighbour] = []
    totals: list[tuple[int, int]] = []  # (said, rows before this process)
    for line in text.replace("\r", "").split("\n"):
        if not line.strip() or _VRP_SKIP.match(line):
            continue
        if _PROCESS.match(line):
            totals.append((-1, len(out)))
            continue
        if (m := _VRP_TOTAL.match(line)) is not None and totals:
            totals[-1] = (int(m.group(1)), totals[-1][1])
            continue
        if (m := _VRP_PEER.match(line)) is not None and totals:
            out.append(OspfNeighbour(m.group(3), canonical(platform, m.group(2)), m.group(4)))
            continue
        raise UnreadableOutput(device, f"{command!r}: cannot read line {line.strip()!r}")
    ends = [start for _, start in totals[1:]] + [len(out)]
    for (said, start), end in zip(totals, ends, strict=True):
        if said >= 0 and said != end - start:
            raise UnreadableOutput(device, f"{command!r}: says {said} peer(s), {end - start} row(s) read")
    return out


_CMW_HEADER = re.compile(
    r"^\s*Router ID\s+Address\s+Pri\s+Dead-Time\s+(State\s+Interface|Interface\s+State)\s*$"
)
_CMW_ROW = re.compile(rf"^\s*({_IP})\s+({_IP})\s+(\d+)\s+(\d+)\s+(.+?)\s*$")
_CMW_STATE_ITF = re.compile(r"^(\S+?/\s*\S+|\S+)\s+(\S+)$")  # ``Full/ -  GE0/1``: the state may hold a space
_CMW_ITF_STATE = re.compile(r"^(\S+)\s+(\S+?/\s*\S+|\S+)$")
_CMW_SKIP = re.compile(r"^\s*(Neighbor Brief Information|Area:\s*\S+)\s*$")


def comware_ospf_peer(platform: Platform, text: str, device: str = "?") -> list[OspfNeighbour]:
    """Comware ``display ospf peer``: per process and area a table ``Router ID  Address  Pri  Dead-Time  State
    Interface`` (Comware 7; older releases put Interface before State: the header says which)."""
    command = "display ospf peer"
    out: list[OspfNeighbour] = []
    order: re.Pattern[str] | None = None
    for line in text.replace("\r", "").split("\n"):
        if not line.strip() or _CMW_SKIP.match(line) or _PROCESS.match(line):
            continue
        if (h := _CMW_HEADER.match(line)) is not None:
            order = _CMW_STATE_ITF if h.group(1).startswith("State") else _CMW_ITF_STATE
            continue
        m = _CMW_ROW.match(line)
        rest = order.match(m.group(5)) if m is not None and order is not None else None
        if m is None or rest is None:
            raise UnreadableOutput(device, f"{command!r}: cannot read line {line.strip()!r}")
        state, itf = (
            (rest.group(1), rest.group(2)) if order is _CMW_STATE_ITF else (rest.group(2), rest.group(1))
        )
        out.append(OspfNeighbour(m.group(1), canonical(platform, itf), state))
    return out


def ospf_neighbours(platform: Platform, command: str, text: str, device: str = "?") -> list[OspfNeighbour]:
    """Every OSPF adjacency the device lists, whatever its state."""
    if platform is Platform.CISCO_IOS:
        rows = ntc_rows(platform, command, text, device)
        return [
            OspfNeighbour(r["NEIGHBOR_ID"], canonical(platform, r["INTERFACE"]), r["STATE"]) for r in rows
        ]
    if platform is Platform.H3C_COMWARE7:
        return comware_ospf_peer(platform, text, device)
    return vrp_ospf_brief(platform, text, device)
