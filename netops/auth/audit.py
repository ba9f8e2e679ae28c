"""The audit log: who did what, when, with what outcome. Every mutating action of the API and the CLI writes one
row here through ``record``, with one actor naming:

| actor | who |
| --- | --- |
| ``token:<name>`` | an API call with the bearer token named ``<name>`` (``token_actor``) |
| ``cli:<os user>`` | a CLI command run by that operating-system user (``cli_actor``) |
| ``alertmanager`` | Alertmanager's webhook (its own shared secret) |
| ``anonymous`` | requests refused before anyone was authenticated: one row per client per minute (``Refusals``) |

Rows are never updated; ``purge`` deletes rows older than the retention (``NETOPS_AUDIT_RETENTION_DAYS``, and
``NETOPS_AUDIT_ANONYMOUS_RETENTION_DAYS`` for the anonymous per-minute rows), run by the service every hour.
"""

from __future__ import annotations

import getpass
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from netops.store.db import Store
from netops.store.schema import AuditEntry

ANONYMOUS = "anonymous"
REFUSED = "refused"  # the action of the anonymous per-minute rows
WINDOW_S = 60.0
MAX_WINDOWS = 60  # windows kept while the store cannot be written
MAX_CLIENTS = 10_000  # per window; beyond, refusals count under the client "other" (memory stays bounded)


def cli_actor() -> str:
    """The actor of a CLI command: ``cli:<os user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container): the uid itself
        user = str(os.getuid())
    return f"cli:{user}"


def token_actor(name: str) -> str:
    """The actor of an API call authenticated with the token ``name``: ``token:<name>``."""
    return f"token:{name}"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: float
    actor: str
    role: str | None
    action: str
    target: str | None
    outcome: str
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "target": self.target,
            "outcome": self.outcome,
            "detail": self.detail,
        }


def record(
    store: Store,
    *,
    actor: str,
    action: str,
    outcome: str,
    role: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one row (raises the store's error if it cannot: callers that must not fail catch it)."""
    with store.session() as session:
        session.add(
            AuditEntry(
                at=time.time(),
                actor=actor,
                role=role,
                action=action,
                target=target,
                outcome=outcome,
                detail=detail or {},
            )
        )


def entries(
    store: Store, *, limit: int = 100, actor: str | None = None, since: float | None = None
) -> list[AuditRecord]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    with store.session() as session:
        return [
            AuditRecord(r.id, r.at, r.actor, r.role, r.action, r.target, r.outcome, dict(r.detail))
            for r in session.scalars(query)
        ]


def purge(store: Store, *, retention_s: float, anonymous_retention_s: float, now: float | None = None) -> int:
    """Delete rows older than their retention; returns how many went."""
    now = time.time() if now is None else now
    old = (AuditEntry.actor == ANONYMOUS) & (AuditEntry.at < now - anonymous_retention_s)
    with store.session() as session:
        gone = session.execute(delete(AuditEntry).where(old))
        more = session.execute(delete(AuditEntry).where(AuditEntry.at < now - retention_s))
        return int(getattr(gone, "rowcount", 0) or 0) + int(getattr(more, "rowcount", 0) or 0)


class Refusals:
    """Requests refused before authentication, counted in memory per client and minute; ``flush`` writes one
    ``anonymous`` row per client and finished minute with the count, the statuses and the first paths. A flood of
    bad requests costs a counter each, not a database write each.

    Windows are wall-clock minutes (the rows say when) read from ``clock`` (``time.time``): whoever needs the
    refusals of one burst in one row, whatever the burst's length (a test), gives it a clock that stays still.
    """

    def __init__(self, window_s: float = WINDOW_S, clock: Callable[[], float] = time.time) -> None:
        self.window_s = window_s
        self.clock = clock
        self._lock = threading.Lock()
        self._tally: dict[tuple[float, str], tuple[Counter[str], list[str]]] = {}
        self._clients: Counter[float] = Counter()  # clients per window (bounded by MAX_CLIENTS)

    def add(self, client: str, status: int, what: str, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        start = now - now % self.window_s
        with self._lock:
            key = (start, client)
            if key not in self._tally:
                if self._clients[start] >= MAX_CLIENTS:
                    key = (start, "other")
                if key not in self._tally:
                    self._clients[start] += 1
            statuses, paths = self._tally.setdefault(key, (Counter(), []))
            statuses[str(status)] += 1
            if len(paths) < 5 and what not in paths:
                paths.append(what)

    def pending(self) -> int:
        with self._lock:
            return sum(sum(c.values()) for c, _ in self._tally.values())

    def flush(self, store: Store, *, everything: bool = False, now: float | None = None) -> int:
        """Write the rows of finished windows (all windows with ``everything``); returns the rows written."""
        now = self.clock() if now is None else now
        with self._lock:
            done = {k: v for k, v in self._tally.items() if everything or k[0] + self.window_s <= now}
            for key in done:
                del self._tally[key]
            self._clients = Counter(start for start, _ in self._tally)
        if not done:
            return 0
        try:
            with store.session() as session:
                for (start, client), (statuses, paths) in sorted(done.items()):
                    session.add(
                        AuditEntry(
                            at=start,
                            actor=ANONYMOUS,
                            role=None,
                            action=REFUSED,
                            target=client,
                            outcome=",".join(sorted(statuses)),
                            detail={
                                "count": sum(statuses.values()),
                                "statuses": dict(statuses),
                                "window_s": self.window_s,
                                "paths": paths,
                            },
                        )
                    )
        except Exception:
            with self._lock:  # put them back: the next flush tries again
                for key, (statuses, paths) in done.items():
                    kept = self._tally.setdefault(key, (Counter(), []))
                    kept[0].update(statuses)
                    kept[1].extend(p for p in paths if p not in kept[1])
                starts = sorted({s for s, _ in self._tally})
                for key in [k for k in self._tally if k[0] < starts[-MAX_WINDOWS:][0]]:
                    del self._tally[key]  # the store stays unwritable: keep the newest windows only
                self._clients = Counter(start for start, _ in self._tally)
            raise
        return len(done)


@contextmanager
def audited(
    store: Store,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Record one action when the block ends: outcome ``ok``, or the class of the exception that ended it (the
    exception goes on). The block may add to the yielded ``detail``. A CLI command wraps its change in this."""
    extra: dict[str, Any] = dict(detail or {})
    try:
        yield extra
    except BaseException as exc:
        outcome = "exit" if type(exc).__name__ == "Exit" else type(exc).__name__
        record(store, actor=actor, action=action, outcome=outcome, target=target, detail=extra)
        raise
    record(store, actor=actor, action=action, outcome="ok", target=target, detail=extra)
