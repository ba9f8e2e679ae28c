"""Syslog messages (RFC 3164 and RFC 5424 framing) -> ``Notice``: interface and OSPF neighbour state changes
in the formats Huawei VRP, H3C Comware and Cisco IOS send to a log host.

Understood (examples from real devices in tests/ingest/corpus/syslog.txt, sources noted there):

- Huawei VRP, interfaces: ``%%01IFNET/4/LINK_STATE(l)[n]:The line protocol IP on the interface X has
  entered the DOWN state.`` and ``IFNET/4/IF_STATE ... Interface X has turned into DOWN state.``
- Huawei VRP, OSPF: ``%%01OSPF/4/NBR_CHANGE_E(l)[n]:... NeighborAddress=A, ... NeighborCurrentState=Down)``
  and ``OSPF/3/NBR_DOWN_REASON``
- H3C Comware, interfaces: ``IFNET/3/PHY_UPDOWN: Physical state on the interface X changed to down.`` and
  ``IFNET/5/LINK_UPDOWN: Line protocol state on the interface X changed to down.``
- H3C Comware, OSPF: ``OSPF/5/OSPF_NBR_CHG: OSPF 1 Neighbor A(X) changed from FULL to DOWN.``
- Cisco IOS, interfaces: ``%LINK-3-UPDOWN: Interface X, changed state to down`` and
  ``%LINEPROTO-5-UPDOWN: Line protocol on Interface X, changed state to down``
- Cisco IOS, OSPF: ``%OSPF-5-ADJCHG: Process 1, Nbr A on X from FULL to DOWN, ...``

A datagram without a valid ``<PRI>`` is a ``SyslogError`` (counted as a parse error); a well-formed message
about anything else is a ``Notice`` of kind ``OTHER`` (counted, no poll).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netops.ingest.events import EventKind, Notice

MAX_MESSAGE = 8192  # RFC 5424 6.1: receivers should accept 2048 octets; longer is cut, not refused


class SyslogError(ValueError):
    """Not a syslog message (no ``<PRI>``, an impossible priority, not text)."""


@dataclass(frozen=True, slots=True)
class SyslogMessage:
    facility: int
    severity: int
    hostname: str
    text: str  # the part after the header: where the vendor's mnemonic and message are


_PRI = re.compile(r"<(\d{1,3})>")
_RFC5424 = re.compile(r"1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[.*?\])+) ?(.*)", re.S)
# a vendor header anywhere in the text: Huawei / H3C (``%%01IFNET/4/LINK_STATE(l)[12]:``, ``OSPF/5/X:``), IOS
_HUAWEI_H3C = re.compile(
    r"(?:%%\d{2})?(?P<module>[A-Z][A-Z0-9_]*)/(?P<sev>\d)/(?P<mnem>[A-Za-z][A-Za-z0-9_]*)"
    r"(?:\([a-z]+\))?(?:\[\d+\])?:\s*(?:-[A-Za-z]+=[^;]*;\s*)*(?P<text>.*)",
    re.S,
)
_IOS = re.compile(r"%(?P<module>[A-Z][A-Z0-9_]*)-(?P<sev>\d)-(?P<mnem>[A-Z0-9_]+):\s*(?P<text>.*)", re.S)

_IF_RULES: tuple[re.Pattern[str], ...] = (
    re.compile(r"on the interface (?P<if>\S+?) has entered the (?P<state>up|down) state", re.I),
    re.compile(r"Interface (?P<if>\S+?) has turned into (?P<state>up|down) state", re.I),
    re.compile(r"state on the interface (?P<if>\S+?) changed to (?P<state>up|down)", re.I),
    re.compile(r"^(?P<if>\S+) link status is (?P<state>up|down)", re.I),
    re.compile(r"on the interface (?P<if>\S+?) is (?P<state>up|down)", re.I),
    re.compile(r"Interface (?P<if>[^,\s]+), changed state to (?:administratively )?(?P<state>up|down)", re.I),
)
_NBR_RULES: tuple[re.Pattern[str], ...] = (
    # VRP NBR_CHANGE_E
    re.compile(r"NeighborAddress=(?P<nbr>[\d.]+).*?NeighborCurrentState=(?P<state>[\w-]+)", re.I | re.S),
    # VRP NBR_DOWN_REASON: always a loss of the adjacency
    re.compile(
        r"NeighborRouterId=(?P<nbr>[\d.]+).*?NeighborInterface=(?P<if>[^,)]+)(?P<state>)", re.I | re.S
    ),
    # Comware OSPF_NBR_CHG
    re.compile(r"Neighbor (?P<nbr>[\d.]+)\((?P<if>[^)]+)\) changed from \S+ to (?P<state>[\w-]+)", re.I),
    # IOS ADJCHG
    re.compile(r"Nbr (?P<nbr>[\d.]+) on (?P<if>\S+) from \S+ to (?P<state>[\w-]+)", re.I),
)
_NEIGHBOR_MNEMONICS = frozenset(
    {"NBR_CHANGE_E", "NBR_CHANGE", "NBR_DOWN_REASON", "NBR_CHG_DOWN", "OSPF_NBR_CHG", "ADJCHG"}
)
_LINK_MODULES = frozenset({"IFNET", "LINK", "LINEPROTO", "IFPDT"})


def parse_frame(data: bytes) -> SyslogMessage:
    """The syslog header of one datagram (or one TCP frame). Raises ``SyslogError``."""
    try:
        raw = data[:MAX_MESSAGE].decode("utf-8")
    except UnicodeDecodeError:
        raw = data[:MAX_MESSAGE].decode("latin-1")  # RFC 3164 messages need not be UTF-8
    raw = raw.lstrip("\ufeff").rstrip("\r\n\x00")
    m = _PRI.match(raw)
    if m is None:
        raise SyslogError("no <PRI> at the start")
    pri = int(m.group(1))
    if pri > 191:
        raise SyslogError(f"priority {pri} out of range")
    rest = raw[m.end() :]
    hostname = ""
    m5 = _RFC5424.match(rest)
    if m5 is not None:
        hostname = m5.group(2)
        text = m5.group(7).lstrip("\ufeff")
    else:
        text = rest
    if not text.strip():
        raise SyslogError("empty message")
    return SyslogMessage(pri >> 3, pri & 7, hostname, text)


def classify(text: str) -> Notice:
    """What a message's text says about interface or OSPF neighbour state (``OTHER`` for anything else)."""
    head = _IOS.search(text) or _HUAWEI_H3C.search(text)
    if head is None:
        return Notice(EventKind.OTHER)
    module, mnemonic, body = head.group("module"), head.group("mnem"), head.group("text")
    tag = f"{module}/{mnemonic}"
    if module == "OSPF" or mnemonic in _NEIGHBOR_MNEMONICS:
        return _neighbor(body, tag)
    if module in _LINK_MODULES:
        for rule in _IF_RULES:
            m = rule.search(body)
            if m is not None:
                up = m.group("state").lower() == "up"
                kind = EventKind.LINK_UP if up else EventKind.LINK_DOWN
                return Notice(kind, interface=m.group("if").rstrip(".,"), detail=tag)
    if module == "SYS" and mnemonic in ("RESTART", "COLDSTART"):
        return Notice(EventKind.COLD_START, detail=tag)
    return Notice(EventKind.OTHER, detail=tag)


def _neighbor(body: str, tag: str) -> Notice:
    for rule in _NBR_RULES:
        m = rule.search(body)
        if m is None:
            continue
        state = m.group("state").lower()
        names = m.groupdict()
        interface = (names.get("if") or "").strip().rstrip(".,")
        if state == "full":
            kind = EventKind.NEIGHBOR_UP
        elif state in ("", "down") or tag.endswith(("NBR_DOWN_REASON", "NBR_CHG_DOWN")):
            kind = EventKind.NEIGHBOR_DOWN
        else:
            kind = EventKind.OTHER  # an adjacency on its way up (Init, ExStart, Loading ...)
        return Notice(kind, interface=interface, neighbor=m.group("nbr"), detail=tag)
    return Notice(EventKind.OTHER, detail=tag)


def parse(data: bytes) -> tuple[SyslogMessage, Notice]:
    message = parse_frame(data)
    return message, classify(message.text)
