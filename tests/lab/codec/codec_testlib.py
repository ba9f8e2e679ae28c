"""Constants shared by the codec lab tests (see ``inventory/region.yaml``), and ``Lateness``, the slack that
upper bounds on what a probe measures allow for the event loop the lab's reflector runs on (tests/vc too)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from netops.lab.codec import CodecLab

INVENTORY = Path(__file__).parent / "inventory"
USER = "admin"
PASSWORD = "codec-pw-4711"
KASHGAR = "127.68.1.10"  # kashgar-codec
HOTAN = "127.68.2.10"  # hotan-codec
MCU = "127.68.0.5"  # centre-mcu
HTTP, SIP, PROBE = 8080, 5060, 8620
UNUSED = "127.68.250.250"  # nothing listens here
ANSWER_S = 30.0  # how long a client waits for a codec that should answer (the lab shares the test's loop)


class WithLab(Protocol):
    """The ``with_lab`` fixture: run ``scenario(lab)`` in a fresh event loop with the endpoints started."""

    def __call__(
        self, scenario: Callable[[CodecLab], Awaitable[Any]], devices: Iterable[str] | None = None
    ) -> Any: ...


class Lateness:
    """How late the event loop runs a 5 ms timer while the probes run (ms). A probe crosses the loop twice
    (the reflector's receive and its reply), so an upper bound allows twice the 95th percentile."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t = loop.time()
            await asyncio.sleep(0.005)
            self.samples.append((loop.time() - t - 0.005) * 1000)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._sample())

    def slack(self) -> float:
        """The slack (ms) the upper bounds allow: twice the 95th percentile of the lateness seen so far."""
        ordered = sorted(self.samples) or [0.0]
        return 2 * max(0.0, ordered[int(0.95 * (len(ordered) - 1))])

    def stop(self) -> float:
        """Stop sampling; the slack (ms) of everything seen."""
        assert self._task is not None
        self._task.cancel()
        return self.slack()


class Allowing(float):
    """A threshold (ms) handed to the code under test that allows the lateness ``late`` has seen by the time it
    is compared: ``value > bound`` holds when ``value > bound + late.slack()``. Python hands a comparison with
    a float to this subclass's reflected method first, so the product's own ``value > warn`` allows the slack
    as the upper bounds of the tests do. Only for thresholds that bound a clean measurement from above (a
    healthy path must stay under ``warn``); a threshold an impaired path must exceed stays a plain float."""

    late: Lateness

    def __new__(cls, value: float, late: Lateness) -> Allowing:
        bound = super().__new__(cls, value)
        bound.late = late
        return bound

    def _allowed(self) -> float:
        return float(self) + self.late.slack()

    def __lt__(self, other: float) -> bool:  # other > self
        return self._allowed() < other

    def __le__(self, other: float) -> bool:
        return self._allowed() <= other

    def __gt__(self, other: float) -> bool:  # other < self
        return self._allowed() > other

    def __ge__(self, other: float) -> bool:
        return self._allowed() >= other
