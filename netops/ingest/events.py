"""What a trap or a syslog message says about a device, once decoded: the vocabulary shared by ``traps.py``,
``syslog.py`` (which produce it), ``receiver.py`` (which counts it) and ``trigger.py`` (which acts on it)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Channel(StrEnum):
    """Where a datagram came in: the ``kind`` label of the ingest metrics."""

    TRAP = "trap"
    SYSLOG = "syslog"


class EventKind(StrEnum):
    LINK_DOWN = "link-down"
    LINK_UP = "link-up"
    NEIGHBOR_DOWN = "neighbor-down"
    NEIGHBOR_UP = "neighbor-up"
    COLD_START = "cold-start"
    WARM_START = "warm-start"
    AUTH_FAILURE = "auth-failure"  # the device saw a bad community / user (authenticationFailure)
    OTHER = "other"  # understood as a message, not about state netops tracks: counted, no poll


# events that mean the device's state may have changed: they trigger a targeted poll
STATE_EVENTS = frozenset(
    {
        EventKind.LINK_DOWN,
        EventKind.LINK_UP,
        EventKind.NEIGHBOR_DOWN,
        EventKind.NEIGHBOR_UP,
        EventKind.COLD_START,
        EventKind.WARM_START,
    }
)


@dataclass(frozen=True, slots=True)
class Notice:
    """One decoded message, before it is matched to a device: what happened and where (as the device says)."""

    kind: EventKind
    interface: str = ""  # ifName / ifDescr / the interface named in the message
    if_index: int = 0
    neighbor: str = ""  # OSPF neighbour address or router id
    detail: str = ""  # the vendor mnemonic or trap name (bounded: never used as a metric label)


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """A ``Notice`` from a known device."""

    device: str
    channel: Channel
    notice: Notice
    received_at: float
