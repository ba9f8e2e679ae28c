"""Alertmanager's webhook payloads (version 4): validated when they arrive, acted on in the background.

``parse`` checks the body's shape (pydantic over the raw bytes; nesting deeper than the JSON parser's limit is
a refusal, not a crash) and names the first wrong field: the route answers 400 with it. ``AlertInbox`` takes
validated notifications and acts on them in arrival order, one alert at a time (``triggers.handle_alert``) in a
worker thread (its store reads and writes are blocking), so a notification with 1,000 alerts never holds up the
event loop: ``/healthz``, polling and the API go on; the webhook answers 202 at once. Runs an alert starts are
stored from that thread and launched on the loop (``_FromThread``). Results of the last notifications are kept
(``results``) for the log and for tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from netops.errors import InvalidInputError
from netops.runbooks.service import RunbookService
from netops.runbooks.triggers import handle_alert

log = logging.getLogger(__name__)
MAX_ALERTS = 10_000  # alerts in one notification (Alertmanager's max_alerts: 0 sends every alert of a group)
KEPT = 100  # notifications whose results are kept


class Alert(BaseModel):
    """One alert as Alertmanager sends it; other keys (startsAt, endsAt, generatorURL, ...) are kept."""

    model_config = ConfigDict(extra="allow")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    fingerprint: str | None = None


class Notification(BaseModel):
    """The webhook body (version 4)."""

    model_config = ConfigDict(extra="allow")

    version: Literal["4"]
    status: Literal["firing", "resolved"]
    alerts: list[Alert] = Field(max_length=MAX_ALERTS)


def parse(body: bytes) -> Notification:
    """The notification in ``body``; ``InvalidInputError`` naming the first wrong field (never echoing values)."""
    if not body.strip():
        raise InvalidInputError("expected a JSON body (an Alertmanager webhook, version 4)")
    try:
        return Notification.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InvalidInputError(
            f"not an Alertmanager webhook (version 4): {where}: {first['msg']}{more}"
        ) from None


class _FromThread:
    """The runbook service as ``handle_alert`` uses it from a worker thread: runs are stored in the thread and
    launched on the service's event loop (``RunbookService.start`` needs the running loop)."""

    def __init__(self, service: RunbookService, loop: asyncio.AbstractEventLoop) -> None:
        self.service, self.loop = service, loop
        self.store, self.catalog, self.engine = service.store, service.catalog, service.engine

    def start(self, runbook_id: str, params: dict[str, Any], **kw: Any) -> str:
        run_id = self.engine.create_run(runbook_id, params, **kw)
        if not kw.get("propose"):
            self.loop.call_soon_threadsafe(self.service.launch, run_id)
        return run_id


class AlertInbox:
    """Notifications waiting to be acted on, and the one task that acts on them in order."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[tuple[int, RunbookService, Notification]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._next = 0
        self.results: OrderedDict[int, list[dict[str, Any]]] = OrderedDict()

    def submit(self, service: RunbookService, note: Notification) -> int:
        """Queue ``note``; returns its number (``results[number]`` once acted on). Needs the running loop."""
        if self._queue is None or self._task is None or self._task.done():
            self._queue = self._queue or asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(self._work(), name="alertmanager inbox")
        self._next += 1
        self._queue.put_nowait((self._next, service, note))
        return self._next

    def done(self, number: int) -> bool:
        return number in self.results

    async def _work(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            number, service, note = await self._queue.get()
            results: list[dict[str, Any]] = []
            here = cast(RunbookService, _FromThread(service, loop))
            for alert in note.alerts:
                try:
                    results += await asyncio.to_thread(handle_alert, here, alert.model_dump())
                except Exception:  # one bad alert must not stop the others
                    log.exception("alert %s could not be handled", alert.fingerprint)
                    results.append({"fingerprint": alert.fingerprint, "action": "error"})
            self.results[number] = results
            while len(self.results) > KEPT:
                self.results.popitem(last=False)
            acted = sum(1 for r in results if r.get("action") not in ("already active", "refused"))
            log.info("alertmanager notification %d: %d alerts, %d actions", number, len(note.alerts), acted)
            self._queue.task_done()

    async def idle(self) -> None:
        """Wait until every queued notification was acted on."""
        if self._queue is not None and self._task is not None and not self._task.done():
            await self._queue.join()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
