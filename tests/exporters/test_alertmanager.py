"""The shipped Alertmanager routes and inhibit rules in Debian's real Alertmanager: a cut-off prefecture's
alert silences its own counties' alerts (root cause), not another prefecture's. The shipped file passes
``amtool check-config`` and sends netops' webhook its secret from a file (``test_live`` delivers with it)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import httpx
import yaml

from tests.exporters import material
from tests.exporters.conftest import HTTP_TIMEOUT_S, SHIPPED_CREDENTIALS_FILE, Alertmanager, Webhook, wait_for


def alert(name: str, **labels: str) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, "severity": "critical", "job": "netops", **labels},
        "annotations": {"summary": name, "runbook": "test"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=5)).isoformat(),
    }


def test_prefecture_alert_inhibits_its_counties_only(alertmanager: Alertmanager, webhook: Webhook) -> None:
    sent = [
        alert("NetopsPrefectureUplinksDown", site="kashgar", tier="prefecture", prefecture="kashgar"),
        alert("NetopsCountyUnreachable", site="kashgar-shufu", tier="county", prefecture="kashgar"),
        alert("NetopsCountyUnreachable", site="hami-yiwu", tier="county", prefecture="hami"),
    ]
    res = httpx.post(f"{alertmanager.url}/api/v2/alerts", json=sent, timeout=HTTP_TIMEOUT_S)
    assert res.status_code == 200, res.text

    def states() -> dict[str, str]:
        return {a["labels"]["site"]: a["status"]["state"] for a in alertmanager.alerts()}

    wait_for("the three alerts in Alertmanager", lambda: len(states()) == 3)
    # inhibition is evaluated when alerts are listed; the source must be active first
    assert wait_for(
        "kashgar-shufu to be suppressed", lambda: states()["kashgar-shufu"] == "suppressed" and states()
    ) == {"kashgar": "active", "kashgar-shufu": "suppressed", "hami-yiwu": "active"}
    (shufu,) = [a for a in alertmanager.alerts() if a["labels"]["site"] == "kashgar-shufu"]
    assert shufu["status"]["inhibitedBy"]

    wait_for(
        "the prefecture and hami-yiwu at the netops receiver",
        lambda: {a["site"] for a in webhook.alerts("/netops")} >= {"kashgar", "hami-yiwu"},
    )
    assert "kashgar-shufu" not in {a["site"] for p, _ in webhook.received for a in webhook.alerts(p)}


def test_the_shipped_config_checks_and_authenticates_to_netops() -> None:
    amtool = shutil.which("amtool")
    assert amtool, "amtool is not installed (Debian package prometheus-alertmanager)"
    checked = subprocess.run(
        [amtool, "check-config", str(material.ALERTMANAGER)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    config = yaml.safe_load(material.ALERTMANAGER.read_text(encoding="utf-8"))
    (netops,) = [r for r in config["receivers"] if r["name"] == "netops"]
    (hook,) = netops["webhook_configs"]
    assert hook["url"].endswith("/alerts/alertmanager")
    assert hook["http_config"]["authorization"] == {
        "type": "Bearer",
        "credentials_file": SHIPPED_CREDENTIALS_FILE,
    }
