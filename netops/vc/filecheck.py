"""Check the conference files against the inventory, for ``netops inventory validate``.

A ``FolderCheck`` of ``netops.inventory.folder``: every problem of ``inventory/conferences/*.yaml`` with file
and line, none raised. The files' own problems (YAML syntax, unknown keys, the shape of a conference, start
without a time zone, duplicate ids) come from ``conferences.read_files``; this module adds the thresholds
(per key, with its line), what a conference names (rooms, the MCU) and the times: one room booked in two
conferences that overlap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from netops.errors import NotFoundError, Problem
from netops.inventory.models import Inventory, Role
from netops.inventory.yamlsource import LineDict, LineList
from netops.vc.conferences import FileEntry, read_files, resolve_rooms
from netops.vc.thresholds import ThresholdError, Thresholds


def check_files(inventory_dir: Path, inventory: Inventory | None) -> list[Problem]:
    """Every problem of the conference files; with an inventory, also what they name and their times."""
    files = read_files(inventory_dir)
    problems = list(files.problems)
    for file, mapping in files.thresholds:
        problems.extend(_threshold_problems(file, mapping))
    if inventory is not None:
        for entry in files.entries:
            problems.extend(_reference_problems(entry, inventory))
        problems.extend(_overlaps(files.entries, inventory))
    return problems


def _threshold_problems(file: str, mapping: LineDict) -> list[Problem]:
    problems: list[Problem] = []
    for key, value in mapping.items():  # one key at a time, so each problem has its own line
        try:
            Thresholds.value_of(key, value, "thresholds")  # its own checks: not against the defaults
        except ThresholdError as exc:
            problems.append(Problem(file, mapping.line_of(key), "", str(exc)))
    if not problems:  # the keys together: warn above fail, ...
        try:
            Thresholds.from_mapping(mapping, "thresholds")
        except ThresholdError as exc:
            problems.append(Problem(file, mapping.line, "", str(exc)))
    return problems


def _reference_problems(entry: FileEntry, inventory: Inventory) -> list[Problem]:
    conf, raw, file = entry.conference, entry.raw, entry.file
    field = f"conference {conf.id}"
    problems: list[Problem] = []
    rooms = raw.get("rooms")
    if isinstance(conf.rooms, tuple):
        for i, room in enumerate(conf.rooms):
            if room not in inventory.rooms:
                line = rooms.line_of(i) if isinstance(rooms, LineList) else raw.line_of("rooms")
                missing = NotFoundError("room", room, list(inventory.rooms))
                problems.append(Problem(file, line, field, f"rooms[{i}]: {missing}"))
    elif not resolve_rooms(conf, inventory):
        problems.append(
            Problem(
                file, raw.line_of("rooms"), field, f"rooms: {conf.rooms!r} takes no room of this inventory"
            )
        )
    if conf.mcu is not None:
        line = raw.line_of("mcu")
        device = inventory.devices.get(conf.mcu)
        if device is None:
            mcus = [d.id for d in inventory.devices.values() if d.role is Role.MCU]
            problems.append(Problem(file, line, field, f"mcu: {NotFoundError('device', conf.mcu, mcus)}"))
        elif device.role is not Role.MCU:
            problems.append(
                Problem(file, line, field, f"mcu: {conf.mcu!r} has role {device.role}, expected mcu")
            )
    return problems


def _overlaps(entries: list[FileEntry], inventory: Inventory) -> list[Problem]:
    """A room takes part in one conference at a time: report the later of two that overlap in a room."""
    booked = [(e, _rooms_of(e, inventory)) for e in entries]
    booked.sort(key=lambda item: (item[0].conference.start_at, item[0].conference.id))
    problems: list[Problem] = []
    for n, (later, rooms) in enumerate(booked):
        for earlier, other_rooms in booked[:n]:
            a, b = earlier.conference, later.conference
            shared = sorted(rooms & other_rooms)
            if not shared or b.start_at >= a.end_at:
                continue
            names = ", ".join(shared[:5]) + (f" and {len(shared) - 5} more" if len(shared) > 5 else "")
            problems.append(
                Problem(
                    later.file,
                    later.raw.line_of("start"),
                    f"conference {b.id}",
                    f"start: {_when(later, b.start_at)} is before the end of conference {a.id} ({a.source}, "
                    f"until {_when(earlier, a.end_at)}), which has the same room(s): {names}",
                )
            )
    return problems


def _rooms_of(entry: FileEntry, inventory: Inventory) -> set[str]:
    rooms = entry.conference.rooms
    if isinstance(rooms, tuple):
        return set(rooms) & set(inventory.rooms)  # unknown rooms are reported on their own
    return {r.id for r in resolve_rooms(entry.conference, inventory)}


def _when(entry: FileEntry, ts: float) -> str:
    """A time in the zone the file wrote the conference's start in."""
    start = entry.raw.get("start")
    zone = start.tzinfo if isinstance(start, datetime) and start.tzinfo is not None else UTC
    return datetime.fromtimestamp(ts, zone).isoformat(timespec="minutes")


__all__ = ["check_files"]
