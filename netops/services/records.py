"""The stored results of service checks: table ``service_checks`` (migration 0010), written by ``cycle.py``,
read by metrics, the CLI and the assessment report (netops/report). One row per result; never updated."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, Integer, String, func, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from netops.store.db import Store
from netops.store.schema import Base


class CheckState(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but something needs attention soon (a certificate close to expiry)
    FAIL = "fail"


class CheckSource(StrEnum):
    CENTRE = "centre"  # netops' own probe, from the centre
    ROUTER = "router"  # the site's router's NQA / IP SLA test, read over SNMP


class ServiceCheck(Base):
    __tablename__ = "service_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(63), index=True)
    service: Mapped[str] = mapped_column(String(63), index=True)
    endpoint: Mapped[str] = mapped_column(String(255))
    checked_at: Mapped[float] = mapped_column(Float, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    tls_days_left: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8))


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One result, as the checkers produce it and the table stores it."""

    site: str
    service: str
    endpoint: str
    checked_at: float
    state: CheckState
    source: CheckSource
    latency_ms: float | None = None
    reason: str | None = None
    tls_days_left: float | None = None

    @property
    def ok(self) -> bool:
        return self.state is not CheckState.FAIL

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["state"], out["source"], out["ok"] = str(self.state), str(self.source), self.ok
        return out


def store_results(store: Store, results: Iterable[CheckResult]) -> int:
    rows = [
        {
            "site": r.site,
            "service": r.service,
            "endpoint": r.endpoint[:255],
            "checked_at": r.checked_at,
            "ok": r.ok,
            "latency_ms": r.latency_ms,
            "reason": (r.reason or None) and r.reason[:255],
            "tls_days_left": r.tls_days_left,
            "source": str(r.source),
            "state": str(r.state),
        }
        for r in results
    ]
    if rows:
        with store.session() as session:
            session.execute(insert(ServiceCheck), rows)
    return len(rows)


def latest_results(store: Store) -> Sequence[CheckResult]:
    """The newest result of every (site, service, source)."""
    newest = select(func.max(ServiceCheck.id)).group_by(
        ServiceCheck.site, ServiceCheck.service, ServiceCheck.source
    )
    with store.session() as session:
        rows = session.scalars(
            select(ServiceCheck).where(ServiceCheck.id.in_(newest)).order_by(ServiceCheck.site)
        ).all()
        return [
            CheckResult(
                site=r.site,
                service=r.service,
                endpoint=r.endpoint,
                checked_at=r.checked_at,
                state=CheckState(r.state),
                source=CheckSource(r.source),
                latency_ms=r.latency_ms,
                reason=r.reason,
                tls_days_left=r.tls_days_left,
            )
            for r in rows
        ]
