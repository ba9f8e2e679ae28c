"""Calls between the lab's codecs and its MCU: dial, hang up, and the drop when the path between them breaks.

A conference is joined the way a scheduling system (Cisco TMS, Meeting Management) joins rooms: it tells each
codec to dial the MCU with the xAPI command ``Dial`` (``POST /putxml``, ``statusapi.py``). ``CallBook.dial``
connects the call when the codec and the MCU both answer (``DeviceState.answers``: powered and with a path to
the centre); the codec's ``CodecState.call_state`` becomes ``connected`` (its status document shows
``Status/Call[1]/Status Connected`` and ``NumberOfActiveCalls 1``) and the MCU counts a port in use and the
conference as active.

A dropped call looks as on a real codec: the ``Call`` element is gone, ``NumberOfActiveCalls`` is 0, and the
call history (``xCommand CallHistory Get``) holds the call with its end time and ``DisconnectCause``. The book
settles (drops the calls whose codec or MCU no longer answers, and those the lab fault ``call-dropped`` marks
``CodecState.call_state = "dropped"``: the MCU ended them, ``RemoteDisconnect``) on every lab event
(``LabWorld.subscribe``: a link or node going down) and before every status answer, so a fault shows at the
next request. A dropped call is not redialled by the lab: the scheduler (netops' live round) dials again once
the room is back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from netops.inventory.models import Role
from netops.lab.state import DeviceState, LabEvent, LabWorld

HISTORY = 20  # calls kept per codec, newest first


@dataclass(slots=True)
class Call:
    id: int
    codec: str
    mcu: str
    number: str  # conference@mcu
    started_at: float
    ended_at: float | None = None
    cause: str = ""  # DisconnectCause of an ended call
    cause_type: str = ""  # DisconnectCauseType: LocalDisconnect, NetworkDisconnect


class DialError(Exception):
    """Why a dial failed (the xAPI result's ``Reason``)."""


class CallBook:
    """Every call of one lab run; ``close()`` unsubscribes from the world."""

    def __init__(self, world: LabWorld) -> None:
        self.world = world
        self.active: dict[str, Call] = {}  # codec id -> its call
        self.history: dict[str, list[Call]] = {}
        self._next = 1
        self._unsubscribe: Callable[[], None] = world.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def _mcu_for(self, number: str) -> DeviceState:
        host = number.rpartition("@")[2].removeprefix("sip:")
        for state in self.world.devices.values():
            dev = state.device
            if dev.role is Role.MCU and host in (dev.id, str(dev.address)):
                return state
        raise DialError(f"no MCU answers to {number!r}")

    def dial(self, codec: str, number: str, now: float | None = None) -> Call:
        """The codec ``codec`` calls ``number`` (``conference@mcu-address``); an existing call is kept."""
        self.settle(now)
        state = self.world.devices[codec]
        if codec in self.active:
            return self.active[codec]
        mcu = self._mcu_for(number)
        if not mcu.answers:
            raise DialError(f"{number}: the MCU does not answer (call setup timed out)")
        if state.mcu is None and state.codec is None:
            raise DialError(f"{codec} is not a codec")
        assert mcu.mcu is not None
        if mcu.mcu.ports_in_use >= mcu.mcu.total_ports:
            raise DialError(f"{number}: the MCU has no free port (busy)")
        call = Call(self._next, codec, mcu.device.id, number, time.time() if now is None else now)
        self._next += 1
        self._count(mcu, call, +1)
        self.active[codec] = call
        if state.codec is not None:
            state.codec.call_state = "connected"
            state.codec.call_number = number
        return call

    def disconnect(
        self, codec: str, cause: str = "Local hang up", cause_type: str = "LocalDisconnect"
    ) -> bool:
        call = self.active.pop(codec, None)
        if call is None:
            return False
        call.ended_at, call.cause, call.cause_type = time.time(), cause, cause_type
        self.history.setdefault(codec, []).insert(0, call)
        del self.history[codec][HISTORY:]
        state = self.world.devices[codec]
        if state.codec is not None:
            state.codec.call_state = "idle"
            state.codec.call_number = ""
        self._count(self.world.devices[call.mcu], call, -1)
        return True

    def settle(self, now: float | None = None) -> list[Call]:
        """Drop the calls whose codec or MCU no longer answers; returns them."""
        dropped = []
        for codec, call in list(self.active.items()):
            state = self.world.devices[codec]
            if state.codec is not None and state.codec.call_state == "dropped":  # the call-dropped fault
                self.disconnect(codec, "Call dropped by the MCU: media timeout", "RemoteDisconnect")
                dropped.append(call)
            elif not (state.answers and self.world.devices[call.mcu].answers):
                self.disconnect(codec, "Call dropped: no media from the far end", "NetworkDisconnect")
                dropped.append(call)
        return dropped

    def _on_event(self, _event: LabEvent) -> None:
        self.settle()

    def _count(self, mcu: DeviceState, call: Call, step: int) -> None:
        """One port more or less in use; a conference is active while it has a call (counted on top of what a
        fault or a test set: the MCU serves others too)."""
        if mcu.mcu is None:
            return
        mcu.mcu.ports_in_use = max(0, mcu.mcu.ports_in_use + step)
        if not any(c.number == call.number for c in self.active.values()):  # the conference's first / last
            mcu.mcu.active_conferences = max(0, mcu.mcu.active_conferences + step)
