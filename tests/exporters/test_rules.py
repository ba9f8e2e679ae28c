"""The Prometheus and Alertmanager material checked by their own tools (promtool, amtool from Debian's
``prometheus`` and ``prometheus-alertmanager``) and by what netops expects of every alert."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.exporters import material

SEVERITIES = {"critical", "warning", "info"}


def tool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which(args[0])
    assert exe, f"{args[0]} is not installed (Debian packages prometheus, prometheus-alertmanager)"
    return subprocess.run([exe, *args[1:]], capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def test_promtool_check_config() -> None:
    res = tool("promtool", "check", "config", "prometheus.yml", cwd=material.PROMETHEUS)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SUCCESS: 2 rule files found" in res.stdout
    assert "WARNING" not in res.stdout + res.stderr  # targets/netops.json is shipped


def test_promtool_check_rules() -> None:
    res = tool("promtool", "check", "rules", *map(str, material.RULE_FILES), cwd=material.PROMETHEUS)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("SUCCESS") == len(material.RULE_FILES)


def test_promtool_unit_tests_pass() -> None:
    res = tool("promtool", "test", "rules", *map(str, material.RULE_TESTS), cwd=material.PROMETHEUS)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("SUCCESS") == len(material.RULE_TESTS)


def test_a_broken_unit_test_fails(tmp_path: Path) -> None:
    """promtool really evaluates the rules: an expectation that contradicts them fails."""
    shutil.copytree(material.PROMETHEUS / "rules", tmp_path / "rules")
    (tmp_path / "tests").mkdir()
    case = yaml.safe_load((material.PROMETHEUS / "tests" / "network.test.yml").read_text(encoding="utf-8"))
    first = case["tests"][0]  # the cut-off prefecture: no device-down alert expected
    first["alert_rule_test"][0]["exp_alerts"] = [{"exp_labels": {"device": "kashgar-shufu-ce1"}}]
    case["tests"] = [first]
    (tmp_path / "tests" / "broken.test.yml").write_text(yaml.safe_dump(case), encoding="utf-8")
    res = tool("promtool", "test", "rules", "tests/broken.test.yml", cwd=tmp_path)
    assert res.returncode == 1
    assert "NetopsDeviceDown" in res.stdout + res.stderr


def test_every_alert_has_severity_summary_and_runbook() -> None:
    for alert in material.alerts():
        name = alert["alert"]
        assert alert["labels"]["severity"] in SEVERITIES, name
        notes = alert["annotations"]
        assert notes["summary"] and notes["description"], name
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", notes["runbook"]), name


def test_every_alert_has_a_promtool_test_that_fires_it() -> None:
    fired: set[str] = set()
    for path in material.RULE_TESTS:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in case.get("alert_rule_test", []):
                if check.get("exp_alerts"):
                    fired.add(check["alertname"])
    assert {a["alert"] for a in material.alerts()} <= fired


def test_device_down_is_root_cause_only() -> None:
    """The rule reads the root-cause status, never device_up (which is 0 for unreachable devices too)."""
    (down,) = [a for a in material.alerts() if a["alert"] == "NetopsDeviceDown"]
    assert 'status="down"' in down["expr"]
    assert "netops_device_up" not in down["expr"] and "unreachable" not in down["expr"]


def test_rules_read_only_netops_metrics_and_their_own_recordings() -> None:
    recorded = material.recorded()
    for name, where in material.used_metric_names().items():
        if ":" in name:
            assert name in recorded, f"{name} used by {sorted(where)} is not a recording rule"
        else:
            assert name.startswith("netops_") or name in material.SCRAPE_SERIES, (name, where)


def test_amtool_check_config() -> None:
    res = tool("amtool", "check-config", str(material.ALERTMANAGER), cwd=material.ALERTMANAGER.parent)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "4 inhibit rules" in res.stdout


def test_alertmanager_routes_every_alert_to_netops() -> None:
    for labels, receivers in (
        (["alertname=NetopsPrefectureUplinksDown", "severity=critical"], "netops,oncall-chat,noc-mail"),
        (["alertname=NetopsInterfaceErrors", "severity=warning"], "netops,noc-mail"),
        (["alertname=NetopsIncidentsOpen", "severity=info"], "netops"),
    ):
        res = tool(
            "amtool",
            "config",
            "routes",
            "test",
            "--config.file",
            str(material.ALERTMANAGER),
            *labels,
            cwd=material.ALERTMANAGER.parent,
        )
        assert res.returncode == 0, res.stdout + res.stderr
        assert res.stdout.strip() == receivers, labels


def test_alertmanager_names_no_real_address() -> None:
    text = material.ALERTMANAGER.read_text(encoding="utf-8")
    hosts = set(re.findall(r"(?:https?://|@|smarthost: )([a-z0-9.-]+)", text))
    assert hosts and all(h == "127.0.0.1" or h.endswith("example.org") for h in hosts), hosts
    config = yaml.safe_load(text)
    urls = [w["url"] for r in config["receivers"] for w in r.get("webhook_configs", [])]
    assert "http://127.0.0.1:8600/alerts/alertmanager" in urls
