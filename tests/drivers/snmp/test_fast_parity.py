"""The fast session and the pysnmp session read the same tables and scalars from the same lab agents:
v2c and v3 (SHA/AES, SHA-256/AES, MD5 authNoPriv), 52 rows, empty tables, endOfMibView, max-repetitions
edge cases, and the whole ``collect`` sample."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from netops.drivers.snmp import oids as O
from netops.drivers.snmp.collect import collect
from netops.drivers.snmp.fast_client import SnmpClient
from netops.drivers.snmp.session import SnmpProtocolError, SnmpSession, Table
from netops.inventory.models import Inventory
from netops.lab.snmp import SnmpLab
from netops.secrets import SecretStore
from tests.drivers.snmp.conftest import fast, reference, with_lab

MISSING = (1, 3, 6, 1, 4, 1, 99999, 1, 1)  # nothing there: an empty table
PAST_END = (1, 3, 6, 1, 6, 3, 99, 1)  # after the agent's last OID: endOfMibView
WALKS: tuple[tuple[O.Oid, ...], ...] = (
    O.IF_TABLE,
    O.IFX_TABLE,
    (O.HUAWEI_CPU, O.HUAWEI_MEM, O.ENT_PHYSICAL_CLASS),
    (O.H3C_CPU, O.H3C_MEM, O.ENT_PHYSICAL_CLASS, O.ENT_PHYSICAL_NAME),
    (O.CISCO_CPU_5MIN, O.CISCO_MEM_USED, O.CISCO_MEM_FREE),
    (O.OSPF_NBR_STATE, O.BGP_PEER_STATE),
    (MISSING,),
    (PAST_END,),
    (O.IF_DESCR, PAST_END, MISSING, O.IF_ALIAS),
)
DEVICES = ["centre-core1", "centre-sw48", "kashgar-ce1", "centre-exit", "hotan-sw1", "kashgar-codec"]


async def both(
    inventory: Inventory, secrets: SecretStore, device: str, client: SnmpClient
) -> tuple[SnmpSession, SnmpSession]:
    return fast(client, inventory, secrets, device), await reference(inventory, secrets, device)


@pytest.mark.parametrize("device", DEVICES)
def test_walks_and_gets_match_pysnmp(inventory: Inventory, secrets: SecretStore, device: str) -> None:
    async def body(_lab: SnmpLab) -> list[tuple[Table, Table]]:
        mine, ref = await both(inventory, secrets, device, SnmpClient())
        try:
            out = [(await mine.walk_columns(w), await ref.walk_columns(w)) for w in WALKS]
            scalars = [O.SYS_NAME, O.UPS_OUTPUT_SOURCE, MISSING, (*O.IF_DESCR, 1)]
            assert await mine.get(scalars) == await ref.get(scalars)
            return out
        finally:
            mine.close()
            ref.close()

    results = asyncio.run(with_lab(inventory, secrets, body))
    for mine, ref in results:
        assert mine == ref
    if_table = results[0][0]
    assert len(if_table[O.IF_DESCR]) == len(inventory.device(device).interfaces) or device == "kashgar-codec"
    assert results[6][0] == {MISSING: {}} and results[7][0] == {PAST_END: {}}
    assert results[8][0][O.IF_DESCR] == if_table[O.IF_DESCR] and results[8][0][PAST_END] == {}


def test_52_rows_at_every_max_repetitions_edge(inventory: Inventory, secrets: SecretStore) -> None:
    rows = len(inventory.device("centre-sw48").interfaces)
    assert rows >= 48

    async def body(_lab: SnmpLab) -> None:
        mine, ref = await both(inventory, secrets, "centre-sw48", SnmpClient())
        try:
            full = await ref.walk_columns(O.IF_TABLE, 25)
            assert len(full[O.IF_DESCR]) == rows
            for reps in (1, 2, rows - 1, rows, rows + 1, 200):
                assert await mine.walk_columns(O.IF_TABLE, reps) == full, reps
                assert await mine.walk_columns((O.IF_DESCR,), reps) == {O.IF_DESCR: full[O.IF_DESCR]}
            for reps in (1, rows):
                assert await ref.walk_columns(O.IFX_TABLE, reps) == await mine.walk_columns(O.IFX_TABLE, reps)
            # no repetitions asked for: an empty answer, a protocol error for both
            for session in (mine, ref):
                with pytest.raises(SnmpProtocolError, match=r"[Ee]mpty"):
                    await session.walk_columns(O.IF_TABLE, 0)
        finally:
            mine.close()
            ref.close()

    asyncio.run(with_lab(inventory, secrets, body))


@pytest.mark.parametrize("device", ["centre-core1", "kashgar-ce1", "centre-exit", "hotan-ce1", "hotan-sw1"])
def test_collect_gives_the_same_sample(inventory: Inventory, secrets: SecretStore, device: str) -> None:
    dev = inventory.device(device)

    async def body(_lab: SnmpLab) -> None:
        mine, ref = await both(inventory, secrets, device, SnmpClient())
        try:
            a = await collect(dev, mine)
            b = await collect(dev, ref)
        finally:
            mine.close()
            ref.close()
        assert a.ok and b.ok and a.sys_name == device
        assert a.sys_uptime_s is not None and b.sys_uptime_s is not None
        assert abs(a.sys_uptime_s - b.sys_uptime_s) < 5
        same = ("polled_at", "duration_s", "sys_uptime_s")
        blank = {k: None for k in same}
        assert dataclasses.replace(a, **blank) == dataclasses.replace(b, **blank)  # type: ignore[arg-type]
        assert a.interfaces and len(a.interfaces) == len(dev.interfaces)

    asyncio.run(with_lab(inventory, secrets, body))
