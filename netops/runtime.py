"""The running service's state: the inventory in use, its topology, the store; reloaded when files change.

One ``Runtime`` per process (one per shard with ``--shard K/N``), built by ``netops serve`` (through
``api.app.create_app``) and handed to the routes, the scheduler jobs and the metric collectors. A changed
inventory that fails validation is logged and counted; the last good one stays in use. The rest of the folder
(templates, conferences, ``notify.yaml``, unknown files: ``netops inventory validate``'s checks) is checked at
start and whenever a file of it changes: its problems do not stop the service (polling must go on while a push
template has a typo) but are logged with file and line, shown by ``/healthz``, ``GET /inventory`` and the
``netops_inventory_folder_problems`` metric.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from netops.drivers.snmp.source import SnmpSource
from netops.errors import InventoryError, SettingsError
from netops.events import EventBus
from netops.ingest.service import IngestService
from netops.inventory.loader import inventory_files, load_inventory
from netops.inventory.models import Inventory, SecretRef
from netops.inventory.topology import Topology
from netops.polling.poller import Poller
from netops.secrets import SecretStore, referenced_secrets
from netops.settings import Settings
from netops.store.db import Store, open_store
from netops.store.inventory_loads import record_load

log = logging.getLogger(__name__)


PLACEHOLDER_SECRETS = frozenset(
    {
        "public",
        "private",
        "changeme",
        "change-me",
        "password",
        "admin",
        "secret",
        "default",
        "test",
        "netops",
        "community",
        "cisco",
        "huawei",
        "h3c",
        "123456",
        "12345678",
    }
)
WEBHOOK_SECRET = SecretRef("alertmanager-webhook")


def refuse_placeholder_secrets(inventory: Inventory, secrets: SecretStore) -> None:
    """Production must not run on well-known default values (``public`` communities and the like)."""
    bad = [
        ref.name
        for ref in (*referenced_secrets(inventory), WEBHOOK_SECRET)
        if secrets.has(ref) and secrets.get(ref).strip().lower() in PLACEHOLDER_SECRETS
    ]
    if bad:
        raise SettingsError(
            f"secrets {', '.join(bad)} hold well-known placeholder values; set real ones "
            "(NETOPS_SECRET_<NAME> or the secrets file), or run with NETOPS_MODE=lab for the lab"
        )


def directory_digest(directory: Path) -> str:
    """The same digest the loader computes, without parsing: to notice a change cheaply."""
    digest = hashlib.sha256()
    for path in inventory_files(directory):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def folder_digest(directory: Path) -> str:
    """A digest of every file of the folder (names and contents, hidden ones left out)."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            digest.update(rel.as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Runtime:
    def __init__(self, settings: Settings, inventory: Inventory, store: Store) -> None:
        self.settings = settings
        self.inventory = inventory
        self.topology = Topology(inventory)
        self.store = store
        self.loaded_at = time.time()
        self.reload_failures = 0
        self.last_reload_error: str | None = None
        self.started_at = time.time()
        self.started_mono = time.monotonic()  # uptime: real time, whatever the wall clock does
        self.folder_problems: list[str] = []  # the folder's problems outside the model (templates, ...)
        self._folder_digest: str | None = None
        self.check_folder()
        self.bus = EventBus()  # internal events: incidents, room readiness; runbook triggers subscribe
        self.secrets = SecretStore()
        self.snmp = SnmpSource(lambda: self.inventory, self.secrets)
        self.poller = Poller(
            store,
            self.snmp,
            lambda: self.topology,
            concurrency=settings.poll_concurrency,
            threshold=settings.poll_threshold,
            confirm_delay_s=settings.poll_confirm_s,
            bus=self.bus,
            analyse=settings.shard_spec is None,  # shards: the coordinator's ``analyse`` job does it
            holddown_s=(
                settings.incident_holddown_s
                if settings.incident_holddown_s is not None
                else 2 * settings.poll_fast_s
            ),
            flap_changes=settings.flap_changes,
            flap_window_s=settings.flap_window_s,
            secrets=self.secrets,
        )
        # traps and syslog -> targeted polls (off unless NETOPS_TRAP_LISTEN / NETOPS_SYSLOG_LISTEN are set)
        self.ingest = IngestService(
            lambda: self.inventory,
            self.secrets,
            self.poller,
            trap_listen=settings.trap_listen,
            syslog_listen=settings.syslog_listen,
            threshold=settings.poll_threshold,
            interval_s=settings.poll_fast_s,
            rate=settings.ingest_rate,
            holddown_s=self.poller.holddown_s,
            topology=lambda: self.topology,
        )

    @classmethod
    def start(cls, settings: Settings) -> Runtime:
        """Load the inventory (raises ``InventoryError``), refuse placeholder secrets outside lab mode (raises
        ``SettingsError``), open and migrate the store, record the load."""
        inventory = load_inventory(settings.inventory)
        if settings.mode != "lab":
            refuse_placeholder_secrets(inventory, SecretStore())
        store = open_store(settings.db_url)
        record_load(store, inventory)
        return cls(settings, inventory, store)

    def check_folder(self) -> list[str]:
        """``netops inventory validate``'s checks of the whole folder, when a file of it changed since the last
        check; the problems are kept (``folder_problems``) and each one logged once."""
        from netops.changes.template_checks import validate_inventory  # jinja2 only here

        directory = Path(self.inventory.directory)
        try:
            digest = folder_digest(directory)
        except OSError as exc:
            log.error("cannot read the inventory folder %s: %s", directory, exc.strerror)
            return self.folder_problems
        if digest == self._folder_digest:
            return self.folder_problems
        self._folder_digest = digest
        try:
            validate_inventory(directory)
            problems: list[str] = []
        except InventoryError as exc:
            problems = [str(p) for p in exc.problems]
        for problem in problems:
            if problem not in self.folder_problems:
                log.error("inventory folder problem (the service goes on): %s", problem)
        if self.folder_problems and not problems:
            log.info("inventory folder: no problem left")
        self.folder_problems = problems
        return problems

    def reload_if_changed(self) -> bool:
        """Reload the inventory if its files changed. Returns True when a new inventory is in use."""
        directory = Path(self.inventory.directory)
        self.check_folder()
        try:
            if directory_digest(directory) == self.inventory.digest:
                return False
            inventory = load_inventory(directory)
        except InventoryError as exc:
            self.reload_failures += 1
            self.last_reload_error = f"{len(exc.problems)} problem(s), first: {exc.problems[0]}"
            log.error(
                "inventory reload failed, keeping the one loaded at %s: %s",
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.loaded_at)),
                exc,
            )
            return False
        except OSError as exc:
            self.reload_failures += 1
            self.last_reload_error = f"cannot read {directory}: {exc.strerror}"
            log.error("inventory reload failed: %s", self.last_reload_error)
            return False
        self.inventory = inventory
        self.topology = Topology(inventory)
        self.loaded_at = time.time()
        self.last_reload_error = None
        self.snmp.forget_credentials()  # profiles may have changed
        record_load(self.store, inventory)
        log.info("inventory reloaded: %d sites, %d devices", len(inventory.sites), len(inventory.devices))
        return True

    def close(self) -> None:
        self.store.close()
