"""Device work of API requests (an SSH read for a configuration diff, a conference precheck), bounded: one shared
pool of ``slots`` for the whole service, so eighty viewers asking a dead device for its diff hold ``slots``
threads, never the request threads that ``/status`` and every other read need.

``DeviceWork.run_sync(fn)`` runs a blocking call in the pool's own threads; ``DeviceWork.run(coro)`` runs an
awaitable under a slot. A request that finds every slot busy waits ``queue_s`` at most, then gets 503 with
``Retry-After`` (``Busy``, mapped by ``api/errors.py``); work that outlasts ``timeout_s`` answers 504-free: a
``DeviceError`` (502) naming the timeout. A timed-out thread keeps its slot until it really ends (netmiko has
its own timeouts), so the bound holds even for work that cannot be interrupted.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from netops.errors import DeviceError, NetopsError

T = TypeVar("T")
SLOTS = 8
QUEUE_S = 2.0
TIMEOUT_S = 60.0


class Busy(NetopsError):
    """Every slot of the device-work pool is taken (503, ``Retry-After``)."""

    retry_after_s = 5


class DeviceWork:
    def __init__(self, slots: int = SLOTS, queue_s: float = QUEUE_S, timeout_s: float = TIMEOUT_S) -> None:
        self.slots, self.queue_s, self.timeout_s = slots, queue_s, timeout_s
        self._free = threading.BoundedSemaphore(slots)
        self._busy = 0
        self._lock = threading.Lock()
        self.refused = 0
        self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="device-work")

    @property
    def busy(self) -> int:
        return self._busy

    async def _acquire(self, what: str) -> None:
        loop = asyncio.get_running_loop()
        if self._free.acquire(blocking=False):
            got = True
        else:
            got = await loop.run_in_executor(None, lambda: self._free.acquire(timeout=self.queue_s))
        if not got:
            with self._lock:
                self.refused += 1
            raise Busy(f"{what}: all {self.slots} device-work slots are busy; try again in a few seconds")
        with self._lock:
            self._busy += 1

    def _release(self) -> None:
        with self._lock:
            self._busy -= 1
        self._free.release()

    async def run_sync(self, device: str, what: str, fn: Callable[[], T]) -> T:
        await self._acquire(what)
        future = self._pool.submit(fn)
        future.add_done_callback(lambda _f: self._release())  # the slot is held until the thread ends
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
        except TimeoutError:
            raise DeviceError(device, f"{what}: no answer within {self.timeout_s:g} s") from None

    async def run(self, device: str, what: str, work: Awaitable[T]) -> T:
        await self._acquire(what)
        try:
            return await asyncio.wait_for(work, self.timeout_s)
        except TimeoutError:
            raise DeviceError(device, f"{what}: no answer within {self.timeout_s:g} s") from None
        finally:
            self._release()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
