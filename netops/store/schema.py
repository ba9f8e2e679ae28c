"""Table models of the store. Every schema change comes with an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class InventoryLoad(Base):
    """Each time the service loaded the inventory: which version (digest), when, and how big it was."""

    __tablename__ = "inventory_loads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    digest: Mapped[str] = mapped_column(String(64))
    directory: Mapped[str] = mapped_column(String(1024))
    sites: Mapped[int] = mapped_column(Integer)
    devices: Mapped[int] = mapped_column(Integer)
    links: Mapped[int] = mapped_column(Integer)
    rooms: Mapped[int] = mapped_column(Integer)


class PollDevice(Base):
    """The latest poll of each device and its status (one row per device, updated every cycle)."""

    __tablename__ = "poll_devices"

    device: Mapped[str] = mapped_column(String(63), primary_key=True)
    polled_at: Mapped[float] = mapped_column(Float)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(String(16), nullable=True)
    detail: Mapped[str | None] = mapped_column(String(512), nullable=True)
    duration_s: Mapped[float] = mapped_column(Float)
    sys_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sys_uptime_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_reboot_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    reboots: Mapped[int] = mapped_column(Integer, default=0)
    cpu_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    memory_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    ups_on_battery: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    ups_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # up | down | unreachable
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_ok_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    polls: Mapped[int] = mapped_column(Integer, default=0)


class PollInterface(Base):
    """The latest state of each interface, with raw device counters and the monotonic totals netops exports."""

    __tablename__ = "poll_interfaces"

    device: Mapped[str] = mapped_column(String(63), primary_key=True)
    if_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    alias: Mapped[str] = mapped_column(String(255))
    admin_up: Mapped[bool] = mapped_column(Boolean)
    oper_up: Mapped[bool] = mapped_column(Boolean)
    speed_bps: Mapped[int] = mapped_column(BigInteger)
    hc: Mapped[bool] = mapped_column(Boolean)
    raw: Mapped[dict[str, int]] = mapped_column(JSON)  # last raw values per counter
    totals: Mapped[dict[str, int]] = mapped_column(JSON)  # monotonic totals per counter
    in_bps: Mapped[float | None] = mapped_column(Float, nullable=True)  # rate over the last two polls
    out_bps: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[float] = mapped_column(Float)


class PollNeighbor(Base):
    __tablename__ = "poll_neighbors"

    device: Mapped[str] = mapped_column(String(63), primary_key=True)
    protocol: Mapped[str] = mapped_column(String(8), primary_key=True)
    peer: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    up: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[float] = mapped_column(Float)


class PollErrorCount(Base):
    """Failed polls by reason since the database was created (exported as a counter)."""

    __tablename__ = "poll_error_counts"

    reason: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class PollCycle(Base):
    __tablename__ = "poll_cycles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(63), index=True)
    started_at: Mapped[float] = mapped_column(Float, index=True)
    duration_s: Mapped[float] = mapped_column(Float)
    interval_s: Mapped[float] = mapped_column(Float)
    devices: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    overrun: Mapped[bool] = mapped_column(Boolean)


class Incident(Base):
    """One root cause: opened when polling finds it, resolved when it is gone; rows are never deleted."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(1024), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # open | resolved
    summary: Mapped[str] = mapped_column(String(1024))
    opened_at: Mapped[float] = mapped_column(Float, index=True)
    last_seen_at: Mapped[float] = mapped_column(Float)
    resolved_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    root_devices: Mapped[list[str]] = mapped_column(JSON)
    root_links: Mapped[list[str]] = mapped_column(JSON)
    affected_devices: Mapped[list[str]] = mapped_column(JSON)
    affected_sites: Mapped[list[str]] = mapped_column(JSON)
    affected_rooms: Mapped[list[str]] = mapped_column(JSON)


# --- video-conference readiness (netops/vc, migration 0003) ------------------------------------------------


class VcConference(Base):
    """A conference created through the API or CLI (those from ``inventory/conferences/`` are not stored)."""

    __tablename__ = "vc_conferences"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    start_at: Mapped[float] = mapped_column(Float, index=True)
    duration_s: Mapped[float] = mapped_column(Float)
    rooms: Mapped[list[str] | str] = mapped_column(JSON)  # room ids, or "all" / "all-prefectures"
    call_rate_kbps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mcu: Mapped[str | None] = mapped_column(String(63), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class VcRound(Base):
    """One precheck round of a conference: when (T-60, T-15, T-5, live, on demand), how long, the counts."""

    __tablename__ = "vc_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conference: Mapped[str] = mapped_column(String(63), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # t60 | t15 | t5 | live | manual
    started_at: Mapped[float] = mapped_column(Float, index=True)
    duration_s: Mapped[float] = mapped_column(Float)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)  # colour -> rooms
    conference_checks: Mapped[list[dict[str, object]]] = mapped_column(JSON)  # MCU checks


class VcRoomResult(Base):
    """A room's verdict in one round, with every check (history)."""

    __tablename__ = "vc_room_results"

    round_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room: Mapped[str] = mapped_column(String(63), primary_key=True)
    colour: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    checks: Mapped[list[dict[str, object]]] = mapped_column(JSON)


class VcRoomState(Base):
    """The latest verdict per conference and room, and how many rounds in a row each network check was bad."""

    __tablename__ = "vc_room_states"

    conference: Mapped[str] = mapped_column(String(63), primary_key=True)
    room: Mapped[str] = mapped_column(String(63), primary_key=True)
    round_id: Mapped[int] = mapped_column(Integer)
    colour: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    checks: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    streaks: Mapped[dict[str, int]] = mapped_column(JSON)  # network check -> consecutive bad rounds
    checked_at: Mapped[float] = mapped_column(Float)
    delay_s: Mapped[float | None] = mapped_column(Float, nullable=True)  # one-way p95 estimate
    jitter_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    loss_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)


class ApiToken(Base):
    """An API bearer token: only its SHA-256 is stored; the token itself is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[float] = mapped_column(Float)
    last_used_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    revoked_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class AuditEntry(Base):
    """Append-only: every mutating API call and CLI action, every approval (who, when, what, outcome)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    actor: Mapped[str] = mapped_column(String(128))  # token name, or cli:<user>
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    action: Mapped[str] = mapped_column(String(255))  # "POST /conferences", "token create", ...
    target: Mapped[str | None] = mapped_column(String(255), nullable=True)
    outcome: Mapped[str] = mapped_column(String(64))  # "201", "ok", "denied", an error class
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
