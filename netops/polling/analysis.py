"""The analysis step: root cause, statuses and incidents computed from what every poller stored.

Sits between the pollers (``poller.py``, which store samples) and the readers (``queries.py``). Its inputs are
read back from the store, so one process can analyse what several shards polled, and a restarted process
carries on where the last one stopped:

- silent devices: device rows whose consecutive failed polls (``poll_devices.failures``, the hysteresis state)
  reached the threshold, the last one a timeout; with a management-plane error (``auth``, ``config``, ...)
  instead, the device is ``unmanaged``;
- links down: an end interface last polled admin-up and oper-down, on a device that answers and can be read
  (a silent device tells nothing of its interfaces; its last answer may be stale), both ends in service;
- pending devices: failed their last poll but not yet ``threshold`` times (``rootcause.analyse``);
- prior causes: silent devices stored ``down``, with when each silent device last answered (a cause stays one
  when what it would now be behind failed after it, ``rootcause._still_own``);
- when each device was last polled: a neighbour behind a silent device (farther from the centre) is a witness
  of it (sees the link up: a hung router) only from a poll after the silent device's last one;
- exposed devices: silent, stored ``unreachable``, and not polled since the cause in front of them went
  (``poll_devices.exposed_at``): they may be coming back, so they are no cause until a later poll fails;
- flapping devices and UPSs on battery, as last polled.

The findings go through the incident lifecycle (``incidents.py``: identity, extension, hold-down, peak).
In one process the poller runs it right after each cycle, in the cycle's transaction; with shards only the
coordinator runs it, as the ``analyse`` job (docs/scaling.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from netops.events import Event, EventBus
from netops.inventory.topology import Topology
from netops.polling.incidents import IncidentChange, follow_clock_step
from netops.polling.model import management_failure
from netops.polling.rootcause import Analysis, analyse, down_from_observations, in_service
from netops.polling.store import apply_analysis, interface_ends
from netops.store.db import Store
from netops.store.schema import PollDevice

log = logging.getLogger(__name__)

NO_ANALYSIS = Analysis(status={}, findings=(), down_links=(), degraded_links=(), on_backup=())


@dataclass(frozen=True, slots=True)
class StoredState:
    silent: frozenset[str]
    down_links: frozenset[str]
    pending: frozenset[str]
    unmanaged: dict[str, str] = field(default_factory=dict)  # device -> reason
    exposed: frozenset[str] = frozenset()
    flapping: frozenset[str] = frozenset()
    on_battery: frozenset[str] = frozenset()
    prior: frozenset[str] = frozenset()  # silent devices that were a cause (stored ``down``) already
    confirmed: frozenset[str] = frozenset()  # links down seen so from both ends
    last_ok: dict[str, float | None] = field(default_factory=dict)  # silent device -> when it last answered
    polled_at: dict[str, float] = field(default_factory=dict)  # device -> when it was last polled


def stored_state(session: Session, topology: Topology, threshold: int) -> StoredState:
    """The analysis inputs as the store holds them, for the devices of the topology's inventory."""
    inv = topology.inventory
    devices = inv.devices
    rows = [r for r in session.scalars(select(PollDevice)) if r.device in devices]
    silent: set[str] = set()
    unmanaged: dict[str, str] = {}
    pending: set[str] = set()
    exposed: set[str] = set()
    prior: set[str] = set()
    last_ok: dict[str, float | None] = {}
    for r in rows:
        n = r.failures or 0
        if n >= threshold and management_failure(r.error, r.detail):
            detail = f": {r.detail}" if r.detail else ""
            unmanaged[r.device] = f"{r.error}{detail}"[:400]
        elif n >= threshold:
            silent.add(r.device)
            last_ok[r.device] = r.last_ok_at
            if r.status == "down":
                prior.add(r.device)
            not_polled_since = r.exposed_at is None or r.polled_at <= r.exposed_at
            if r.status == "unreachable" and not_polled_since:
                exposed.add(r.device)
        elif n > 0:
            pending.add(r.device)
    unreadable = silent | set(unmanaged)
    ends = interface_ends(session, lambda device: device in devices and device not in unreadable, topology)
    down = down_from_observations(topology, ends)
    in_use = [r for r in rows if in_service(inv, r.device)]
    return StoredState(
        frozenset(silent),
        frozenset(down),
        frozenset(pending),
        unmanaged,
        frozenset(exposed),
        frozenset(r.device for r in in_use if r.flapping),
        frozenset(r.device for r in in_use if r.ups_on_battery and r.device not in unmanaged),
        frozenset(prior),
        frozenset(
            link_id
            for link_id in down
            if all(
                (e.device, e.interface) in ends
                and ends[(e.device, e.interface)][0]
                and not ends[(e.device, e.interface)][1]
                for e in inv.links[link_id].ends()
            )
        ),
        last_ok,
        {r.device: r.polled_at for r in rows},
    )


def analyse_session(
    session: Session,
    topology: Topology,
    threshold: int,
    now: float,
    holddown_s: float = 0.0,
    holds: dict[int, float] | None = None,
) -> tuple[Analysis, list[IncidentChange]]:
    """Analyse the stored state and write statuses and incidents, in the caller's transaction. ``holds``:
    the caller's hold-downs on the monotonic clock (``incidents.sync_incidents``)."""
    state = stored_state(session, topology, threshold)
    analysis = analyse(
        topology,
        state.silent,
        state.down_links,
        state.pending,
        unmanaged=state.unmanaged,
        exposed=state.exposed,
        flapping=state.flapping,
        on_battery=state.on_battery,
        prior=state.prior,
        confirmed=state.confirmed,
        last_ok=state.last_ok,
        polled_at=state.polled_at,
    )
    return analysis, apply_analysis(
        session, analysis, now, holddown_s=holddown_s, topology=topology, holds=holds
    )


def analyse_store(
    store: Store,
    topology: Topology,
    threshold: int,
    now: float | None = None,
    holddown_s: float = 0.0,
    holds: dict[int, float] | None = None,
    clock_step: float = 0.0,
) -> tuple[Analysis, list[IncidentChange]]:
    """One analysis in its own transaction (the coordinator's ``analyse`` job). ``clock_step``: the wall
    clock stepped by this much since the caller's last look: the open incidents' stamps move with it first
    (``incidents.follow_clock_step``)."""
    with store.session() as session:
        if clock_step:
            follow_clock_step(session, clock_step)
        when = time.time() if now is None else now
        return analyse_session(session, topology, threshold, when, holddown_s, holds)


def publish_changes(changes: list[IncidentChange], bus: EventBus | None) -> None:
    """Log each incident transition and publish it: ``incident.opened`` and ``incident.resolved`` (also for
    ``merged``: closed into another incident, ``data.merged_into``), every other transition as
    ``incident.updated`` (``data.change`` says which); ``data.kind`` is the incident's kind."""
    for change in changes:
        level = logging.WARNING if change.change in ("opened", "resolved", "merged") else logging.INFO
        log.log(
            level, "incident %d %s (%s): %s", change.incident_id, change.change, change.kind, change.summary
        )
        if bus is not None:
            kind = {"opened": "opened", "resolved": "resolved", "merged": "resolved"}.get(
                change.change, "updated"
            )
            data = {"key": change.key, "summary": change.summary, "kind": change.kind, **change.data}
            bus.publish(Event(f"incident.{kind}", str(change.incident_id), data))
