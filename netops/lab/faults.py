"""Faults of the lab: injected into and cleared from a running ``LabWorld``.

Each fault has a kind, a target (a link, device, ``device:interface`` or room id) and parameters; applying it
changes the simulated state through ``LabWorld`` and remembers what it changed so clearing it restores exactly
that. ``netops lab fault ...`` and the lab's control API (``lab/control.py``) both land here.

| kind | target | parameters | effect |
| --- | --- | --- | --- |
| link-down | link id or end `device:interface` | silent (false) | both ends oper-down; cut-off devices stop answering |
| node-down | device | silent (false) | the device answers nothing; its links go down; uptime restarts when cleared |
| reboot | device | - | the device restarts now: sysUpTime and its counters from zero (clearing it undoes nothing) |
| on-battery | device with `ups: true` | minutes (45) | UPS-MIB upsOutputSource = battery(5) |
| high-cpu | device | percent (95) | CPU usage at the vendor OIDs and in `display cpu-usage` |
| if-errors | `device:interface` | rate (50 per second) | ifInErrors rises |
| codec-unregistered, camera-disconnected, standby | codec device or room | - | the codec status API says so |
| microphones-disconnected, display-disconnected | codec device or room | - | no microphone / no display connected |
| call-dropped | codec device or room in a call | - | the MCU ends the call (call history: RemoteDisconnect) |
| mcu-full | MCU device | - | every port in use: a Dial fails "no free port" |
| diag-alert | codec device or room | text | a diagnostics message on the codec |
| path-impaired | codec device or room | delay_ms, jitter_ms, loss_pct | the probe reflector applies it |
| reject-line | device | pattern (regex) | configuration lines matching it are refused |
| slow | device | ms (2000) | every answer is delayed |

``silent=true`` on link-down / node-down: the failure hides behind a carrier circuit (MSTP, SDH), the ports stay
up and OSPF neighbours are kept until the dead interval (``LabWorld.ospf_dead_s``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netops.errors import LabError, NotFoundError
from netops.inventory.models import Role
from netops.lab.services import FAULT_KINDS as SERVICE_FAULTS
from netops.lab.services import apply_fault as apply_service_fault
from netops.lab.state import DeviceState, Impairment, LabWorld

KINDS = (
    "link-down",
    "node-down",
    "reboot",
    "on-battery",
    "high-cpu",
    "if-errors",
    "codec-unregistered",
    "camera-disconnected",
    "standby",
    "microphones-disconnected",
    "display-disconnected",
    "call-dropped",
    "mcu-full",
    "diag-alert",
    "path-impaired",
    "reject-line",
    "slow",
    *SERVICE_FAULTS,  # lab/services.py: service-down, wrong-language, cert-expiring
)


@dataclass(frozen=True, slots=True)
class Fault:
    id: int
    kind: str
    target: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "target": self.target, "params": dict(self.params)}


def _flag(params: dict[str, Any], key: str) -> bool:
    """A yes/no parameter: ``true``/``1``/``yes`` (as typed on ``netops lab fault add``) or a JSON boolean."""
    value = params.get(key, False)
    if isinstance(value, str):
        value = value.strip().lower()
        if value not in ("", "0", "1", "true", "false", "yes", "no"):
            raise LabError(f"parameter {key}: expected true or false, found {value!r}")
        return value in ("1", "true", "yes")
    return bool(value)


def _float(params: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    raw = params.get(key, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise LabError(f"parameter {key}: expected a number, found {raw!r}") from None
    if not low <= value <= high:
        raise LabError(f"parameter {key}: expected {low} to {high}, found {value}")
    return value


class FaultBook:
    """The active faults of one lab run and how to undo each."""

    def __init__(self, world: LabWorld) -> None:
        self.world = world
        self._ids = itertools.count(1)
        self._active: dict[int, tuple[Fault, Callable[[], None]]] = {}

    def active(self) -> list[Fault]:
        return [f for f, _ in self._active.values()]

    # helpers ------------------------------------------------------------------------------------------
    def _device(self, target: str) -> DeviceState:
        inv = self.world.inventory
        if target in inv.rooms:
            target = inv.rooms[target].codec
        return self.world.devices[inv.device(target).id]

    def _codec(self, target: str) -> DeviceState:
        state = self._device(target)
        if state.device.role is not Role.CODEC or state.codec is None:
            raise LabError(f"{target}: expected a codec device or a room, found role {state.device.role}")
        return state

    def _link(self, target: str) -> str:
        inv = self.world.inventory
        if target in inv.links:
            return target
        for link in inv.links.values():
            if target in (str(link.a), str(link.b)):
                return link.id
        raise NotFoundError("link", target, list(inv.links))

    # apply / clear ------------------------------------------------------------------------------------
    def apply(self, kind: str, target: str, params: dict[str, Any] | None = None) -> Fault:
        params = dict(params or {})
        if kind not in KINDS:
            raise LabError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
        if kind in SERVICE_FAULTS:
            undo = apply_service_fault(self.world, kind, target, params)
        else:
            undo = getattr(self, "_" + kind.replace("-", "_"))(target, params)
        fault = Fault(next(self._ids), kind, target, params)
        self._active[fault.id] = (fault, undo)
        return fault

    def clear(self, fault_id: int) -> Fault:
        if fault_id not in self._active:
            raise NotFoundError("active fault", str(fault_id), [str(i) for i in self._active])
        fault, undo = self._active.pop(fault_id)
        undo()
        return fault

    def clear_all(self) -> list[Fault]:
        return [self.clear(i) for i in sorted(self._active, reverse=True)]

    # one method per kind: apply, return the undo --------------------------------------------------------
    def _link_down(self, target: str, p: dict[str, Any]) -> Callable[[], None]:
        link = self._link(target)
        self.world.set_link_down(link, True, silent=_flag(p, "silent"))
        return lambda: self.world.set_link_down(link, False)

    def _node_down(self, target: str, p: dict[str, Any]) -> Callable[[], None]:
        dev = self._device(target).device.id
        self.world.set_node_down(dev, True, silent=_flag(p, "silent"))
        return lambda: self.world.set_node_down(dev, False)

    def _reboot(self, target: str, _p: dict[str, Any]) -> Callable[[], None]:
        self.world.reboot(self._device(target).device.id)
        return lambda: None  # a reboot cannot be undone

    def _on_battery(self, target: str, p: dict[str, Any]) -> Callable[[], None]:
        state = self._device(target)
        if not state.device.ups:
            raise LabError(f"{target}: this device has no UPS (set ups: true in the inventory)")
        before = (state.on_battery, state.battery_minutes)
        state.on_battery, state.battery_minutes = True, int(_float(p, "minutes", 45, 0, 1440))

        def undo() -> None:
            state.on_battery, state.battery_minutes = before

        return undo

    def _high_cpu(self, target: str, p: dict[str, Any]) -> Callable[[], None]:
        state = self._device(target)
        before = state.cpu_percent
        state.cpu_percent = _float(p, "percent", 95, 0, 100)

        def undo() -> None:
            state.cpu_percent = before

        return undo

    def _if_errors(self, target: str, p: dict[str, Any]) -> Callable[[], None]:
        dev, _, name = target.partition(":")
        state = self._device(dev)
        itf = state.interface(name)
        if itf is None:
            raise NotFoundError(f"interface of {dev}", name, [i.name for i in state.interfaces])
        before = itf.error_rate_per_s
        itf.set_error_rate(_float(p, "rate", 50, 0, 1e6))
        return lambda: itf.set_error_rate(before)

    def _codec_flag(self, target: str, attr: str, value: Any) -> Callable[[], None]:
        codec = self._codec(target).codec
        assert codec is not None
        before = getattr(codec, attr)
        setattr(codec, attr, value)
        return lambda: setattr(codec, attr, before)

    def _codec_unregistered(self, target: str, _p: dict[str, Any]) -> Callable[[], None]:
        return self._codec_flag(target, "registered", False)

    def _camera_disconnected(self, target: str, _p: dict[str, Any]) -> Callable[[], None]:
        return self._codec_flag(target, "camera_connected", False)

    def _standby(self, target: str, _p: dict[str, Any]) -> Callable[[], None]:
        return self._codec_flag(target, "standby", True)

    def _microphones_disconnected(self, target: str, _p: dict[str, Any]) -> Callable[[], None]:
        return self._codec_flag(target, "microphones_connected", 0)

    def _display_disconnected(self, target: str, _p: dict[str, Any]) -> Callable[[], None]:
        return self._codec_flag(target, "display_connected", False)

    def _call_dropped(self, target: str, _p: dict[str, Any]) -> Callable[[], None]:
        codec = self._codec(target).codec
        assert codec is not None
        if codec.call_state != "connected":
            raise LabError(f"{target}: the codec is not in a call (call state {codec.call_state})")
        codec.call_state = "dropped"  # the codec lab's call book ends the call (lab/codec/calls.py)
        return lambda: None  # a dropped call stays dropped: netops' live round dials again

    def _mcu_full(self, target: str, _p: dict[str, Any]) -> Callable[[], None]:
        mcu = self._device(target).mcu
        if mcu is None:
            raise LabError(f"{target}: expected an MCU device")
        taken = max(0, mcu.total_ports - mcu.ports_in_use)
        mcu.ports_in_use += taken

        def undo() -> None:
            mcu.ports_in_use = max(0, mcu.ports_in_use - taken)

        return undo

    def _diag_alert(self, target: str, p: dict[str, Any]) -> Callable[[], None]:
        codec = self._codec(target).codec
        assert codec is not None
        text = str(p.get("text") or "Temperature of the system is high")
        codec.diagnostics.append(text)

        def undo() -> None:
            if text in codec.diagnostics:
                codec.diagnostics.remove(text)

        return undo

    def _path_impaired(self, target: str, p: dict[str, Any]) -> Callable[[], None]:
        state = self._codec(target)
        before = state.impairment
        state.impairment = Impairment(
            delay_ms=_float(p, "delay_ms", 0, 0, 10_000),
            jitter_ms=_float(p, "jitter_ms", 0, 0, 10_000),
            loss_ratio=_float(p, "loss_pct", 0, 0, 100) / 100,
        )

        def undo() -> None:
            state.impairment = before

        return undo

    def _reject_line(self, target: str, p: dict[str, Any]) -> Callable[[], None]:
        state = self._device(target)
        pattern = str(p.get("pattern") or "")
        if not pattern:
            raise LabError("reject-line needs pattern=REGEX")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise LabError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
        state.rejected_lines.append(pattern)

        def undo() -> None:
            if pattern in state.rejected_lines:
                state.rejected_lines.remove(pattern)

        return undo

    def _slow(self, target: str, p: dict[str, Any]) -> Callable[[], None]:
        state = self._device(target)
        before = state.slow_ms
        state.slow_ms = _float(p, "ms", 2000, 0, 120_000)

        def undo() -> None:
            state.slow_ms = before

        return undo
