"""Several processes opening one fresh database at once (the CLI and the service, two shards) migrate it once:
the migration is serialised (a lock file for SQLite, an advisory lock for PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import inspect

from netops.store.db import open_store
from tests.conftest import REPO

OPEN = "import sys; from netops.store.db import open_store; open_store(sys.argv[1]).close()"


def test_concurrent_first_opens_all_succeed(db_url: str) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", OPEN, db_url], cwd=REPO, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], "\n".join(errors)
    store = open_store(db_url)
    try:
        assert {"inventory_loads", "incidents", "api_tokens", "runbook_runs"} <= set(
            inspect(store.engine).get_table_names()
        )
    finally:
        store.close()
