"""Event rounds against the real poller and the lab (``schedule.follow_network``): what polling has confirmed
is what the round sees, an incident that arrives while a round of the same conference runs gets a round of its
own, and a room a round found bad once is checked again soon, not at the next scheduled round.

The poller polls the lab's SNMP agents as the service's two poll groups do (``poll-uplinks``: the centre and the
prefectures' routers; ``poll-access``: the rest), publishes its incidents on the runtime's bus, and a real
``AsyncIOScheduler`` with the service's job defaults (``max_instances=1``) runs the rounds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from netops.drivers.snmp.source import SnmpSource
from netops.events import Event
from netops.inventory.models import Device, Inventory
from netops.inventory.topology import Topology
from netops.lab.codec import start_codecs
from netops.lab.faults import FaultBook
from netops.lab.snmp import start_snmp
from netops.lab.state import LabWorld
from netops.lab.testing import wait_s, write_secrets
from netops.polling.analysis import publish_changes
from netops.polling.incidents import IncidentChange
from netops.polling.jobs import poll_groups
from netops.polling.poller import Poller
from netops.polling.rootcause import analyse, links_down_from_interfaces
from netops.polling.store import record_cycle
from netops.polling.tracker import StatusTracker
from netops.runtime import Runtime
from netops.scheduler import JOB_DEFAULTS
from netops.secrets import SecretStore
from netops.settings import Settings
from netops.store.db import Store
from netops.store.schema import VcRoomState
from netops.vc import store as vcstore
from netops.vc.conferences import ConferenceIn
from netops.vc.schedule import schedule_prechecks
from tests.vc.conftest import INVENTORY, PASSWORD
from tests.vc.polldata import samples


@dataclass
class Rig:
    rt: Runtime
    poller: Poller
    faults: FaultBook
    uplinks: list[Device]
    access: list[Device]
    events: list[Event]


def lab_secrets(tmp_path: Path) -> SecretStore:
    values = {"codec-admin-password": PASSWORD, "lab-cli-password": "cli-pw-0815", "lab-community": "vc-comm"}
    return SecretStore(write_secrets(tmp_path / "lab-secrets.yaml", values))


def add_conference(db: Store, inventory: Inventory, conf_id: str, rooms: list[str]) -> None:
    start = datetime.fromtimestamp(time.time() + 1200, UTC)  # T-20: no scheduled round for 5 minutes
    vcstore.add_conference(db, inventory, ConferenceIn(id=conf_id, title="事件", start=start, duration_min=60,
                                                        rooms=rooms))  # fmt: skip


@asynccontextmanager
async def rig(inventory: Inventory, db: Store, tmp_path: Path) -> AsyncIterator[Rig]:
    """The lab (SNMP agents, codecs, MCU), a poller on the runtime's bus (threshold 1, as the service's demo),
    the region polled once clean, and the precheck jobs on a running scheduler that follows the network."""
    secrets = lab_secrets(tmp_path)
    rt = Runtime(Settings(inventory=INVENTORY, state_dir=tmp_path), inventory, db)
    topo = Topology(inventory)
    world = LabWorld(inventory)
    agents = await start_snmp(world, secrets)
    try:
        async with await start_codecs(world, secrets):
            # the agents answer in this process; the region's SNMP profile waits 2 s and asks twice
            source = SnmpSource(lambda: inventory, secrets)
            poller = Poller(db, source, lambda: topo, threshold=1, bus=rt.bus, ssh_probe_s=0.0)
            groups = {g.job_id: list(g.devices) for g in poll_groups(inventory)}
            first = await poller.run_cycle([*groups["poll-uplinks"], *groups["poll-access"]])
            assert first.failed == [], [(s.device, s.detail) for s in first.failed]
            events: list[Event] = []
            rt.bus.subscribe("*", events.append)
            scheduler = AsyncIOScheduler(job_defaults=dict(JOB_DEFAULTS))
            scheduler.start()
            try:
                schedule_prechecks(scheduler, rt, secrets=secrets)
                yield Rig(rt, poller, FaultBook(world), groups["poll-uplinks"], groups["poll-access"], events)
            finally:
                scheduler.shutdown(wait=False)
    finally:
        await agents.close()


async def until(what: str, check: Callable[[], bool], every: float = 0.05) -> None:
    """``wait_until`` for a scenario running on the scheduler's event loop: sleeps without blocking it."""
    deadline = time.monotonic() + wait_s()
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(every)


def state(db: Store, conf: str, room: str) -> VcRoomState | None:
    return vcstore.room_states(db, conf).get(room)


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def test_a_room_behind_a_router_confirmed_down_is_red_in_the_round_of_the_incident(
    inventory: Inventory, db: Store, tmp_path: Path
) -> None:
    """The colleague's board test: Kashgar's prefecture router dies; the uplink poll group confirms it down and
    opens the incident before the access group has polled the county behind it (its router and codec still
    read ``up`` from their last poll, and the incident lists no county room yet). The event round that the
    incident starts must find kashgar-shufu-vc cut off (RED, behind the incident), not probe its silent codec
    and leave it AMBER ("bad round 1 of 2") until some later round."""
    add_conference(db, inventory, "cut", ["kashgar-shufu-vc", "hotan-vc"])

    async def scenario() -> None:
        async with rig(inventory, db, tmp_path) as r:
            r.faults.apply("node-down", "kashgar-ce1")
            cycle = await r.poller.run_cycle(r.uplinks, job="poll-uplinks")
            assert [s.device for s in cycle.failed] == ["kashgar-ce1"]
            [opened] = [e for e in r.events if e.kind == "incident.opened"]
            assert opened.data["cause"] == ["kashgar-ce1"]
            await until(
                "the event round of kashgar-shufu-vc",
                lambda: state(db, "cut", "kashgar-shufu-vc") is not None,
            )

    run(scenario)
    shufu = state(db, "cut", "kashgar-shufu-vc")
    assert shufu is not None
    assert shufu.colour == "RED", shufu.reasons  # was AMBER: reachable FAIL (bad round 1 of 2)
    assert shufu.reasons[0].startswith("upstream: unreachable: behind incident #"), shufu.reasons
    last = vcstore.last_round(db, "cut")
    assert last is not None and last.kind == "event"
    assert state(db, "cut", "hotan-vc") is None  # not on the path: not checked


# --- rounds started while one runs, and retries: poll results written as the poller stores them -----------


def stored_cycle(
    db: Store, topology: Topology, tracker: StatusTracker, t: float, **kw: Any
) -> list[IncidentChange]:
    """One poll cycle recorded as the poller records it (samples, status, root cause, incidents), returning
    the incident changes the poller would publish."""
    batch = samples(topology, t, **kw)
    for s in batch:
        tracker.observe(s.device, s.ok, t, s.error)
    down = links_down_from_interfaces(topology, {s.device: s.down_interfaces() for s in batch if s.ok})
    analysis = analyse(topology, tracker.silent(), down)
    return record_cycle(db, job="test", samples=batch, tracker=tracker, analysis=analysis, started_at=t,
                        duration_s=1.0, interval_s=60.0, topology=topology)  # fmt: skip


HOTAN_PRIMARY_DOWN = ("hotan-ce1:GE0/0/0", "centre-core1:GE0/0/2")  # Hotan on its backup link


@asynccontextmanager
async def following(
    inventory: Inventory, db: Store, tmp_path: Path, secrets: SecretStore, retry_s: float | None
) -> AsyncIterator[tuple[Runtime, asyncio.Event, AsyncIOScheduler]]:
    """The precheck jobs on a running scheduler with the service's job defaults, following the runtime's bus;
    the event is set when a round (a job, not the test's own task) reads the clock: it reads polling's state
    right after, before it first waits."""
    rt = Runtime(Settings(inventory=INVENTORY, state_dir=tmp_path), inventory, db)
    main = asyncio.current_task()
    reading = asyncio.Event()

    def clock() -> float:
        try:
            task = asyncio.current_task()
        except RuntimeError:  # a job run in the scheduler's thread pool
            task = None
        if task is not None and task is not main:
            reading.set()
        return time.time()

    scheduler = AsyncIOScheduler(job_defaults=dict(JOB_DEFAULTS))
    scheduler.start()
    try:
        schedule_prechecks(scheduler, rt, clock, secrets, retry_s=retry_s)
        yield rt, reading, scheduler
    finally:
        scheduler.shutdown(wait=False)


def test_an_incident_during_a_round_of_its_conference_gets_a_round_of_its_own(
    inventory: Inventory, topology: Topology, db: Store, tmp_path: Path, world: LabWorld, secrets: SecretStore
) -> None:
    """Hotan's primary link goes down (Hotan on its backup, the room still up for polling) while the lab's codec
    is dead: the event round probes the codec and waits out its timeouts. Meanwhile polling finds the router
    and the codec silent: a second incident, published while that round runs. Its round must come (after the
    first, reading polling's state as it is then): the room RED behind the incident. Before, the second
    ``vc-event-<conf>`` job was skipped (APScheduler's ``max_instances=1``: the first still ran) and the room
    stayed AMBER ("bad round 1 of 2") until a scheduled round."""
    add_conference(db, inventory, "busy", ["hotan-vc", "aksu-vc"])
    tracker = StatusTracker(threshold=1)
    now = time.time()
    stored_cycle(db, topology, tracker, now - 60)
    stored_cycle(db, topology, tracker, now - 30)

    async def scenario() -> None:
        async with (
            await start_codecs(world, secrets),
            following(inventory, db, tmp_path, secrets, None) as (rt, reading, _),
        ):
            FaultBook(world).apply("node-down", "hotan-codec")
            degraded = stored_cycle(db, topology, tracker, time.time(), down_interfaces=HOTAN_PRIMARY_DOWN)
            assert [c.change for c in degraded] == ["opened"]
            publish_changes(degraded, rt.bus)
            await reading.wait()  # the first round has read polling's state: Hotan up, on its backup
            cut = stored_cycle(db, topology, tracker, time.time(), down_interfaces=HOTAN_PRIMARY_DOWN,
                               silent=("hotan-ce1", "hotan-codec"))  # fmt: skip
            assert cut
            publish_changes(cut, rt.bus)
            await until(
                "hotan-vc RED", lambda: getattr(state(db, "busy", "hotan-vc"), "colour", None) == "RED"
            )

    run(scenario)
    hotan = state(db, "busy", "hotan-vc")
    assert hotan is not None
    assert hotan.reasons[0].startswith("upstream: unreachable: behind incident #"), hotan.reasons
    assert [r.kind for r in vcstore.rounds(db, "busy")] == ["event", "event"]
    assert state(db, "busy", "aksu-vc") is None  # not on the path: never checked


def test_a_room_bad_once_before_the_conference_is_checked_again_soon(
    inventory: Inventory, topology: Topology, db: Store, tmp_path: Path, world: LabWorld, secrets: SecretStore
) -> None:
    """A room whose codec does not answer while polling sees nothing wrong on its path (a link incident on its
    path re-checked it; Hotan is on its backup): AMBER, "bad round 1 of 2". At T-20 the next scheduled round
    is T-15, five minutes away: the retry round comes ``retry_s`` later instead and finds it bad again: RED."""
    add_conference(db, inventory, "retry", ["hotan-vc"])
    tracker = StatusTracker(threshold=1)
    now = time.time()
    stored_cycle(db, topology, tracker, now - 60)
    stored_cycle(db, topology, tracker, now - 30)

    async def scenario() -> None:
        async with (
            await start_codecs(world, secrets),
            following(inventory, db, tmp_path, secrets, 0.5) as (rt, _, _),
        ):
            FaultBook(world).apply("node-down", "hotan-codec")
            publish_changes(stored_cycle(db, topology, tracker, time.time(), down_interfaces=HOTAN_PRIMARY_DOWN),
                            rt.bus)  # fmt: skip
            await until("two rounds of hotan-vc", lambda: len(vcstore.rounds(db, "retry")) >= 2)

    run(scenario)
    first, second = reversed(vcstore.rounds(db, "retry")[:2])
    assert (first.kind, second.kind) == ("event", "event")
    assert first.counts == {"GREEN": 0, "AMBER": 1, "RED": 0}
    hotan = state(db, "retry", "hotan-vc")
    assert hotan is not None
    assert hotan.colour == "RED", hotan.reasons
    assert hotan.reasons[0].startswith("reachable: ") and "bad round" not in hotan.reasons[0], hotan.reasons
    assert hotan.streaks.get("reachable") == 2


def test_a_scheduled_round_that_finds_a_room_bad_once_is_followed_by_a_retry(
    inventory: Inventory, db: Store, tmp_path: Path, world: LabWorld, secrets: SecretStore
) -> None:
    """The T-5 round (its job fires two seconds from now) finds the room's codec dead: AMBER, "bad round 1 of
    2"; the retry round (``retry_s`` later, an ``event`` round) makes it RED five minutes before the start,
    not at the first live round."""

    async def scenario() -> None:
        async with (
            await start_codecs(world, secrets),
            following(inventory, db, tmp_path, secrets, 0.5) as (
                rt,
                _,
                scheduler,
            ),
        ):
            FaultBook(world).apply("node-down", "hotan-codec")
            # T-5 two seconds from now, set just before its job is scheduled
            start = datetime.fromtimestamp(time.time() + 300 + 2.0, UTC)
            spec = ConferenceIn(id="tminus", title="将开", start=start, duration_min=30, rooms=["hotan-vc"])
            vcstore.add_conference(db, inventory, spec)
            # as the refresh job does every minute (schedule_prechecks again, with the follower of the first)
            assert "vc-precheck-tminus-t5" in schedule_prechecks(scheduler, rt, secrets=secrets)
            await until("two rounds of tminus", lambda: len(vcstore.rounds(db, "tminus")) >= 2)

    run(scenario)
    first, second = reversed(vcstore.rounds(db, "tminus")[:2])
    assert (first.kind, second.kind) == ("t5", "event")
    assert first.counts == {"GREEN": 0, "AMBER": 1, "RED": 0}
    hotan = state(db, "tminus", "hotan-vc")
    assert hotan is not None
    assert hotan.colour == "RED", hotan.reasons
    assert hotan.reasons[0].startswith("reachable: ") and hotan.streaks.get("reachable") == 2, hotan.reasons
