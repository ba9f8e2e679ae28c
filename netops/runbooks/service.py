"""The runbook service of a running netops: the catalog, the engine and the runs executing in the background.

Built once per process (``RunbookService.from_runtime``); the API routes, the Alertmanager webhook, the event
subscriptions and the CLI use it. ``start`` stores a run and, unless it waits for approval to start, executes
it in an asyncio task; the caller gets the run id at once. ``resume_interrupted`` is the start-up hook: runs
a stopped process left behind continue where they were (except those needing secret parameters again).
``config_push`` steps go through the change engine (``change_engine.ChangeEnginePusher``) unless another
``ConfigPusher`` is given.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from netops.errors import NetopsError
from netops.runbooks import records as rec
from netops.runbooks.actions import ConfigPusher, Mailer, Tools
from netops.runbooks.catalog import Catalog, RunbookError, load_catalog
from netops.runbooks.change_engine import ChangeEnginePusher
from netops.runbooks.engine import Engine
from netops.runtime import Runtime
from netops.store.db import Store

log = logging.getLogger(__name__)


def playbooks_dir(runtime: Runtime) -> Path:
    """``NETOPS_PLAYBOOKS``, else ``playbooks/`` next to the inventory folder."""
    explicit = os.environ.get("NETOPS_PLAYBOOKS")
    if explicit:
        return Path(explicit)
    return Path(runtime.inventory.directory).resolve().parent / "playbooks"


class RunbookService:
    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        tools: Tools,
        *,
        poll_s: float = 0.5,
        max_interval_s: float | None = None,
        max_wait_s: float | None = None,
    ) -> None:
        self.catalog = catalog
        self.engine = Engine(store, lambda: self.catalog, tools, poll_s=poll_s, max_interval_s=max_interval_s,
                             max_wait_s=max_wait_s)  # fmt: skip
        self.tasks: dict[str, asyncio.Task[Any]] = {}

    @classmethod
    def from_runtime(
        cls,
        runtime: Runtime,
        directory: Path | None = None,
        *,
        pusher: ConfigPusher | None = None,
        mailer: Mailer | None = None,
        poll_s: float = 0.5,
        max_interval_s: float | None = None,
    ) -> RunbookService:
        folder = directory or playbooks_dir(runtime)
        try:
            catalog = load_catalog(folder)
        except RunbookError as exc:
            log.error("runbooks not loaded from %s: %s", folder, exc)
            catalog = Catalog(folder)
        if pusher is None:  # config_push steps go through the change engine (recorded changes)
            pusher = ChangeEnginePusher.from_runtime(runtime)
        tools = Tools(lambda: runtime.inventory, runtime.secrets, runtime.snmp, runtime.store, pusher, mailer)
        return cls(runtime.store, catalog, tools, poll_s=poll_s, max_interval_s=max_interval_s)

    @property
    def store(self) -> Store:
        return self.engine.store

    def reload(self) -> None:
        """Read the playbooks again; raises ``RunbookError`` and keeps the old catalog if they are invalid."""
        if self.catalog.directory is not None:
            self.catalog = load_catalog(self.catalog.directory)

    def start(
        self,
        runbook_id: str,
        params: dict[str, Any],
        *,
        actor: str,
        trigger: dict[str, Any] | None = None,
        fingerprint: str | None = None,
        propose: bool = False,
    ) -> str:
        run_id = self.engine.create_run(
            runbook_id, params, actor=actor, trigger=trigger, fingerprint=fingerprint, propose=propose
        )
        if not propose:
            self.launch(run_id)
        return run_id

    def launch(self, run_id: str, secrets: dict[str, str] | None = None) -> None:
        """Execute the run in the background (needs a running event loop)."""
        task = asyncio.get_running_loop().create_task(
            self._execute(run_id, secrets), name=f"runbook {run_id}"
        )
        self.tasks[run_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(run_id, None))

    async def _execute(self, run_id: str, secrets: dict[str, str] | None) -> None:
        try:
            await self.engine.execute(run_id, secrets)
        except NetopsError as exc:
            log.error("run %s did not execute: %s", run_id, exc)
            rec.append(self.store, run_id, f"not executed: {exc}")
        except Exception:  # a bug in one run must not take the service down
            log.exception("run %s crashed", run_id)
            rec.finish_run(
                self.store, run_id, rec.RunState.FAILED, error="engine error (see the service log)",
                expected=(rec.RunState.PENDING, *rec.EXECUTING),
            )  # fmt: skip

    async def resume_interrupted(self) -> list[str]:
        """Continue the runs a stopped process left running or waiting; returns the ids continued."""
        resumed = []
        for run in self.engine.interrupted_runs():
            if run.secret_params:
                rec.append(self.store, run.id, "interrupted; needs its secret parameters: resume it by hand")
                rec.finish_run(
                    self.store, run.id, rec.RunState.FAILED, error="interrupted (secret parameters needed)"
                )
                continue
            self.engine.prepare_resume(run.id)
            self.launch(run.id)
            resumed.append(run.id)
        return resumed + await self.launch_pending()

    async def launch_pending(self) -> list[str]:
        """Execute the runs approved to start elsewhere (CLI, another process) that nothing executes yet.

        A scheduler job for the service (every 10-30 s): a run approved by ``netops runbook approve`` while the
        service runs waits for it, and a run whose process died (a ``netops runbook run`` killed mid-run)
        continues here whoever started it. Runs with secret parameters are left alone (their secrets are not
        here).
        """
        launched = []
        for run in rec.list_runs(self.store, state=rec.RunState.PENDING, limit=1000):
            if run.id not in self.tasks and not run.secret_params:
                self.launch(run.id)
                launched.append(run.id)
        for run in self.engine.interrupted_runs():  # whoever started them (a CLI process that died, ...)
            if run.id in self.tasks or run.secret_params:
                continue
            try:
                self.engine.prepare_resume(run.id)
            except NetopsError as exc:  # another service took it first (the claim is atomic)
                log.info("interrupted run %s not resumed here: %s", run.id, exc)
                continue
            rec.append(self.store, run.id, f"interrupted (owner {run.owner} gone): resumed by the service")
            self.launch(run.id)
            launched.append(run.id)
        return launched

    async def wait(self, run_id: str) -> rec.RunView:
        """The run once this process stops executing it (finished, or waiting for nothing it can do)."""
        task = self.tasks.get(run_id)
        if task is not None:
            await asyncio.shield(task)
        return rec.get_run(self.store, run_id)

    async def close(self) -> None:
        """Stop executing (the runs stay resumable: they are continued by the next start)."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
