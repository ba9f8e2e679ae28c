"""The readiness board's data: per room the latest verdict, grouped by prefecture, worst first; and the
pre-meeting checklist as CSV. Read from the store (``store.py``); the API, the CLI and the metrics use it.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from netops.inventory.models import Inventory
from netops.store.db import Store
from netops.vc import store as vcstore
from netops.vc.conferences import Conference, resolve_rooms
from netops.vc.rule import Colour

NOT_CHECKED = "NOT-CHECKED"
DEFAULT_TIMEZONE = "Asia/Shanghai"
_ORDER = {str(Colour.RED): 0, str(Colour.AMBER): 1, NOT_CHECKED: 2, str(Colour.GREEN): 3}
CSV_COLUMNS = (
    "prefecture", "site", "room", "name", "codec", "colour", "failing_checks", "reasons",
    "delay_ms", "jitter_ms", "loss_pct", "checked_at", "contact", "phone", "confirmed_by",
)  # fmt: skip


def _failing(checks: list[dict[str, Any]]) -> list[str]:
    return [c["name"] for c in checks if c["status"] in ("FAIL", "WARN") and c.get("cause") is None]


def readiness(
    store: Store, inventory: Inventory, conf: Conference, now: float | None = None
) -> dict[str, Any]:
    """JSON-ready board of ``conf``: counts per colour, MCU checks, prefectures worst first, rooms worst first."""
    now = time.time() if now is None else now
    states = vcstore.room_states(store, conf.id)
    last = vcstore.last_round(store, conf.id)
    rooms: list[dict[str, Any]] = []
    for room in resolve_rooms(conf, inventory):
        site = inventory.sites[room.site]
        st = states.get(room.id)
        rooms.append(
            {
                "room": room.id,
                "name": room.name,
                "site": room.site,
                "prefecture": site.prefecture or site.id,
                "codec": room.codec,
                "colour": st.colour if st else NOT_CHECKED,
                "reasons": st.reasons if st else [],
                "failing_checks": _failing(st.checks) if st else [],
                "checks": st.checks if st else [],
                "checked_at": st.checked_at if st else None,
                "age_s": round(now - st.checked_at, 1) if st else None,
                "delay_ms": None if not st or st.delay_s is None else round(st.delay_s * 1000, 2),
                "jitter_ms": None if not st or st.jitter_s is None else round(st.jitter_s * 1000, 2),
                "loss_ratio": st.loss_ratio if st else None,
                "contact": room.contact.name if room.contact else None,
                "phone": room.contact.phone if room.contact else None,
            }
        )
    rooms.sort(key=lambda r: (_ORDER[r["colour"]], r["prefecture"], r["room"]))
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rooms:
        groups.setdefault(r["prefecture"], []).append(r)
    prefectures = sorted(
        ({"prefecture": p, "worst": rs[0]["colour"], "rooms": rs} for p, rs in groups.items()),
        key=lambda g: (_ORDER[g["worst"]], g["prefecture"]),
    )
    counts = {c: sum(r["colour"] == c for r in rooms) for c in (*map(str, Colour), NOT_CHECKED)}
    return {
        "conference": conf.as_dict(),
        "starts_in_s": round(conf.start_at - now, 1),
        "counts": counts,
        "last_round": None
        if last is None
        else {
            "id": last.id,
            "kind": last.kind,
            "started_at": last.started_at,
            "duration_s": last.duration_s,
            "age_s": round(now - last.started_at, 1),
        },
        "mcu_checks": last.conference_checks if last else [],
        "prefectures": prefectures,
    }


def region_zone(inventory: Inventory) -> tuple[str, str | None]:
    """The region's IANA time zone and, when the centre's ``vars.timezone`` is not usable, a warning saying
    so (the zone is then Asia/Shanghai). The loader refuses such a zone (``checks.timezone_problem``); this
    guards inventories built in code. The web board shows the warning as a banner."""
    from netops.inventory.checks import timezone_problem

    if "timezone" not in inventory.centre.vars:
        return DEFAULT_TIMEZONE, None
    name = inventory.centre.vars["timezone"]
    why = timezone_problem(name)
    if why is None:
        return str(name), None
    return (
        DEFAULT_TIMEZONE,
        f"the region's vars.timezone is not usable ({why}): times are shown in {DEFAULT_TIMEZONE}",
    )


def region_timezone(inventory: Inventory) -> str:
    """The region's IANA time zone (as the web board's ``<meta name="netops-timezone">``)."""
    return region_zone(inventory)[0]


def span(seconds: float) -> str:
    """A duration as the board shows it: ``45 s``, ``10 min``, ``2.5 h``, ``3 d``."""
    s = max(0, round(seconds))
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{round(s / 60)} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{round(s / 86400)} d"


def local_time(ts: float, zone: str) -> str:
    """A unix time as ``2026-12-06 10:00`` in ``zone``."""
    return datetime.fromtimestamp(ts, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def schedule(start_at: float, end_at: float, now: float, zone: str) -> tuple[str, str]:
    """(phase, text) of a conference as the web board words it, times in ``zone``: upcoming ``starts ...
    (in 30 min)``, running ``running since ... (10 min), ends ...``, or ``ended ...``."""
    if now < start_at:
        return "upcoming", f"starts {local_time(start_at, zone)} (in {span(start_at - now)})"
    if now <= end_at:
        since, ends = local_time(start_at, zone), local_time(end_at, zone)
        if ends[:10] == since[:10]:
            ends = ends[11:]  # the same day: the hour is enough
        return "running", f"running since {since} ({span(now - start_at)}), ends {ends}"
    return "ended", f"ended {local_time(end_at, zone)}"


def checklist_csv(board: dict[str, Any]) -> str:
    """The printable pre-meeting checklist: one row per room, worst first, a column to sign off."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for group in board["prefectures"]:
        for r in group["rooms"]:
            loss = r["loss_ratio"]
            writer.writerow(
                [
                    r["prefecture"], r["site"], r["room"], r["name"], r["codec"], r["colour"],
                    " ".join(r["failing_checks"]), "; ".join(r["reasons"]),
                    "" if r["delay_ms"] is None else r["delay_ms"],
                    "" if r["jitter_ms"] is None else r["jitter_ms"],
                    "" if loss is None else round(loss * 100, 2),
                    _stamp(r["checked_at"]),
                    r["contact"] or "", r["phone"] or "", "",
                ]
            )  # fmt: skip
    return buf.getvalue()


def _stamp(ts: float | None) -> str:
    return "" if ts is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
