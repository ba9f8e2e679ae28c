"""The probe reflector of one lab codec or MCU on UDP ``device.probe_port``: a TWAMP-light
Session-Reflector (RFC 5357 section 4.2.1, unauthenticated mode, no control session) that applies the
device's ``DeviceState.impairment`` as if the path between prober and device had it.

Wire format. A test packet is at least 14 octets: Sequence Number (4), Timestamp (8, NTP 32.32 format),
Error Estimate (2), padding. Shorter datagrams are dropped. The reply is::

    Sequence Number (4)            the reflector's own count of replies to this sender, from 0
    Timestamp (8)                  T3, when the reply left the (simulated) device
    Error Estimate (2)             S=1 (synchronised), about 1 ms
    MBZ (2)
    Receive Timestamp (8)          T2, when the test packet reached the (simulated) device
    Sender Sequence Number (4)     copied
    Sender Timestamp (8)           T1, copied
    Sender Error Estimate (2)      copied
    MBZ (2)
    Sender TTL (1)                 255 (the lab does not read the IP TTL)
    Packet Padding                 the sender's padding minus its first 27 octets (RFC 5357 4.2.1),
                                   so a sender that pads as the RFC says gets a reply of its own size

Impairment model (one-way, symmetric path):
- ``delay_ms`` is the one-way delay. Each direction gets its own draw
  ``d = max(0, delay_ms + U(-1.5 * jitter_ms, +1.5 * jitter_ms))``: the uniform distribution of half-width
  ``1.5 * jitter_ms`` makes the mean absolute difference of two consecutive transit times, which RFC 3550
  interarrival jitter estimates, equal ``jitter_ms`` (E|U1 - U2| = 2a/3 for U on [-a, a]). The clipping at
  0 only matters when ``delay_ms < 1.5 * jitter_ms``.
- The reply is stamped T2 = arrival + d_forward and T3 = T2 + ``slow_ms`` and is sent
  d_forward + ``slow_ms`` + d_back after the test packet arrived. So a client measures a round-trip time
  of 2 x ``delay_ms`` (RTT / 2 = one-way = ``delay_ms``), and, from the timestamps, forward and backward
  transit times whose RFC 3550 jitter is ``jitter_ms`` each; TWAMP's RTT (T4 - T1) - (T3 - T2) leaves the
  device's own ``slow_ms`` out, as on a real reflector.
- ``loss_ratio`` drops each test packet independently with that probability before it is reflected, so the
  round-trip loss a client counts is ``loss_ratio`` (the loss is not applied a second time on the way back).
Replies wait in ``loop.call_later`` timers, so any number can be in flight. The random source is seeded
from the device id: a lab run impairs the same packets the same way every time.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import struct
import time
from typing import cast

from netops.lab.state import DeviceState

log = logging.getLogger(__name__)

NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
SENDER_HEADER = struct.Struct("!IQH")  # 14 octets
REFLECTOR_HEADER = struct.Struct("!IQHHQIQHHB")  # 41 octets
ERROR_ESTIMATE = 0x8000 | (22 << 8) | 1  # S=1, Z=0, scale 22, multiplier 1: 2**-10 s, about 1 ms
SENDER_TTL = 255
MAX_SENDERS = 4096  # per-sender reply counters kept; the table is reset beyond this

Address = tuple[str, int]


def to_ntp(seconds: float) -> int:
    """Unix seconds -> 64-bit NTP timestamp (32-bit seconds since 1900, 32-bit fraction)."""
    whole = int(seconds)
    frac = int((seconds - whole) * 2**32) & 0xFFFFFFFF
    return (((whole + NTP_EPOCH_OFFSET) & 0xFFFFFFFF) << 32) | frac


class ProbeReflector(asyncio.DatagramProtocol):
    """One device's TWAMP-light reflector."""

    def __init__(self, state: DeviceState) -> None:
        self.state = state
        self.transport: asyncio.DatagramTransport | None = None
        self.rng = random.Random(int.from_bytes(hashlib.sha256(state.device.id.encode()).digest()[:8], "big"))
        self._counters: dict[Address, int] = {}
        self._pending: set[asyncio.TimerHandle] = set()
        self.received = 0
        self.lost = 0  # dropped by the impairment

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # a selector transport, not a subclass

    def error_received(self, exc: Exception) -> None:
        log.debug("%s: probe socket error: %s", self.state.device.id, exc)

    def close(self) -> None:
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        if self.transport is not None:
            self.transport.close()

    def _draw_ms(self) -> float:
        imp = self.state.impairment
        spread = 1.5 * imp.jitter_ms
        return max(0.0, imp.delay_ms + (self.rng.uniform(-spread, spread) if spread > 0 else 0.0))

    def datagram_received(self, data: bytes, addr: Address) -> None:
        arrival = time.time()
        if not self.state.answers or len(data) < SENDER_HEADER.size:
            return
        self.received += 1
        if self.state.impairment.loss_ratio > 0 and self.rng.random() < self.state.impairment.loss_ratio:
            self.lost += 1
            return
        forward = self._draw_ms() / 1000
        back = self._draw_ms() / 1000
        slow = max(0.0, self.state.slow_ms) / 1000
        t2 = arrival + forward
        t3 = t2 + slow
        seq, t1, error = SENDER_HEADER.unpack_from(data)
        if len(self._counters) >= MAX_SENDERS and addr not in self._counters:
            self._counters.clear()
        own = self._counters.get(addr, 0)
        self._counters[addr] = (own + 1) & 0xFFFFFFFF
        header = REFLECTOR_HEADER.pack(
            own, to_ntp(t3), ERROR_ESTIMATE, 0, to_ntp(t2), seq, t1, error, 0, SENDER_TTL
        )
        reply = header + data[REFLECTOR_HEADER.size :]
        hold = forward + slow + back - (time.time() - arrival)
        if hold <= 0:
            self._send(reply, addr)
            return
        handle: asyncio.TimerHandle | None = None

        def fire() -> None:
            if handle is not None:
                self._pending.discard(handle)
            self._send(reply, addr)

        handle = asyncio.get_running_loop().call_later(hold, fire)
        self._pending.add(handle)

    def _send(self, payload: bytes, dest: Address) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(payload, dest)
