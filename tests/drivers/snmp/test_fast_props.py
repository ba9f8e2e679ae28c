"""Property tests: the fast session against an agent made of pysnmp/pyasn1 (not netops' codec).

The scripted agent decodes every request with pysnmp's v2c message spec (so the fast session's requests
must be what pyasn1 reads: request-id, non-repeaters, max-repetitions, the cursor OIDs) and answers with
pyasn1-encoded Responses over random tables of every SMI type: the walked tables and the GET values must be
exactly what the agent holds, for any max-repetitions, with endOfMibView past the end or other OIDs after.
"""

from __future__ import annotations

import asyncio
import bisect
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder as asn1_decoder
from pyasn1.codec.ber import encoder as asn1_encoder
from pysnmp.proto import api, rfc1902, rfc1905

from netops.drivers.snmp.fast import FastSession, V2cCredentials
from netops.drivers.snmp.fast_client import SnmpClient
from netops.drivers.snmp.session import Value
from tests.drivers.snmp.scripted import ScriptedAgent

PMOD = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
AGENT = ("127.73.9.10", 16175)
BASE = (1, 3, 6, 1, 4, 1, 99, 1, 1)
COMMUNITY = b"prop-community"

uint32 = st.integers(0, 2**32 - 1)
values: st.SearchStrategy[tuple[Any, Value]] = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(lambda v: (rfc1902.Integer32(v), v)),
    uint32.map(lambda v: (rfc1902.Counter32(v), v)),
    uint32.map(lambda v: (rfc1902.Gauge32(v), v)),
    uint32.map(lambda v: (rfc1902.TimeTicks(v), v)),
    st.integers(0, 2**64 - 1).map(lambda v: (rfc1902.Counter64(v), v)),
    st.binary(max_size=300).map(lambda v: (rfc1902.OctetString(v), v)),
    st.binary(min_size=4, max_size=4).map(lambda v: (rfc1902.IpAddress(v), v)),
    st.lists(uint32, min_size=1, max_size=12).map(
        lambda arcs: (rfc1902.ObjectIdentifier((1, 3, *arcs)), (1, 3, *arcs))
    ),
)
indexes = st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=4).map(tuple)


class PyasnAgent:
    """An agent over a sorted list of (OID, pyasn1 value); GET and GETBULK as RFC 3416 says."""

    def __init__(self, objects: dict[tuple[int, ...], Any]) -> None:
        self.oids = sorted(objects)
        self.objects = objects
        self.requests: list[tuple[int, int, int, list[tuple[int, ...]]]] = []

    def _next(self, oid: tuple[int, ...]) -> tuple[tuple[int, ...], Any]:
        i = bisect.bisect_right(self.oids, oid)
        if i >= len(self.oids):
            return oid, rfc1905.endOfMibView
        return self.oids[i], self.objects[self.oids[i]]

    def respond(self, data: bytes) -> bytes | None:
        msg, rest = asn1_decoder.decode(data, asn1Spec=PMOD.Message())
        assert rest == b""
        if bytes(PMOD.apiMessage.get_community(msg)) != COMMUNITY:
            return None
        pdu = PMOD.apiMessage.get_pdu(msg)
        asked = [tuple(o) for o, _ in PMOD.apiPDU.get_varbinds(pdu)]
        out: list[tuple[tuple[int, ...], Any]] = []
        if pdu.isSameTypeWith(PMOD.GetBulkRequestPDU()):
            nonrep = int(PMOD.apiBulkPDU.get_non_repeaters(pdu))
            reps = int(PMOD.apiBulkPDU.get_max_repetitions(pdu))
            self.requests.append((int(PMOD.apiPDU.get_request_id(pdu)), nonrep, reps, asked))
            cursors = list(asked)
            for _ in range(reps):
                for j, cursor in enumerate(cursors):
                    oid, value = self._next(cursor)
                    out.append((oid, value))
                    cursors[j] = oid
        else:
            self.requests.append((int(PMOD.apiPDU.get_request_id(pdu)), 0, 0, asked))
            out = [(o, self.objects.get(o, rfc1905.noSuchObject)) for o in asked]
        rsp = PMOD.ResponsePDU()
        PMOD.apiPDU.set_defaults(rsp)
        PMOD.apiPDU.set_request_id(rsp, PMOD.apiPDU.get_request_id(pdu))
        PMOD.apiPDU.set_varbinds(rsp, out)
        reply = PMOD.Message()
        PMOD.apiMessage.set_defaults(reply)
        PMOD.apiMessage.set_community(reply, COMMUNITY)
        PMOD.apiMessage.set_pdu(reply, rsp)
        encoded: bytes = asn1_encoder.encode(reply)
        return encoded


async def against(agent: PyasnAgent, job: Any) -> Any:
    endpoint = await ScriptedAgent.start(*AGENT, agent.respond)
    # the agent always answers (pyasn1 in the test's own loop): wait as long as a loaded machine may need
    session = FastSession(SnmpClient(), "prop", *AGENT, V2cCredentials(COMMUNITY), timeout_s=10.0, retries=0)
    try:
        return await job(session)
    finally:
        session.close()
        await endpoint.close()


@given(
    st.dictionaries(st.integers(1, 6), st.dictionaries(indexes, values, max_size=12), min_size=1, max_size=4),
    st.lists(st.integers(1, 8), min_size=1, max_size=5, unique=True),
    st.integers(1, 30),
    st.booleans(),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_walks_read_exactly_the_agents_table(
    table: dict[int, dict[tuple[int, ...], tuple[Any, Value]]], walked: list[int], reps: int, tail: bool
) -> None:
    objects = {(*BASE, c, *i): v[0] for c, rows in table.items() for i, v in rows.items()}
    if tail:  # something after the table, so columns end by leaving their subtree, not at endOfMibView
        objects[(1, 3, 6, 1, 6, 3, 1)] = rfc1902.Integer32(7)
    agent = PyasnAgent(objects)
    columns = tuple((*BASE, c) for c in walked)

    got = asyncio.run(against(agent, lambda s: s.walk_columns(columns, reps)))

    assert got == {(*BASE, c): {i: v[1] for i, v in table.get(c, {}).items()} for c in walked}
    first_id, nonrep, asked_reps, first_oids = agent.requests[0]
    assert (nonrep, asked_reps, first_oids) == (0, reps, list(columns))
    assert 0 < first_id < 2**31
    assert len({r[0] for r in agent.requests}) == len(agent.requests)  # a fresh request-id each time


@given(st.dictionaries(indexes, values, min_size=1, max_size=20), st.lists(indexes, max_size=5))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_get_reads_every_type_and_the_exceptions(
    objects: dict[tuple[int, ...], tuple[Any, Value]], missing: list[tuple[int, ...]]
) -> None:
    agent = PyasnAgent({(*BASE, *i): v[0] for i, v in objects.items()})
    present = {(*BASE, *i) for i in objects}
    absent = [o for o in dict.fromkeys((*BASE, 99, *i) for i in missing) if o not in present]
    asked = [(*BASE, *i) for i in objects] + absent

    got = asyncio.run(against(agent, lambda s: s.get(asked)))

    assert got == {**{(*BASE, *i): v[1] for i, v in objects.items()}, **dict.fromkeys(absent)}
    assert agent.requests[0][3] == asked
