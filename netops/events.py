"""Internal events: what one part of netops tells the others (incident opened, room turned RED, ...).

A small in-process publish/subscribe: publishers call ``bus.publish(Event(...))``; subscribers (the runbook
engine's triggers, the audit log, tests) register a callback for a kind, or ``"*"`` for all. A subscriber that
raises is logged and does not stop the others or the publisher. Incident events carry the incident's kind
(device, link, site, power, unmanaged, flapping), the site and tier its cause cuts off (when it does) and, for
unmanaged, the reason (netops/polling/incidents.py). Kinds in use:

| kind | subject | data |
| --- | --- | --- |
| `incident.opened`, `incident.resolved` | incident id | key, kind, summary, cause, counts cut off, site, tier |
| `incident.updated` | incident id | the same and `change`: extended, shrunk, changed, recovering, recurred, absorbed |
| `incident.resolved` (merged) | incident id | the same, `change: merged`, `merged_into` |
| `vc.room.red`, `vc.room.recovered` | room id | conference id, reasons |
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    subject: str
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


Handler = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}
        self.published = 0

    def subscribe(self, kind: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler`` for every event of ``kind`` (``"*"``: all). Returns a function that unsubscribes."""
        self._handlers.setdefault(kind, []).append(handler)
        return lambda: self._handlers[kind].remove(handler)

    def publish(self, event: Event) -> None:
        self.published += 1
        for handler in [*self._handlers.get(event.kind, ()), *self._handlers.get("*", ())]:
            try:
                handler(event)
            except Exception:  # one broken subscriber must not stop the publisher or the others
                log.exception("event handler %r failed on %s %s", handler, event.kind, event.subject)
