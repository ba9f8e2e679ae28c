"""Post-checks of a pushed device: compare what the centre sees after the change with what it saw before.

Part of ``netops.changes`` (``push.py`` calls it between the confirmed commit and the confirm). A change
passes when, from the centre:
- a new SSH login works (the change did not cut management access),
- the device answers SNMP,
- ``uplinks``: every interface that carries service (inventory kinds ``uplink`` and ``lan``: the carrier
  circuits, the site LAN, the codec-facing port) is up (admin and oper), unless it was already down before,
- every OSPF adjacency that was full before is still full,
- no interface's error counters grew (SNMP IF-MIB in/out errors), and every service interface has counters.

The checks fail closed: what cannot be read after the change (the display gave a line no parser reads, a
service interface is missing from the table, SNMP has no counters for it, there is no baseline to compare
with) is a failed check, and the device reverts. Only what was already down before is not blamed on the
change. Interface names are compared in their canonical form (``netops.drivers.names``), whatever spelling
the inventory, the CLI table or SNMP's ifName uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from netops.drivers.cli import CliSession
from netops.drivers.names import canonical
from netops.drivers.platforms import InterfaceState, OspfNeighbour, PlatformDriver
from netops.errors import DeviceError
from netops.inventory.models import Device, InterfaceKind, Platform
from netops.polling.model import DeviceSample

SERVICE_KINDS = (InterfaceKind.UPLINK, InterfaceKind.LAN)


@dataclass(frozen=True, slots=True)
class Check:
    name: str  # ssh | snmp | uplinks | neighbours | errors
    ok: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(slots=True)
class View:
    """What the centre sees of a device at one moment (None where it could not be seen, and why)."""

    interfaces: dict[str, InterfaceState] | None = None  # canonical name -> state
    neighbours: dict[str, OspfNeighbour] | None = None  # adjacency key -> neighbour, whatever its state
    errors: dict[str, int] | None = None  # canonical interface name -> in+out errors (SNMP)
    ssh_error: str | None = None
    snmp_error: str | None = None
    read_errors: dict[str, str] = field(default_factory=dict)  # "interfaces" | "neighbours" -> why not read
    notes: list[str] = field(default_factory=list)


def cli_view(
    driver: PlatformDriver, interfaces: list[InterfaceState], neighbours: list[OspfNeighbour]
) -> View:
    return View({i.name: i for i in interfaces}, {n.key: n for n in neighbours})


def read_cli(view: View, driver: PlatformDriver, s: CliSession, mask: Callable[[str], str]) -> None:
    """Read the interface table and the OSPF neighbours into ``view``; a display that cannot be read
    leaves its part ``None`` with the reason (the evaluation then fails that check)."""
    try:
        view.interfaces = {i.name: i for i in driver.interfaces(s)}
    except DeviceError as exc:
        view.read_errors["interfaces"] = mask(str(exc))
    try:
        view.neighbours = {n.key: n for n in driver.ospf_neighbours(s)}
    except DeviceError as exc:
        view.read_errors["neighbours"] = mask(str(exc))


def add_snmp(view: View, sample: DeviceSample | None, platform: Platform) -> None:
    if sample is None:
        return
    if not sample.ok:
        view.snmp_error = f"{sample.error}: {sample.detail or ''}".strip(": ")
        return
    view.errors = {canonical(platform, i.name): i.in_errors + i.out_errors for i in sample.interfaces}


def _unread(view: View, part: str) -> str:
    return view.read_errors.get(part) or (
        f"no SSH session: {view.ssh_error}" if view.ssh_error else "not read"
    )


def _up(state: InterfaceState | None) -> bool:
    return state is not None and state.admin_up and state.oper_up


def service_interfaces(device: Device) -> list[str]:
    """Canonical names of the interfaces that carry service (kinds uplink and lan)."""
    return [canonical(device.platform, i.name) for i in device.interfaces if i.kind in SERVICE_KINDS]


def _interfaces(device: Device, before: View, after: View) -> Check:
    kinds = {canonical(device.platform, i.name): i.kind for i in device.interfaces if i.kind in SERVICE_KINDS}
    if after.interfaces is None:
        why = _unread(after, "interfaces")
        return Check("uplinks", False, f"interfaces could not be read after the change: {why}")
    was = before.interfaces or {}
    missing = [n for n in kinds if n not in after.interfaces]
    lost: dict[str, list[str]] = {}  # kind -> "name (status)"
    still = []
    for n, kind in kinds.items():
        a = after.interfaces.get(n)
        if a is None or _up(a):
            continue
        if n in was and not _up(was[n]):
            still.append(n)  # down before the change already: not blamed on it
        else:
            lost.setdefault(kind.value, []).append(f"{n} ({a.status or 'down'})")
    problems = [f"{kind} down after the change: {', '.join(names)}" for kind, names in lost.items()]
    if missing:
        problems.append(f"not in the interface table after the change: {', '.join(missing)}")
    if problems:
        return Check("uplinks", False, "; ".join(problems))
    detail = f"{len(kinds) - len(still)} service interface(s) up (uplink, lan)"
    if still:
        detail += f"; down before the change already: {', '.join(still)}"
    return Check("uplinks", True, detail)


def _neighbours(before: View, after: View) -> Check:
    if after.neighbours is None:
        return Check(
            "neighbours",
            False,
            f"OSPF neighbours could not be read after the change: {_unread(after, 'neighbours')}",
        )
    if before.neighbours is None:
        return Check(
            "neighbours", False, f"no OSPF baseline to compare with: {_unread(before, 'neighbours')}"
        )
    gone = sorted(
        k for k, b in before.neighbours.items() if b.full and not ((a := after.neighbours.get(k)) and a.full)
    )
    if gone:
        return Check("neighbours", False, f"OSPF neighbours lost: {', '.join(gone)}")
    full = sum(1 for n in after.neighbours.values() if n.full)
    return Check("neighbours", True, f"{full} OSPF neighbour(s) full")


def _errors(device: Device, before: View, after: View) -> Check:
    if after.errors is None:
        why = after.snmp_error or "no SNMP answer"
        return Check("errors", False, f"interface error counters could not be read after the change: {why}")
    if before.errors is None:
        why = before.snmp_error or "not read"
        return Check("errors", False, f"no error-counter baseline to compare with: {why}")
    unread = [n for n in service_interfaces(device) if n not in after.errors or n not in before.errors]
    grown = sorted(n for n, v in after.errors.items() if n in before.errors and v > before.errors[n])
    problems = []
    if unread:
        problems.append(f"no SNMP error counters for: {', '.join(unread)}")
    if grown:
        problems.append(f"interface errors grew on: {', '.join(grown)}")
    if problems:
        return Check("errors", False, "; ".join(problems))
    return Check("errors", True, "no new interface errors")


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
    checks.append(_interfaces(device, before, after))
    checks.append(_neighbours(before, after))
    if snmp:
        checks.append(_errors(device, before, after))
    return checks
