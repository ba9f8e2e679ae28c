"""Open the database and bring its schema to the newest migration.

``open_store(url)`` creates the SQLite file's folder if needed, applies Alembic migrations (``upgrade head``)
and returns a ``Store`` with a session factory. Errors become ``StoreError`` naming the URL without password.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from netops.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK = 0x6E65_746F  # "neto": the advisory lock key of netops migrations


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One migration at a time, across processes: a CLI command and the service (or two shards) may open a
    fresh database together, and both would otherwise create the same tables. SQLite: an exclusive lock file
    next to the database; PostgreSQL: a session advisory lock; other databases: none."""
    url = engine.url
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database not in (None, "", ":memory:"):
        lock_path = Path(url.database).with_suffix(".migrate.lock")
        with lock_path.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    if backend == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK})
                conn.commit()
        return
    yield


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade (or, with a revision like ``base``/``-1``, downgrade) the schema."""
    with _migration_lock(engine):
        _migrate(engine, revision)


def _migrate(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine)
    try:
        if revision == "head" or not (revision == "base" or revision.startswith("-")):
            command.upgrade(cfg, revision)
        else:
            command.downgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate {_safe(str(engine.url))}: {exc.__class__.__name__}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Store:
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str, *, apply_migrations: bool = True) -> Store:
    try:
        engine = make_engine(url)
        if apply_migrations:
            migrate(engine)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open {_safe(url)}: {exc.__class__.__name__}: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"cannot open {_safe(url)}: {exc.strerror}") from exc
    return Store(engine, sessionmaker(engine, expire_on_commit=False))
