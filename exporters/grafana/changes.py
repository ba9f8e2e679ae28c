"""The changes-and-runbooks dashboard (``netops-changes``), built by ``build.py``: configuration drift,
backups, change outcomes; runbook runs waiting for a person, active, ended, failing
steps. Reads ``netops_config_*`` (``netops/changes/metrics.py``) and ``netops_runbook_*``
(``netops/runbooks/metrics.py``). The rollout gauges (``netops_config_rollout_*``) are left out: netops
declares them only while a rollout runs, so the scrape check cannot vouch for them."""

from __future__ import annotations

from grafana_foundation_sdk.builders import stat, table, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from parts import DS, base, count_stat, query, table_query, thresholds

DAY = 86400


def changes_runbooks() -> Dashboard:
    return (
        base(
            "netops-changes",
            "netops / Changes and runbooks",
            "Configuration drift, backups, changes; emergency-plan runbook runs",
        )
        .with_row(Row("Now"))
        .with_panel(count_stat("Devices drifting", "count(netops_config_drift_lines > 0)", bad="orange"))
        .with_panel(
            count_stat(
                "Backups older than a day",
                f"count(time() - netops_config_backup_last_success_timestamp_seconds > {DAY})",
                bad="orange",
            )
        )
        .with_panel(
            count_stat(
                "Device changes undone (24 h)",
                "sum(increase(netops_config_rollbacks_total[24h]))",
                bad="orange",
            )
        )
        .with_panel(
            count_stat("Runs waiting for a person", "netops_runbook_runs_waiting_approval", bad="orange")
        )
        .with_panel(
            stat.Panel()
            .title("Runs active")
            .datasource(DS)
            .with_target(query("sum(netops_runbook_runs_active)"))
            .thresholds(thresholds((None, "green"), (1, "blue")))
            .no_value("0")
            .height(4)
            .span(4)
        )
        .with_panel(
            count_stat("Runs failed (24 h)", 'sum(increase(netops_runbook_runs_total{state="failed"}[24h]))')
        )
        .with_row(Row("Configuration"))
        .with_panel(
            table.Panel()
            .title("Drift: lines differing from the intended configuration")
            .datasource(DS)
            .with_target(table_query("netops_config_drift_lines > 0"))
            .height(8)
            .span(12)
        )
        .with_panel(
            table.Panel()
            .title("Age of the last backup")
            .datasource(DS)
            .unit("s")
            .with_target(
                table_query("sort_desc(time() - netops_config_backup_last_success_timestamp_seconds)")
            )
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("Device changes by outcome")
            .datasource(DS)
            .with_target(
                query(
                    "sum by (outcome) (increase(netops_config_change_devices_total[$__rate_interval]))",
                    "{{outcome}}",
                )
            )
            .with_target(query("increase(netops_config_rollbacks_total[$__rate_interval])", "undone", "B"))
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("Changes by final state")
            .datasource(DS)
            .with_target(
                query(
                    "sum by (state) (increase(netops_config_changes_total[$__rate_interval]))",
                    "{{state}}",
                )
            )
            .height(8)
            .span(12)
        )
        .with_row(Row("Runbooks"))
        .with_panel(
            table.Panel()
            .title("Active runs by runbook and state")
            .datasource(DS)
            .with_target(table_query("netops_runbook_runs_active > 0"))
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("Ended runs by outcome")
            .datasource(DS)
            .with_target(
                query(
                    "sum by (runbook, state) (increase(netops_runbook_runs_total[$__rate_interval]))",
                    "{{runbook}} {{state}}",
                )
            )
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("Mean run duration")
            .datasource(DS)
            .unit("s")
            .with_target(
                query(
                    "increase(netops_runbook_run_duration_seconds_sum[1h])"
                    " / increase(netops_runbook_run_duration_seconds_count[1h])",
                    "{{runbook}}",
                )
            )
            .height(8)
            .span(12)
        )
        .with_panel(
            timeseries.Panel()
            .title("Failed step attempts")
            .datasource(DS)
            .with_target(
                query(
                    "sum by (runbook, kind) (increase(netops_runbook_step_failures_total[$__rate_interval]))",
                    "{{runbook}} {{kind}}",
                )
            )
            .height(8)
            .span(12)
        )
    )
