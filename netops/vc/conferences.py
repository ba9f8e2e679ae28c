"""Conferences: the input model, the YAML files in ``inventory/conferences/`` and which rooms take part.

A conference comes from a YAML file (read-only here: edit the file) or from the API/CLI (kept in the store,
``store.py``). Both end as a ``Conference``; ``rooms`` is a list of room ids or one of the scopes
``all`` (every room of the inventory) and ``all-prefectures`` (the centre's rooms and every prefecture's).
A file holds ``conferences:`` (a list) and optionally ``thresholds:`` (see ``thresholds.py``)::

    conferences:
      - id: region-weekly
        title: 自治区每周视频调度会
        start: 2026-12-01T10:00:00+08:00
        duration_min: 90
        rooms: all-prefectures
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from netops.errors import ConferenceConflict as ConferenceConflict
from netops.errors import ConferenceError as ConferenceError
from netops.errors import NotFoundError, Problem
from netops.inventory.models import Inventory, Role, Room, Tier
from netops.inventory.yamlsource import LineDict, LineList, line_at, read_yaml
from netops.vc.thresholds import Thresholds

SCOPES = ("all", "all-prefectures")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
CONFERENCES_DIR = "conferences"


class ConferenceIn(BaseModel):
    """What a user gives: in a YAML file or a POST/PUT body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SLUG.pattern, description="lowercase slug, a metric label value")
    title: str = Field(min_length=1, max_length=200)
    start: datetime = Field(description="with a time zone, e.g. 2026-12-01T10:00:00+08:00")
    duration_min: int = Field(default=60, ge=1, le=24 * 60)
    rooms: list[str] | Literal["all", "all-prefectures"] = "all-prefectures"
    call_rate_kbps: int | None = Field(default=None, ge=64, le=20_000, description="None: each room's own")
    mcu: str | None = Field(default=None, description="MCU device id; None: the inventory's MCU")

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("start needs a time zone, e.g. 2026-12-01T10:00:00+08:00")
        return value

    @field_validator("rooms")
    @classmethod
    def _rooms(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, list):
            if not value:
                raise ValueError("rooms: expected at least one room id, or 'all' / 'all-prefectures'")
            if len(set(value)) != len(value):
                raise ValueError("rooms: a room is listed twice")
        return value


@dataclass(frozen=True, slots=True)
class Conference:
    id: str
    title: str
    start_at: float  # unix seconds
    duration_s: float
    rooms: tuple[str, ...] | str  # room ids, or a scope from SCOPES
    call_rate_kbps: int | None
    mcu: str | None
    source: str  # "api" or "conferences/<file>:<line>"

    @property
    def end_at(self) -> float:
        return self.start_at + self.duration_s

    @property
    def read_only(self) -> bool:
        return self.source != "api"

    @classmethod
    def from_input(cls, spec: ConferenceIn, source: str) -> Conference:
        return cls(
            id=spec.id,
            title=spec.title,
            start_at=spec.start.timestamp(),
            duration_s=spec.duration_min * 60.0,
            rooms=spec.rooms if isinstance(spec.rooms, str) else tuple(spec.rooms),
            call_rate_kbps=spec.call_rate_kbps,
            mcu=spec.mcu,
            source=source,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "start": datetime.fromtimestamp(self.start_at, UTC).isoformat(),
            "duration_min": round(self.duration_s / 60),
            "rooms": self.rooms if isinstance(self.rooms, str) else list(self.rooms),
            "call_rate_kbps": self.call_rate_kbps,
            "mcu": self.mcu,
            "source": self.source,
        }


def resolve_rooms(conf: Conference, inventory: Inventory) -> list[Room]:
    """The rooms taking part, in id order. Raises ``NotFoundError`` for a room id the inventory lacks."""
    if conf.rooms == "all":
        return list(inventory.rooms.values())
    if conf.rooms == "all-prefectures":
        tiers = (Tier.REGION, Tier.PREFECTURE)
        return [r for r in inventory.rooms.values() if inventory.sites[r.site].tier in tiers]
    return [inventory.room(r) for r in sorted(conf.rooms)]


def resolve_mcu(conf: Conference, inventory: Inventory) -> str | None:
    """The MCU device id: the conference's, else the inventory's first MCU; None if it has none."""
    if conf.mcu is not None:
        dev = inventory.device(conf.mcu)
        if dev.role is not Role.MCU:
            raise ConferenceError(f"conference {conf.id}: mcu {conf.mcu!r} has role {dev.role}, expected mcu")
        return dev.id
    return next((d.id for d in inventory.devices.values() if d.role is Role.MCU), None)


def validate(conf: Conference, inventory: Inventory) -> None:
    """Every room and the MCU exist in the inventory; raises ``ConferenceError`` (invalid input, not a 404)."""
    try:
        resolve_rooms(conf, inventory)
        resolve_mcu(conf, inventory)
    except NotFoundError as exc:
        raise ConferenceError(f"conference {conf.id}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A conference read from a file, with the mapping it came from (for the lines of its rooms, mcu, ...)."""

    conference: Conference
    file: str  # conferences/<name>.yaml
    raw: LineDict


@dataclass(frozen=True, slots=True)
class ConferenceFiles:
    """What ``conferences/*.yaml`` hold and every problem found reading them (file, line, field)."""

    entries: list[FileEntry]
    thresholds: list[tuple[str, LineDict]]  # (file, its ``thresholds`` mapping), in file order
    problems: list[Problem]


_TOP_KEYS = ("conferences", "thresholds")
_EXPECTED_TOP = "expected a mapping with 'conferences' and/or 'thresholds'"
_UNKNOWN_KEY = "unknown key (check the spelling; docs/vc.md lists the keys of a conference)"


def read_files(inventory_dir: Path) -> ConferenceFiles:
    """Read ``<inventory>/conferences/*.yaml`` with line numbers; collect every problem instead of stopping."""
    folder = Path(inventory_dir) / CONFERENCES_DIR
    result = ConferenceFiles([], [], [])
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        rel = f"{CONFERENCES_DIR}/{path.name}"
        data, problems = read_yaml(path, rel)
        result.problems.extend(problems)
        if data is None:
            continue
        if not isinstance(data, LineDict):
            found = type(data).__name__
            result.problems.append(Problem(rel, 1, "", f"{_EXPECTED_TOP}, found {found}"))
            continue
        for key in data:
            if key not in _TOP_KEYS:
                result.problems.append(Problem(rel, data.line_of(key), key, f"unknown key; {_EXPECTED_TOP}"))
        thresholds = data.get("thresholds")
        if isinstance(thresholds, LineDict):
            result.thresholds.append((rel, thresholds))
        elif thresholds is not None:
            line = data.line_of("thresholds")
            result.problems.append(Problem(rel, line, "thresholds", "expected a mapping of names to numbers"))
        items = data.get("conferences")
        if items is None:
            continue
        if not isinstance(items, LineList):
            line = data.line_of("conferences")
            found = type(items).__name__
            result.problems.append(Problem(rel, line, "conferences", f"expected a list, found {found}"))
            continue
        for n, raw in enumerate(items):
            entry = _read_one(raw, rel, items.line_of(n), n, seen, result.problems)
            if entry is not None:
                result.entries.append(entry)
    return result


def _read_one(
    raw: Any, rel: str, line: int, n: int, seen: dict[str, str], problems: list[Problem]
) -> FileEntry | None:
    if not isinstance(raw, LineDict):
        problems.append(
            Problem(rel, line, f"conferences[{n}]", f"expected a mapping, found {type(raw).__name__}")
        )
        return None
    ident = raw.get("id", f"#{n}")
    try:
        spec = ConferenceIn.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"])
            at = line_at(raw, err["loc"], line)
            msg = _UNKNOWN_KEY if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(Problem(rel, at, f"conference {ident}", f"{loc}: {msg}"))
        return None
    where = f"{rel}:{line}"
    if spec.id in seen:
        problems.append(
            Problem(
                rel,
                line,
                f"conference {spec.id}",
                f"conference id {spec.id!r} already defined at {seen[spec.id]}",
            )
        )
        return None
    seen[spec.id] = where
    return FileEntry(Conference.from_input(spec, where), rel, raw)


def load_files(inventory_dir: Path) -> tuple[list[Conference], Thresholds]:
    """Conferences and thresholds from ``<inventory>/conferences/*.yaml`` (none if the folder is missing).

    Raises ``ConferenceError`` naming every problem with file and line (``read_files`` returns them instead).
    """
    files = read_files(inventory_dir)
    if files.problems:
        ordered = sorted(files.problems, key=lambda p: (p.file, p.line or 0))
        raise ConferenceError("\n".join(str(p) for p in ordered))
    threshold_data: dict[str, Any] = {}
    for _, mapping in files.thresholds:
        threshold_data.update(mapping)
    conferences = [e.conference for e in files.entries]
    return conferences, Thresholds.from_mapping(threshold_data, f"{CONFERENCES_DIR}/ thresholds")


def find(conferences: list[Conference], ident: str) -> Conference:
    for conf in conferences:
        if conf.id == ident:
            return conf
    raise NotFoundError("conference", ident, [c.id for c in conferences])
