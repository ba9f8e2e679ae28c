"""Service settings from ``NETOPS_*`` environment variables (pydantic-settings).

| variable | default | meaning |
| --- | --- | --- |
| NETOPS_INVENTORY | ./inventory | the inventory directory |
| NETOPS_STATE_DIR | ./.netops | where the embedded SQLite database and run files live |
| NETOPS_DATABASE_URL | sqlite:///<state dir>/netops.db | any SQLAlchemy URL (PostgreSQL for production) |
| NETOPS_HOST / NETOPS_PORT | 127.0.0.1 / 8600 | where ``netops serve`` listens |
| NETOPS_SECRETS_FILE | ~/.config/netops/secrets.yaml | secrets referenced by the inventory |
| NETOPS_LOG_LEVEL | info | log level |
| NETOPS_POLL_ENABLED | true | run the SNMP health poll jobs |
| NETOPS_POLL_FAST_S / NETOPS_POLL_NORMAL_S | 30 / 60 | intervals: centre and prefecture uplink routers / the rest |
| NETOPS_POLL_THRESHOLD | 2 | consecutive failed polls before a device counts as down |
| NETOPS_POLL_CONFIRM_S | 1 | a first failed poll asked again N s later in the cycle (0: off; docs/polling.md) |
| NETOPS_POLL_CONCURRENCY | 64 | devices polled at once |
| NETOPS_INCIDENT_HOLDDOWN_S | 2 x NETOPS_POLL_FAST_S | how long a cause must be gone before its incident resolves |
| NETOPS_FLAP_CHANGES / NETOPS_FLAP_WINDOW_S | 4 / 900 | answered <-> failed changes within the window: flapping |
| NETOPS_BACKUP_INTERVAL_S | 21600 | configuration backups (0: off) |
| NETOPS_SSH_LOGIN_TIMEOUT_S | 5 | SSH sessions: seconds for each login phase (TCP connect, banner, authentication) |
| NETOPS_SSH_COMMAND_TIMEOUT_S | 20 | SSH sessions: seconds for one command's answer |
| NETOPS_MODE | production | `lab`: allow placeholder secrets (`public`, `changeme`, ...): the lab, the demo |
| NETOPS_TRAP_LISTEN | (off) | `HOST:PORT`: receive SNMP traps and informs there (UDP; docs/ingest.md) |
| NETOPS_SYSLOG_LISTEN | (off) | `HOST:PORT`: receive syslog there (UDP and TCP) |
| NETOPS_INGEST_RATE | 200 | datagrams per second per device the receivers accept (more: counted, dropped) |
| NETOPS_SHARD | (none) | `K/N`, 1-based: poll only shard K of N; shard 1 coordinates (docs/scaling.md) |
| NETOPS_TRUSTED_PROXIES | (none) | addresses/networks (comma-separated) whose `X-Forwarded-For` counts (docs/api.md) |
| NETOPS_AUDIT_RETENTION_DAYS | 365 | audit rows older than this are deleted |
| NETOPS_AUDIT_ANONYMOUS_RETENTION_DAYS | 30 | the same for the per-minute rows of unauthenticated refusals |

A value out of its rule is refused at start-up as one ``SettingsError`` line naming the variable and the rule
(``invalid settings: NETOPS_AUDIT_RETENTION_DAYS: Input should be greater than 0``; the CLI exits 1).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from netops.errors import NetopsError, SettingsError
from netops.polling.shards import Shard

if TYPE_CHECKING:
    from netops.drivers.cli import Timeouts

DEFAULT_PORT = 8600
SSH_LOGIN_TIMEOUT_MAX_S = 300.0  # a login phase waiting longer holds a device lock for nothing
SSH_COMMAND_TIMEOUT_MAX_S = 3600.0
BACKUP_COMMAND_S = 30.0  # a backup reads a whole configuration: one command waits this long by default


def default_inventory() -> Path:
    return Path(os.environ.get("NETOPS_INVENTORY") or "inventory")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NETOPS_", extra="ignore", frozen=True)

    inventory: Path = Field(default_factory=default_inventory)
    state_dir: Path = Path(".netops")
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    log_level: str = "info"
    poll_enabled: bool = True
    poll_fast_s: float = Field(default=30.0, gt=0)
    poll_normal_s: float = Field(default=60.0, gt=0)
    poll_threshold: int = Field(default=2, ge=1)
    poll_confirm_s: float = Field(default=1.0, ge=0)
    poll_concurrency: int = Field(default=64, ge=1, le=1024)
    incident_holddown_s: float | None = Field(default=None, ge=0)  # None: 2 x poll_fast_s
    flap_changes: int = Field(default=4, ge=2)
    flap_window_s: float = Field(default=900.0, gt=0)
    backup_interval_s: float = Field(default=6 * 3600, ge=0)
    # every SSH session the service opens (pushes, rollbacks, runbook pushes, diffs); ``netops config`` too
    ssh_login_timeout_s: float = Field(default=5.0, gt=0, le=SSH_LOGIN_TIMEOUT_MAX_S, allow_inf_nan=False)
    ssh_command_timeout_s: float = Field(
        default=20.0, gt=0, le=SSH_COMMAND_TIMEOUT_MAX_S, allow_inf_nan=False
    )
    mode: Literal["production", "lab"] = "production"  # lab: placeholder secrets allowed (the lab, the demo)
    trap_listen: str | None = None  # "HOST:PORT"; None: no trap receiver
    syslog_listen: str | None = None  # "HOST:PORT"; None: no syslog receiver
    ingest_rate: float = Field(default=200.0, gt=0)
    shard: str | None = None  # "K/N"; None: one process polls everything and analyses
    trusted_proxies: str = ""  # "10.0.0.5, 127.0.0.0/8": only these may set X-Forwarded-For (docs/api.md)
    audit_retention_days: float = Field(default=365.0, gt=0)
    audit_anonymous_retention_days: float = Field(default=30.0, gt=0)

    def __init__(self, *args: Any, **values: Any) -> None:
        """A value the service refuses (``NETOPS_AUDIT_RETENTION_DAYS=-5``) is one ``SettingsError`` line naming
        the variable and the rule, never pydantic's traceback; the value itself is not repeated."""
        try:
            super().__init__(*args, **values)
        except ValidationError as exc:
            raise SettingsError(settings_problems(exc)) from None

    @field_validator("shard")
    @classmethod
    def _shard_spec(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return str(Shard.parse(value))
        except NetopsError as exc:
            raise ValueError(str(exc)) from exc

    @property
    def shard_spec(self) -> Shard | None:
        return Shard.parse(self.shard) if self.shard else None

    @property
    def coordinator(self) -> bool:
        """Runs the analysis and the jobs that must run once: the single process, or shard 1."""
        spec = self.shard_spec
        return spec is None or spec.coordinator

    @property
    def ssh_timeouts(self) -> Timeouts:
        """The SSH sessions' timeouts: each login phase, one command (``netops.drivers.cli.Timeouts``)."""
        from netops.drivers.cli import Timeouts  # netmiko: imported by the code that opens sessions only

        return Timeouts.of(self.ssh_login_timeout_s, self.ssh_command_timeout_s)

    @property
    def backup_ssh_timeouts(self) -> Timeouts:
        """A backup's sessions: a whole configuration is a long answer, so one command waits
        ``BACKUP_COMMAND_S`` unless ``NETOPS_SSH_COMMAND_TIMEOUT_S`` is set."""
        from netops.drivers.cli import Timeouts

        told = "ssh_command_timeout_s" in self.model_fields_set
        return Timeouts.of(self.ssh_login_timeout_s, self.ssh_command_timeout_s if told else BACKUP_COMMAND_S)

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.state_dir / 'netops.db').resolve()}"


def settings_problems(exc: ValidationError) -> str:
    """``NETOPS_AUDIT_RETENTION_DAYS: Input should be greater than 0; NETOPS_PORT: ...`` (one line)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        field = str(error["loc"][0]) if error["loc"] else "?"
        rule = str(error["msg"]).removeprefix("Value error, ").replace("\n", " ")
        parts.append(f"NETOPS_{field.upper()}: {rule}")
    return "invalid settings: " + "; ".join(parts)
