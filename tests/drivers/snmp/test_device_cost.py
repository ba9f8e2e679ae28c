"""What a poll costs the device (issue 13, item 6), measured by the lab's agents, which count the varbinds they
encode: once netops knows a device (ifNumber in the first GET, the previous cycle's row counts), each table
is read with one GETBULK asking for its rows plus one to see its end, never more. And the SNMPv3 timeliness
check (RFC 3414 section 3.2 step 7b): an authenticated answer whose engine time moved more than 150 s from
what netops knows is refused, the engine discovered again once, and a second moved answer fails the poll."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import pytest

from netops.drivers.snmp import oids as O
from netops.drivers.snmp.fast_client import SnmpClient
from netops.drivers.snmp.session import SnmpProtocolError
from netops.drivers.snmp.source import SnmpSource
from netops.inventory.models import Inventory
from netops.lab.snmp import SnmpLab
from netops.lab.snmp.agent import Agent
from netops.lab.snmp.server import make_agent
from netops.secrets import SecretStore
from netops.snmp.message import RESPONSE, V3Message, decode_scoped_pdu
from tests.drivers.snmp.conftest import fast, still_world, with_lab


def column_rows(agent: Agent, column: O.Oid) -> int:
    """Rows of a column in the agent's MIB view: the truth the bound is taken from."""
    n = len(column)
    return sum(1 for oid in agent.view.oids if len(oid) > n and oid[:n] == column)


def allowed_varbinds(agent: Agent, device: Any) -> tuple[int, int]:
    """(varbinds, GETBULKs) a poll may cost: the GET's scalars, and per table its columns x (rows + 1)."""
    groups = [O.IF_TABLE, O.IFX_TABLE]
    if O.cpu_mem_columns(device.platform):
        groups += [O.cpu_mem_columns(device.platform), (O.OSPF_NBR_STATE, O.BGP_PEER_STATE)]
    varbinds = 3 + (2 if device.ups else 0)
    for columns in groups:
        rows = max(column_rows(agent, c) for c in columns)
        varbinds += len(columns) * (rows + 1)
    return varbinds, len(groups)


@pytest.mark.parametrize("device", ["centre-sw48", "centre-core1", "kashgar-ce1", "hotan-ce1"])
def test_a_known_device_costs_one_getbulk_per_table_and_nothing_past_its_end(
    inventory: Inventory, secrets: SecretStore, device: str
) -> None:
    dev = inventory.device(device)

    async def body(lab: SnmpLab) -> None:
        source = SnmpSource(lambda: inventory, secrets)
        agent = lab.agents[device]
        first = await source.poll(dev)
        assert first.ok, first.detail
        before = lab.counters(device)
        sample = await source.poll(dev)
        assert sample.ok, sample.detail
        after = lab.counters(device)
        varbinds, tables = allowed_varbinds(agent, dev)
        assert len(sample.interfaces) == column_rows(agent, O.IF_DESCR)
        assert after["get"] - before["get"] == 1
        assert after["getbulk"] - before["getbulk"] == tables  # one request per table: none past its end
        assert 0 < after["varbinds"] - before["varbinds"] <= varbinds

    asyncio.run(with_lab(inventory, secrets, body))


class MovedClockAgent(Agent):
    """A v3 agent whose next ``moved`` Responses carry an engine time ``by`` seconds off its real clock
    (a replayed or forged answer, or an engine whose clock jumped); its Reports keep the real clock."""

    moved = 0
    by = -1000

    def _envelope(
        self, msg: V3Message, scoped_pdu: bytes, auth: bool, priv: bool, boots: int, etime: int
    ) -> bytes:
        if self.moved and decode_scoped_pdu(scoped_pdu).pdu.tag == RESPONSE:
            self.moved -= 1
            self.counters["moved"] += 1
            etime = max(0, etime + self.by)
        return super()._envelope(msg, scoped_pdu, auth, priv, boots, etime)


class _Serve(asyncio.DatagramProtocol):
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        reply = self.agent.handle(data, time.time())
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


@pytest.mark.parametrize("by", [-1000, 1000])
def test_v3_answer_with_a_moved_engine_time_is_refused_then_rediscovered(
    inventory: Inventory, secrets: SecretStore, by: int
) -> None:
    device = "kashgar-ce1"  # SNMPv3 authPriv SHA/AES
    dev = inventory.device(device)
    world = still_world(inventory)
    base = make_agent(world, secrets, dev)
    agent = MovedClockAgent(world, base.state, base.profile, base.engine_id, user=base.user)
    agent.by = by

    async def main() -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Serve(agent), local_addr=(str(dev.address), dev.snmp_port)
        )
        client = SnmpClient()
        session = fast(client, inventory, secrets, device)
        try:
            assert (await session.get([O.SYS_NAME]))[O.SYS_NAME] == b"kashgar-ce1"
            assert agent.counters["unknown_engine_ids"] == 1  # the first discovery
            # one answer with a moved clock: refused (its data unused), engine found again, asked again
            agent.moved = 1
            got = await session.get([O.SYS_NAME, O.SYS_UPTIME])
            assert got[O.SYS_NAME] == b"kashgar-ce1"
            assert agent.counters["moved"] == 1
            assert agent.counters["unknown_engine_ids"] == 2
            assert agent.counters["get"] == 3
            # every answer moved: refused, rediscovered once, refused again: the poll fails, no loop
            agent.moved = 10
            with pytest.raises(SnmpProtocolError, match="time window"):
                await session.get([O.SYS_NAME])
            assert agent.counters["moved"] == 3
            assert agent.counters["unknown_engine_ids"] == 3
            agent.moved = 0
            assert (await session.get([O.SYS_NAME]))[O.SYS_NAME] == b"kashgar-ce1"
        finally:
            session.close()
            transport.close()

    asyncio.run(main())
