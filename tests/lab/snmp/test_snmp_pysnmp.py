"""pysnmp 7 and net-snmp read the same tables from the lab agents and agree, v2c and v3 (SHA, SHA-256)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_walk_cmd,
    get_cmd,
    usmAesCfb128Protocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMACSHAAuthProtocol,
)

from netops.inventory.models import Inventory
from netops.lab.snmp.platforms import if_name
from tests.lab.snmp.snmp_testlib import (
    ANSWER_S,
    AUTH,
    COMMUNITY,
    PORT,
    PRIV,
    V2C_ARGS,
    V3_SHA,
    V3_SHA256,
    LabThread,
    netsnmp,
    parse_netsnmp,
    pysnmp_value,
    target,
)

TABLES = ("1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1", "1.3.6.1.2.1.47.1.1.1", "1.3.6.1.2.1.14.10")


def auth_data(profile: str) -> Any:
    if profile == "v2c":
        return CommunityData(COMMUNITY)
    if profile == "sha":
        return UsmUserData(
            "netops-ro", AUTH, PRIV, authProtocol=usmHMACSHAAuthProtocol, privProtocol=usmAesCfb128Protocol
        )
    return UsmUserData(
        "netops-sha2",
        AUTH,
        PRIV,
        authProtocol=usmHMAC192SHA256AuthProtocol,
        privProtocol=usmAesCfb128Protocol,
    )


async def pysnmp_walk(host: str, profile: str, roots: tuple[str, ...]) -> dict[str, tuple[str, Any]]:
    engine = SnmpEngine()
    try:
        transport = await UdpTransportTarget.create((host, PORT), timeout=ANSWER_S, retries=0)
        out: dict[str, tuple[str, Any]] = {}
        for root in roots:
            async for err, status, _, varbinds in bulk_walk_cmd(
                engine,
                auth_data(profile),
                transport,
                ContextData(),
                0,
                25,
                ObjectType(ObjectIdentity(root)),
                lookupMib=False,
                lexicographicMode=False,
            ):
                assert err is None and not status, (err, status)
                for name, value in varbinds:
                    out[str(name)] = pysnmp_value(value)
        return out
    finally:
        engine.close_dispatcher()


def freeze(lab: LabThread, device: str) -> None:
    """Stop traffic on the device so counters hold still while two clients read them."""

    def stop() -> None:
        for itf in lab.world.device(device).interfaces:
            itf.set_error_rate(0.0)
            itf.rate_in_bps = itf.rate_out_bps = 0.0

    lab.call(stop)


@pytest.mark.parametrize(
    ("device", "profile", "args"),
    [("centre-core1", "v2c", V2C_ARGS), ("kashgar-ce1", "sha", V3_SHA), ("centre-exit", "sha256", V3_SHA256)],
)
def test_pysnmp_and_net_snmp_agree(
    lab: LabThread, inventory: Inventory, device: str, profile: str, args: list[str]
) -> None:
    freeze(lab, device)
    host = str(inventory.device(device).address)
    theirs = asyncio.run(pysnmp_walk(host, profile, TABLES))
    net: dict[str, tuple[str, Any]] = {}
    for root in TABLES:
        done = netsnmp("snmpbulkwalk", *args, "-Cr25", target(inventory, device), root)
        assert done.returncode == 0, done.stderr
        # an empty subtree: snmpbulkwalk GETs the root itself and prints noSuchObject, pysnmp yields nothing
        net.update((k, v) for k, v in parse_netsnmp(done.stdout).items() if k != root)
    assert len(net) > 40
    assert theirs == net
    dev = lab.world.device(device).device  # ifName: the vendor's spelling (VRP/Comware long, IOS short)
    names = [if_name(dev.platform.vendor, itf.name).encode() for itf in lab.world.device(device).interfaces]
    assert [v for k, (_, v) in theirs.items() if k.startswith("1.3.6.1.2.1.31.1.1.1.1.")] == names


def test_pysnmp_get_exceptions_and_values(lab: LabThread, inventory: Inventory) -> None:
    async def run() -> list[tuple[str, Any]]:
        engine = SnmpEngine()
        try:
            transport = await UdpTransportTarget.create(("127.67.1.1", PORT), timeout=ANSWER_S, retries=0)
            err, status, _, varbinds = await get_cmd(
                engine,
                auth_data("sha"),
                transport,
                ContextData(),
                ObjectType(ObjectIdentity("1.3.6.1.2.1.1.5.0")),
                ObjectType(ObjectIdentity("1.3.6.1.2.1.2.2.1.8.99")),
                ObjectType(ObjectIdentity("1.3.6.1.4.1.99999.1.0")),
                ObjectType(ObjectIdentity("1.3.6.1.2.1.33.1.4.1.0")),
                lookupMib=False,
            )
            assert err is None and not status
            return [pysnmp_value(value) for _, value in varbinds]
        finally:
            engine.close_dispatcher()

    assert asyncio.run(run()) == [
        ("OCTET STRING", b"kashgar-ce1"),
        ("noSuchInstance", None),
        ("noSuchObject", None),
        ("INTEGER", 3),
    ]
