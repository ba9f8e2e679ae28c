"""Prometheus metrics of runbook runs, built from the store at scrape time (a custom collector).

    netops_runbook_runs_total{runbook, state}            runs that ended, by outcome (counter)
    netops_runbook_run_duration_seconds{runbook}         duration of ended runs (summary: _count, _sum)
    netops_runbook_runs_active{runbook, state}           runs proposed, pending, running or waiting
    netops_runbook_runs_waiting_approval                 runs waiting for a person (start or a step)
    netops_runbook_step_failures_total{runbook, kind}    step attempts that failed or timed out (counter)

Labels are bounded: runbook ids come from the playbooks folder, states and kinds are fixed sets.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from netops.runbooks.records import ACTIVE, FINAL
from netops.store.db import Store
from netops.store.schema import RunbookRun, RunbookStepRecord


class RunbookCollector(Collector):
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        ended = CounterMetricFamily("netops_runbook_runs", "Runbook runs that ended, by outcome",
                                    labels=["runbook", "state"])  # fmt: skip
        duration = SummaryMetricFamily("netops_runbook_run_duration_seconds", "Duration of ended runbook runs",
                                       labels=["runbook"])  # fmt: skip
        active = GaugeMetricFamily("netops_runbook_runs_active", "Runbook runs not ended, by state",
                                   labels=["runbook", "state"])  # fmt: skip
        waiting = GaugeMetricFamily("netops_runbook_runs_waiting_approval",
                                    "Runbook runs waiting for an approval (of their start or of a step)")  # fmt: skip
        failures = CounterMetricFamily("netops_runbook_step_failures", "Runbook step attempts that failed",
                                       labels=["runbook", "kind"])  # fmt: skip
        with self.store.session() as s:
            by_state = s.execute(
                select(RunbookRun.runbook, RunbookRun.state, func.count()).group_by(
                    RunbookRun.runbook, RunbookRun.state
                )
            ).all()
            durations = s.execute(
                select(RunbookRun.runbook, func.count(), func.sum(RunbookRun.finished_at - RunbookRun.started_at))
                .where(RunbookRun.state.in_(FINAL), RunbookRun.started_at.is_not(None),
                       RunbookRun.finished_at.is_not(None))
                .group_by(RunbookRun.runbook)
            ).all()  # fmt: skip
            failed = s.execute(
                select(RunbookRun.runbook, RunbookStepRecord.kind, func.count())
                .join(RunbookRun, RunbookRun.id == RunbookStepRecord.run_id)
                .where(RunbookStepRecord.state.in_(("failed", "timeout")))
                .group_by(RunbookRun.runbook, RunbookStepRecord.kind)
            ).all()
        waiting_total = 0
        for runbook, state, count in by_state:
            if state in FINAL:
                ended.add_metric([runbook, state], count)
            elif state in ACTIVE:
                active.add_metric([runbook, state], count)
                if state in ("proposed", "waiting"):
                    waiting_total += count
        for runbook, count, total in durations:
            duration.add_metric([runbook], count_value=count, sum_value=float(total or 0.0))
        for runbook, kind, count in failed:
            failures.add_metric([runbook, kind], count)
        waiting.add_metric([], waiting_total)
        yield from (ended, duration, active, waiting, failures)
