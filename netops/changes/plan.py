"""Waves of a rollout, derived from the hierarchy: a canary county, the rest of its prefecture, the other
prefectures in batches, departments, and the region centre last.

Part of ``netops.changes``: ``netops config push --plan`` prints this; ``apply.py`` runs it wave by wave.
Each wave has its own concurrency and failure budget (how many devices may fail before the rollout halts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from netops.errors import NotFoundError
from netops.inventory.models import Inventory, Tier


@dataclass(frozen=True, slots=True)
class Wave:
    index: int  # 1-based
    name: str
    devices: tuple[str, ...]
    failure_budget: int
    concurrency: int

    def as_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "name": self.name,
            "devices": list(self.devices),
            "failure_budget": self.failure_budget,
            "concurrency": self.concurrency,
        }


def pushable(inventory: Inventory) -> list[str]:
    """Devices a push may touch: active, with an SSH CLI."""
    return sorted(d.id for d in inventory.active_devices() if d.platform.has_cli)


def plan_waves(
    inventory: Inventory,
    devices: Iterable[str] | None = None,
    *,
    canary: str | None = None,
    prefectures_per_wave: int = 4,
    failure_budget: int = 0,
    concurrency: int = 20,
) -> list[Wave]:
    """The waves for ``devices`` (default: every pushable device). ``canary`` picks the first device."""
    scope = sorted(set(devices) if devices is not None else pushable(inventory))
    for d in scope:
        inventory.device(d)  # NotFoundError names an unknown id
    by_prefecture: dict[str, list[str]] = {}
    departments: list[str] = []
    centre: list[str] = []
    for d in scope:
        site = inventory.sites[inventory.devices[d].site]
        if site.tier is Tier.REGION:
            centre.append(d)
        elif site.prefecture is None:
            departments.append(d)
        else:
            by_prefecture.setdefault(site.prefecture, []).append(d)
    if canary is not None and canary not in scope:
        raise NotFoundError("device in the push scope", canary, scope)

    def is_county(d: str) -> bool:
        return inventory.sites[inventory.devices[d].site].tier is Tier.COUNTY

    if canary is None:
        counties = [d for p in sorted(by_prefecture) for d in by_prefecture[p] if is_county(d)]
        canary = (
            counties[0]
            if counties
            else next((d for p in sorted(by_prefecture) for d in by_prefecture[p]), None)
        )
    groups: list[tuple[str, list[str]]] = []
    first_prefecture = None
    if canary is not None and canary not in centre and canary not in departments:
        first_prefecture = inventory.sites[inventory.devices[canary].site].prefecture
        groups.append((f"canary {canary}", [canary]))
        rest = [d for d in by_prefecture.get(first_prefecture or "", []) if d != canary]
        groups.append((f"rest of {first_prefecture}", rest))
    elif canary is not None:
        groups.append((f"canary {canary}", [canary]))
        departments = [d for d in departments if d != canary]
        centre = [d for d in centre if d != canary]
    others = [p for p in sorted(by_prefecture) if p != first_prefecture]
    for i in range(0, len(others), max(1, prefectures_per_wave)):
        batch = others[i : i + max(1, prefectures_per_wave)]
        groups.append((f"prefectures {', '.join(batch)}", [d for p in batch for d in by_prefecture[p]]))
    groups.append(("departments", departments))
    groups.append(("region centre", centre))
    waves: list[Wave] = []
    for name, devs in groups:
        if devs:
            waves.append(Wave(len(waves) + 1, name, tuple(devs), failure_budget, concurrency))
    return waves
