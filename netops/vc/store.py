"""The conferences created through the API/CLI and the precheck results, in the netops store (migration 0003).

Conferences from ``inventory/conferences/`` are read from the files each time and never stored: they are
read-only here. Precheck rounds keep their room results as history; ``vc_room_states`` holds the latest
verdict per room with the network-check streaks the rule needs for its next round.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from netops.errors import NotFoundError
from netops.inventory.models import Inventory
from netops.store.db import Store
from netops.store.schema import VcConference, VcRoomResult, VcRoomState, VcRound
from netops.vc.conferences import (
    Conference,
    ConferenceConflict,
    ConferenceError,
    ConferenceIn,
    load_files,
    validate,
)


def _conference(row: VcConference) -> Conference:
    rooms = row.rooms if isinstance(row.rooms, str) else tuple(row.rooms)
    return Conference(
        row.id, row.title, row.start_at, row.duration_s, rooms, row.call_rate_kbps, row.mcu, "api"
    )


def list_conferences(store: Store, inventory_dir: Path | str) -> list[Conference]:
    """Every conference (files first, then the store's), ordered by start."""
    from_files, _ = load_files(Path(inventory_dir))
    with store.session() as session:
        stored = [_conference(r) for r in session.scalars(select(VcConference))]
    known = {c.id for c in from_files}
    return sorted([*from_files, *(c for c in stored if c.id not in known)], key=lambda c: (c.start_at, c.id))


def get_conference(store: Store, inventory_dir: Path | str, ident: str) -> Conference:
    confs = list_conferences(store, inventory_dir)
    for conf in confs:
        if conf.id == ident:
            return conf
    raise NotFoundError("conference", ident, [c.id for c in confs])


def _row_values(conf: Conference) -> dict[str, Any]:
    return {
        "title": conf.title,
        "start_at": conf.start_at,
        "duration_s": conf.duration_s,
        "rooms": conf.rooms if isinstance(conf.rooms, str) else list(conf.rooms),
        "call_rate_kbps": conf.call_rate_kbps,
        "mcu": conf.mcu,
    }


def add_conference(store: Store, inventory: Inventory, spec: ConferenceIn) -> Conference:
    conf = Conference.from_input(spec, "api")
    validate(conf, inventory)
    existing = {c.id: c for c in list_conferences(store, inventory.directory)}
    if conf.id in existing:
        raise ConferenceConflict(f"conference {conf.id!r} already exists ({existing[conf.id].source})")
    now = time.time()
    with store.session() as session:
        session.add(VcConference(id=conf.id, created_at=now, updated_at=now, **_row_values(conf)))
    return conf


def _writable(store: Store, inventory_dir: str, ident: str) -> Conference:
    conf = get_conference(store, inventory_dir, ident)
    if conf.read_only:
        raise ConferenceConflict(f"conference {ident!r} is defined in {conf.source}; change it there")
    return conf


def update_conference(store: Store, inventory: Inventory, ident: str, spec: ConferenceIn) -> Conference:
    _writable(store, inventory.directory, ident)
    if spec.id != ident:
        raise ConferenceError(f"conference {ident!r}: the body names id {spec.id!r}; ids cannot change")
    conf = Conference.from_input(spec, "api")
    validate(conf, inventory)
    with store.session() as session:
        row = session.get(VcConference, ident)
        assert row is not None
        for key, value in _row_values(conf).items():
            setattr(row, key, value)
        row.updated_at = time.time()
    return conf


def remove_conference(store: Store, inventory_dir: str, ident: str) -> Conference:
    """Delete a stored conference and its results."""
    conf = _writable(store, inventory_dir, ident)
    with store.session() as session:
        rounds = list(session.scalars(select(VcRound.id).where(VcRound.conference == ident)))
        session.execute(delete(VcRoomResult).where(VcRoomResult.round_id.in_(rounds)))
        session.execute(delete(VcRound).where(VcRound.conference == ident))
        session.execute(delete(VcRoomState).where(VcRoomState.conference == ident))
        session.execute(delete(VcConference).where(VcConference.id == ident))
    return conf


# --- results ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomOutcome:
    room: str
    colour: str
    reasons: list[str]
    checks: list[dict[str, Any]]
    streaks: dict[str, int]
    delay_s: float | None
    jitter_s: float | None
    loss_ratio: float | None


LIVE_RETENTION_S = 2 * 86_400


def record_round(
    store: Store,
    *,
    conference: str,
    kind: str,
    started_at: float,
    duration_s: float,
    counts: dict[str, int],
    conference_checks: list[dict[str, Any]],
    rooms: list[RoomOutcome],
) -> int:
    """Store a round, its room results and the new latest state of each room; returns the round id.

    Prechecks (T-60/T-15/T-5, manual) are kept for ever; live rounds (every 30 s during a conference) only for
    ``LIVE_RETENTION_S``, so a long conference does not grow the database without bound.
    """
    with store.session() as session:
        if kind == "live":
            old = select(VcRound.id).where(
                VcRound.kind == "live", VcRound.started_at < started_at - LIVE_RETENTION_S
            )
            session.execute(delete(VcRoomResult).where(VcRoomResult.round_id.in_(old)))
            session.execute(
                delete(VcRound).where(
                    VcRound.kind == "live", VcRound.started_at < started_at - LIVE_RETENTION_S
                )
            )
        rnd = VcRound(conference=conference, kind=kind, started_at=started_at, duration_s=duration_s,
                      counts=counts, conference_checks=conference_checks)  # fmt: skip
        session.add(rnd)
        session.flush()
        states = {
            s.room: s
            for s in session.scalars(select(VcRoomState).where(VcRoomState.conference == conference))
        }
        for out in rooms:
            session.add(VcRoomResult(round_id=rnd.id, room=out.room, colour=out.colour, reasons=out.reasons,
                                     checks=out.checks))  # fmt: skip
            state = states.get(out.room) or VcRoomState(conference=conference, room=out.room)
            state.round_id, state.colour, state.reasons, state.checks = (
                rnd.id,
                out.colour,
                out.reasons,
                out.checks,
            )
            state.streaks, state.checked_at = out.streaks, started_at + duration_s
            state.delay_s, state.jitter_s, state.loss_ratio = out.delay_s, out.jitter_s, out.loss_ratio
            if out.room not in states:
                session.add(state)
        return rnd.id


def room_states(store: Store, conference: str) -> dict[str, VcRoomState]:
    with store.session() as session:
        rows = session.scalars(select(VcRoomState).where(VcRoomState.conference == conference))
        return {r.room: r for r in rows}


def all_room_states(store: Store) -> list[VcRoomState]:
    with store.session() as session:
        return list(session.scalars(select(VcRoomState)))


def last_round(store: Store, conference: str) -> VcRound | None:
    with store.session() as session:
        query = select(VcRound).where(VcRound.conference == conference).order_by(VcRound.id.desc()).limit(1)
        return session.scalars(query).first()


def rounds(store: Store, conference: str, limit: int = 20) -> list[VcRound]:
    with store.session() as session:
        query = (
            select(VcRound).where(VcRound.conference == conference).order_by(VcRound.id.desc()).limit(limit)
        )
        return list(session.scalars(query))
