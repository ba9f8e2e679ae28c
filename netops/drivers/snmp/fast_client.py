"""One UDP socket shared by every fast SNMP session of an event loop: send, demultiplex, time out, retry.

Sits under ``fast.py`` (the ``SnmpSession`` on netops' own codec): a session encodes a request whose
request-id (v2c) or msgID (v3) it got from ``SnmpClient.next_id``, and ``SnmpClient.request`` sends it,
waits for the datagram from the same address carrying the same id, resends it after each timeout
(``retries`` times) and finally raises ``RequestTimedOut``. What is in flight is bounded twice: a number of
requests, and the bytes of the answers they will bring (the session's estimate) against half the receive
buffer the kernel granted, so that a burst of GETBULK answers is not dropped (the anchors measured drops
above ~64 requests in flight with the default 208 KiB buffer); the buffer is raised to 8 MiB if allowed.

The socket is a plain non-blocking socket read with ``loop.add_reader``; a readiness event drains every
queued datagram. It is opened by the first ``acquire`` and closed by the last ``release``, so nothing
outlives the sessions that use it. The client also keeps what v3 learnt about remote engines (engine id,
boots, time), which survives the socket being closed and reopened.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections import deque
from dataclasses import dataclass, field

from netops.snmp.ber import INTEGER, OCTET_STRING, SEQUENCE, BerError, decode_integer, decode_tlv, expect

log = logging.getLogger(__name__)

RECEIVE_BUFFER = 8 << 20  # asked for; the kernel caps it at net.core.rmem_max
MAX_DATAGRAM = 65535
MIN_ANSWER = 2048  # bytes counted for any answer: small datagrams cost the kernel far more than their size
_ID_LIMIT = 2**31 - 1


class RequestTimedOut(Exception):
    """No answer after the first try and every retry (the session turns this into ``SnmpTimeout``)."""

    def __init__(self, tries: int) -> None:
        self.tries = tries
        super().__init__(f"no answer after {tries} tries")


@dataclass(slots=True)
class EngineInfo:
    """What a v3 manager knows about one authoritative engine (RFC 3414 section 2.3)."""

    engine_id: bytes
    boots: int
    time: int
    learned_at: float  # loop time when ``time`` was current

    def clock(self, now: float) -> tuple[int, int]:
        return self.boots, min(self.time + int(now - self.learned_at), 2**31 - 1)


@dataclass(slots=True)
class _Pending:
    future: asyncio.Future[bytes]
    data: bytes
    addr: tuple[str, int]
    timeout_s: float
    tries_left: int
    tries: int = 1
    handle: asyncio.TimerHandle | None = field(default=None)


def message_key(data: bytes) -> int:
    """The id a reply is matched by: the PDU's request-id (v1/v2c) or the msgID (v3)."""
    start, end = expect(data, 0, len(data), SEQUENCE)
    s, e = expect(data, start, end, INTEGER)
    version = decode_integer(data, s, e)
    if version == 3:
        gs, ge = expect(data, e, end, SEQUENCE)
        s, e = expect(data, gs, ge, INTEGER)
        return decode_integer(data, s, e)
    _, e = expect(data, e, end, OCTET_STRING)
    _, ps, pe = decode_tlv(data, e, end)
    s, e = expect(data, ps, pe, INTEGER)
    return decode_integer(data, s, e)


class SnmpClient:
    """The shared UDP endpoint of the fast sessions; one per event loop (``SnmpSource`` owns one)."""

    def __init__(self, max_in_flight: int = 128, receive_buffer: int = RECEIVE_BUFFER) -> None:
        self.max_in_flight = max_in_flight
        self.budget = 0  # bytes of expected answers allowed in flight: half the receive buffer granted
        self.receive_buffer = receive_buffer
        self.engines: dict[tuple[str, int], EngineInfo] = {}
        self.counters = {
            "sent": 0,
            "resent": 0,
            "received": 0,
            "unmatched": 0,
            "timeouts": 0,
            "peak_in_flight": 0,
        }
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._used = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        self._users = 0
        self._pending: dict[int, _Pending] = {}
        self._next = random.randrange(1, _ID_LIMIT)
        self._salt = random.getrandbits(64)

    # --- lifetime ------------------------------------------------------------------------------------------
    def acquire(self) -> None:
        """Count one more user (a session); the first opens the socket in the running loop."""
        loop = asyncio.get_running_loop()
        if self._sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
                granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
                sock.setblocking(False)
                loop.add_reader(sock.fileno(), self._readable)
            except BaseException:
                sock.close()
                raise
            self._sock, self._loop = sock, loop
            # the kernel reports twice what it accounts for payload; keep another half for skb overhead
            self.budget = max(MIN_ANSWER, granted // 2)
            self._slots = asyncio.Semaphore(self.max_in_flight)
            log.debug("snmp client: receive buffer %d bytes, budget %d bytes in flight", granted, self.budget)
        elif self._loop is not loop:
            raise RuntimeError("an SnmpClient serves one event loop at a time")
        self._users += 1

    def release(self) -> None:
        """One user less; the last one closes the socket (pending requests fail as timed out)."""
        self._users -= 1
        if self._users <= 0:
            self._users = 0
            self.close()

    def close(self) -> None:
        sock, loop = self._sock, self._loop
        self._sock = self._loop = self._slots = None
        self._used = 0
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(RequestTimedOut(0))
        self._waiters.clear()
        for pending in self._pending.values():
            if pending.handle is not None:
                pending.handle.cancel()
            if not pending.future.done():
                pending.future.set_exception(RequestTimedOut(pending.tries))
        self._pending.clear()
        if sock is not None:
            if loop is not None and not loop.is_closed():
                loop.remove_reader(sock.fileno())
            sock.close()

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    # --- ids -----------------------------------------------------------------------------------------------
    def next_id(self) -> int:
        """A request-id / msgID not in flight on this socket (positive, 31 bits)."""
        while True:
            self._next = self._next + 1 if self._next < _ID_LIMIT else 1
            if self._next not in self._pending:
                return self._next

    def next_salt(self) -> bytes:
        """The AES privacy salt of the next v3 message (a 64-bit counter, RFC 3826 section 3.1.2.1)."""
        self._salt = (self._salt + 1) % 2**64
        return self._salt.to_bytes(8, "big")

    # --- requests ------------------------------------------------------------------------------------------
    async def request(
        self,
        key: int,
        data: bytes,
        addr: tuple[str, int],
        timeout_s: float,
        retries: int,
        expect_bytes: int = MIN_ANSWER,
    ) -> bytes:
        """Send ``data`` to ``addr`` and return the reply carrying ``key``; ``RequestTimedOut`` if none.

        Waits first until ``expect_bytes`` (the caller's estimate of the answer's size) fit in the byte
        budget and a request slot is free, so that the answers in flight fit in the receive buffer.
        """
        slots, loop = self._slots, self._loop
        if slots is None or loop is None:
            raise RuntimeError("SnmpClient.request outside acquire()/release()")
        cost = min(max(MIN_ANSWER, expect_bytes), self.budget)
        await self._take(cost, loop)
        try:
            async with slots:
                future: asyncio.Future[bytes] = loop.create_future()
                pending = _Pending(future, data, addr, timeout_s, max(0, retries))
                self._pending[key] = pending
                if len(self._pending) > self.counters["peak_in_flight"]:
                    self.counters["peak_in_flight"] = len(self._pending)
                try:
                    self._send(pending)
                    pending.handle = loop.call_later(timeout_s, self._expire, key)
                    return await future
                finally:
                    if pending.handle is not None:
                        pending.handle.cancel()
                    if self._pending.get(key) is pending:
                        del self._pending[key]
        finally:
            self._give(cost)

    async def _take(self, cost: int, loop: asyncio.AbstractEventLoop) -> None:
        """Reserve ``cost`` bytes of the budget, in arrival order (one request always fits)."""
        if not self._waiters and (self._used + cost <= self.budget or self._used == 0):
            self._used += cost
            return
        waiter: asyncio.Future[None] = loop.create_future()
        entry = (cost, waiter)
        self._waiters.append(entry)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._give(cost)  # granted just before the cancellation: hand it on
            elif entry in self._waiters:
                self._waiters.remove(entry)
            raise

    def _give(self, cost: int) -> None:
        if self._sock is None:
            return  # closed: the budget was reset
        self._used -= cost
        while self._waiters:
            want, waiter = self._waiters[0]
            if waiter.done():
                self._waiters.popleft()
                continue
            if self._used + want > self.budget and self._used > 0:
                break
            self._waiters.popleft()
            self._used += want
            waiter.set_result(None)

    def _send(self, pending: _Pending) -> None:
        assert self._sock is not None
        try:
            self._sock.sendto(pending.data, pending.addr)
            self.counters["sent"] += 1
        except (BlockingIOError, InterruptedError):
            log.debug("snmp client: send buffer full, %s:%d will be retried", *pending.addr)

    def _expire(self, key: int) -> None:
        pending = self._pending.get(key)
        if pending is None or pending.future.done():
            return
        if pending.tries_left > 0 and self._sock is not None and self._loop is not None:
            pending.tries_left -= 1
            pending.tries += 1
            self.counters["resent"] += 1
            try:
                self._send(pending)
            except OSError as exc:
                pending.future.set_exception(exc)
                return
            pending.handle = self._loop.call_later(pending.timeout_s, self._expire, key)
            return
        self.counters["timeouts"] += 1
        pending.future.set_exception(RequestTimedOut(pending.tries))

    def _readable(self) -> None:
        sock = self._sock
        if sock is None:
            return
        pending_by_key = self._pending
        while True:
            try:
                data, addr = sock.recvfrom(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. a queued ICMP error: the retry timers handle it; readiness persists
                log.debug("snmp client: receive error %s", exc)
                return
            self.counters["received"] += 1
            try:
                key = message_key(data)
            except BerError:
                self.counters["unmatched"] += 1
                continue
            pending = pending_by_key.get(key)
            if pending is None or pending.future.done() or pending.addr != addr:
                self.counters["unmatched"] += 1
                continue
            pending.future.set_result(data)
