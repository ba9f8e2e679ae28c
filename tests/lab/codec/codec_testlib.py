"""Constants shared by the codec lab tests (see ``inventory/region.yaml``)."""

from __future__ import annotations

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
