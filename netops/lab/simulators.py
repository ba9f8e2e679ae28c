"""Start the lab's simulators (SNMP agents, SSH CLIs, codec endpoints) for a ``LabWorld``: one function used by
``netops lab up`` (``runner``), the tests and the benchmarks (``testing``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

ALL = None  # start a simulator for every device it applies to


async def start_parts(
    world: Any,
    secrets: Any,
    *,
    snmp: Iterable[str] | bool | None = ALL,
    ssh: Iterable[str] | bool | None = ALL,
    codecs: Iterable[str] | bool | None = ALL,
    minute_seconds: float = 60.0,
    trap_collector: tuple[str, int] | None = None,
    syslog_collector: tuple[str, int] | None = None,
    services_dir: Path | None = None,
) -> dict[str, Any]:
    """Start the chosen simulators of a ``LabWorld`` in the running loop (``None``: every device; a list:
        those devices; ``False``: none). With ``trap_collector`` / ``syslog_collector`` (HOST, PORT) the devices
    also send traps and syslog there on state changes (``lab/emit.py``, part ``"emit"``). Returns
    ``{"snmp"|"ssh"|"codecs"|"emit"|"services": simulator}`` in start order. With ``services_dir`` the
    inventory's simulated e-government services start too (``lab/services.py``, CA and certificates written
    there), when it has any. On a failure (``LabError``: address taken, secret missing) everything started is
    closed again first."""
    from netops.lab.cli import start_ssh
    from netops.lab.codec.lab import start_codecs
    from netops.lab.snmp import start_snmp

    def chosen(value: Iterable[str] | bool | None) -> list[str] | None:
        return None if value is None or value is True else list(value)  # type: ignore[arg-type]

    started: dict[str, Any] = {}
    try:
        if snmp is not False:
            started["snmp"] = await start_snmp(world, secrets, chosen(snmp))
        if ssh is not False:
            started["ssh"] = await start_ssh(world, secrets, chosen(ssh), minute_seconds=minute_seconds)
        if codecs is not False:
            started["codecs"] = await start_codecs(world, secrets, chosen(codecs))
        if trap_collector is not None or syslog_collector is not None:
            from netops.lab.emit import Emitter

            started["emit"] = Emitter(
                world, secrets, trap_collector=trap_collector, syslog_collector=syslog_collector
            )
        if services_dir is not None and getattr(world.inventory, "services", None):
            from netops.lab.services import start_services

            started["services"] = await start_services(world, services_dir)
    except BaseException:
        for sim in reversed(started.values()):
            await sim.close()
        raise
    return started
