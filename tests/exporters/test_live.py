"""End to end with the real servers: netops polls the lab, Prometheus (Debian's) scrapes netops with the
shipped config and rules and sends to Alertmanager (Debian's) with the shipped routes. The material's metric
names all exist, every dashboard query runs, and a prefecture cut off by a lab fault fires its alert (and no
device-down or county alert), which Alertmanager delivers to the netops receiver (a local stand-in until
issue 7 adds ``/alerts/alertmanager``), then resolves."""

from __future__ import annotations

import re

import httpx

from tests.exporters import material
from tests.exporters.conftest import Netops, Prometheus, Webhook, scrape, wait_for

NETWORK_ALERTS = {"NetopsDeviceDown", "NetopsPrefectureUplinksDown", "NetopsCountyUnreachable"}


def scraped_names(netops: Netops) -> set[str]:
    return {s.name for s in scrape(netops.url)}


def test_every_metric_the_rules_and_dashboards_use_is_served(netops: Netops) -> None:
    # a cut-off device makes poll errors, so the error counter has samples too
    fault = httpx.post(
        f"{netops.control}/faults", json={"kind": "link-down", "target": "hami-ce1:GigabitEthernet0/1"}
    )
    assert fault.status_code == 201, fault.text
    try:
        used = {n: w for n, w in material.used_metric_names().items() if ":" not in n}
        wanted = set(used) - material.SCRAPE_SERIES
        wait_for(
            "every used metric in netops' /metrics",
            lambda: not (wanted - scraped_names(netops)),
            timeout=20,
        )
    finally:
        assert httpx.delete(f"{netops.control}/faults").status_code == 200
    missing = {n: sorted(w) for n, w in used.items() if n in wanted - scraped_names(netops)}
    assert not missing


def test_prometheus_scrapes_with_clean_labels_and_dashboards_run(prometheus: Prometheus) -> None:
    # the poll job label arrives as poll_job (prometheus.yml relabels the exported_job clash)
    cycles = prometheus.query("netops_poll_cycle_interval_seconds")
    assert {c["metric"]["poll_job"] for c in cycles} == {"poll-uplinks", "poll-access"}
    assert all(c["metric"]["job"] == "netops" and c["metric"]["shard"] == "all" for c in cycles)
    series = httpx.get(
        f"{prometheus.url}/api/v1/series", params={"match[]": '{__name__=~"netops_.+"}'}, timeout=5
    ).json()["data"]
    assert series and not [s for s in series if any(k.startswith("exported_") for k in s)]

    # every dashboard expression is valid PromQL on live data; the region panel sees both prefectures up
    wait_for(
        "two scrapes of changed counters for rate()",
        lambda: prometheus.query("rate(netops_interface_receive_bytes_total[1m]) > 0"),
        timeout=20,
    )
    empty = []
    for path in material.DASHBOARDS:
        for expr in material.dashboard_exprs(path):
            if not prometheus.query(material.runnable(expr, prefecture="kashgar", device="kashgar-ce1")):
                empty.append((path.name, expr))
    region = prometheus.query(
        'max by (site) (netops_site_status{tier="prefecture",status="up"}) * 1'
        ' + max by (site) (netops_site_status{tier="prefecture",status="unreachable"}) * 2'
        ' + max by (site) (netops_site_status{tier="prefecture",status="down"}) * 3'
    )
    assert {r["metric"]["site"]: r["value"][1] for r in region} == {"kashgar": "1", "hami": "1"}
    # with nothing failed, only "what is down / on battery / erroring" panels may be empty
    assert all(re.search(r"down|unreachable|error|battery|== 0", e) for _, e in empty), empty
    # the recording rules evaluate
    assert len(prometheus.query("device:netops_labels:count")) == 5


def test_prefecture_cut_off_fires_one_alert_then_resolves(
    netops: Netops, prometheus: Prometheus, webhook: Webhook
) -> None:
    assert not NETWORK_ALERTS & {a["alertname"] for a in prometheus.alerts()}
    for end in ("kashgar-ce1:GigabitEthernet0/0/1", "kashgar-ce1:GigabitEthernet0/0/2"):
        res = httpx.post(f"{netops.control}/faults", json={"kind": "link-down", "target": end})
        assert res.status_code == 201, res.text
    try:
        firing = wait_for(
            "NetopsPrefectureUplinksDown to fire for kashgar",
            lambda: [a for a in prometheus.alerts() if a["alertname"] == "NetopsPrefectureUplinksDown"],
            timeout=40,
        )
        assert [(a["site"], a["prefecture"], a["severity"]) for a in firing] == [
            ("kashgar", "kashgar", "critical")
        ]
        # the county behind it and the prefecture router are unreachable, not down: no alert of their own
        statuses = prometheus.query('netops_device_status{status="unreachable"} == 1')
        assert {s["metric"]["device"] for s in statuses} == {"kashgar-ce1", "kashgar-shufu-ce1"}
        others = {a["alertname"] for a in prometheus.alerts()} | {
            a["alertname"] for a in prometheus.alerts("pending")
        }
        assert not others & {"NetopsDeviceDown", "NetopsCountyUnreachable"}, others

        # Alertmanager delivers it to the netops receiver (and, critical, to on-call chat and the NOC mail)
        def delivered(path: str) -> list[dict[str, str]]:
            return [a for a in webhook.alerts(path) if a["alertname"] == "NetopsPrefectureUplinksDown"]

        (alert, *_) = wait_for("the alert at the netops webhook", lambda: delivered("/netops"), timeout=20)
        assert alert["site"] == "kashgar" and alert["runbook"] == "prefecture-uplink-down"
        wait_for("the alert in on-call chat and NOC mail", lambda: delivered("/chat") and delivered("/mail"))
    finally:
        assert httpx.delete(f"{netops.control}/faults").status_code == 200
    wait_for(
        "NetopsPrefectureUplinksDown to resolve",
        lambda: not NETWORK_ALERTS & {a["alertname"] for a in prometheus.alerts()},
        timeout=40,
    )
    resolved = wait_for(
        "the resolved notification at the netops webhook",
        lambda: [
            a
            for a in webhook.alerts("/netops", "resolved")
            if a["alertname"] == "NetopsPrefectureUplinksDown"
        ],
        timeout=20,
    )
    assert resolved[0]["site"] == "kashgar"
    names = {a["alertname"] for p, _ in webhook.received for a in webhook.alerts(p)}
    assert not names & {"NetopsDeviceDown", "NetopsCountyUnreachable"}, names
