"""The event bus delivers by kind and to wildcard subscribers; a failing subscriber harms nobody."""

from __future__ import annotations

import pytest

from netops.events import Event, EventBus


def test_delivery_and_unsubscribe(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    got: list[str] = []
    everything: list[str] = []

    def broken(_e: Event) -> None:
        raise RuntimeError("boom")

    bus.subscribe("incident.opened", broken)
    stop = bus.subscribe("incident.opened", lambda e: got.append(e.subject))
    bus.subscribe("*", lambda e: everything.append(e.kind))
    bus.publish(Event("incident.opened", "7", {"summary": "x"}))
    bus.publish(Event("vc.room.red", "kashgar-vc"))
    stop()
    bus.publish(Event("incident.opened", "8"))
    assert got == ["7"]
    assert everything == ["incident.opened", "vc.room.red", "incident.opened"]
    assert "event handler" in caplog.text
    assert bus.published == 3
