"""The shipped lab region meets the numbers of the plan, and what-if answers match the real structure."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from netops.inventory import Inventory, Platform, Role, Tier, Topology, load_inventory
from netops.inventory.models import LinkKind


@pytest.fixture(scope="module")
def region() -> Inventory:
    return load_inventory(Path(__file__).parents[2] / "inventory")


def test_counts_meet_the_plan(region: Inventory) -> None:
    tiers = Counter(s.tier for s in region.sites.values())
    assert tiers[Tier.REGION] == 1
    assert tiers[Tier.PREFECTURE] == 14
    assert tiers[Tier.COUNTY] >= 90
    assert tiers[Tier.DEPARTMENT] >= 6
    centre = region.centre
    roles = Counter(d.role for d in region.devices_at(centre.id))
    assert roles[Role.CORE] == 2 and roles[Role.MCU] == 1 and roles[Role.INTERNET_EXIT] == 1
    prefectures = [s for s in region.sites.values() if s.tier is Tier.PREFECTURE]
    room_sites = {r.site for r in region.rooms.values()}
    assert all(p.id in room_sites for p in prefectures)
    county_rooms = [r for r in region.rooms.values() if region.sites[r.site].tier is Tier.COUNTY]
    assert len(county_rooms) >= 30
    platforms = Counter(d.platform for d in region.devices.values())
    assert platforms[Platform.HUAWEI_VRP8] > platforms[Platform.H3C_COMWARE7] > 0
    assert platforms[Platform.HUAWEI_VRP5] > 0 and platforms[Platform.CISCO_IOS] > 0
    assert any(lk.kind is LinkKind.BACKUP for lk in region.links.values())


def test_names_are_real(region: Inventory) -> None:
    assert region.site("kashgar").name == "喀什地区"
    assert region.site("kashgar-shufu").name == "疏附县"
    assert region.site("ili").name == "伊犁哈萨克自治州"


def test_every_management_address_is_loopback(region: Inventory) -> None:
    assert all(d.address.is_loopback for d in region.devices.values())


def test_prefecture_primary_uplink_fails_backup_takes_over(region: Inventory) -> None:
    topo = Topology(region)
    impact = topo.impact(topo.failure(["kashgar-ce1--centre-core1"]))
    assert not impact.loses_service
    assert "kashgar" in impact.on_backup


def test_prefecture_both_uplinks_fail(region: Inventory) -> None:
    topo = Topology(region)
    impact = topo.impact(topo.failure(["kashgar-ce1--centre-core1", "kashgar-ce1--centre-core2-backup"]))
    counties = {s.id for s in region.children("kashgar")}
    assert set(impact.lost_sites) == {"kashgar", *counties}
    assert set(impact.lost_rooms) == {r.id for r in region.rooms.values() if r.site in {"kashgar", *counties}}
    assert all(region.devices[d].site in {"kashgar", *counties} for d in impact.lost_devices)


def test_county_router_fails(region: Inventory) -> None:
    topo = Topology(region)
    impact = topo.impact(topo.failure(["kashgar-shufu-ce1"]))
    assert impact.lost_sites == ("kashgar-shufu",)
    assert set(impact.lost_rooms) == {r.id for r in region.rooms_at("kashgar-shufu")}
