"""The alerts Prometheus would fire on a scrape of netops' ``/metrics``, found with promtool and the shipped
rules (exporters/prometheus/rules): every sample is held constant as an input series for 30 minutes, each
alert rule is tested at 20 minutes with no expected alerts, and the alerts promtool reports as "got" are the
firing ones."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "exporters" / "prometheus" / "rules"
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(\s+\S+)?$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def promtool() -> str | None:
    return shutil.which("promtool")


def alert_names() -> list[str]:
    names: list[str] = []
    doc = yaml.safe_load((RULES / "netops-alerts.yml").read_text(encoding="utf-8"))
    for group in doc["groups"]:
        names.extend(rule["alert"] for rule in group["rules"] if "alert" in rule)
    return names


def _series(metrics_text: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = [{"series": 'up{job="netops", instance="netops"}', "values": "1x30"}]
    for line in metrics_text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        if math.isnan(value) or math.isinf(value):
            continue
        out.append({"series": m.group(1) + (m.group(2) or ""), "values": f"{value!r}x30"})
    return out


def firing_alerts(metrics_text: str, names: list[str]) -> list[dict[str, str]]:
    """The alerts among ``names`` that fire on this scrape, each as its label set."""
    tool = promtool()
    if tool is None:
        raise RuntimeError("promtool is not installed (Debian: prometheus)")
    test = {
        "rule_files": [str(RULES / "netops-alerts.yml"), str(RULES / "netops-recording.yml")],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": _series(metrics_text),
                "alert_rule_test": [{"eval_time": "20m", "alertname": n, "exp_alerts": []} for n in names],
            }
        ],
    }
    with tempfile.TemporaryDirectory(prefix="scen-alerts-") as tmp:
        path = Path(tmp) / "scrape.test.yml"
        path.write_text(json.dumps(test), encoding="utf-8")
        proc = subprocess.run(
            [tool, "test", "rules", str(path)], capture_output=True, text=True, timeout=120, check=False
        )
    text = proc.stdout + proc.stderr
    if proc.returncode not in (0, 1) or ("FAILED" not in text and proc.returncode != 0):
        raise RuntimeError(f"promtool failed: {text[-2000:]}")
    alerts: list[dict[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Labels:{"):
            alerts.append({k: v for k, v in _LABEL.findall(line)})
    return alerts
