"""The e-government services dashboard (``netops-services``), built by ``build.py``: each service up or down
from the centre and from every site's router, the sites that cannot reach a service, response times and
days left on the certificates. Reads ``netops_service_*`` (``netops/services/metrics.py``, docs/services.md)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, statetimeline, table, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from grafana_foundation_sdk.models.common import VisibilityMode
from grafana_foundation_sdk.models.dashboard import ValueMap, ValueMapping, ValueMappingResult
from parts import DS, base, count_stat, label_variable, query, table_query, thresholds

UP_MAP: list[ValueMapping] = [
    ValueMap(
        {
            "0": ValueMappingResult(text="DOWN", color="red", index=0),
            "1": ValueMappingResult(text="UP", color="green", index=1),
        }
    )
]
SVC = 'service=~"$service"'


def services() -> Dashboard:
    return (
        base(
            "netops-services",
            "netops / E-government services",
            "The region's e-government services checked from the centre and from each site's router",
        )
        .with_variable(
            label_variable("service", "Service", "label_values(netops_service_up, service)")
            .multi(True)
            .include_all(True)
            .all_value(".*")
        )
        .with_row(Row("Now"))
        .with_panel(
            count_stat("Services down at the centre", 'count(netops_service_up{source="centre"} == 0)')
        )
        .with_panel(
            count_stat("Site checks failing", 'count(netops_service_up{source="router"} == 0)', bad="orange")
        )
        .with_panel(count_stat("Certificates expiring", "count(netops_service_warning == 1)", bad="orange"))
        .with_panel(
            stat.Panel()
            .title("Oldest check")
            .description("seconds since the least recently checked (service, site) was checked")
            .datasource(DS)
            .unit("s")
            .with_target(query("max(time() - netops_service_check_timestamp_seconds)"))
            .thresholds(thresholds((None, "green"), (300, "orange")))
            .height(4)
            .span(6)
        )
        .with_row(Row("From the centre"))
        .with_panel(
            statetimeline.Panel()
            .title("Services from the centre")
            .datasource(DS)
            .with_target(query(f'netops_service_up{{source="centre",{SVC}}}', "{{service}}"))
            .mappings(UP_MAP)
            .show_value(VisibilityMode.NEVER)
            .height(8)
            .span(16)
        )
        .with_panel(
            table.Panel()
            .title("Certificate days left")
            .datasource(DS)
            .with_target(table_query(f"min by (service) (netops_service_tls_days_left{{{SVC}}})"))
            .height(8)
            .span(8)
        )
        .with_row(Row("From the sites (their routers' probes)"))
        .with_panel(
            table.Panel()
            .title("Sites that cannot reach a service")
            .datasource(DS)
            .with_target(table_query(f'netops_service_up{{source="router",{SVC}}} == 0'))
            .height(10)
            .span(8)
        )
        .with_panel(
            timeseries.Panel()
            .title("Sites reaching each service (share)")
            .datasource(DS)
            .unit("percentunit")
            .with_target(
                query(f'avg by (service) (netops_service_up{{source="router",{SVC}}})', "{{service}}")
            )
            .height(10)
            .span(16)
        )
        .with_panel(
            timeseries.Panel()
            .title("Response time, 95th percentile over the sites")
            .datasource(DS)
            .unit("s")
            .with_target(
                query(f"quantile by (service) (0.95, netops_service_latency_seconds{{{SVC}}})", "{{service}}")
            )
            .height(8)
            .span(24)
        )
    )
