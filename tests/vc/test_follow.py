"""Readiness that follows the network (issue 17, item 3): backup-link checks on the room's own path; an
incident touching a room's path re-checks that room at once (a real AsyncIOScheduler and the event bus); lab
codecs join the conference when told to dial (xAPI ``Dial``), a fault on the path drops the call, and the next
live round rejoins and says when and why the call dropped."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import httpx
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from netops.inventory.topology import Topology
from netops.lab.codec import start_codecs
from netops.lab.faults import FaultBook
from netops.lab.state import LabWorld
from netops.polling import queries
from netops.polling.analysis import publish_changes
from netops.polling.incidents import IncidentChange
from netops.polling.tracker import StatusTracker
from netops.runtime import Runtime
from netops.secrets import SecretStore
from netops.settings import Settings
from netops.store.db import Store
from netops.vc import store as vcstore
from netops.vc.checks import fetch_status
from netops.vc.conferences import ConferenceIn
from netops.vc.pollchecks import path_backups
from netops.vc.precheck import Prechecker, RoundReport
from netops.vc.rule import Colour
from netops.vc.schedule import rooms_on_path, schedule_prechecks
from tests.conftest import REPO
from tests.vc.conftest import FAST, INVENTORY, RunLab
from tests.vc.polldata import poll, samples
from tests.vc.test_failure_modes import check, conference, room


def test_backup_checks_look_at_the_rooms_own_path() -> None:
    inv = load_inventory(REPO / "inventory")
    topo = Topology(inv)

    def backups(room: str) -> list[str]:
        return sorted(lk.id for lk, _ in path_backups(topo, inv.rooms[room]))

    # the centre's main room: the prefectures' backups end on centre-core2 but protect other rooms
    assert backups("centre-vc") == []
    assert backups("aksu-vc") == ["aksu-ce1--centre-core2-backup"]
    # a county room: its own backup and its prefecture's, not its sibling counties'
    assert backups("aksu-akesu-vc") == ["aksu-akesu-ce1--aksu-ce1-backup", "aksu-ce1--centre-core2-backup"]
    assert backups("aksu-shaya-vc") == ["aksu-ce1--centre-core2-backup"]
    rooms = list(inv.rooms.values())
    # a cut prefecture backup touches that prefecture's rooms only; the centre's core touches everything
    hit = rooms_on_path(topo, rooms, {"aksu-ce1--centre-core2-backup"})
    assert "aksu-akesu-vc" in hit and "centre-vc" not in hit and not any(r.startswith("kashgar") for r in hit)
    assert rooms_on_path(topo, rooms, {"aksu-akesu-ce1--aksu-ce1-backup"}) == {"aksu-akesu-vc"}


def test_an_incident_on_a_rooms_path_rechecks_it_at_once(
    inventory: Inventory, db: Store, tmp_path: Path, world: LabWorld, secrets: SecretStore, topology: Topology
) -> None:
    rt = Runtime(Settings(inventory=INVENTORY, state_dir=tmp_path), inventory, db)
    start = datetime.fromtimestamp(time.time() + 1200, UTC)  # T-20: no scheduled round for 5 minutes
    vcstore.add_conference(db, inventory, ConferenceIn(id="follow", title="跟随", start=start, duration_min=60,
                                                        rooms=["hotan-vc", "aksu-vc"]))  # fmt: skip
    tracker = StatusTracker(threshold=1)
    now = time.time()
    poll(db, topology, tracker, samples(topology, now - 60), now - 60)
    poll(db, topology, tracker, samples(topology, now), now)

    async def main() -> tuple[RoundReport, list[str]]:
        async with await start_codecs(world, secrets):
            conf = vcstore.get_conference(db, INVENTORY, "follow")
            first = await Prechecker(inventory, topology, db, secrets, rt.bus, thresholds=FAST).run(conf)
            scheduler = AsyncIOScheduler()
            ran: list[str] = []
            done = asyncio.Event()
            loop = asyncio.get_running_loop()

            def executed(e: JobExecutionEvent) -> None:
                ran.append(e.job_id)
                if e.job_id.startswith("vc-event-"):
                    loop.call_soon_threadsafe(done.set)

            scheduler.add_listener(executed, EVENT_JOB_EXECUTED)
            scheduler.start()
            try:
                schedule_prechecks(scheduler, rt, secrets=secrets)
                # the prefecture router goes silent: the poller stores the incident and publishes it
                t = time.time()
                poll(db, topology, tracker, samples(topology, t, silent=("aksu-ce1", "aksu-codec")), t)
                [inc] = queries.status(db, topology)["open_incidents"]
                publish_changes([IncidentChange(inc["id"], inc["key"], "opened", inc["summary"],
                                                data={"cause": ["aksu-ce1"]})], rt.bus)  # fmt: skip
                await asyncio.wait_for(done.wait(), 60)
            finally:
                scheduler.shutdown(wait=False)
            return first, ran

    first, ran = asyncio.run(main())
    assert first.counts == {"GREEN": 2, "AMBER": 0, "RED": 0}
    assert "vc-event-follow" in ran
    last = vcstore.last_round(db, "follow")
    assert last is not None and last.kind == "event" and last.counts == {"GREEN": 0, "AMBER": 0, "RED": 1}
    states = vcstore.room_states(db, "follow")
    assert states["aksu-vc"].colour == "RED" and states["aksu-vc"].reasons[0].startswith(
        "upstream: unreachable"
    )
    assert states["hotan-vc"].round_id == first.round_id  # not on the path: not re-checked


def test_a_fault_on_the_path_drops_the_call_and_the_live_round_rejoins(
    lab: RunLab, checker: Prechecker, world: LabWorld, faults: FaultBook, secrets: SecretStore
) -> None:
    conf = conference(("aksu-vc",), start_in_s=-60)
    codec = world.inventory.device("aksu-codec")

    async def in_call() -> int:
        async with httpx.AsyncClient() as client:
            doc = await fetch_status(client, codec, world.inventory, secrets)
        return int(doc.findtext("SystemUnit/State/NumberOfActiveCalls") or -1)

    async def scenario() -> tuple[RoundReport, int, int, ET.Element | None, RoundReport, int]:
        joined = await checker.run(conf, "live")
        calls_before = await in_call()
        fault = faults.apply("node-down", "aksu-ce1")  # the room's router: codec and MCU lose each other
        mcu = world.device("centre-mcu").mcu
        assert mcu is not None
        ports_during = mcu.ports_in_use
        faults.clear(fault.id)
        async with httpx.AsyncClient() as client:
            doc = await fetch_status(client, codec, world.inventory, secrets)
        call = doc.find("Call")
        rejoined = await checker.run(conf, "live")
        return joined, calls_before, ports_during, call, rejoined, mcu.ports_in_use

    joined, calls_before, ports_during, call, rejoined, ports_after = lab(scenario)
    assert check(room(joined, "aksu-vc"), "call_state")[1] == "joined drill@127.70.0.5 (dialled)"
    assert calls_before == 1
    assert ports_during == 0 and call is None  # dropped: no Call element, the MCU port freed
    status, reason = check(room(rejoined, "aksu-vc"), "call_state")
    assert status.value == "OK" and reason.startswith("call dropped at ")
    assert "(Call dropped: no media from the far end); joined drill@127.70.0.5 (dialled)" in reason
    assert room(rejoined, "aksu-vc").colour is Colour.GREEN and ports_after == 1
