"""Read one device's health over an ``SnmpSession`` into a ``DeviceSample``: the parsing half of the driver.

System group, IF-MIB ifTable + ifXTable, vendor CPU/memory (main board kept), OSPF and BGP neighbour state,
UPS-MIB where the device has a UPS. Transport errors propagate (the source turns them into failed samples);
a missing or odd value only leaves that field empty.
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


async def collect(device: Device, session: SnmpSession, max_repetitions: int = 25) -> DeviceSample:
    t0 = time.time()
    scalars = [O.SYS_NAME, O.SYS_UPTIME]
    if device.ups:
        scalars += [O.UPS_OUTPUT_SOURCE, O.UPS_MINUTES_REMAINING]
    system = await session.get(scalars)
    if_table = await session.walk_columns(O.IF_TABLE, max_repetitions)
    ifx_table = await session.walk_columns(O.IFX_TABLE, max_repetitions)
    cpu = mem = None
    nbs: tuple[NeighborSample, ...] = ()
    columns = O.cpu_mem_columns(device.platform)
    if columns:
        cpu, mem = cpu_memory(device.platform, await session.walk_columns(columns, max_repetitions))
        nbs = neighbors(await session.walk_columns((O.OSPF_NBR_STATE, O.BGP_PEER_STATE), max_repetitions))
    uptime = system.get(O.SYS_UPTIME)
    source = system.get(O.UPS_OUTPUT_SOURCE) if device.ups else None
    minutes = system.get(O.UPS_MINUTES_REMAINING) if device.ups else None
    return DeviceSample(
        device=device.id,
        polled_at=t0,
        duration_s=time.time() - t0,
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
