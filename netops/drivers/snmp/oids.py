"""The OIDs the health poller reads, per MIB and per vendor (see DESIGN.md's domain facts)."""

from __future__ import annotations

from netops.inventory.models import Platform

Oid = tuple[int, ...]


def oid(text: str) -> Oid:
    return tuple(int(p) for p in text.strip(".").split("."))


SYS_NAME = oid("1.3.6.1.2.1.1.5.0")
SYS_UPTIME = oid("1.3.6.1.2.1.1.3.0")
IF_NUMBER = oid("1.3.6.1.2.1.2.1.0")  # rows of ifTable: sizes the GETBULKs of ifTable and ifXTable

IF_DESCR = oid("1.3.6.1.2.1.2.2.1.2")
IF_SPEED = oid("1.3.6.1.2.1.2.2.1.5")
IF_ADMIN = oid("1.3.6.1.2.1.2.2.1.7")
IF_OPER = oid("1.3.6.1.2.1.2.2.1.8")
IF_IN_OCTETS = oid("1.3.6.1.2.1.2.2.1.10")
IF_IN_DISCARDS = oid("1.3.6.1.2.1.2.2.1.13")
IF_IN_ERRORS = oid("1.3.6.1.2.1.2.2.1.14")
IF_OUT_OCTETS = oid("1.3.6.1.2.1.2.2.1.16")
IF_OUT_DISCARDS = oid("1.3.6.1.2.1.2.2.1.19")
IF_OUT_ERRORS = oid("1.3.6.1.2.1.2.2.1.20")
IF_TABLE = (
    IF_DESCR,
    IF_SPEED,
    IF_ADMIN,
    IF_OPER,
    IF_IN_OCTETS,
    IF_IN_DISCARDS,
    IF_IN_ERRORS,
    IF_OUT_OCTETS,
    IF_OUT_DISCARDS,
    IF_OUT_ERRORS,
)

IF_NAME = oid("1.3.6.1.2.1.31.1.1.1.1")
IF_HC_IN_OCTETS = oid("1.3.6.1.2.1.31.1.1.1.6")
IF_HC_OUT_OCTETS = oid("1.3.6.1.2.1.31.1.1.1.10")
IF_HIGH_SPEED = oid("1.3.6.1.2.1.31.1.1.1.15")
IF_ALIAS = oid("1.3.6.1.2.1.31.1.1.1.18")
IF_COUNTER_DISCONTINUITY = oid("1.3.6.1.2.1.31.1.1.1.19")  # changes when the interface's counters restart
IFX_TABLE = (IF_NAME, IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS, IF_HIGH_SPEED, IF_ALIAS, IF_COUNTER_DISCONTINUITY)

ENT_PHYSICAL_CLASS = oid("1.3.6.1.2.1.47.1.1.1.1.5")  # module(9) marks boards
ENT_PHYSICAL_NAME = oid("1.3.6.1.2.1.47.1.1.1.1.7")

# vendor CPU / memory, indexed per board (entPhysicalIndex) or per CPU
HUAWEI_CPU = oid("1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5")
HUAWEI_MEM = oid("1.3.6.1.4.1.2011.5.25.31.1.1.1.1.7")
H3C_CPU = oid("1.3.6.1.4.1.25506.2.6.1.1.1.1.6")
H3C_MEM = oid("1.3.6.1.4.1.25506.2.6.1.1.1.1.8")
CISCO_CPU_5MIN = oid("1.3.6.1.4.1.9.9.109.1.1.1.1.8")
CISCO_MEM_USED = oid("1.3.6.1.4.1.9.9.48.1.1.1.5")
CISCO_MEM_FREE = oid("1.3.6.1.4.1.9.9.48.1.1.1.6")

OSPF_NBR_STATE = oid("1.3.6.1.2.1.14.10.1.6")
BGP_PEER_STATE = oid("1.3.6.1.2.1.15.3.1.2")

UPS_OUTPUT_SOURCE = oid("1.3.6.1.2.1.33.1.4.1.0")  # 3 normal, 5 battery
UPS_MINUTES_REMAINING = oid("1.3.6.1.2.1.33.1.2.3.0")

OSPF_STATES = {
    1: "down",
    2: "attempt",
    3: "init",
    4: "twoWay",
    5: "exchangeStart",
    6: "exchange",
    7: "loading",
    8: "full",
}
BGP_STATES = {1: "idle", 2: "connect", 3: "active", 4: "opensent", 5: "openconfirm", 6: "established"}


def cpu_mem_columns(platform: Platform) -> tuple[Oid, ...]:
    """Columns to walk for CPU and memory; Huawei and H3C index them per board, Cisco per CPU / pool."""
    if platform in (Platform.HUAWEI_VRP8, Platform.HUAWEI_VRP5):
        return (HUAWEI_CPU, HUAWEI_MEM, ENT_PHYSICAL_CLASS)
    if platform is Platform.H3C_COMWARE7:
        return (H3C_CPU, H3C_MEM, ENT_PHYSICAL_CLASS)
    if platform is Platform.CISCO_IOS:
        return (CISCO_CPU_5MIN, CISCO_MEM_USED, CISCO_MEM_FREE)
    return ()
