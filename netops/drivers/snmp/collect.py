"""Read one device's health over an ``SnmpSession`` into a ``DeviceSample``: the parsing half of the driver.

System group, IF-MIB ifTable + ifXTable, vendor CPU/memory (main board kept), OSPF and BGP neighbour state,
UPS-MIB where the device has a UPS. Transport errors propagate (the source turns them into failed samples);
a missing or odd value only leaves that field empty.

Device-side cost: each GETBULK asks for as many rows as the table has plus one (ifNumber, read in the first
GET, for ifTable and ifXTable; the previous cycle's row count for the other tables), so the agent never encodes
rows past a table's end and one request per table usually suffices.
"""

from __future__ import annotations

import time

from netops.drivers.snmp import oids as O
from netops.drivers.snmp.session import SnmpSession, Table, Value
from netops.inventory.models import Device, Platform
from netops.polling.model import DeviceSample, InterfaceSample, NeighborSample


def _int(v: Value, default: int = 0) -> int:
    return v if isinstance(v, int) else default


def _text(v: Value) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else ""


def interfaces(if_table: Table, ifx_table: Table) -> tuple[InterfaceSample, ...]:
    out: list[InterfaceSample] = []
    for index, descr in sorted(if_table.get(O.IF_DESCR, {}).items()):
        if len(index) != 1:
            continue

        def col(table: Table, column: O.Oid, idx: O.Oid = index) -> Value:
            return table.get(column, {}).get(idx)

        hc_in, hc_out = col(ifx_table, O.IF_HC_IN_OCTETS), col(ifx_table, O.IF_HC_OUT_OCTETS)
        hc = isinstance(hc_in, int) and isinstance(hc_out, int)
        high = _int(col(ifx_table, O.IF_HIGH_SPEED))
        since = col(ifx_table, O.IF_COUNTER_DISCONTINUITY)
        out.append(
            InterfaceSample(
                index=index[0],
                name=_text(col(ifx_table, O.IF_NAME)) or _text(descr),
                alias=_text(col(ifx_table, O.IF_ALIAS)),
                admin_up=_int(col(if_table, O.IF_ADMIN)) == 1,
                oper_up=_int(col(if_table, O.IF_OPER)) == 1,
                speed_bps=high * 1_000_000 if high else _int(col(if_table, O.IF_SPEED)),
                in_octets=_int(hc_in) if hc else _int(col(if_table, O.IF_IN_OCTETS)),
                out_octets=_int(hc_out) if hc else _int(col(if_table, O.IF_OUT_OCTETS)),
                in_errors=_int(col(if_table, O.IF_IN_ERRORS)),
                out_errors=_int(col(if_table, O.IF_OUT_ERRORS)),
                in_discards=_int(col(if_table, O.IF_IN_DISCARDS)),
                out_discards=_int(col(if_table, O.IF_OUT_DISCARDS)),
                hc=hc,
                discontinuity=since if isinstance(since, int) else None,
            )
        )
    return tuple(out)


def cpu_memory(platform: Platform, table: Table) -> tuple[float | None, float | None]:
    """(cpu ratio, memory ratio) of the main board."""
    if platform is Platform.CISCO_IOS:
        cpus = table.get(O.CISCO_CPU_5MIN, {})
        used, free = table.get(O.CISCO_MEM_USED, {}), table.get(O.CISCO_MEM_FREE, {})
        cpu = _int(cpus[min(cpus)]) / 100 if cpus else None
        mem = None
        if used and free:
            first = min(used)
            total = _int(used[first]) + _int(free.get(first))
            mem = _int(used[first]) / total if total else None
        return cpu, mem
    cpu_col, mem_col = (
        (O.HUAWEI_CPU, O.HUAWEI_MEM)
        if platform in (Platform.HUAWEI_VRP8, Platform.HUAWEI_VRP5)
        else (O.H3C_CPU, O.H3C_MEM)
    )
    cpus, mems = table.get(cpu_col, {}), table.get(mem_col, {})
    classes = table.get(O.ENT_PHYSICAL_CLASS, {})
    boards = [i for i in cpus if _int(classes.get(i)) == 9] or list(cpus)  # module(9): a board
    if not boards:
        return None, None
    main = max(boards, key=lambda i: (_int(cpus[i]) > 0 or _int(mems.get(i)) > 0, -i[0] if i else 0))
    return _int(cpus[main]) / 100, (_int(mems[main]) / 100 if main in mems else None)


def neighbors(table: Table) -> tuple[NeighborSample, ...]:
    out: list[NeighborSample] = []
    for index, v in sorted(table.get(O.OSPF_NBR_STATE, {}).items()):
        state = O.OSPF_STATES.get(_int(v), str(v))
        out.append(
            NeighborSample("ospf", ".".join(str(p) for p in index[:4]), state, state in ("full", "twoWay"))
        )
    for index, v in sorted(table.get(O.BGP_PEER_STATE, {}).items()):
        state = O.BGP_STATES.get(_int(v), str(v))
        out.append(NeighborSample("bgp", ".".join(str(p) for p in index[:4]), state, state == "established"))
    return tuple(out)


# the tables a cycle walks, by the name their row count is remembered under (``TableRows``)
TableRows = dict[str, int]


def repetitions(rows: int | None, default: int) -> int:
    """GETBULK max-repetitions for a table of ``rows`` rows: all of them plus one to see the table's end,
    so the agent encodes nothing past it and no second request is needed; ``default`` when unknown."""
    return rows + 1 if rows is not None and rows >= 0 else default


def _rows(table: Table) -> int:
    return max((len(column) for column in table.values()), default=0)


async def collect(
    device: Device, session: SnmpSession, max_repetitions: int = 25, rows: TableRows | None = None
) -> DeviceSample:
    """One poll of ``device``. ``rows`` holds the row count of each table from the previous cycle (updated
    here); with ifNumber (read in the first GET) it sizes each GETBULK to the table: ``max_repetitions`` is
    only the first guess for a table never walked before."""
    t0, m0 = time.time(), time.monotonic()  # a stamp; a duration (immune to clock steps)
    rows = {} if rows is None else rows
    scalars = [O.SYS_NAME, O.SYS_UPTIME, O.IF_NUMBER]
    if device.ups:
        scalars += [O.UPS_OUTPUT_SOURCE, O.UPS_MINUTES_REMAINING]
    system = await session.get(scalars)
    if_number = system.get(O.IF_NUMBER)
    if isinstance(if_number, int) and 0 <= if_number < 100_000:
        rows["if"] = if_number
    if_table = await session.walk_columns(O.IF_TABLE, repetitions(rows.get("if"), max_repetitions))
    rows["if"] = _rows(if_table)
    ifx_rows = rows["if"] if rows.get("ifx", 1) > 0 else 0  # a device without ifXTable: one varbind each
    ifx_table = await session.walk_columns(O.IFX_TABLE, repetitions(ifx_rows, max_repetitions))
    rows["ifx"] = _rows(ifx_table)
    cpu = mem = None
    nbs: tuple[NeighborSample, ...] = ()
    columns = O.cpu_mem_columns(device.platform)
    if columns:
        entity = await session.walk_columns(columns, repetitions(rows.get("entity"), max_repetitions))
        rows["entity"] = _rows(entity)
        cpu, mem = cpu_memory(device.platform, entity)
        peers = await session.walk_columns(
            (O.OSPF_NBR_STATE, O.BGP_PEER_STATE), repetitions(rows.get("neighbors"), max_repetitions)
        )
        rows["neighbors"] = _rows(peers)
        nbs = neighbors(peers)
    uptime = system.get(O.SYS_UPTIME)
    source = system.get(O.UPS_OUTPUT_SOURCE) if device.ups else None
    minutes = system.get(O.UPS_MINUTES_REMAINING) if device.ups else None
    return DeviceSample(
        device=device.id,
        polled_at=t0,
        duration_s=time.monotonic() - m0,
        ok=True,
        sys_name=_text(system.get(O.SYS_NAME)) or None,
        sys_uptime_s=uptime / 100 if isinstance(uptime, int) else None,
        cpu_ratio=cpu,
        memory_ratio=mem,
        interfaces=interfaces(if_table, ifx_table),
        neighbors=nbs,
        ups_on_battery=(source == 5) if isinstance(source, int) else None,
        ups_minutes_remaining=minutes if isinstance(minutes, int) else None,
    )
