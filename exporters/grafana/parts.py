"""Building blocks for the netops Grafana dashboards (``build.py``): the datasource, queries, the status
encoding for state timelines, stat panels, the dashboard frame, and the JSON Grafana loads."""

from __future__ import annotations

import json
from pathlib import Path

from grafana_foundation_sdk.builders import prometheus, stat
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DashboardLink,
    DatasourceVariable,
    QueryVariable,
    ThresholdsConfig,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMapping,
    ValueMappingResult,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

OUT = Path(__file__).parent / "dashboards"
DS = DataSourceRef(type_val="prometheus", uid="${datasource}")
TAGS = ["netops"]

# Status as one number, for state timelines: 0 unknown, 1 up, 2 unreachable (behind a failure), 3 down
# (the root cause). netops exports one 0/1 series per status; this sums them with weights.
STATUS_MAP: list[ValueMapping] = [
    ValueMap(
        {
            "0": ValueMappingResult(text="unknown", color="text", index=0),
            "1": ValueMappingResult(text="up", color="green", index=1),
            "2": ValueMappingResult(text="unreachable", color="orange", index=2),
            "3": ValueMappingResult(text="down", color="red", index=3),
        }
    )
]


def status_code(metric: str, selector: str, by: str) -> str:
    """PromQL giving 1/2/3 for up/unreachable/down (0 unknown) per ``by``, from a ``*_status`` metric."""
    parts = [
        f'max by ({by}) ({metric}{{{selector}{"," if selector else ""}status="{s}"}}) * {w}'
        for s, w in (("up", 1), ("unreachable", 2), ("down", 3))
    ]
    return " + ".join(parts)


def query(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DS)
    return q.legend_format(legend) if legend else q


def table_query(expr: str, ref: str = "A") -> prometheus.Dataquery:
    return query(expr, ref=ref).instant().format(PromQueryFormat.TABLE)


def thresholds(*steps: tuple[float | None, str]) -> ThresholdsConfig:
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=v, color=c) for v, c in steps])
    )


def count_stat(title: str, expr: str, bad: str = "red") -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .datasource(DS)
        .with_target(query(expr))
        .thresholds(thresholds((None, "green"), (1, bad)))
        .no_value("0")
        .height(4)
        .span(4)
    )


def base(uid: str, title: str, description: str) -> Dashboard:
    return (
        Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(TAGS)
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("browser")
        .with_variable(DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
        .link(
            DashboardLink("netops")
            .type(DashboardLinkType.DASHBOARDS)
            .tags(TAGS)
            .as_dropdown(True)
            .include_vars(False)
            .keep_time(True)
        )
    )


def label_variable(name: str, label: str, values: str) -> QueryVariable:
    return (
        QueryVariable(name)
        .label(label)
        .datasource(DS)
        .query({"query": values, "refId": "PrometheusVariableQueryEditor-VariableQuery"})
        .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )


def to_json(dashboard: Dashboard) -> str:
    """The dashboard as Grafana JSON. Panels whose options were left unset get ``{}`` (Grafana then applies
    the plugin's defaults) instead of the SDK's ``null``."""
    data = json.loads(json.dumps(dashboard.build(), cls=JSONEncoder))
    for panel in data["panels"]:
        if panel.get("options") is None:
            panel["options"] = {}
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
