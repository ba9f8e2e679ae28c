"""Grafana dashboards for netops, as typed code (grafana-foundation-sdk) -> ``dashboards/*.json``.

Run ``python exporters/grafana/build.py`` after a change to write the JSON that provisioning loads;
``--check`` exits 1 when the committed JSON differs from what this file builds (tests run it). Every query
uses only metrics netops serves at ``/metrics`` (tests/exporters checks the names against a live scrape).

Dashboards: NOC overview (region status by prefecture, open incidents, uplinks on backup, netops' own
polling), prefecture drill-down (its sites and devices), device detail (status, interfaces, CPU/memory,
neighbours, UPS), video-conference readiness (``vc.py``), changes and runbooks (``changes.py``),
e-government services (``services.py``).
"""

from __future__ import annotations

import sys

from changes import changes_runbooks
from grafana_foundation_sdk.builders import stat, statetimeline, table, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from grafana_foundation_sdk.models.common import VisibilityMode
from parts import (
    DS,
    OUT,
    STATUS_MAP,
    base,
    count_stat,
    label_variable,
    query,
    status_code,
    table_query,
    to_json,
)
from services import services
from vc import vc_readiness


def noc_overview() -> Dashboard:
    region_status = (
        statetimeline.Panel()
        .title("Prefectures")
        .description("up, unreachable (behind a failure: its uplinks) or down (its router is the root cause)")
        .datasource(DS)
        .with_target(query(status_code("netops_site_status", 'tier="prefecture"', "site"), "{{site}}"))
        .mappings(STATUS_MAP)
        .show_value(VisibilityMode.NEVER)
        .height(12)
        .span(16)
    )
    counties = (
        table.Panel()
        .title("Sites not up, by prefecture")
        .description("down = root cause; unreachable = cut off behind a failure")
        .datasource(DS)
        .with_target(
            table_query(
                'sum by (prefecture, tier, status) (netops_site_status{status=~"down|unreachable"}) > 0'
            )
        )
        .height(12)
        .span(8)
    )
    return (
        base(
            "netops-noc",
            "netops / NOC overview",
            "Region status by prefecture, incidents, uplinks on backup, netops' polling",
        )
        .with_row(Row("Now"))
        .with_panel(count_stat("Devices down (root cause)", 'sum(netops_device_status{status="down"})'))
        .with_panel(
            count_stat("Devices unreachable", 'sum(netops_device_status{status="unreachable"})', bad="orange")
        )
        .with_panel(count_stat("Sites down", 'sum(netops_site_status{status="down"})'))
        .with_panel(
            count_stat("Sites unreachable", 'sum(netops_site_status{status="unreachable"})', bad="orange")
        )
        .with_panel(count_stat("Open incidents", "netops_incidents_open"))
        .with_panel(count_stat("UPS on battery", "sum(netops_ups_on_battery)", bad="orange"))
        .with_row(Row("Region"))
        .with_panel(region_status)
        .with_panel(counties)
        .with_row(Row("Uplinks"))
        .with_panel(
            count_stat("Sites on backup", "sum(netops_site_on_backup)", bad="orange")
            .description("sites reached only over a backup link: a primary uplink is down")
            .height(8)
        )
        .with_panel(
            table.Panel()
            .title("Uplinks on backup")
            .description("sites running on a backup link now (the prefecture's alert starts its runbook)")
            .datasource(DS)
            .with_target(table_query("netops_site_on_backup == 1"))
            .height(8)
            .span(10)
        )
        .with_panel(
            table.Panel()
            .title("Links down")
            .description("an end interface polled oper-down; kind primary or backup")
            .datasource(DS)
            .with_target(table_query("netops_link_up == 0"))
            .height(8)
            .span(10)
        )
        .with_row(Row("History"))
        .with_panel(
            timeseries.Panel()
            .title("Open incidents")
            .datasource(DS)
            .with_target(query("netops_incidents_open", "open"))
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("Devices by status")
            .datasource(DS)
            .with_target(query("sum by (status) (netops_device_status)", "{{status}}"))
            .height(8)
            .span(12)
        )
        .with_row(Row("netops polling"))
        .with_panel(
            timeseries.Panel()
            .title("Poll cycle duration vs interval")
            .datasource(DS)
            .unit("s")
            .with_target(query("netops_poll_cycle_duration_seconds", "{{poll_job}} duration"))
            .with_target(query("netops_poll_cycle_interval_seconds", "{{poll_job}} interval", "B"))
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("Failed polls per second, by reason")
            .datasource(DS)
            .unit("reqps")
            .with_target(
                query("sum by (reason) (rate(netops_poll_errors_total[$__rate_interval]))", "{{reason}}")
            )
            .height(8)
            .span(12)
        )
    )


def prefecture() -> Dashboard:
    sel = 'prefecture="$prefecture"'
    return (
        base("netops-prefecture", "netops / Prefecture", "A prefecture's sites and devices")
        .with_variable(
            label_variable(
                "prefecture", "Prefecture", 'label_values(netops_site_status{tier="prefecture"}, site)'
            )
        )
        .with_row(Row("Sites"))
        .with_panel(
            statetimeline.Panel()
            .title("Sites of $prefecture")
            .datasource(DS)
            .with_target(query(status_code("netops_site_status", sel, "site"), "{{site}}"))
            .mappings(STATUS_MAP)
            .show_value(VisibilityMode.NEVER)
            .height(10)
            .span(24)
        )
        .with_row(Row("Devices"))
        .with_panel(
            table.Panel()
            .title("Devices not up")
            .datasource(DS)
            .with_target(table_query(f'netops_device_status{{{sel},status=~"down|unreachable"}} == 1'))
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("CPU")
            .datasource(DS)
            .unit("percentunit")
            .max(1)
            .with_target(
                query(f"netops_device_cpu_ratio and on (device) netops_device_up{{{sel}}}", "{{device}}")
            )
            .height(8)
            .span(6)
        )
        .with_panel(
            timeseries.Panel()
            .title("Memory")
            .datasource(DS)
            .unit("percentunit")
            .max(1)
            .with_target(
                query(f"netops_device_memory_ratio and on (device) netops_device_up{{{sel}}}", "{{device}}")
            )
            .height(8)
            .span(6)
        )
        .with_row(Row("Interfaces"))
        .with_panel(
            timeseries.Panel()
            .title("Interfaces down (admin up, oper down)")
            .datasource(DS)
            .with_target(
                query(
                    "(netops_interface_admin_up == 1 and netops_interface_oper_up == 0)"
                    f" and on (device) netops_device_up{{{sel}}} == 1",
                    "{{device}} {{interface}}",
                )
            )
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("Interface errors per second")
            .datasource(DS)
            .with_target(
                query(
                    "(rate(netops_interface_receive_errors_total[$__rate_interval])"
                    " + rate(netops_interface_transmit_errors_total[$__rate_interval]))"
                    f" and on (device) netops_device_up{{{sel}}}",
                    "{{device}} {{interface}}",
                )
            )
            .height(8)
            .span(12)
        )
    )


def device() -> Dashboard:
    sel = 'device="$device"'
    rate = "[$__rate_interval]"
    return (
        base(
            "netops-device", "netops / Device", "One device: status, interfaces, CPU/memory, neighbours, UPS"
        )
        .with_variable(label_variable("device", "Device", "label_values(netops_device_up, device)"))
        .with_row(Row("Status"))
        .with_panel(
            statetimeline.Panel()
            .title("$device")
            .datasource(DS)
            .with_target(query(status_code("netops_device_status", sel, "device"), "{{device}}"))
            .mappings(STATUS_MAP)
            .height(4)
            .span(12)
        )
        .with_panel(
            stat.Panel()
            .title("Uptime")
            .datasource(DS)
            .unit("s")
            .with_target(query(f"netops_device_uptime_seconds{{{sel}}}"))
            .height(4)
            .span(4)
        )
        .with_panel(
            stat.Panel()
            .title("Reboots seen")
            .datasource(DS)
            .with_target(query(f"netops_device_reboots_total{{{sel}}}"))
            .height(4)
            .span(4)
        )
        .with_panel(
            stat.Panel()
            .title("Last poll")
            .datasource(DS)
            .unit("s")
            .with_target(query(f"netops_poll_duration_seconds{{{sel}}}"))
            .height(4)
            .span(4)
        )
        .with_row(Row("CPU and memory"))
        .with_panel(
            timeseries.Panel()
            .title("CPU / memory")
            .datasource(DS)
            .unit("percentunit")
            .min(0)
            .max(1)
            .with_target(query(f"netops_device_cpu_ratio{{{sel}}}", "cpu"))
            .with_target(query(f"netops_device_memory_ratio{{{sel}}}", "memory", "B"))
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("UPS")
            .datasource(DS)
            .with_target(query(f"netops_ups_on_battery{{{sel}}}", "on battery"))
            .with_target(query(f"netops_ups_runtime_remaining_seconds{{{sel}}} / 60", "minutes left", "B"))
            .height(8)
            .span(12)
        )
        .with_row(Row("Interfaces"))
        .with_panel(
            table.Panel()
            .title("Interfaces (1 = up)")
            .datasource(DS)
            .with_target(table_query(f"netops_interface_oper_up{{{sel}}}", "A"))
            .with_target(table_query(f"netops_interface_admin_up{{{sel}}}", "B"))
            .with_target(table_query(f"netops_interface_speed_bytes{{{sel}}} * 8", "C"))
            .height(8)
            .span(24)
        )
        .with_panel(
            timeseries.Panel()
            .title("Traffic")
            .datasource(DS)
            .unit("bps")
            .with_target(
                query(f"rate(netops_interface_receive_bytes_total{{{sel}}}{rate}) * 8", "{{interface}} in")
            )
            .with_target(
                query(
                    f"-rate(netops_interface_transmit_bytes_total{{{sel}}}{rate}) * 8",
                    "{{interface}} out",
                    "B",
                )
            )
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("Errors and discards per second")
            .datasource(DS)
            .with_target(
                query(f"rate(netops_interface_receive_errors_total{{{sel}}}{rate})", "{{interface}} in err")
            )
            .with_target(
                query(
                    f"rate(netops_interface_transmit_errors_total{{{sel}}}{rate})",
                    "{{interface}} out err",
                    "B",
                )
            )
            .with_target(
                query(
                    f"rate(netops_interface_receive_discards_total{{{sel}}}{rate})",
                    "{{interface}} in disc",
                    "C",
                )
            )
            .with_target(
                query(
                    f"rate(netops_interface_transmit_discards_total{{{sel}}}{rate})",
                    "{{interface}} out disc",
                    "D",
                )
            )
            .height(8)
            .span(12)
        )
        .with_row(Row("Routing"))
        .with_panel(
            table.Panel()
            .title("OSPF / BGP neighbours (1 = up)")
            .datasource(DS)
            .with_target(table_query(f"netops_neighbor_up{{{sel}}}"))
            .height(6)
            .span(24)
        )
    )


DASHBOARDS = {
    "noc-overview": noc_overview,
    "prefecture": prefecture,
    "device": device,
    "vc-readiness": vc_readiness,
    "changes-runbooks": changes_runbooks,
    "services": services,
}


def render() -> dict[str, str]:
    """File name -> JSON text for every dashboard."""
    return {f"{name}.json": to_json(build()) for name, build in DASHBOARDS.items()}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    OUT.mkdir(exist_ok=True)
    for name, text in render().items():
        path = OUT / name
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        sys.stderr.write(f"dashboards out of date (run python {__file__}): {', '.join(stale)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
