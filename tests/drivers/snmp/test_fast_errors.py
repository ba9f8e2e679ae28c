"""The fast session's failures are the pysnmp session's: timeouts (nobody listening, wrong community, wrong
privacy key), authentication errors (the v3 usmStats Reports), protocol errors (error-status, OIDs going
backwards, undecodable varbinds); and ``SnmpSource`` turns them into the same failed samples."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from netops.drivers.snmp import oids as O
from netops.drivers.snmp import pysnmp_session
from netops.drivers.snmp.fast import FastSession, V2cCredentials
from netops.drivers.snmp.fast_client import SnmpClient
from netops.drivers.snmp.session import SnmpAuthError, SnmpProtocolError, SnmpTimeout
from netops.drivers.snmp.source import SnmpSource
from netops.inventory.models import Inventory
from netops.lab.snmp import SnmpLab
from netops.secrets import SecretStore
from netops.snmp.ber import NULL_VALUE, encode_octets, encode_oid
from netops.snmp.message import RESPONSE, V2C, decode_message, encode_community, encode_pdu, encode_varbind
from tests.drivers.snmp.conftest import AUTH, PRIV, fast, with_lab, write_secrets
from tests.drivers.snmp.scripted import ScriptedAgent

UNUSED = ("127.73.200.1", 16199)  # nothing listens here
SCRIPTED = ("127.73.9.1", 16173)
SILENT_S = 0.5  # the wait of a request the agent drops on purpose (the profiles wait 2 s for an answer)


def test_nobody_listening_times_out_after_the_retries() -> None:
    async def main() -> tuple[float, dict[str, int]]:
        client = SnmpClient()
        session = FastSession(client, "ghost", *UNUSED, V2cCredentials(b"public"), timeout_s=0.2, retries=2)
        t0 = time.monotonic()
        try:
            with pytest.raises(SnmpTimeout, match=r"ghost: no SNMP answer from 127.73.200.1:16199 after 3"):
                await session.get([O.SYS_NAME])
        finally:
            session.close()
        assert not client.is_open
        return time.monotonic() - t0, client.counters

    elapsed, counters = asyncio.run(main())
    assert elapsed > 0.55  # three timeouts of 0.2 s were waited for
    assert counters["sent"] == 3 and counters["resent"] == 2 and counters["timeouts"] == 1


def test_wrong_community_is_a_timeout(inventory: Inventory, secrets: SecretStore) -> None:
    async def body(lab: SnmpLab) -> None:
        session = fast(
            SnmpClient(), inventory, secrets, "centre-core1", SILENT_S, community="not-the-community"
        )
        try:
            with pytest.raises(SnmpTimeout) as info:
                await session.walk_columns(O.IF_TABLE)
        finally:
            session.close()
        assert "not-the-community" not in str(info.value)
        assert lab.counters("centre-core1")["bad_community"] == 2  # first try + one retry

    asyncio.run(with_lab(inventory, secrets, body))


@pytest.mark.parametrize(
    ("device", "override", "error", "text"),
    [
        ("kashgar-ce1", {"auth_password": "not-the-auth-key"}, SnmpAuthError, "usmStatsWrongDigests"),
        ("centre-exit", {"auth_password": "not-the-auth-key"}, SnmpAuthError, "usmStatsWrongDigests"),
        ("hotan-sw1", {"auth_password": "not-the-auth-key"}, SnmpAuthError, "usmStatsWrongDigests"),
        ("kashgar-ce1", {"user": "intruder"}, SnmpAuthError, "usmStatsUnknownUserNames"),
        ("hotan-sw1", {"priv_protocol": "aes", "priv_password": PRIV}, SnmpAuthError, "UnsupportedSecLevels"),
        ("kashgar-ce1", {"priv_password": "not-the-priv-key"}, SnmpTimeout, "no SNMP answer"),
    ],
)
def test_v3_credential_errors_match_pysnmp(
    inventory: Inventory,
    secrets: SecretStore,
    device: str,
    override: dict[str, str],
    error: type[Exception],
    text: str,
) -> None:
    async def body(_lab: SnmpLab) -> None:
        timeout_s = SILENT_S if error is SnmpTimeout else None  # a dropped request is waited out
        session = fast(SnmpClient(), inventory, secrets, device, timeout_s, **override)
        try:
            with pytest.raises(error, match=text) as info:
                await session.walk_columns(O.IF_TABLE)
        finally:
            session.close()
        for secret in ("not-the-auth-key", "not-the-priv-key", AUTH, PRIV):
            assert secret not in str(info.value)

    asyncio.run(with_lab(inventory, secrets, body))


def test_source_reports_the_same_reasons_with_both_engines(inventory: Inventory, tmp_path: Path) -> None:
    lab_secrets = write_secrets(tmp_path / "lab.yaml")
    wrong = write_secrets(tmp_path / "poller.yaml", **{"drv-auth": "not-the-auth-key"})
    devices = [inventory.device(d) for d in ("centre-core1", "kashgar-ce1", "hotan-sw1", "centre-exit")]

    async def body(_lab: SnmpLab) -> dict[str, dict[str, str | None]]:
        out: dict[str, dict[str, str | None]] = {}
        for engine in ("fast", "pysnmp"):
            source = SnmpSource(lambda: inventory, wrong, engine=engine)
            samples = await asyncio.gather(*(source.poll(d) for d in devices))
            out[engine] = {s.device: s.error for s in samples}
            assert not source.client.is_open
        return out

    reasons = asyncio.run(with_lab(inventory, lab_secrets, body))
    assert (
        reasons["fast"]
        == reasons["pysnmp"]
        == {
            "centre-core1": None,
            "kashgar-ce1": "auth",
            "hotan-sw1": "auth",
            "centre-exit": "auth",
        }
    )


def test_source_engine_choice(inventory: Inventory, secrets: SecretStore) -> None:
    profiles = inventory.snmp_profiles
    fast_source = SnmpSource(lambda: inventory, secrets)
    assert all(fast_source.uses_fast(p) for p in profiles.values())
    pysnmp_source = SnmpSource(lambda: inventory, secrets, engine="pysnmp")
    assert not any(pysnmp_source.uses_fast(p) for p in profiles.values())
    aes256 = dataclasses.replace(profiles["drv-v3-sha"], priv_protocol="aes256")
    assert not fast_source.uses_fast(aes256)  # stays with pysnmp
    with pytest.raises(ValueError, match="known: fast, pysnmp"):
        SnmpSource(lambda: inventory, secrets, engine="net-snmp")


def answer_with(
    varbinds: list[tuple[tuple[int, ...], bytes]], status: int = 0, index: int = 0
) -> Callable[[bytes], bytes]:
    """A scripted agent's answer: these varbinds (built with netops' codec) whatever was asked."""

    def respond(data: bytes) -> bytes:
        request = decode_message(data)
        body = b"".join(encode_varbind(encode_oid(o), v) for o, v in varbinds)
        pdu = encode_pdu(RESPONSE, request.pdu.request_id, status, index, body)
        return encode_community(V2C, request.community, pdu)

    return respond


@pytest.mark.parametrize(
    ("varbinds", "status", "text"),
    [
        (
            [((*O.IF_DESCR, 2), encode_octets(b"b")), ((*O.IF_DESCR, 1), encode_octets(b"a"))],
            0,
            "not increasing",
        ),
        (
            [((*O.IF_DESCR, 1), encode_octets(b"a")), ((*O.IF_DESCR, 1), encode_octets(b"a"))],
            0,
            "not increasing",
        ),
        ([((*O.IF_DESCR, 1), NULL_VALUE)], 5, "error-status genErr at varbind 1"),
        ([((*O.IF_DESCR, 1), b"\x02\x05\x01")], 0, "undecodable"),
    ],
)
def test_bad_answers_are_protocol_errors(
    varbinds: list[tuple[tuple[int, ...], bytes]], status: int, text: str
) -> None:
    async def main() -> None:
        agent = await ScriptedAgent.start(*SCRIPTED, answer_with(varbinds, status, 1 if status else 0))
        session = FastSession(SnmpClient(), "odd", *SCRIPTED, V2cCredentials(b"public"), timeout_s=0.5)
        try:
            with pytest.raises(SnmpProtocolError, match=text):
                await session.walk_columns((O.IF_DESCR,), 5)
        finally:
            session.close()
            await agent.close()

    asyncio.run(main())


def test_answers_from_elsewhere_or_with_other_ids_are_ignored() -> None:
    def wrong_id(data: bytes) -> bytes:
        request = decode_message(data)
        body = encode_varbind(encode_oid(O.SYS_NAME), encode_octets(b"spoof"))
        return encode_community(V2C, b"public", encode_pdu(RESPONSE, request.pdu.request_id + 1, 0, 0, body))

    async def main() -> dict[str, int]:
        agent = await ScriptedAgent.start(*SCRIPTED, wrong_id)
        garbage = await ScriptedAgent.start("127.73.9.2", 16173, lambda _d: b"\x30\x03\x02\x01")
        client = SnmpClient()
        sessions = [
            FastSession(client, "a", *SCRIPTED, V2cCredentials(b"public"), timeout_s=0.2, retries=0),
            FastSession(
                client, "b", "127.73.9.2", 16173, V2cCredentials(b"public"), timeout_s=0.2, retries=0
            ),
        ]
        try:
            for session in sessions:
                with pytest.raises(SnmpTimeout):
                    await session.get([O.SYS_NAME])
        finally:
            for session in sessions:
                session.close()
            await agent.close()
            await garbage.close()
        return client.counters

    counters = asyncio.run(main())
    assert counters["received"] == 2 and counters["unmatched"] == 2


def test_reference_session_times_out_the_same_way() -> None:
    """pysnmp on the same silent address: the same exception class (the contract both implement)."""

    async def main() -> None:
        session = await pysnmp_session.PysnmpSession.open(
            "ghost", *UNUSED, pysnmp_session.v2c("public"), 0.2, 0
        )
        try:
            with pytest.raises(SnmpTimeout):
                await session.get([O.SYS_NAME])
        finally:
            session.close()
            pysnmp_session._ENGINES.pop(asyncio.get_running_loop()).close_dispatcher()

    asyncio.run(main())


def test_v3_agent_reboot_is_resynchronised(inventory: Inventory, secrets: SecretStore) -> None:
    """After a reboot the agent's engine boots move on: one notInTimeWindows Report, then the poll succeeds."""

    async def body(lab: SnmpLab) -> None:
        client = SnmpClient()
        session = fast(client, inventory, secrets, "kashgar-ce1")
        try:
            first = await session.get([O.SYS_NAME])
            addr = ("127.73.1.1", 16173)
            assert client.engines[addr].boots == 1
            world = lab.agents["kashgar-ce1"].world
            world.set_node_down("kashgar-ce1", True)
            world.set_node_down("kashgar-ce1", False)
            second = await session.get([O.SYS_NAME, O.SYS_UPTIME])
        finally:
            session.close()
        assert first[O.SYS_NAME] == second[O.SYS_NAME] == b"kashgar-ce1"
        uptime = second[O.SYS_UPTIME]
        assert isinstance(uptime, int) and uptime < 1000  # hundredths: just rebooted
        assert client.engines[addr].boots == 2
        assert lab.counters("kashgar-ce1")["not_in_time_windows"] == 1

    asyncio.run(with_lab(inventory, secrets, body))
