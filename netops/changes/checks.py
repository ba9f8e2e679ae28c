"""Post-checks of a pushed device: compare what the centre sees after the change with what it saw before.

Part of ``netops.changes`` (``push.py`` calls it between the confirmed commit and the confirm). A change
passes when, from the centre:
- a new SSH login works (the change did not cut management access),
- the device answers SNMP,
- every uplink that was up before is still up (admin and oper),
- every OSPF neighbour that was full before is still full,
- no interface's error counters grew (SNMP IF-MIB in/out errors).
Checks only look for regressions: what was already down before the change is not blamed on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netops.drivers.platforms import InterfaceState, PlatformDriver
from netops.inventory.models import Device, InterfaceKind
from netops.polling.model import DeviceSample


@dataclass(frozen=True, slots=True)
class Check:
    name: str  # ssh | snmp | uplinks | neighbours | errors
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(slots=True)
class View:
    """What the centre sees of a device at one moment (None where it could not be seen)."""

    interfaces: dict[str, InterfaceState] | None = None
    neighbours: set[str] | None = None
    errors: dict[str, int] | None = None  # interface -> in+out errors (SNMP)
    ssh_error: str | None = None
    snmp_error: str | None = None
    notes: list[str] = field(default_factory=list)


def cli_view(driver: PlatformDriver, interfaces: list[InterfaceState], neighbours: list[str]) -> View:
    return View({i.name: i for i in interfaces}, set(neighbours))


def add_snmp(view: View, sample: DeviceSample | None) -> None:
    if sample is None:
        return
    if not sample.ok:
        view.snmp_error = f"{sample.error}: {sample.detail or ''}".strip(": ")
        return
    view.errors = {i.name: i.in_errors + i.out_errors for i in sample.interfaces}


def evaluate(device: Device, driver: PlatformDriver, before: View, after: View, snmp: bool) -> list[Check]:
    checks: list[Check] = []
    if after.ssh_error is not None:
        checks.append(Check("ssh", False, f"new SSH login failed: {after.ssh_error}"))
    else:
        checks.append(Check("ssh", True, "new SSH login works"))
    if snmp:
        if after.snmp_error is not None:
            checks.append(Check("snmp", False, f"SNMP does not answer: {after.snmp_error}"))
        else:
            checks.append(Check("snmp", True, "SNMP answers"))
    if before.interfaces is not None and after.interfaces is not None:
        uplinks = [
            driver.syntax.interface_name(i.name) for i in device.interfaces if i.kind is InterfaceKind.UPLINK
        ]
        lost = [
            name
            for name in uplinks
            if (b := before.interfaces.get(name)) is not None
            and b.oper_up
            and not ((a := after.interfaces.get(name)) is not None and a.admin_up and a.oper_up)
        ]
        if lost:
            checks.append(Check("uplinks", False, f"uplink down after the change: {', '.join(lost)}"))
        else:
            checks.append(Check("uplinks", True, f"{len(uplinks)} uplink(s) up"))
    if before.neighbours is not None and after.neighbours is not None:
        gone = sorted(before.neighbours - after.neighbours)
        if gone:
            checks.append(Check("neighbours", False, f"OSPF neighbours lost: {', '.join(gone)}"))
        else:
            checks.append(Check("neighbours", True, f"{len(after.neighbours)} OSPF neighbour(s) full"))
    if before.errors is not None and after.errors is not None:
        grown = sorted(n for n, v in after.errors.items() if v > before.errors.get(n, v))
        if grown:
            checks.append(Check("errors", False, f"interface errors grew on: {', '.join(grown)}"))
        else:
            checks.append(Check("errors", True, "no new interface errors"))
    return checks
