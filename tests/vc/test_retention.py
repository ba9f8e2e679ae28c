"""Live rounds are pruned after two days; precheck rounds are kept (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select

from netops.store.db import open_store
from netops.store.schema import VcRoomResult, VcRound
from netops.vc.store import LIVE_RETENTION_S, RoomOutcome, record_round


def test_old_live_rounds_are_pruned_prechecks_kept(db_url: str) -> None:
    store = open_store(db_url)
    room = RoomOutcome("hami-vc", "GREEN", [], [], {}, 0.01, 0.002, 0.0)

    def add(kind: str, at: float) -> None:
        record_round(
            store,
            conference="drill",
            kind=kind,
            started_at=at,
            duration_s=1.0,
            counts={"GREEN": 1},
            conference_checks=[],
            rooms=[room],
        )

    try:
        add("t15", 1000.0)
        add("live", 1000.0)
        add("live", 1000.0 + LIVE_RETENTION_S / 2)
        add("live", 1000.0 + LIVE_RETENTION_S + 10)  # the first live round is now past retention
        with store.session() as session:
            kinds = sorted(session.scalars(select(VcRound.kind)).all())
            results = session.scalar(select(func.count()).select_from(VcRoomResult))
        assert kinds == ["live", "live", "t15"]
        assert results == 3
    finally:
        store.close()
