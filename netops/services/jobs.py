"""The scheduler's service check job: ``service-checks`` every ``NETOPS_SERVICE_CHECK_S`` seconds (60; 0 turns
it off), with the CA of ``NETOPS_SERVICE_CA_FILE`` for HTTPS chains (the lab's ``lab-ca.crt`` in the demo)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from netops.services.cycle import ServiceChecker

JOB_ID = "service-checks"
log = logging.getLogger(__name__)


def check_interval_s() -> float:
    return float(os.environ.get("NETOPS_SERVICE_CHECK_S", "60"))


def schedule_service_checks(scheduler: Any, runtime: Any) -> ServiceChecker | None:
    """Add the job to an APScheduler ``scheduler`` over a ``Runtime``; returns the checker (None when off)."""
    interval = check_interval_s()
    if interval <= 0:
        return None
    ca = os.environ.get("NETOPS_SERVICE_CA_FILE")
    checker = ServiceChecker(
        lambda: runtime.inventory, runtime.secrets, runtime.store, ca_file=Path(ca) if ca else None
    )

    async def run() -> None:
        if not runtime.inventory.services:
            return
        with contextlib.suppress(asyncio.CancelledError):
            cycle = await checker.run_cycle()
            log.info("service checks: %d results, %d failed", len(cycle.results), len(cycle.failed))

    scheduler.add_job(
        run,
        "interval",
        seconds=interval,
        id=JOB_ID,
        name="e-government service checks (centre and routers)",
        replace_existing=True,
        next_run_time=datetime.now().astimezone() + timedelta(seconds=min(10.0, interval)),
    )
    return checker
