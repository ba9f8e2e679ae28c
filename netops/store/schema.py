"""Table models of the store. Every schema change comes with an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, Integer, String, Text
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
    # answered <-> failed changes of the raw poll result within the flapping window (times), migration 0008
    transitions: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    # when a silent device stopped being explained by another cause (it may be coming back): it becomes a
    # cause of its own only after a poll started later fails too; migration 0008
    exposed_at: Mapped[float | None] = mapped_column(Float, nullable=True)


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
    """One cause (``kind``: device, link, site, power, unmanaged, flapping): opened when polling finds it,
    extended while it grows, resolved after the cause has been gone for the hold-down; rows are never
    deleted. The id is the identity: a restart rebuilds the open incidents from these rows."""

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
    acknowledged_by: Mapped[str | None] = mapped_column(
        String(128), nullable=True
    )  # token name or cli:<user>
    acknowledged_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ack_note: Mapped[str | None] = mapped_column(String(512), nullable=True)
    # migration 0008: the cause's kind and ids, why (unmanaged: the poll error), the peak extent, hold-down
    kind: Mapped[str] = mapped_column(String(16), default="device", index=True)
    cause: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # device/link ids of the cause
    reason: Mapped[str | None] = mapped_column(String(512), nullable=True)
    peak_sites: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # union over the life
    peak_devices: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    peak_rooms: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    cause_gone_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # hold-down running since
    suppressed: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # flapping: children held back


class IncidentHistory(Base):
    """Every transition of an incident (opened, extended, shrunk, cause changed, recovering, resolved) with
    its extent at that moment: the extent over time (migration 0008)."""

    __tablename__ = "incident_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[float] = mapped_column(Float)
    change: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    cause: Mapped[list[str]] = mapped_column(JSON)
    sites: Mapped[int] = mapped_column(Integer)
    devices: Mapped[int] = mapped_column(Integer)
    rooms: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(1024))


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


class ConfigChange(Base):
    """One configuration change (a push of one or more devices in waves): who, when, why, how it ended."""

    __tablename__ = "config_changes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    user: Mapped[str] = mapped_column(String(63))
    reason: Mapped[str] = mapped_column(String(500))
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16))  # running | done | halted | failed
    waves: Mapped[list[dict[str, object]]] = mapped_column(JSON)  # the plan and each wave's progress
    summary: Mapped[dict[str, int]] = mapped_column(JSON)  # outcome -> devices
    owner: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # host, pid, started
    reconciled: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # by whom, when, what


class ConfigChangeDevice(Base):
    """What a change did to one device: templates (content hashes), masked diff and commands, checks, outcome."""

    __tablename__ = "config_change_devices"

    change_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    device: Mapped[str] = mapped_column(String(63), primary_key=True, index=True)
    wave: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))  # confirmed | unchanged | reverted | rejected | ...
    detail: Mapped[str | None] = mapped_column(String, nullable=True)
    diff: Mapped[str | None] = mapped_column(String, nullable=True)
    commands: Mapped[list[str]] = mapped_column(JSON)
    templates: Mapped[dict[str, str]] = mapped_column(JSON)  # template -> sha256
    template_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    checks: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    rolled_back: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    # the journal (netops.changes.journal): the phase written before it is entered, what a restart needs
    phase: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    snapshot: Mapped[str | None] = mapped_column(String, nullable=True)  # before; secrets as placeholders
    intended: Mapped[str | None] = mapped_column(String, nullable=True)  # after; secrets as placeholders
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # commit id, timer, confirmed


class ConfigLock(Base):
    """A device being changed: one change at a time per device (an insert that fails when held)."""

    __tablename__ = "config_locks"

    device: Mapped[str] = mapped_column(String(63), primary_key=True)
    change_id: Mapped[str] = mapped_column(String(40))
    acquired_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    owner: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # host, pid, started


class ConfigBackup(Base):
    """A version of a device's running configuration (masked, volatile lines removed), kept when it changed."""

    __tablename__ = "config_backups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device: Mapped[str] = mapped_column(String(63), index=True)
    taken_at: Mapped[float] = mapped_column(Float, index=True)
    digest: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String)


class ConfigDeviceStatus(Base):
    """Per device: the last backup attempt and success, and the drift (running vs intended) last measured."""

    __tablename__ = "config_device_status"

    device: Mapped[str] = mapped_column(String(63), primary_key=True)
    last_backup_attempt_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_backup_ok_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_backup_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    drift_lines: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: no true diff
    drift_checked_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class RunbookRun(Base):
    """One run of a runbook: its state, parameters (secrets masked), where it stands, who started it."""

    __tablename__ = "runbook_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    runbook: Mapped[str] = mapped_column(String(63), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)  # see netops.runbooks.runs.STATES
    params: Mapped[dict[str, Any]] = mapped_column(JSON)  # secret parameters masked
    secret_params: Mapped[list[str]] = mapped_column(JSON)  # names whose values are held in memory only
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON)  # source (manual/alert/event), labels, actor
    fingerprint: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    concurrency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    phase: Mapped[str] = mapped_column(String(10))  # steps | finally | done
    cursor: Mapped[str | None] = mapped_column(String(63), nullable=True)  # the step to run next
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)  # outcome of the steps phase
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)  # host:pid of the engine running it
    heartbeat_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_run: Mapped[str | None] = mapped_column(String(40), nullable=True)


class RunbookStepRecord(Base):
    """One attempt at one step of a run (append-mostly: a row is created running and finished once)."""

    __tablename__ = "runbook_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(40), index=True)
    step: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))  # running | waiting | succeeded | failed | skipped | ...
    started_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    output: Mapped[dict[str, Any]] = mapped_column(JSON)  # masked
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class RunbookApproval(Base):
    """Who approved (or rejected) which step of which run, with the inputs they gave (masked)."""

    __tablename__ = "runbook_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(40), index=True)
    step: Mapped[str] = mapped_column(String(63))
    decision: Mapped[str] = mapped_column(String(10))  # approved | rejected
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[float] = mapped_column(Float)
    used: Mapped[bool] = mapped_column(Boolean, default=False)  # consumed by the step it answered


class RunbookTranscriptLine(Base):
    """The append-only transcript of a run: what was done, seen and decided, in order (masked)."""

    __tablename__ = "runbook_transcript"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[float] = mapped_column(Float)
    step: Mapped[str | None] = mapped_column(String(63), nullable=True)
    text: Mapped[str] = mapped_column(Text)
