"""Many targets on one socket: 300 lab agents (200 v2c, 100 v3 SHA/AES) polled at once through one
``SnmpClient`` with a bounded number of requests in flight; every one answers, nothing is lost, and the
socket is closed when the last session is."""

from __future__ import annotations

import asyncio
from pathlib import Path

from netops.drivers.snmp import oids as O
from netops.drivers.snmp.collect import collect
from netops.drivers.snmp.fast_client import SnmpClient
from netops.drivers.snmp.source import SnmpSource
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from netops.lab.snmp import SnmpLab
from netops.polling.model import DeviceSample
from tests.drivers.snmp.conftest import fast, with_lab, write_secrets

V2C, V3 = 200, 100


def many_devices(path: Path) -> Inventory:
    lines = [
        "defaults: {platform: huawei_vrp8, snmp_profile: many-v2c, credential: drv-cli, snmp_port: 16174}",
        "snmp_profiles:",
        '  - {id: many-v2c, version: "2c", community: {secret: drv-community}, timeout_s: 2.0, retries: 1}',
        '  - {id: many-v3, version: "3", user: netops-ro, auth_protocol: sha, auth_key: {secret: drv-auth},',
        "     priv_protocol: aes, priv_key: {secret: drv-priv}, timeout_s: 2.0, retries: 1}",
        "credentials:",
        "  - {id: drv-cli, username: netops, password: {secret: drv-cli}}",
        "sites:",
        "  - id: centre",
        "    name: centre",
        "    tier: region",
        "    devices:",
    ]
    for i in range(V2C + V3):
        profile = ", snmp_profile: many-v3" if i >= V2C else ""
        address = f"127.73.{20 + i // 200}.{1 + i % 200}"
        lines.append(
            f"      - {{id: dev-{i:03d}, role: ce, address: {address}{profile}, "
            f"interfaces: [{{name: GE0/0/0}}, {{name: GE0/0/1}}, {{name: GE0/0/2}}, {{name: GE0/0/3}}]}}"
        )
    path.mkdir()
    (path / "region.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_inventory(path)


def test_300_targets_on_one_socket(tmp_path: Path) -> None:
    inventory = many_devices(tmp_path / "inv")
    secrets = write_secrets(tmp_path / "secrets.yaml")

    async def body(lab: SnmpLab) -> list[DeviceSample]:
        source = SnmpSource(lambda: inventory, secrets, max_in_flight=32)
        samples = await asyncio.gather(*(source.poll(d) for d in inventory.devices.values()))
        assert not source.client.is_open
        counters = source.client.counters
        assert counters["timeouts"] == 0 and counters["resent"] == 0 and counters["unmatched"] == 0
        assert counters["peak_in_flight"] == 32  # the bound, reached
        # 5 requests per device (system, ifTable, ifXTable, CPU/memory, neighbours) + 1 discovery per v3 engine
        assert counters["sent"] == counters["received"] == 5 * (V2C + V3) + V3
        assert lab.counters()["answers"] == 5 * (V2C + V3)
        return samples

    samples = asyncio.run(with_lab(inventory, secrets, body))
    assert [s.device for s in samples if not s.ok] == []
    assert all(s.sys_name == s.device and len(s.interfaces) == 4 for s in samples)
    assert all(s.cpu_ratio is not None for s in samples)


def test_sessions_share_one_socket_and_engine_cache(tmp_path: Path) -> None:
    inventory = many_devices(tmp_path / "inv")
    secrets = write_secrets(tmp_path / "secrets.yaml")
    chosen = [f"dev-{i:03d}" for i in (0, 1, V2C, V2C + 1)]

    async def body(_lab: SnmpLab) -> None:
        source = SnmpSource(lambda: inventory, secrets)
        sessions = [fast(source.client, inventory, secrets, d) for d in chosen]
        try:
            sock = source.client._sock
            for _ in range(2):
                results = await asyncio.gather(*(s.get([O.SYS_NAME]) for s in sessions))
                assert [r[O.SYS_NAME] for r in results] == [d.encode() for d in chosen]
                assert source.client._sock is sock
            assert len(source.client.engines) == 2  # the two v3 agents, discovered once each
            sample = await collect(inventory.device(chosen[-1]), sessions[-1])
            assert sample.ok
        finally:
            for s in sessions:
                s.close()
        assert not source.client.is_open

    asyncio.run(with_lab(inventory, secrets, body))


def test_a_small_receive_buffer_bounds_the_bytes_in_flight(tmp_path: Path) -> None:
    inventory = many_devices(tmp_path / "inv")
    secrets = write_secrets(tmp_path / "secrets.yaml")

    async def body(_lab: SnmpLab) -> None:
        client = SnmpClient(max_in_flight=1000, receive_buffer=32 * 1024)
        sessions = [fast(client, inventory, secrets, d) for d in inventory.devices]
        try:
            assert client.budget == 32 * 1024  # the kernel granted 64 KiB, half of it for answers
            tables = await asyncio.gather(*(s.walk_columns(O.IF_TABLE) for s in sessions))
            system = await asyncio.gather(*(s.get([O.SYS_NAME]) for s in sessions))
        finally:
            for s in sessions:
                s.close()
        assert all(len(t[O.IF_DESCR]) == 4 for t in tables)
        assert [r[O.SYS_NAME] for r in system] == [d.encode() for d in inventory.devices]
        # a 10-column walk at 25 repetitions is estimated at ~10 KB: three fit; small GETs: sixteen
        assert client.counters["peak_in_flight"] == 16
        assert client.counters["timeouts"] == client.counters["resent"] == 0

    asyncio.run(with_lab(inventory, secrets, body))
