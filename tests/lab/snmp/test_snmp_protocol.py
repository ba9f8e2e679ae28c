"""Protocol edge cases over real sockets: GETBULK limits, size limits, tooBig, SET, v3 time window and
msgMaxSize, garbage input, and the ``start_snmp`` API (device selection, bind errors)."""

from __future__ import annotations

import asyncio
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netops.errors import LabError
from netops.inventory.models import Inventory
from netops.lab.snmp import start_snmp
from netops.lab.snmp.server import make_agent
from netops.lab.state import LabWorld
from netops.lab.testing import write_secrets
from netops.secrets import SecretStore
from netops.snmp.ber import END_OF_MIB_VIEW_VALUE, NULL_VALUE, decode_value
from netops.snmp.message import (
    GET,
    GET_BULK,
    GET_NEXT,
    REPORT,
    RESPONSE,
    SET,
    TOO_BIG,
    Pdu,
    decode_message,
    encode_community,
    encode_request,
    encode_v3,
)
from netops.snmp.usm import NOT_IN_TIME_WINDOWS, engine_id_for
from tests.lab.snmp.snmp_testlib import COMMUNITY, PORT, LabThread, V3Client, exchange, v2c

CORE = "127.67.0.1"
SYSNAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
SYSDESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
IF_TABLE = (1, 3, 6, 1, 2, 1, 2, 2)


def bulk(non_repeaters: int, repetitions: int, *oids: tuple[int, ...]) -> Pdu:
    return Pdu(GET_BULK, 11, non_repeaters, repetitions, [(o, NULL_VALUE) for o in oids])


def test_getbulk_edge_cases(lab: LabThread) -> None:
    # max-repetitions 0: only the non-repeaters are answered
    answer = v2c(CORE, bulk(1, 0, SYSNAME, IF_TABLE))
    assert answer is not None and answer.tag == RESPONSE and answer.error_status == 0
    assert [o for o, _ in answer.varbinds] == [(1, 3, 6, 1, 2, 1, 1, 6, 0)]
    # non-repeaters beyond the varbind count: every varbind is a non-repeater, answered once
    answer = v2c(CORE, bulk(5, 10, SYSNAME, SYSDESCR))
    assert answer is not None
    assert [o for o, _ in answer.varbinds] == [(1, 3, 6, 1, 2, 1, 1, 6, 0), (1, 3, 6, 1, 2, 1, 1, 2, 0)]
    # negative values count as 0
    answer = v2c(CORE, bulk(-3, -1, SYSNAME))
    assert answer is not None and answer.varbinds == []
    # walking past the end: endOfMibView on the last OID, repetitions stop once every repeater ended
    answer = v2c(CORE, bulk(0, 10, (1, 3, 6, 1, 6, 3, 10, 2, 1, 3, 0), (2, 0)))
    assert answer is not None
    assert answer.varbinds == [
        ((1, 3, 6, 1, 6, 3, 10, 2, 1, 4, 0), answer.varbinds[0][1]),
        ((2, 0), END_OF_MIB_VIEW_VALUE),
        ((1, 3, 6, 1, 6, 3, 10, 2, 1, 4, 0), END_OF_MIB_VIEW_VALUE),
        ((2, 0), END_OF_MIB_VIEW_VALUE),
    ]
    # a row of repetitions follows the table, column after column
    answer = v2c(CORE, bulk(0, 6, IF_TABLE))
    assert answer is not None
    assert [o[-2:] for o, _ in answer.varbinds] == [(1, 1), (1, 2), (1, 3), (1, 4), (2, 1), (2, 2)]


def test_large_getbulk_is_truncated_to_the_udp_limit(lab: LabThread) -> None:
    request = bulk(0, 5000, *([(1, 3)] * 60))
    raw = exchange(CORE, encode_community(1, COMMUNITY.encode(), encode_request(request)))
    assert raw is not None and 60000 < len(raw) <= 65507
    answer = decode_message(raw).pdu
    assert answer.error_status == 0 and 1000 < len(answer.varbinds) < 60 * 300


def test_too_big_get_and_set_refused(lab: LabThread) -> None:
    answer = v2c(CORE, Pdu(GET, 5, 0, 0, [(SYSDESCR, NULL_VALUE)] * 1500))
    assert answer is not None and (answer.error_status, answer.error_index, answer.varbinds) == (
        TOO_BIG,
        0,
        [],
    )
    answer = v2c(CORE, Pdu(SET, 6, 0, 0, [(SYSNAME, b"\x04\x01x")]))
    assert answer is not None and (answer.error_status, answer.error_index) == (6, 1)  # noAccess, like snmpd
    answer = v2c(CORE, Pdu(GET_NEXT, 7, 0, 0, [((1, 3, 6, 1, 2, 1, 2, 2, 1, 10), NULL_VALUE)]))
    assert answer is not None and answer.varbinds[0][0] == (1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 1)
    assert decode_value(answer.varbinds[0][1])[0] == 0x41  # Counter32


def test_v3_time_window_and_small_max_size(lab: LabThread) -> None:
    client = V3Client("127.67.1.1", "netops-ro", "sha")
    assert client.discovery.tag == REPORT and client.engine_id[:4] == bytes.fromhex("800063a2")
    assert client.boots == 1 and client.time > 86400
    head, pdu = client.request(Pdu(GET, 9, 0, 0, [(SYSNAME, NULL_VALUE)]), etime=client.time - 1000)
    assert pdu is not None and pdu.tag == REPORT and pdu.varbinds[0][0] == NOT_IN_TIME_WINDOWS
    assert head.flags & 0x03 == 0x01  # an authenticated (authNoPriv) report, with the engine's clock
    head, pdu = client.request(Pdu(GET, 10, 0, 0, [(SYSNAME, NULL_VALUE)]), etime=head.engine_time)
    assert pdu is not None and pdu.tag == RESPONSE and decode_value(pdu.varbinds[0][1]) == (4, b"kashgar-ce1")
    # the request's msgMaxSize (484, the minimum) bounds the GETBULK answer
    head, pdu = client.request(bulk(0, 200, (1, 3)), max_size=484)
    assert pdu is not None and pdu.error_status == 0 and 3 < len(pdu.varbinds) < 40
    assert head.flags & 0x03 == 0x03


VALID_V2C = encode_community(1, COMMUNITY.encode(), encode_request(bulk(1, 10, SYSNAME, IF_TABLE)))
VALID_V3 = encode_v3(
    3,
    1500,
    0x07,
    engine_id_for("kashgar-ce1", 25506),
    1,
    1000,
    b"netops-ro",
    12,
    bytes(8),
    b"\x04\x20" + bytes(32),
)[0]


@given(
    base=st.sampled_from([VALID_V2C, VALID_V3, b""]),
    cut=st.integers(0, 400),
    flips=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=4),
    tail=st.binary(max_size=40),
)
@settings(max_examples=300, deadline=None)
def test_agent_never_raises_on_damaged_messages(
    inventory: Inventory,
    secrets: SecretStore,
    base: bytes,
    cut: int,
    flips: list[tuple[int, int]],
    tail: bytes,
) -> None:
    data = bytearray(base[:cut] + tail)
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    world = LabWorld(inventory)
    for device in ("centre-core1", "kashgar-ce1"):
        reply = make_agent(world, secrets, inventory.device(device)).handle(bytes(data), 1e9)
        assert reply is None or isinstance(reply, bytes)


def test_start_snmp_selects_devices_and_reports_bind_errors(
    inventory: Inventory, secrets: SecretStore
) -> None:
    async def run() -> None:
        world = LabWorld(inventory)
        lab = await start_snmp(world, secrets, devices=["hotan-ce1"])
        try:
            assert list(lab.agents) == ["hotan-ce1"]
            assert lab.address("hotan-ce1") == ("127.67.3.1", PORT)
        finally:
            await lab.close()
        blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        blocker.bind(("127.67.2.1", PORT))
        try:
            with pytest.raises(
                LabError, match=r"shufu-ce1: cannot bind the SNMP agent to udp 127\.67\.2\.1:16161"
            ):
                await start_snmp(world, secrets)
        finally:
            blocker.close()
        # everything bound before the failure was released: a second start works
        lab = await start_snmp(world, secrets)
        await lab.close()

    asyncio.run(run())


def test_missing_secret_names_device_without_leaking(
    inventory: Inventory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = write_secrets(
        tmp_path_factory.mktemp("nosecrets") / "secrets.yaml", {"snmp-test-community": "only-this-one"}
    )

    async def run() -> None:
        await start_snmp(LabWorld(inventory), SecretStore(path), devices=["kashgar-ce1"])

    with pytest.raises(LabError, match="kashgar-ce1: SNMP profile 'snmp-v3-sha'") as info:
        asyncio.run(run())
    assert "only-this-one" not in str(info.value)
