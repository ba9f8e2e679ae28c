"""Resolve secret references (``SecretRef``) to values, never storing them in the inventory or logs.

Order: the environment variable ``NETOPS_SECRET_<NAME>`` (upper case, ``-`` and ``.`` as ``_``), then the
secrets file: ``NETOPS_SECRETS_FILE`` or ``~/.config/netops/secrets.yaml``, a flat YAML mapping
``name: value`` that must not be readable by others. The lab creates random values for the secrets its
inventory names (``ensure_lab_secrets``) so the demo works on a fresh machine without any secret in git.
"""

from __future__ import annotations

import os
import secrets as _random
import stat
import threading
from collections.abc import Iterable
from pathlib import Path

import yaml

from netops.errors import SecretError
from netops.inventory.models import Inventory, SecretRef

ENV_PREFIX = "NETOPS_SECRET_"


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper().replace("-", "_").replace(".", "_")


def secrets_file() -> Path:
    explicit = os.environ.get("NETOPS_SECRETS_FILE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "netops" / "secrets.yaml"


class SecretStore:
    """Looks secrets up; reads the secrets file lazily, and again when it changed (its mtime, size or inode):
    a rotated key is used without a restart. ``generation`` counts the reads, so holders of derived values
    (the SNMP source's credentials) know when to derive them again.

    Thread-safe: ``config diff/backup/push`` render devices in a thread pool that shares one store. A read
    publishes the file's values only once they are complete (another thread must never see a half-read file
    as "secret not set"), under a lock so that the file is read once, not once per thread."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or secrets_file()
        self._file: dict[str, str] | None = None
        self._signature: tuple[int, int, int] | None = None
        self.generation = 0
        self._lock = threading.RLock()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def refresh(self) -> bool:
        """Forget the file's values if it changed since they were read. Returns True when it did."""
        with self._lock:
            if self._file is not None and self._stat() != self._signature:
                self._file = None
                self.generation += 1
                return True
            return False

    def _load_file(self) -> dict[str, str]:
        with self._lock:
            self.refresh()
            if self._file is None:
                signature = self._stat()
                values: dict[str, str] = {}
                if self.path.is_file():
                    mode = self.path.stat().st_mode
                    if mode & (stat.S_IRWXG | stat.S_IRWXO):
                        raise SecretError(f"{self.path}: secrets file is readable by others; chmod 600 it")
                    try:
                        data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
                    except yaml.YAMLError as exc:
                        raise SecretError(f"{self.path}: not valid YAML ({exc.__class__.__name__})") from exc
                    if not isinstance(data, dict):
                        raise SecretError(f"{self.path}: expected a mapping of secret name to value")
                    values = {str(k): str(v) for k, v in data.items()}
                self._signature, self._file = signature, values  # complete before anyone sees it
            return self._file

    def get(self, ref: SecretRef) -> str:
        value = os.environ.get(env_name(ref.name))
        if value:
            return value
        value = self._load_file().get(ref.name)
        if value:
            return value
        raise SecretError(
            f"secret {ref.name!r} is not set: export {env_name(ref.name)} or add "
            f"'{ref.name}: ...' to {self.path}"
        )

    def has(self, ref: SecretRef) -> bool:
        return bool(os.environ.get(env_name(ref.name)) or self._load_file().get(ref.name))


def referenced_secrets(inventory: Inventory) -> list[SecretRef]:
    refs: dict[str, SecretRef] = {}
    for prof in inventory.snmp_profiles.values():
        for ref in (prof.community, prof.auth_key, prof.priv_key):
            if ref is not None:
                refs[ref.name] = ref
    for cred in inventory.credentials.values():
        for ref in (cred.password, cred.enable):
            if ref is not None:
                refs[ref.name] = ref
    return [refs[k] for k in sorted(refs)]


def ensure_lab_secrets(store: SecretStore, refs: Iterable[SecretRef]) -> list[str]:
    """Give every missing secret a random value in the secrets file (mode 600). Returns the names created."""
    missing = [r.name for r in refs if not store.has(r)]
    if not missing:
        return []
    data = dict(store._load_file())
    for name in missing:
        data[name] = _random.token_urlsafe(12)  # >= 8 characters, as SNMPv3 keys require
    store.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, default_flow_style=False)
    tmp.replace(store.path)
    with store._lock:
        store._file = data
        store._signature = store._stat()
    return missing
