"""Secrets come from the environment or a private secrets file; the lab creates its own; none leak."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
import yaml

from netops.errors import SecretError
from netops.inventory import load_inventory
from netops.inventory.models import SecretRef
from netops.secrets import SecretStore, ensure_lab_secrets, env_name, referenced_secrets


def test_env_wins_over_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secrets.yaml"
    path.write_text("lab-cli-password: from-file\n", encoding="utf-8")
    path.chmod(0o600)
    store = SecretStore(path)
    assert store.get(SecretRef("lab-cli-password")) == "from-file"
    monkeypatch.setenv("NETOPS_SECRET_LAB_CLI_PASSWORD", "from-env")
    assert store.get(SecretRef("lab-cli-password")) == "from-env"
    assert env_name("lab-snmp-v3.auth") == "NETOPS_SECRET_LAB_SNMP_V3_AUTH"


def test_missing_secret_says_where_to_put_it(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "none.yaml")
    with pytest.raises(SecretError, match="NETOPS_SECRET_LAB_SNMP_COMMUNITY"):
        store.get(SecretRef("lab-snmp-community"))


def test_world_readable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets.yaml"
    path.write_text("x: y\n", encoding="utf-8")
    path.chmod(0o644)
    with pytest.raises(SecretError, match="chmod 600"):
        SecretStore(path).get(SecretRef("x"))


def test_lab_secrets_created_private_and_stable(tmp_path: Path, base_inventory: Path) -> None:
    inv = load_inventory(base_inventory)
    refs = referenced_secrets(inv)
    assert [r.name for r in refs] == [
        "lab-cli-password",
        "lab-snmp-community",
        "lab-snmp-v3-auth",
        "lab-snmp-v3-priv",
    ]
    path = tmp_path / "conf" / "secrets.yaml"
    store = SecretStore(path)
    created = ensure_lab_secrets(store, refs)
    assert created == [r.name for r in refs]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert all(len(v) >= 8 for v in values.values())
    assert ensure_lab_secrets(SecretStore(path), refs) == []  # a second run keeps them
    assert SecretStore(path).get(refs[0]) == values["lab-cli-password"]


def test_inventory_objects_never_hold_secret_values(base_inventory: Path) -> None:
    inv = load_inventory(base_inventory)
    prof = inv.snmp_profiles["lab-v3"]
    assert str(prof.auth_key) == "<secret lab-snmp-v3-auth>"


def test_threads_reading_a_fresh_store_all_see_the_file(tmp_path: Path) -> None:
    """Regression: the first read of the file published an empty mapping before filling it, so a thread
    asking at the same moment (``config diff`` renders devices in a thread pool sharing one store) got
    "secret ... is not set" for a secret that was in the file (test_cli_progress: exit 1, one device of three)."""
    path = tmp_path / "secrets.yaml"
    path.write_text("".join(f"s{i}: value-{i}\n" for i in range(2000)), encoding="utf-8")
    path.chmod(0o600)
    threads, failures = 8, list[BaseException]()

    def read(store: SecretStore, start: threading.Barrier) -> None:
        start.wait()
        try:
            assert store.get(SecretRef("s1999")) == "value-1999"
        except BaseException as exc:  # noqa: BLE001 - collected, asserted by the test's thread
            failures.append(exc)

    for _ in range(5):  # a fresh store each round: the race is on its first read
        store, start = SecretStore(path), threading.Barrier(threads)
        workers = [threading.Thread(target=read, args=(store, start)) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    assert failures == []
