"""Grafana material: the dashboards are what ``exporters/grafana/build.py`` builds, load into the SDK's typed
dashboard model, and reference only netops' metrics through the provisioned Prometheus datasource."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from grafana_foundation_sdk.models.dashboard import Dashboard

from tests.conftest import REPO
from tests.exporters import material

GRAFANA = material.EXPORTERS / "grafana"


def test_committed_dashboards_are_what_build_py_builds() -> None:
    res = subprocess.run(
        [sys.executable, str(GRAFANA / "build.py"), "--check"], capture_output=True, text=True, cwd=REPO
    )
    assert res.returncode == 0, res.stderr
    assert {p.name for p in material.DASHBOARDS} == {
        "noc-overview.json",
        "prefecture.json",
        "device.json",
        "vc-readiness.json",
        "changes-runbooks.json",
        "services.json",
    }


@pytest.mark.parametrize("path", material.DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_loads_as_grafana_json(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    model = Dashboard.from_json(data)  # the SDK's typed schema model
    assert model.uid == data["uid"] and data["uid"].startswith("netops-")
    assert model.title == data["title"] and data["title"].startswith("netops / ")
    assert data["schemaVersion"] >= 36
    names = {v["name"] for v in data["templating"]["list"]}
    assert "datasource" in names
    panels = [p for p in data["panels"] if p["type"] != "row"]
    assert panels
    for panel in panels:
        assert panel["targets"], panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert isinstance(panel["options"], dict)
        for target in panel["targets"]:
            assert target["expr"] and target["refId"]
    for panel in data["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
    # variables used in queries are defined
    for expr in material.dashboard_exprs(path):
        for var in ("prefecture", "device", "conference"):
            if f"${var}" in expr:
                assert var in names, (path.name, expr)


def test_dashboards_read_only_netops_metrics() -> None:
    for path in material.DASHBOARDS:
        for expr in material.dashboard_exprs(path):
            names = material.metric_names(material.runnable(expr))
            assert names, expr
            assert all(n.startswith("netops_") for n in names), (path.name, expr)


def test_noc_overview_shows_uplinks_on_backup() -> None:
    data = json.loads((GRAFANA / "dashboards" / "noc-overview.json").read_text(encoding="utf-8"))
    panels = {p["title"]: [t["expr"] for t in p.get("targets") or []] for p in data["panels"]}
    assert panels["Uplinks on backup"] == ["netops_site_on_backup == 1"]
    assert panels["Links down"] == ["netops_link_up == 0"]


def test_provisioning_files() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "netops.yml").read_text(encoding="utf-8"))
    (source,) = ds["datasources"]
    assert source["type"] == "prometheus" and source["url"].startswith("http://127.0.0.1:")
    boards = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "netops.yml").read_text(encoding="utf-8")
    )
    (provider,) = boards["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]
