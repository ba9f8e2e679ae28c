"""The video-conference readiness dashboard (``netops-vc``), built by ``build.py``: a conference's rooms by
colour, the rooms not GREEN, readiness over time, the path to each room (delay, jitter, loss) and how fresh
the checks are. Reads the ``netops_vc_*`` metrics (``netops/vc/metrics.py``, docs/vc.md)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, statetimeline, table, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from grafana_foundation_sdk.models.common import VisibilityMode
from grafana_foundation_sdk.models.dashboard import ValueMap, ValueMapping, ValueMappingResult
from parts import DS, base, label_variable, query, table_query, thresholds

# netops_vc_room_readiness: 0 GREEN, 1 AMBER, 2 RED (the readiness rule, docs/vc.md)
READINESS_MAP: list[ValueMapping] = [
    ValueMap(
        {
            "0": ValueMappingResult(text="GREEN", color="green", index=0),
            "1": ValueMappingResult(text="AMBER", color="orange", index=1),
            "2": ValueMappingResult(text="RED", color="red", index=2),
        }
    )
]
CONF = 'conference="$conference"'


def colour_stat(colour: str, shown: str) -> stat.Panel:
    bad = {"green": None, "amber": "orange", "red": "red"}[colour]
    steps: list[tuple[float | None, str]] = [(None, "green")] if bad is None else [(None, "green"), (1, bad)]
    return (
        stat.Panel()
        .title(f"Rooms {shown}")
        .datasource(DS)
        .with_target(query(f'netops_vc_conference_rooms{{{CONF},colour="{colour}"}}'))
        .thresholds(thresholds(*steps))
        .no_value("0")
        .height(4)
        .span(6)
    )


def path_panel(title: str, metric: str, unit: str) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title(title)
        .datasource(DS)
        .unit(unit)
        .with_target(query(f"{metric}{{{CONF}}}", "{{room}}"))
        .height(8)
        .span(8)
    )


def vc_readiness() -> Dashboard:
    return (
        base(
            "netops-vc",
            "netops / Video-conference readiness",
            "A conference's rooms: readiness (GREEN/AMBER/RED), the path to each room, how fresh the checks are",
        )
        .with_variable(
            label_variable("conference", "Conference", "label_values(netops_vc_conference_rooms, conference)")
        )
        .with_row(Row("$conference"))
        .with_panel(colour_stat("green", "GREEN"))
        .with_panel(colour_stat("amber", "AMBER"))
        .with_panel(colour_stat("red", "RED"))
        .with_panel(
            stat.Panel()
            .title("Oldest check")
            .description("seconds since the least recently checked room of the conference was checked")
            .datasource(DS)
            .unit("s")
            .with_target(query(f"max(time() - netops_vc_room_checked_timestamp_seconds{{{CONF}}})"))
            .thresholds(thresholds((None, "green"), (900, "orange")))
            .height(4)
            .span(6)
        )
        .with_row(Row("Rooms"))
        .with_panel(
            table.Panel()
            .title("Rooms not GREEN (1 AMBER, 2 RED)")
            .description("the reasons are on netops' readiness board (GET /vc/conferences/{id}/board)")
            .datasource(DS)
            .with_target(table_query(f"netops_vc_room_readiness{{{CONF}}} > 0"))
            .mappings(READINESS_MAP)
            .height(10)
            .span(8)
        )
        .with_panel(
            statetimeline.Panel()
            .title("Readiness by room")
            .datasource(DS)
            .with_target(query(f"netops_vc_room_readiness{{{CONF}}}", "{{room}}"))
            .mappings(READINESS_MAP)
            .show_value(VisibilityMode.NEVER)
            .height(10)
            .span(16)
        )
        .with_row(Row("Path to the rooms (last round)"))
        .with_panel(path_panel("One-way delay p95 (limit 150 ms)", "netops_vc_path_delay_seconds", "s"))
        .with_panel(path_panel("Jitter (limit 30 ms)", "netops_vc_path_jitter_seconds", "s"))
        .with_panel(path_panel("Loss (limit 1 %)", "netops_vc_path_loss_ratio", "percentunit"))
    )
