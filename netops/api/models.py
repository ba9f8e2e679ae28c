"""Response models of the API: what each route answers, as documented in ``/openapi.json``.

Each model names the fields a client can rely on, with their types; ``Open`` models allow more fields (the
domain services add fields over time, and the views of the inventory carry every attribute of the YAML), so a
new field is not a breaking change and an old client keeps working. Errors are ``Problem`` (``api/errors.py``).
Routes keep returning plain dicts from the services; FastAPI validates them against these models, and the
contract test (``tests/api/test_contract.py``) checks every documented response against real answers.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    """A response object: the documented fields, and possibly more."""

    model_config = ConfigDict(extra="allow")


class Problem(Open):
    """RFC 9457 problem details (``application/problem+json``), with the ``error`` code as an extension."""

    type: str = Field(description="urn:netops:problem:<error>")
    title: str
    status: int
    detail: str
    error: str = Field(description="what clients switch on: not_found, invalid, unauthorized, ...")


# service
class StoreState(Open):
    writable: bool
    error: str | None
    write_failures: int


class Health(Open):
    status: str = Field(description="ok, or degraded when the store cannot be written")
    version: str
    uptime_s: float
    inventory_digest: str
    devices: int
    inventory_problems: int = Field(
        description="problems of the inventory folder (templates, conferences, notify.yaml, ...): GET /inventory"
    )
    store: StoreState


# inventory
class InventorySummary(Open):
    directory: str
    digest: str
    sites: int
    devices: int
    links: int
    rooms: int
    loaded_at: float
    last_reload_error: str | None
    problems: list[str] = Field(
        description="what `netops inventory validate` reports for the folder now (the service goes on)"
    )


class InventoryLoad(Open):
    id: int
    loaded_at: str
    digest: str
    directory: str
    sites: int
    devices: int
    links: int
    rooms: int


class TreeNode(Open):
    id: str
    name: str
    tier: str
    status: str
    devices: list[str]
    rooms: list[str]
    children: list[dict[str, Any]]


class Progress(Open):
    today: str
    prefectures: list[dict[str, Any]]
    totals: dict[str, int]


class Impact(Open):
    failed: list[str]
    failed_devices: list[str]
    failed_links: list[str]
    loses_service: bool
    lost_sites: list[dict[str, Any]]
    lost_devices: list[str]
    lost_rooms: list[dict[str, Any]]
    on_backup: list[dict[str, Any]]


class SiteView(Open):
    id: str
    name: str
    tier: str
    status: str
    children: list[str]
    devices: list[str]
    rooms: list[str]


class DeviceView(Open):
    id: str
    site: str
    platform: str
    role: str
    address: str
    status: str
    interfaces: list[dict[str, Any]]
    links: list[str]


class LinkView(Open):
    id: str
    a: str
    b: str


class RoomView(Open):
    id: str
    site: str
    name: str
    codec: str


# status
class RegionStatus(Open):
    polled_at: float | None
    age_s: float | None
    devices: dict[str, str]
    sites: dict[str, str]


class DeviceHealth(Open):
    device: str
    status: str | None
    ok: bool | None
    polled_at: float | None
    interfaces: list[dict[str, Any]]
    neighbors: list[dict[str, Any]]
    upstream_path: list[str]


class Incident(Open):
    id: int
    state: str
    acknowledged_by: str | None


# video conferences
class Conference(Open):
    id: str
    title: str
    start: str
    duration_min: int
    rooms: str | list[str]


class ConferenceListed(Conference):
    last_round: dict[str, Any] | None


class Readiness(Open):
    conference: dict[str, Any]
    starts_in_s: float
    counts: dict[str, int]
    last_round: dict[str, Any] | None
    mcu_checks: list[Any]
    prefectures: list[dict[str, Any]]


# configuration changes
class Change(Open):
    id: str
    created_at: float
    user: str = Field(description="who started it: token:<name> or cli:<os user>")
    reason: str
    state: str


class ChangeDetail(Change):
    devices: list[dict[str, Any]]


class Wave(Open):
    index: int
    name: str
    devices: list[str]
    failure_budget: int
    concurrency: int


class ChangeStarted(Open):
    change: str
    waves: list[Wave]


class ConfigDiff(Open):
    device: str
    available: bool
    reason: str | None
    diff: str


class ConfigBackup(Open):
    id: int
    taken_at: float
    digest: str
    lines: int


class ConfigVersion(Open):
    id: int
    device: str
    text: str


class ConfigDeviceStatus(Open):
    device: str
    last_backup_attempt_at: float | None
    last_backup_ok_at: float | None
    last_backup_error: str | None
    drift_lines: int | None


# runbooks
class RunbookSummary(Open):
    id: str
    title: str
    severity: str
    steps: int
    parameters: list[dict[str, Any]]


class Runbook(RunbookSummary):
    file: str
    spec: dict[str, Any]


class RunbookPlan(Open):
    runbook: str
    dry_run: bool
    params: dict[str, Any]
    steps: list[dict[str, Any]]


class Run(Open):
    id: str
    runbook: str
    state: str


class RunDetail(Run):
    steps: list[dict[str, Any]]
    approvals: list[dict[str, Any]]


class TranscriptLine(Open):
    at: float
    step: str | None
    text: str


# admin
class AuditEntry(Open):
    id: int
    at: float
    actor: str = Field(description="token:<name>, cli:<os user>, alertmanager or anonymous")
    role: str | None
    action: str
    target: str | None
    outcome: str
    detail: dict[str, Any]


class TokenView(Open):
    name: str
    role: str
    created_at: float
    last_used_at: float | None
    revoked: bool


# alerts
class AlertsAccepted(Open):
    status: str
    notification: int
    alerts: int
