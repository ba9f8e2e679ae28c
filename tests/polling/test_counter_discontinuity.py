"""Counters across reboots, against the lab's SNMP agents (real UDP): a ``reboot`` (sysUpTime and counters
from zero) and a short ``node-down`` (sysUpTime restarts, counters keep their value: the measured bug that
doubled an exported total) both drop the interval: the stored totals neither jump nor go back, no rate is
stored for that interval, and the rates of the intervals around it stay within the interface speed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from netops.inventory import load_inventory
from netops.lab.faults import FaultBook
from netops.polling.poller import Poller, pollable
from netops.store.db import Store
from netops.store.schema import PollDevice, PollInterface
from tests.polling.test_poll_lab import run

DEVICE = "kashgar-shufu-ce1"  # v2c, H3C


def interfaces(store: Store, device: str) -> dict[str, PollInterface]:
    with store.session() as session:
        rows = session.scalars(select(PollInterface).where(PollInterface.device == device))
        return {r.name: r for r in rows}


def reboots(store: Store, device: str) -> int:
    with store.session() as session:
        row = session.get(PollDevice, device)
        assert row is not None
        return row.reboots or 0


def within_speed(rows: dict[str, PollInterface]) -> list[str]:
    return [
        f"{name} {rate}"
        for name, row in rows.items()
        for rate in (row.in_bps, row.out_bps)
        if rate is not None and row.speed_bps and rate > row.speed_bps
    ]


def test_reboot_and_short_node_down_drop_the_interval(tmp_path: Path) -> None:
    async def scenario(poller: Poller, faults: FaultBook, store: Store) -> None:
        devices = pollable(load_inventory(tmp_path / "region"))  # written by run()

        async def cycle() -> dict[str, PollInterface]:
            result = await poller.run_cycle(devices)
            assert DEVICE not in {s.device for s in result.failed}
            await asyncio.sleep(0.3)  # traffic to count
            return interfaces(store, DEVICE)

        await cycle()
        before = await cycle()
        busy = [n for n, r in before.items() if r.in_bps]
        assert busy and not within_speed(before)

        # a reboot: the device's counters restart from zero; netops keeps its totals, stores no rate
        faults.apply("reboot", DEVICE)
        after = await cycle()
        assert reboots(store, DEVICE) == 1
        for name in busy:
            assert after[name].totals == before[name].totals
            assert after[name].in_bps is None and after[name].out_bps is None
            assert after[name].raw["in_octets"] < before[name].raw["in_octets"]
        # the next interval counts again, within the speed
        await asyncio.sleep(1.5)  # sysUpTime must later go back by more than a second to count as a reboot
        later = await cycle()
        for name in busy:
            assert later[name].totals["in_octets"] > after[name].totals["in_octets"]
            assert later[name].in_bps is not None
        assert not within_speed(later)

        # a short node-down: sysUpTime restarts while the lab's counters keep their value
        fault = faults.apply("node-down", DEVICE)
        faults.clear(fault.id)
        back = await cycle()
        assert reboots(store, DEVICE) == 2
        for name in busy:
            assert back[name].totals == later[name].totals  # not doubled
            assert back[name].in_bps is None
        final = await cycle()
        assert not within_speed(final)
        for name in busy:
            grew = final[name].totals["in_octets"] - back[name].totals["in_octets"]
            assert 0 < grew <= final[name].speed_bps / 8 * (final[name].updated_at - back[name].updated_at)

    run(tmp_path, scenario)
