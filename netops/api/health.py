"""Is the store writable? Reads must keep working when the disk is full or the database read-only; what the
request path writes on the side (a token's ``last_used_at``, audit rows) may fail, is counted here and logged,
and never turns a read into an error. ``/healthz`` asks ``StoreHealth.writable()``: a real write (a no-op
``UPDATE`` of the one row of ``alembic_version``, which both SQLite and PostgreSQL write to disk) at most every
``PROBE_EVERY_S``, and any side write that failed since the last good probe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text

from netops.store.db import Store

log = logging.getLogger(__name__)
PROBE_EVERY_S = 5.0
T = TypeVar("T")


class StoreHealth:
    def __init__(self, store: Store, probe_every_s: float = PROBE_EVERY_S) -> None:
        self.store = store
        self.probe_every_s = probe_every_s
        self.write_failures = 0  # side writes that failed (netops_store_write_failures_total)
        self.last_error: str | None = None
        self._probed_at = 0.0
        self._ok = True
        self._lock = threading.Lock()

    def failed(self, what: str, exc: BaseException) -> None:
        with self._lock:
            self.write_failures += 1
            self.last_error = f"{what}: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}"
            self._ok, self._probed_at = False, 0.0  # the next /healthz probes again
        log.warning("store write failed (%s): %s", what, exc)

    def side_write(self, what: str, write: Callable[[], T]) -> T | None:
        """Run a write the answer does not depend on; a failure is counted, never raised."""
        try:
            return write()
        except Exception as exc:  # noqa: BLE001 - disk full, read-only file, database gone: the read goes on
            self.failed(what, exc)
            return None

    def writable(self) -> tuple[bool, str | None]:
        now = time.monotonic()
        with self._lock:
            if now - self._probed_at < self.probe_every_s:
                return self._ok, None if self._ok else self.last_error
        try:
            with self.store.session() as session:
                session.execute(text("UPDATE alembic_version SET version_num = version_num"))
            ok, error = True, None
        except Exception as exc:  # noqa: BLE001 - any failure of the write means not writable
            ok, error = False, f"probe: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}"
        with self._lock:
            self._ok, self._probed_at = ok, time.monotonic()
            if error:
                self.last_error = error
            return ok, error


class StoreWriteCollector(Collector):
    """``netops_store_write_failures_total``: side writes of the request path that failed (disk full...)."""

    def __init__(self, health: StoreHealth) -> None:
        self.health = health

    def collect(self) -> Iterator[Metric]:
        failures = CounterMetricFamily(
            "netops_store_write_failures", "Store writes of the request path that failed (token use, audit)"
        )
        failures.add_metric([], self.health.write_failures)
        yield failures
