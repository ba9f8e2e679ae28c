"""Prometheus collector of the trap and syslog receivers (read at scrape time from their counters).

| metric | labels | meaning |
| --- | --- | --- |
| `netops_ingest_received_total` | kind (trap, syslog) | datagrams (and TCP syslog frames) that arrived |
| `netops_ingest_dropped_total` | kind, reason (unknown-source, parse-error, auth, overload) | dropped ones |
| `netops_ingest_unknown_source_total` | kind | from an address no inventory device has |
| `netops_ingest_parse_errors_total` | kind | garbled, truncated, not SNMP / not syslog, SNMPv1 |
| `netops_ingest_events_total` | kind, event | decoded messages by what they say (link-down, ..., other) |
| `netops_ingest_responses_total` | kind | informs answered and v3 Reports sent |
| `netops_ingest_targeted_polls_total` | | targeted poll cycles run (a debounced burst is one) |
| `netops_ingest_targeted_devices_total` | | device polls in those cycles |
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from netops.ingest.events import Channel
from netops.ingest.receiver import IngestCounts
from netops.ingest.trigger import TriggerCounts

DROP_REASONS = ("unknown-source", "parse-error", "auth", "overload")


class IngestCollector(Collector):
    def __init__(self, counts: IngestCounts, trigger: TriggerCounts) -> None:
        self.counts = counts
        self.trigger = trigger

    def collect(self) -> Iterator[Metric]:
        kinds = [str(c) for c in Channel]
        received = CounterMetricFamily(
            "netops_ingest_received", "Trap and syslog datagrams received", labels=["kind"]
        )
        for kind in kinds:
            received.add_metric([kind], self.counts.received[kind])
        yield received
        dropped = CounterMetricFamily(
            "netops_ingest_dropped", "Datagrams dropped, by reason", labels=["kind", "reason"]
        )
        for kind in kinds:
            for reason in DROP_REASONS:
                dropped.add_metric([kind, reason], self.counts.dropped[(kind, reason)])
        yield dropped
        unknown = CounterMetricFamily(
            "netops_ingest_unknown_source", "Datagrams from addresses of no inventory device", labels=["kind"]
        )
        garbled = CounterMetricFamily(
            "netops_ingest_parse_errors", "Datagrams that could not be decoded", labels=["kind"]
        )
        responses = CounterMetricFamily(
            "netops_ingest_responses", "Informs answered and SNMPv3 Reports sent", labels=["kind"]
        )
        for kind in kinds:
            unknown.add_metric([kind], self.counts.dropped[(kind, "unknown-source")])
            garbled.add_metric([kind], self.counts.dropped[(kind, "parse-error")])
            responses.add_metric([kind], self.counts.responses[kind])
        yield unknown
        yield garbled
        yield responses
        events = CounterMetricFamily(
            "netops_ingest_events", "Decoded messages by what they report", labels=["kind", "event"]
        )
        for (kind, event), n in sorted(self.counts.events.items()):
            events.add_metric([kind, event], n)
        yield events
        yield CounterMetricFamily(
            "netops_ingest_targeted_polls", "Targeted poll cycles run after events", value=self.trigger.cycles
        )
        yield CounterMetricFamily(
            "netops_ingest_targeted_devices",
            "Device polls in targeted poll cycles",
            value=self.trigger.devices,
        )
