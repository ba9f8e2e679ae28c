"""A lab codec restarting after ``xCommand SystemUnit Boot`` (``statusapi.py``).

As a real codec does, it answers the command, leaves its call (the call history says ``Restart``), then goes
silent: the world powers it off (``LabWorld.set_node_down``), so HTTP, SIP and probes get no answer. After
``boot_s`` seconds (the device's inventory ``vars.boot_s``, else ``Restarts.boot_s``) it is back: powered on (its
uptime restarts, the world emits a cold start), out of standby, registered again and without the injected
(software) diagnostics alerts. What a restart cannot fix stays: a disconnected camera, microphone or display.
"""

from __future__ import annotations

import asyncio
import logging

from netops.lab.codec.calls import CallBook
from netops.lab.state import LabWorld

log = logging.getLogger(__name__)

BOOT_S = 3.0  # a lab codec's restart; a real one takes a minute or two


class Restarts:
    """The restarts in progress of one lab run; ``close()`` cancels the pending returns."""

    def __init__(self, world: LabWorld, calls: CallBook) -> None:
        self.world = world
        self.calls = calls
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self.boot_s = BOOT_S  # for codecs without vars.boot_s

    def booting(self, codec: str) -> bool:
        return codec in self._pending

    def boot(self, codec: str) -> None:
        """Restart ``codec`` now (a second boot while it is down is ignored). Injected diagnostics alerts
        (``diag-alert``: software alerts) end with the restart; peripherals stay as they are."""
        state = self.world.devices[codec]
        if codec in self._pending or state.node_down:
            return
        try:
            seconds = float(state.device.vars.get("boot_s", self.boot_s))
        except (TypeError, ValueError):
            seconds = self.boot_s
        loop = asyncio.get_running_loop()
        # the answer to the command goes out first; then the codec goes dark
        loop.call_soon(self._down, codec)
        self._pending[codec] = loop.call_later(max(0.0, seconds), self._up, codec)

    def _down(self, codec: str) -> None:
        self.calls.disconnect(codec, "Restart", "LocalDisconnect")
        self.world.set_node_down(codec, True)
        log.info("%s: restarting", codec)

    def _up(self, codec: str) -> None:
        self._pending.pop(codec, None)
        state = self.world.devices[codec]
        if state.codec is not None:
            state.codec.registered = True
            state.codec.standby = False
            state.codec.diagnostics.clear()
        self.world.set_node_down(codec, False)
        log.info("%s: back after its restart", codec)

    def close(self) -> None:
        for handle in self._pending.values():
            handle.cancel()
        self._pending.clear()
