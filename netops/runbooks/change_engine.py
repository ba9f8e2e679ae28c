"""The change engine as the runbooks' ``ConfigPusher``: a ``config_push`` step becomes a recorded change.

Sits between ``netops.runbooks`` (which knows only the ``ConfigPusher`` protocol of ``actions.py``) and
``netops.changes.lines`` (lines merged into the running configuration, pushed with lock, diff, confirmed
commit, post-checks, confirm or revert, and a change record). ``RunbookService.from_runtime`` builds one
unless given another pusher. A dry run (``netops runbook plan``) asks for the diff only: no lock, no record,
no device change. Every text returned is masked with the run's secret values and the inventory's secrets.
Its SSH sessions wait ``timeouts`` (the service's: ``NETOPS_SSH_LOGIN_TIMEOUT_S``/``..._COMMAND_TIMEOUT_S``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from netops.changes.diff import mask
from netops.changes.lines import DONE_OUTCOMES, LinesChange, diff_lines, push_lines, rollback_lines
from netops.changes.push import PushOptions
from netops.drivers.cli import Timeouts
from netops.drivers.snmp.source import SnmpSource
from netops.errors import NetopsError
from netops.inventory.models import Inventory
from netops.runbooks.actions import PushOutcome, PushRequest, PushState
from netops.runtime import Runtime
from netops.secrets import SecretStore
from netops.store.db import Store


class ChangeEnginePusher:
    """Pushes runbook lines through ``netops.changes``; ``minute_s``: a device "minute" (60; less in the lab);
    ``timeouts``: every SSH session's (login phases, one command)."""

    def __init__(
        self,
        inventory: Callable[[], Inventory],
        secrets: SecretStore,
        store: Store,
        snmp: SnmpSource | None = None,
        *,
        minute_s: float = 60.0,
        post_checks: bool = True,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.inventory = inventory
        self.secrets = secrets
        self.store = store
        self.snmp = snmp
        self.minute_s = minute_s
        self.post_checks = post_checks
        self.timeouts = timeouts or Timeouts()

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> ChangeEnginePusher:
        return cls(
            lambda: runtime.inventory,
            runtime.secrets,
            runtime.store,
            runtime.snmp,
            timeouts=runtime.settings.ssh_timeouts,
        )

    def _options(self, confirm_s: float) -> PushOptions:
        return PushOptions(
            confirm_s=confirm_s, minute_s=self.minute_s, post_checks=self.post_checks, timeouts=self.timeouts
        )

    async def push(self, request: PushRequest) -> PushOutcome:
        hidden = frozenset(v for v in request.secrets if v)

        def masked(text: str | None) -> str | None:
            return mask(text, hidden) if text else text

        if request.dry_run:
            diff = await asyncio.to_thread(
                diff_lines,
                self.inventory(),
                self.secrets,
                request.device,
                request.lines,
                hidden,
                self.timeouts,
            )
            if not diff.available:
                return PushOutcome(
                    False, PushState.FAILED, None, None, masked(f"no diff available: {diff.reason}")
                )
            return PushOutcome(
                True, PushState.UNCHANGED if diff.empty else PushState.PLANNED, None, masked(diff.text())
            )
        change = LinesChange(
            request.device,
            tuple(request.lines),
            user=f"runbook run {request.run_id}",
            reason=f"runbook run {request.run_id}, step {request.step}"
            + (
                f"; conference freeze overridden: {request.freeze_override}"
                if request.freeze_override
                else ""
            ),
            secrets=hidden,
            options=self._options(request.confirm_s),
        )
        change_id, result = await push_lines(self.inventory(), self.secrets, self.store, change, self.snmp)
        text = result.diff.text() if result.diff is not None else None
        return PushOutcome(
            result.outcome in DONE_OUTCOMES,
            PushState(result.outcome),
            change_id,
            masked(text),
            masked(result.detail),
        )

    async def rollback(self, change_id: str, device: str) -> PushOutcome:
        """Undo the recorded change on ``device``; a rollback that cannot be done raises ``NetopsError``."""
        new_id, result = await rollback_lines(
            self.inventory(),
            self.secrets,
            self.store,
            change_id,
            device,
            user=f"rollback of {change_id}",
            options=self._options(300.0),
            snmp=self.snmp,
        )
        if new_id is None:  # the change left nothing to undo (reverted, unchanged, rolled back already)
            return PushOutcome(True, PushState(result.outcome), change_id, None, result.detail)
        if result.outcome not in DONE_OUTCOMES:
            raise NetopsError(f"rollback change {new_id} {result.outcome}: {result.detail or ''}".strip())
        diff = result.diff.text() if result.diff is not None else None
        return PushOutcome(True, PushState.ROLLED_BACK, new_id, diff, result.detail)
