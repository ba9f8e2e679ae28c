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
import contextlib
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

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
        self._free = asyncio.Semaphore(slots)  # bound to the service's event loop at first use
        self.busy = 0  # slots taken now
        self.peak = 0  # the most slots ever taken at once
        self.refused = 0  # requests answered 503
        self._pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="device-work")

    async def _acquire(self, what: str) -> None:
        try:
            await asyncio.wait_for(self._free.acquire(), self.queue_s)
        except TimeoutError:
            self.refused += 1
            raise Busy(
                f"{what}: all {self.slots} device-work slots are busy; try again in a few seconds"
            ) from None
        self.busy += 1
        self.peak = max(self.peak, self.busy)

    def _release(self) -> None:
        self.busy -= 1
        self._free.release()

    async def run_sync(self, device: str, what: str, fn: Callable[[], T]) -> T:
        await self._acquire(what)
        loop = asyncio.get_running_loop()
        try:
            future = self._pool.submit(fn)
        except RuntimeError:  # the pool is shut down: the service is stopping
            self._release()
            raise Busy(f"{what}: the service is stopping") from None

        def done(_f: object) -> None:  # the slot is held until the thread really ends
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits for the slot
                loop.call_soon_threadsafe(self._release)

        future.add_done_callback(done)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
        except TimeoutError:
            raise DeviceError(device, f"{what}: no answer within {self.timeout_s:g} s") from None

    async def run(self, device: str, what: str, work: Coroutine[Any, Any, T]) -> T:
        try:
            await self._acquire(what)
        except Busy:
            work.close()  # never started
            raise
        try:
            return await asyncio.wait_for(work, self.timeout_s)
        except TimeoutError:
            raise DeviceError(device, f"{what}: no answer within {self.timeout_s:g} s") from None
        finally:
            self._release()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
