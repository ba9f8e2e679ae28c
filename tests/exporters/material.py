"""The exporters material as the tests read it: rule files, promtool tests, dashboards, and the metric names
their PromQL uses."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO

EXPORTERS = REPO / "exporters"
PROMETHEUS = EXPORTERS / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
ALERTMANAGER = EXPORTERS / "alertmanager" / "alertmanager.yml"
DASHBOARDS = sorted((EXPORTERS / "grafana" / "dashboards").glob("*.json"))
PLAYBOOKS = REPO / "playbooks"

# Series Prometheus itself adds to every scraped target: the only names allowed that netops does not serve.
SCRAPE_SERIES = frozenset({"up"})

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_LABELS = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression reads: netops_* series, Prometheus' scrape series, recording rules."""
    text = _GROUPING.sub(" ", _RANGE.sub(" ", _LABELS.sub(" ", _STRING.sub(" ", expr))))
    names = set()
    for token in _IDENT.findall(text):
        if token.startswith("netops_") or token in SCRAPE_SERIES or ":" in token:
            names.add(token)
    return names


def rules() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            out.extend(group["rules"])
    return out


def alerts() -> list[dict[str, Any]]:
    return [r for r in rules() if "alert" in r]


def fired_alerts() -> dict[str, list[tuple[dict[str, str], dict[str, str]]]]:
    """Alert name -> (labels, annotations) of every alert a promtool test expects to fire."""
    fired: dict[str, list[tuple[dict[str, str], dict[str, str]]]] = {}
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in case.get("alert_rule_test", []):
                for exp in check.get("exp_alerts") or []:
                    fired.setdefault(check["alertname"], []).append(
                        (exp.get("exp_labels") or {}, exp.get("exp_annotations") or {})
                    )
    return fired


def playbooks() -> dict[str, dict[str, Any]]:
    """The shipped playbooks (``playbooks/*.yaml``) by id, as YAML."""
    out = {}
    for path in sorted(PLAYBOOKS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[data["id"]] = data
    return out


def recorded() -> set[str]:
    return {r["record"] for r in rules() if "record" in r}


def dashboard_exprs(path: Path) -> list[str]:
    """Every PromQL expression of a dashboard: panel targets and query variables."""
    data = json.loads(path.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in data["panels"] for t in p.get("targets") or [] if "expr" in t]
    for var in data["templating"]["list"]:
        if var["type"] == "query":
            query = var["query"]
            exprs.append(query["query"] if isinstance(query, dict) else query)
    return exprs


def used_metric_names() -> dict[str, set[str]]:
    """Name -> where it is used (rule or dashboard file), for every metric the material reads."""
    used: dict[str, set[str]] = {}
    for rule in rules():
        where = rule.get("alert") or rule["record"]
        for name in metric_names(rule["expr"]):
            used.setdefault(name, set()).add(where)
    for path in DASHBOARDS:
        for expr in dashboard_exprs(path):
            for name in metric_names(_grafana_to_promql(expr)):
                used.setdefault(name, set()).add(path.name)
    return used


def _grafana_to_promql(expr: str) -> str:
    """Grafana's ``label_values(SELECTOR, label)`` reads SELECTOR; keep just it."""
    match = re.fullmatch(r"label_values\((.*),\s*\w+\)", expr.strip())
    return match.group(1) if match else expr


def runnable(expr: str, **values: str) -> str:
    """A dashboard expression Prometheus' API accepts: Grafana variables replaced by values."""
    expr = _grafana_to_promql(expr).replace("$__rate_interval", "1m")
    for name, value in values.items():
        expr = expr.replace(f"${name}", value)
    return expr
