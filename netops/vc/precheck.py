"""Prechecks: every room of a conference checked at once (bounded), judged by the rule, stored, events raised.

``Prechecker.run(conf, kind)`` is one round: read what polling knows (``pollchecks.PollView``), then per room
(at most ``Thresholds.concurrency`` at a time) the codec checks (``checks.py``) unless polling already puts the
room behind an incident, then the rule (``rule.py``) with the room's previous network streaks, then the MCU.
A room that turns RED publishes ``vc.room.red`` on the event bus; one that leaves RED ``vc.room.recovered``.

Kinds: ``t60``, ``t15``, ``t5`` (scheduled, ``schedule.py``), ``manual`` (API/CLI), ``live`` (every 30 s during
the conference: the path burst, the status document and the room's own-path backup links (``backup_check``),
no SIP and no polling-fed headroom checks),
``event`` (the rooms whose path an incident touches, at once, and the rooms a round before the start found bad
once, ``schedule.RETRY_S`` later: ``schedule.follow_network``; live checks during the conference). A live
round makes a room that is not in the call dial the conference on the MCU (xAPI ``Dial``,
``checks.join_call``): the first live round at the start joins every room, a later one rejoins a room whose
call dropped (and says when and why it dropped). ``run(conf, kind, rooms=...)`` checks only those
rooms; the others keep their last state. The clock is injectable: the T-15 boundary of the rule is taken
from it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from netops.drivers.probes import ProbeResult
from netops.errors import DeviceError, NetopsError, SecretError
from netops.events import Event, EventBus
from netops.inventory.models import Device, Inventory, Room
from netops.inventory.topology import Topology
from netops.secrets import SecretStore
from netops.store.db import Store
from netops.vc import store as vcstore
from netops.vc.checks import (
    CallTarget,
    Check,
    Status,
    codec_checks,
    fetch_status,
    join_call,
    sip_check,
    status_unknown,
)
from netops.vc.conferences import Conference, load_files, resolve_mcu, resolve_rooms
from netops.vc.pollchecks import PollView, backup_check, mcu_uplink_check, room_poll_checks, upstream_check
from netops.vc.rule import Colour, decide
from netops.vc.thresholds import Thresholds

log = logging.getLogger(__name__)

Clock = Callable[[], float]
OFFSETS_S = {"t60": 3600.0, "t15": 900.0, "t5": 300.0}  # scheduled rounds, seconds before the start
KINDS = (*OFFSETS_S, "manual", "live", "event")
T15_S = OFFSETS_S["t15"]


@dataclass(frozen=True, slots=True)
class RoomReport:
    room: str
    site: str
    prefecture: str | None
    colour: Colour
    reasons: tuple[str, ...]
    checks: tuple[Check, ...]
    probe: ProbeResult | None
    streaks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RoundReport:
    conference: str
    kind: str
    round_id: int
    started_at: float
    duration_s: float
    rooms: tuple[RoomReport, ...]
    conference_checks: tuple[Check, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {str(c): sum(r.colour is c for r in self.rooms) for c in Colour}


def _ms_to_s(value: float | None) -> float | None:
    return None if value is None else value / 1000


class Prechecker:
    def __init__(
        self,
        inventory: Inventory,
        topology: Topology,
        store: Store,
        secrets: SecretStore,
        bus: EventBus | None = None,
        *,
        thresholds: Thresholds | None = None,
        clock: Clock = time.time,
    ) -> None:
        self.inventory = inventory
        self.topology = topology
        self.store = store
        self.secrets = secrets
        self.bus = bus
        self.thresholds = thresholds
        self.clock = clock

    def _need_bps(self, conf: Conference, room: Room, th: Thresholds) -> float:
        rate = conf.call_rate_kbps or room.call_rate_kbps
        return (rate + th.content_kbps) * 1000 * th.headroom_factor

    async def run(
        self,
        conf: Conference,
        kind: str = "manual",
        rooms: set[str] | None = None,
        on_room: Callable[[RoomReport], None] | None = None,
    ) -> RoundReport:
        """One round over ``rooms`` (default: every room of ``conf``); ``on_room`` hears each room's verdict
        as it is reached (the CLI's progress)."""
        if kind not in KINDS:
            raise ValueError(f"round kind {kind!r}: expected one of {', '.join(KINDS)}")
        th = self.thresholds or load_files(Path(self.inventory.directory))[1]
        now = self.clock()
        started = time.perf_counter()
        after_t15 = kind in ("t15", "t5", "live") or now >= conf.start_at - T15_S
        in_conference = kind == "live" or conf.start_at <= now <= conf.end_at
        # during the conference an event round checks as the live rounds do (stored as ``event``)
        checks = "live" if kind == "event" and in_conference else kind
        every = resolve_rooms(conf, self.inventory)
        chosen = [r for r in every if rooms is None or r.id in rooms]
        known, clashes = self._others(conf, every)
        call = self._call_target(conf, known) if in_conference else None
        view = PollView.load(self.store, self.topology, th, now)
        before = vcstore.room_states(self.store, conf.id)
        gate = asyncio.Semaphore(th.concurrency)
        limits = httpx.Limits(max_connections=th.concurrency + 8, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=th.http_timeout_s, limits=limits) as client:

            async def one(room: Room) -> RoomReport:
                async with gate:
                    report = await self._room(
                        client, conf, room, view, th, checks, after_t15, in_conference, before,
                        call, clashes.get(room.id, []),
                    )  # fmt: skip
                if on_room is not None:
                    on_room(report)
                return report

            reports, conf_checks = await asyncio.gather(
                asyncio.gather(*(one(r) for r in chosen)), self._mcu(client, conf, every, view, th, checks)
            )
        duration = time.perf_counter() - started
        outcomes = [
            vcstore.RoomOutcome(
                room=r.room,
                colour=str(r.colour),
                reasons=list(r.reasons),
                checks=[c.as_dict() for c in r.checks],
                streaks=r.streaks,
                delay_s=_ms_to_s(r.probe.one_way_p95_ms) if r.probe else None,
                jitter_s=_ms_to_s(_jitter(r.probe)) if r.probe else None,
                loss_ratio=r.probe.loss_ratio if r.probe else None,
            )
            for r in reports
        ]
        report = RoundReport(conf.id, kind, 0, now, duration, tuple(reports), tuple(conf_checks))
        round_id = vcstore.record_round(
            self.store,
            conference=conf.id,
            kind=kind,
            started_at=now,
            duration_s=duration,
            counts=report.counts,
            conference_checks=[c.as_dict() for c in conf_checks],
            rooms=outcomes,
        )
        self._publish(conf, kind, reports, before)
        log.info("precheck %s %s: %s in %.1f s", conf.id, kind, report.counts, duration)
        return RoundReport(conf.id, kind, round_id, now, duration, tuple(reports), tuple(conf_checks))

    async def _room(
        self,
        client: httpx.AsyncClient,
        conf: Conference,
        room: Room,
        view: PollView,
        th: Thresholds,
        kind: str,
        after_t15: bool,
        in_conference: bool,
        before: dict[str, Any],
        call: CallTarget | None = None,
        clash: list[Conference] | None = None,
    ) -> RoomReport:
        codec = self.inventory.device(room.codec)
        site = self.inventory.sites[room.site]
        upstream = upstream_check(view, room)
        probe: ProbeResult | None = None
        if upstream.status is Status.FAIL:  # polling already knows: do not wait for timeouts
            checks = [upstream, *_behind_incident()]
        else:
            try:
                measured, probe = await codec_checks(
                    client, codec, self.inventory, self.secrets, th, in_conference=in_conference, call=call
                )
            except OSError as exc:  # a socket that cannot even be opened: this room fails, the round goes on
                reason = f"cannot probe {codec.id}: {exc.__class__.__name__}: {exc.strerror or exc}"
                measured = [Check("reachable", Status.FAIL, reason, network=True)]
            if kind == "live":
                measured = [c for c in measured if c.name != "sip_options"]
                measured = await self._join(client, conf, codec, measured)
                # the room's own-path backup links as in the T-x rounds: one failure from being cut is AMBER
                checks = [upstream, backup_check(view, room), *measured]
            else:
                need = self._need_bps(conf, room, th)
                checks = [*room_poll_checks(view, room, codec, need, th), *measured]
        if clash:
            checks.append(_clash_check(conf, clash))
        verdict = decide(checks, after_t15=after_t15, before=_streaks(before, room.id))
        return RoomReport(
            room.id,
            room.site,
            site.prefecture,
            verdict.colour,
            verdict.reasons,
            tuple(checks),
            probe,
            verdict.streaks,
        )

    def _others(self, conf: Conference, rooms: list[Room]) -> tuple[set[str], dict[str, list[Conference]]]:
        """Every conference id netops knows, and per room of ``rooms`` the other conferences whose time
        overlaps ``conf``'s and that use the room too (a codec is in one call at a time)."""
        try:
            listed = vcstore.list_conferences(self.store, Path(self.inventory.directory))
        except NetopsError as exc:
            log.warning("cannot list the conferences to look for clashes: %s", exc)
            return {conf.id}, {}
        ids = {c.id for c in listed} | {conf.id}
        mine = {r.id for r in rooms}
        clashes: dict[str, list[Conference]] = {}
        for other in listed:
            if other.id == conf.id or not (other.start_at < conf.end_at and conf.start_at < other.end_at):
                continue
            try:
                shared = mine & {r.id for r in resolve_rooms(other, self.inventory)}
            except NetopsError:
                continue
            for room in sorted(shared):
                clashes.setdefault(room, []).append(other)
        return ids, clashes

    def _call_target(self, conf: Conference, known: set[str]) -> CallTarget | None:
        mcu_id = resolve_mcu(conf, self.inventory)
        if mcu_id is None:
            return None
        hosts = frozenset({mcu_id, str(self.inventory.device(mcu_id).address)})
        return CallTarget(conf.id, hosts, frozenset(known))

    async def _join(
        self, client: httpx.AsyncClient, conf: Conference, codec: Device, checks: list[Check]
    ) -> list[Check]:
        """During the conference a codec not in the call dials the MCU; the call state says what happened."""
        mcu_id = resolve_mcu(conf, self.inventory)
        out = []
        for c in checks:
            if c.name == "call_state" and c.status is Status.OK and c.value == 0.0:
                if mcu_id is None:
                    c = Check("call_state", Status.WARN, "not connected to the conference", 0.0, "calls",
                              critical=False)  # fmt: skip
                else:
                    number = f"{conf.id}@{self.inventory.device(mcu_id).address}"
                    joined, reason = await join_call(client, codec, self.inventory, self.secrets, number)
                    if joined:
                        c = Check("call_state", Status.OK, reason, 1.0, "calls", critical=False)
                    else:
                        why = f"not connected to the conference: {reason}"
                        c = Check("call_state", Status.WARN, why, 0.0, "calls", critical=False)
            out.append(c)
        return out

    async def _mcu(
        self,
        client: httpx.AsyncClient,
        conf: Conference,
        rooms: list[Room],
        view: PollView,
        th: Thresholds,
        kind: str,
    ) -> list[Check]:
        mcu_id = resolve_mcu(conf, self.inventory)
        if mcu_id is None:
            return [Check("mcu", Status.UNKNOWN, "no MCU in the inventory")]
        mcu = self.inventory.device(mcu_id)
        checks: list[Check] = []
        doc, sip = await asyncio.gather(
            self._mcu_status(client, mcu), _maybe(kind != "live", sip_check(mcu, th))
        )
        if isinstance(doc, str):
            checks.append(Check("mcu_status_api", Status.FAIL, doc))
            checks.append(Check("mcu_ports", Status.UNKNOWN, "MCU status API failed", cause="mcu_status_api"))
        else:
            checks.append(Check("mcu_status_api", Status.OK, f"{mcu_id} status API answered"))
            checks.append(_ports(doc.findtext("MCU/Ports/Available"), len(rooms)))
        if sip is not None:
            checks.append(Check("mcu_sip", sip.status, sip.reason, sip.value, sip.unit))
            need = sum(self._need_bps(conf, r, th) for r in rooms)
            checks.append(mcu_uplink_check(view, mcu, need))
        return checks

    async def _mcu_status(self, client: httpx.AsyncClient, mcu: Device) -> ET.Element | str:
        try:
            return await fetch_status(client, mcu, self.inventory, self.secrets)
        except DeviceError as exc:
            return str(exc)
        except SecretError as exc:
            return f"{mcu.id}: {exc}"

    def _publish(
        self, conf: Conference, kind: str, reports: list[RoomReport], before: dict[str, Any]
    ) -> None:
        if self.bus is None:
            return
        for r in reports:
            prev = before[r.room].colour if r.room in before else None
            data = {"conference": conf.id, "round": kind, "colour": str(r.colour), "reasons": list(r.reasons)}
            if r.colour is Colour.RED and prev != Colour.RED:
                self.bus.publish(Event("vc.room.red", r.room, data))
            elif r.colour is not Colour.RED and prev == Colour.RED:
                self.bus.publish(Event("vc.room.recovered", r.room, data))


async def _maybe(wanted: bool, coro: Coroutine[Any, Any, Check]) -> Check | None:
    if not wanted:
        coro.close()  # never awaited: close it so no "never awaited" warning
        return None
    return await coro


def _streaks(before: dict[str, Any], room: str) -> dict[str, int]:
    state = before.get(room)
    return dict(state.streaks) if state is not None else {}


def _jitter(probe: ProbeResult) -> float | None:
    values = [j for j in (probe.ipdv_fwd_ms, probe.ipdv_back_ms) if j is not None]
    return max(values) if values else None


def _clash_check(conf: Conference, others: list[Conference]) -> Check:
    """The room is booked in another conference at an overlapping time: AMBER until one of them changes."""
    names = ", ".join(f"{o.id} ({_hhmm(o.start_at)}-{_hhmm(o.end_at)} UTC)" for o in others)
    return Check("conference_clash", Status.WARN,
                 f"also in {names}, overlapping {conf.id}: a codec is in one call at a time",
                 others[0].id, critical=False)  # fmt: skip


def _hhmm(ts: float) -> str:
    return time.strftime("%H:%M", time.gmtime(ts))


def _behind_incident() -> list[Check]:
    names = ("reachable", "path_delay", "path_jitter", "path_loss", "sip_options", "status_api")
    return [
        Check(
            n, Status.UNKNOWN, "not checked: behind an incident", network=n != "status_api", cause="upstream"
        )
        for n in names
    ] + status_unknown("not checked: behind an incident", "upstream")


def _ports(available: str | None, rooms: int) -> Check:
    try:
        free = int((available or "").strip())
    except ValueError:
        return Check("mcu_ports", Status.UNKNOWN, "MCU status has no Ports/Available")
    status = Status.OK if free >= rooms else Status.FAIL
    return Check("mcu_ports", status, f"{free} MCU ports free for {rooms} rooms", float(free), "ports")
