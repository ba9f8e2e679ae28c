"""The Prometheus and Alertmanager material checked by their own tools (promtool, amtool from Debian's
``prometheus`` and ``prometheus-alertmanager``) and by what netops expects of every alert."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from netops.runbooks.triggers import matches
from tests.exporters import material

SEVERITIES = {"critical", "warning", "info"}
LABEL_REF = re.compile(r"labels\.(\w+)")


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


def test_every_alert_has_severity_summary_and_an_existing_runbook() -> None:
    """A ``runbook`` annotation, where an alert has one, names a playbook that exists in ``playbooks/``."""
    playbooks = material.playbooks()
    assert "prefecture-uplink-down" in playbooks
    with_runbook = 0
    for alert in material.alerts():
        name = alert["alert"]
        assert alert["labels"]["severity"] in SEVERITIES, name
        notes = alert["annotations"]
        assert notes["summary"] and notes["description"], name
        if "runbook" in notes:
            with_runbook += 1
            assert notes["runbook"] in playbooks, f"{name}: no playbook {notes['runbook']!r} in playbooks/"
    assert with_runbook >= 8


def test_every_playbook_alert_trigger_matches_a_rule_that_fires() -> None:
    """Each playbook trigger on an alert names a rule, and a promtool test fires that rule with labels the
    trigger's matchers accept and its parameter templates read, so Alertmanager's notification starts it."""
    rules = {a["alert"]: a for a in material.alerts()}
    fired = material.fired_alerts()
    triggers = 0
    for ident, playbook in material.playbooks().items():
        for trigger in playbook.get("triggers") or []:
            if "alert" not in trigger:
                continue
            triggers += 1
            name = trigger["alert"]
            assert name in rules, f"playbook {ident} triggers on {name}, which no rule defines"
            wanted = {m.group(1) for v in trigger["params"].values() for m in LABEL_REF.finditer(v)}
            fitting = [
                labels
                for labels, _notes in fired.get(name, [])
                if matches(trigger.get("matchers") or {}, labels) and wanted <= labels.keys()
            ]
            assert fitting, f"no promtool test fires {name} with labels playbook {ident}'s trigger accepts"
            # the annotation, if any, points at a playbook the alert starts (here or in another playbook)
            runbook = rules[name]["annotations"].get("runbook")
            if runbook is not None and runbook != ident:
                others = material.playbooks()[runbook].get("triggers") or []
                assert any(t.get("alert") == name for t in others), (name, runbook, ident)
    assert triggers >= 8


def test_every_alert_has_a_promtool_test_that_fires_it() -> None:
    assert {a["alert"] for a in material.alerts()} <= material.fired_alerts().keys()


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
