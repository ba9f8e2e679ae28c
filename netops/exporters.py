"""Prometheus file-based service discovery from the inventory (``netops export prometheus``).

Sits beside the service: it reads a loaded ``Inventory`` and writes the target lists that
``exporters/prometheus/prometheus.yml`` watches. Two files, each a list of ``{"targets", "labels"}`` groups
(Prometheus' ``file_sd_configs`` format):

- ``netops.json``: netops' own ``/metrics`` endpoint. Its labels never reuse a label netops puts on its own
  series (``site``, ``prefecture``, ``device``, ...): Prometheus would rename those to ``exported_*`` and every
  rule would break. One process serves the whole region today (``shard="all"``); per-shard lists come with
  sharded pollers.
- ``devices.json``: every active device's SNMP endpoint with its inventory labels (device, site, prefecture,
  tier, role, platform), for an independent probe (e.g. ``prometheus-snmp-exporter`` or a blackbox ICMP job)
  that cross-checks netops' view. No job in the shipped ``prometheus.yml`` scrapes it yet.

Files are replaced atomically (written aside, then renamed) so Prometheus never reads half a file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from netops.errors import NetopsError
from netops.inventory.models import Inventory, Lifecycle
from netops.polling.shards import Shard

NETOPS_FILE = "netops.json"
DEVICES_FILE = "devices.json"

# Labels netops puts on its own series, plus Prometheus' target labels: a service target label must avoid them.
SERIES_LABELS = frozenset(
    {
        "device",
        "site",
        "prefecture",
        "tier",
        "role",
        "platform",
        "status",
        "interface",
        "protocol",
        "peer",
        "job",
        "reason",
        "kind",
        "version",
        "python",
        "instance",
    }
)


@dataclass(frozen=True, slots=True)
class TargetGroup:
    """One entry of a file-SD list: targets ("host:port") sharing the same labels."""

    targets: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def to_json(self) -> dict[str, object]:
        return {"targets": list(self.targets), "labels": dict(self.labels)}


@dataclass(frozen=True, slots=True)
class ExportResult:
    files: tuple[Path, ...]
    service_targets: int
    device_targets: int


def service_targets(service: str, shard: str = "all") -> list[TargetGroup]:
    """netops' own scrape target. ``service`` is "host:port" as ``netops serve`` listens."""
    host, sep, port = service.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise NetopsError(f"netops service address: expected host:port, found {service!r}")
    return [TargetGroup((service,), MappingProxyType({"shard": shard}))]


def device_targets(inventory: Inventory) -> list[TargetGroup]:
    """One group per active device with an SNMP profile: ``address:snmp_port`` and its inventory labels."""
    groups: list[TargetGroup] = []
    for dev in sorted(inventory.devices.values(), key=lambda d: d.id):
        site = inventory.sites[dev.site]
        if dev.status is not Lifecycle.ACTIVE or site.status is not Lifecycle.ACTIVE:
            continue
        if dev.snmp_profile is None:
            continue
        labels = {
            "device": dev.id,
            "site": site.id,
            "tier": str(site.tier),
            "role": str(dev.role),
            "platform": str(dev.platform),
        }
        if site.prefecture:  # empty label values mean "no label" in Prometheus: leave it out
            labels["prefecture"] = site.prefecture
        groups.append(TargetGroup((f"{dev.address}:{dev.snmp_port}",), MappingProxyType(labels)))
    return groups


def _write_atomic(path: Path, groups: list[TargetGroup]) -> None:
    text = json.dumps([g.to_json() for g in groups], ensure_ascii=False, indent=2) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise NetopsError(f"cannot write {path}: {exc.strerror}") from exc


def write_prometheus_targets(
    inventory: Inventory, out: Path, service: str, shards: Mapping[str, str] | None = None
) -> ExportResult:
    """Write ``netops.json`` and ``devices.json`` into ``out`` (created if missing). With ``shards`` ("K/N" ->
    "host:port" of each ``netops serve --shard K/N``), netops.json lists every shard, labelled by it."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NetopsError(f"cannot create {out}: {exc.strerror}") from exc
    if shards:
        Shard.parse(next(iter(shards)))  # a bad "K/N" is a clear error
        counts = {Shard.parse(k).count for k in shards}
        if len(counts) != 1 or len(shards) != counts.pop():
            raise NetopsError(f"shards: expected every K/N of one N exactly once, found {', '.join(shards)}")
        own = [
            group for label, address in sorted(shards.items()) for group in service_targets(address, label)
        ]
    else:
        own = service_targets(service)
    devices = device_targets(inventory)
    _write_atomic(out / NETOPS_FILE, own)
    _write_atomic(out / DEVICES_FILE, devices)
    return ExportResult(
        files=(out / NETOPS_FILE, out / DEVICES_FILE),
        service_targets=sum(len(g.targets) for g in own),
        device_targets=sum(len(g.targets) for g in devices),
    )
