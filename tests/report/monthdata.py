"""A synthetic November 2026 written into a real store the way netops writes it: a poll cycle every minute
(with a six-hour gap on the 20th), incidents with their history rows, precheck rounds, changes, backups and,
when the table exists, service checks. The outages are listed here in local time (UTC+8); the tests compute
the expected figures by hand from this list, not with netops' code."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, inspect, text

from netops.store.db import Store
from netops.store.schema import (
    ConfigChangeDevice,
    ConfigDeviceStatus,
    Incident,
    IncidentHistory,
    PollCycle,
    VcRoomResult,
    VcRound,
)

CST = timezone(timedelta(hours=8))


def at(day: int, hh: int, mm: int = 0, month: int = 11) -> float:
    """A local (UTC+8) time in 2026 as UTC seconds."""
    return datetime(2026, month, day, hh, mm, tzinfo=CST).timestamp()


MONTH_START = at(1, 0)
MONTH_END = datetime(2026, 12, 1, tzinfo=CST).timestamp()
GAP = (at(20, 0), at(20, 6))  # no poll cycle starts in here


def _incident(
    s: object,
    ident: int,
    kind: str,
    sites: list[str],
    opened: float,
    *,
    history: list[tuple[float, str]],
    cause_gone: float | None = None,
    resolved: float | None = None,
) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    s.add(
        Incident(
            id=ident,
            key=f"{kind}:{ident}",
            state="resolved" if resolved is not None else "open",
            summary=f"test incident {ident}",
            opened_at=opened,
            last_seen_at=cause_gone or opened,
            resolved_at=resolved,
            root_devices=[],
            root_links=[],
            affected_devices=[],
            affected_sites=sites,
            affected_rooms=[],
            kind=kind,
            cause=[],
            peak_sites=sites,
            cause_gone_at=cause_gone,
        )
    )
    for when, change in history:
        s.add(
            IncidentHistory(
                incident_id=ident,
                at=when,
                change=change,
                kind=kind,
                cause=[],
                sites=len(sites),
                devices=0,
                rooms=0,
                summary="",
            )
        )


def write_month(store: Store) -> None:
    with store.session() as s:
        # poll cycles: every minute from an hour before the month to its end, none starting inside GAP
        t = MONTH_START - 3600.0
        cycles = []
        while t < MONTH_END:
            if not GAP[0] <= t < GAP[1]:
                cycles.append(
                    {
                        "job": "poll-access",
                        "started_at": t,
                        "duration_s": 1.0,
                        "interval_s": 60.0,
                        "devices": 9,
                        "failed": 0,
                        "overrun": False,
                    }
                )
            t += 60.0
        s.execute(insert(PollCycle), cycles)

        # 1: Shufu's router, 10:00-12:30 on the 3rd; resolved after a one-minute hold-down
        _incident(
            s,
            1,
            "device",
            ["kashgar-shufu"],
            at(3, 10),
            cause_gone=at(3, 12, 30),
            resolved=at(3, 12, 31),
            history=[(at(3, 10), "opened"), (at(3, 12, 30), "recovering"), (at(3, 12, 31), "resolved")],
        )
        # 2: Kashgar's router on the 10th: 08:00-08:20, back for a minute, down again 08:21-09:00
        _incident(
            s,
            2,
            "device",
            ["kashgar", "kashgar-shufu", "kashgar-shule"],
            at(10, 8),
            cause_gone=at(10, 9),
            resolved=at(10, 9, 1),
            history=[
                (at(10, 8), "opened"),
                (at(10, 8, 20), "recovering"),
                (at(10, 8, 21), "recurred"),
                (at(10, 9), "recovering"),
                (at(10, 9, 1), "resolved"),
            ],
        )
        # 2b: Shufu's uplink, 08:30-09:30 on the 10th (overlaps 2); no hold-down
        _incident(
            s,
            3,
            "link",
            ["kashgar-shufu"],
            at(10, 8, 30),
            cause_gone=at(10, 9, 30),
            resolved=at(10, 9, 30),
            history=[(at(10, 8, 30), "opened"), (at(10, 9, 30), "resolved")],
        )
        # 3: Lop from 20:00 on 31 October to 02:00 on 1 November (only 00:00-02:00 is in the month)
        _incident(
            s,
            4,
            "device",
            ["hotan-lop"],
            at(31, 20, month=10),
            cause_gone=at(1, 2),
            resolved=at(1, 2, 1),
            history=[(at(31, 20, month=10), "opened"), (at(1, 2), "recovering"), (at(1, 2, 1), "resolved")],
        )
        # 4: Hotan's router 05:00-07:00 on the 20th, partly in the unobserved gap (00:01-06:00)
        _incident(
            s,
            5,
            "power",
            ["hotan", "hotan-lop"],
            at(20, 5),
            cause_gone=at(20, 7),
            resolved=at(20, 7, 1),
            history=[(at(20, 5), "opened"), (at(20, 7), "recovering"), (at(20, 7, 1), "resolved")],
        )
        # 5: Shule from 23:00 on the 30th, still open
        _incident(s, 6, "device", ["kashgar-shule"], at(30, 23), history=[(at(30, 23), "opened")])
        # 6: management plane only (unmanaged): never an outage
        _incident(
            s,
            7,
            "unmanaged",
            ["hotan-lop"],
            at(12, 0),
            cause_gone=at(12, 12),
            resolved=at(12, 12),
            history=[(at(12, 0), "opened"), (at(12, 12), "resolved")],
        )
        # 7: the planned county: not assessed
        _incident(
            s,
            8,
            "device",
            ["kashgar-yopurga"],
            at(5, 0),
            cause_gone=at(5, 10),
            resolved=at(5, 10),
            history=[(at(5, 0), "opened"), (at(5, 10), "resolved")],
        )
        # 8: all in October
        _incident(
            s,
            9,
            "device",
            ["kashgar-shufu"],
            at(2, 0, month=10),
            cause_gone=at(2, 5, month=10),
            resolved=at(2, 5, month=10),
            history=[(at(2, 0, month=10), "opened"), (at(2, 5, month=10), "resolved")],
        )
        # 9: Shufu 01:00-01:45 on the 25th, a row from before the history table (no history rows)
        _incident(
            s,
            10,
            "device",
            ["kashgar-shufu"],
            at(25, 1),
            cause_gone=at(25, 1, 45),
            resolved=at(25, 1, 47),
            history=[],
        )

        # conferences: c1 (Shufu RED at T-5), c2 (all GREEN); one October round that does not count
        rounds = [
            (1, "c1", "t5", at(8, 9, 55), {"kashgar-vc": "GREEN", "kashgar-shufu-vc": "RED"}),
            (2, "c1", "live", at(8, 10, 5), {"kashgar-vc": "GREEN", "kashgar-shufu-vc": "GREEN"}),
            (
                3,
                "c2",
                "t5",
                at(18, 15, 55),
                {"kashgar-vc": "GREEN", "kashgar-shufu-vc": "GREEN", "hotan-vc": "GREEN"},
            ),
            (4, "c2", "t15", at(18, 15, 45), {"hotan-vc": "RED"}),  # T-15: not a T-5 or live round
            (5, "c0", "t5", at(20, 9, month=10), {"hotan-vc": "RED"}),
        ]
        for rid, conf, kind, started, colours in rounds:
            s.add(
                VcRound(
                    id=rid,
                    conference=conf,
                    kind=kind,
                    started_at=started,
                    duration_s=2.0,
                    counts={},
                    conference_checks=[],
                )
            )
            for room, colour in colours.items():
                s.add(VcRoomResult(round_id=rid, room=room, colour=colour, reasons=[], checks=[]))

        # changes on Shufu's router: one confirmed, one reverted, a dry run and an October one (neither counts)
        for change, outcome, started in (
            ("ch1", "confirmed", at(4, 10)),
            ("ch2", "reverted", at(14, 10)),
            ("ch3", "planned", at(15, 10)),
            ("ch0", "confirmed", at(4, 10, month=10)),
        ):
            s.add(
                ConfigChangeDevice(
                    change_id=change,
                    device="kashgar-shufu-ce1",
                    wave=1,
                    outcome=outcome,
                    commands=[],
                    templates={},
                    checks=[],
                    started_at=started,
                    duration_s=5.0,
                )
            )
        # backups: Kashgar's router backed up an hour before the month's end, Shufu's three days before
        s.add(ConfigDeviceStatus(device="kashgar-ce1", last_backup_ok_at=MONTH_END - 3600.0))
        s.add(ConfigDeviceStatus(device="kashgar-shufu-ce1", last_backup_ok_at=MONTH_END - 3 * 86400.0))

    if inspect(store.engine).has_table("service_checks"):  # docs/services.md
        with store.session() as s:
            rows = [
                {
                    "site": "kashgar-shufu",
                    "service": "portal-zh",
                    "endpoint": "https://portal/",
                    "at": at(6, h),
                    "ok": h != 5,
                    "state": "ok" if h != 5 else "fail",
                }
                for h in range(10)
            ]
            s.execute(
                text(
                    "INSERT INTO service_checks (site, service, endpoint, checked_at, ok, source, state)"
                    " VALUES (:site, :service, :endpoint, :at, :ok, 'centre', :state)"
                ),
                rows,
            )
