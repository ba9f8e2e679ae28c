"""The analysis step: root cause, statuses and incidents computed from what every poller stored.

Sits between the pollers (``poller.py``, which store samples) and the readers (``queries.py``). Its inputs are
read back from the store, so one process can analyse what several shards polled:

- silent devices: device rows whose consecutive failed polls (``poll_devices.failures``, the hysteresis state)
  reached the threshold;
- links down: an end interface last polled admin-up and oper-down, on a device that is not silent (a silent
  device tells nothing of its interfaces; its last answer may be stale);
- pending devices: failed their last poll but not yet ``threshold`` times (``rootcause.analyse``).

In one process the poller runs it right after each cycle, in the cycle's transaction; with shards only the
coordinator runs it, as the ``analyse`` job (docs/scaling.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from netops.events import Event, EventBus
from netops.inventory.topology import Topology
from netops.polling.rootcause import Analysis, analyse, links_down_from_interfaces
from netops.polling.store import IncidentChange, apply_analysis
from netops.store.db import Store
from netops.store.schema import PollDevice, PollInterface

log = logging.getLogger(__name__)

NO_ANALYSIS = Analysis(status={}, findings=(), down_links=(), degraded_links=(), on_backup=())


@dataclass(frozen=True, slots=True)
class StoredState:
    silent: frozenset[str]
    down_links: frozenset[str]
    pending: frozenset[str]


def stored_state(session: Session, topology: Topology, threshold: int) -> StoredState:
    """The analysis inputs as the store holds them, for the devices of the topology's inventory."""
    devices = topology.inventory.devices
    failures = {
        device: count or 0
        for device, count in session.execute(select(PollDevice.device, PollDevice.failures))
        if device in devices
    }
    silent = {d for d, n in failures.items() if n >= threshold}
    pending = {d for d, n in failures.items() if 0 < n < threshold}
    rows = session.execute(
        select(PollInterface.device, PollInterface.name).where(
            PollInterface.admin_up.is_(True), PollInterface.oper_up.is_(False)
        )
    )
    down: dict[str, list[str]] = {}
    for device, name in rows:
        if device in devices and device not in silent:
            down.setdefault(device, []).append(name)
    return StoredState(
        frozenset(silent), frozenset(links_down_from_interfaces(topology, down)), frozenset(pending)
    )


def analyse_session(
    session: Session, topology: Topology, threshold: int, now: float
) -> tuple[Analysis, list[IncidentChange]]:
    """Analyse the stored state and write statuses and incidents, in the caller's transaction."""
    state = stored_state(session, topology, threshold)
    analysis = analyse(topology, state.silent, state.down_links, state.pending)
    return analysis, apply_analysis(session, analysis, now)


def analyse_store(
    store: Store, topology: Topology, threshold: int, now: float | None = None
) -> tuple[Analysis, list[IncidentChange]]:
    """One analysis in its own transaction (the coordinator's ``analyse`` job)."""
    with store.session() as session:
        return analyse_session(session, topology, threshold, time.time() if now is None else now)


def publish_changes(changes: list[IncidentChange], bus: EventBus | None) -> None:
    """Log each incident change and publish it as ``incident.opened`` / ``incident.resolved``."""
    for change in changes:
        log.warning("incident %d %s: %s", change.incident_id, change.change, change.summary)
        if bus is not None:
            bus.publish(
                Event(
                    f"incident.{change.change}",
                    str(change.incident_id),
                    {"key": change.key, "summary": change.summary},
                )
            )
