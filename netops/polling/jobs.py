"""Which devices are polled how often: the centre and the prefectures' uplink routers every ``fast_s``, the
rest every ``normal_s``. Each group is one scheduler job with a stable id."""

from __future__ import annotations

from dataclasses import dataclass

from netops.inventory.models import Device, Inventory, Role, Tier
from netops.polling.poller import pollable


@dataclass(frozen=True, slots=True)
class PollGroup:
    job_id: str
    interval_s: float
    devices: tuple[Device, ...]


def is_fast(inventory: Inventory, device: Device) -> bool:
    tier = inventory.sites[device.site].tier
    return tier is Tier.REGION or (tier is Tier.PREFECTURE and device.role.routes) or device.role is Role.CORE


def poll_groups(inventory: Inventory, fast_s: float = 30.0, normal_s: float = 60.0) -> list[PollGroup]:
    devices = pollable(inventory)
    fast = tuple(d for d in devices if is_fast(inventory, d))
    normal = tuple(d for d in devices if not is_fast(inventory, d))
    groups = [PollGroup("poll-uplinks", fast_s, fast), PollGroup("poll-access", normal_s, normal)]
    return [g for g in groups if g.devices]
