"""Root cause v2 on the small region (tests/polling/region_v2): dead router vs links, hung control plane,
joining devices, unmanaged, exposed devices, flapping, staging links. Expected extents from the what-if."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.inventory import Topology, load_inventory
from netops.lab.testing import write_inventory
from netops.polling.rootcause import analyse, links_down_from_interfaces

REGION = Path(__file__).parent / "region_v2" / "region.yaml.tmpl"
PA = {"pa-ce1", "pa-codec", "pa-c1-ce1", "pa-c1-codec", "pa-c2-ce1"}
PA_UPLINKS = ["pa-ce1--centre-core1", "pa-ce1--centre-core2-backup"]


@pytest.fixture(scope="module")
def topo(tmp_path_factory: pytest.TempPathFactory) -> Topology:
    return Topology(load_inventory(write_inventory(tmp_path_factory.mktemp("r"), REGION, {"net": 99})))


def lost(topo: Topology, *failed: str) -> set[str]:
    imp = topo.impact(topo.failure(failed))
    return set(imp.lost_devices) | set(topo.failure(failed).devices)


def test_dead_prefecture_router_is_the_device_not_its_links(topo: Topology) -> None:
    result = analyse(topo, PA, PA_UPLINKS)
    [f] = result.findings
    assert (f.kind, f.cause) == ("device", ("pa-ce1",))
    assert set(f.affected_devices) == lost(topo, "pa-ce1") & PA
    assert set(f.affected_sites) == set(topo.impact(topo.failure(["pa-ce1"])).lost_sites)
    assert result.status["pa-ce1"] == "down" and result.status["pa-c2-ce1"] == "unreachable"


def test_hung_router_whose_neighbours_see_the_link_up_is_down(topo: Topology) -> None:
    [f] = analyse(topo, {"pb-c1-ce1", "pb-c1-codec"}, []).findings
    assert f.cause == ("pb-c1-ce1",) and f.kind == "device"


def test_a_county_joining_a_dead_parent_extends_that_cause(topo: Topology) -> None:
    silent = {"pb-ce1", "pb-c1-ce1", "pb-c1-codec", "pb-dual-ce1"}
    down = ["pb-ce1--centre-core1", "pb-ce1--centre-core2-backup", "pb-dual-ce1--pc-ce1-backup"]
    [f] = analyse(topo, silent, down, prior={"pb-ce1"}).findings
    assert f.cause == ("pb-ce1", "pb-dual-ce1--pc-ce1-backup")  # the county's failed backup joined the cause
    assert set(f.affected_devices) == lost(topo, "pb-ce1", "pb-dual-ce1--pc-ce1-backup")


def test_unmanaged_router_is_no_outage_and_not_upstream(topo: Topology) -> None:
    result = analyse(topo, [], [], unmanaged={"pc-ce1": "auth: usmStatsWrongDigests"})
    [f] = result.findings
    assert (f.kind, f.cause, f.affected_devices) == ("unmanaged", ("pc-ce1",), ())
    assert result.status["pc-ce1"] == "unmanaged" and result.status["pc-c1-ce1"] == "up"
    assert result.site_status(topo, "pc") == "unmanaged" and result.site_status(topo, "pc-c1") == "up"


def test_exposed_devices_wait_instead_of_opening_an_incident(topo: Topology) -> None:
    """The prefecture router answers again, its counties were polled before: no cause of their own yet, even
    while the centre's rows still say the uplinks are down (stale)."""
    counties = PA - {"pa-ce1"}
    for down in ([], PA_UPLINKS):
        result = analyse(topo, counties, down, exposed=counties, confirmed=())
        assert result.findings == () and set(result.waiting) >= {"pa-c1-ce1", "pa-c2-ce1"}
        assert {result.status[d] for d in counties} == {"unreachable"}
    later = analyse(topo, {"pa-c2-ce1"}, [])  # polled again, still silent: now it is a cause
    assert [f.key for f in later.findings] == ["device:pa-c2-ce1"]


def test_flapping_device_holds_its_findings_back(topo: Topology) -> None:
    result = analyse(topo, {"pa-c2-ce1"}, [], flapping={"pa-c2-ce1"})
    [f] = result.findings
    assert (f.kind, f.suppressed) == ("flapping", ("device:pa-c2-ce1",))
    both = analyse(topo, PA, PA_UPLINKS, flapping={"pa-c2-ce1"})
    assert sorted(f.kind for f in both.findings) == ["device", "flapping"]  # the prefecture is not held


def test_ups_on_battery_is_a_power_cause(topo: Topology) -> None:
    [warn] = analyse(topo, [], [], on_battery={"pa-ce1"}).findings
    assert (warn.kind, warn.affected_devices) == ("power", ())
    [outage] = analyse(topo, PA, PA_UPLINKS, on_battery={"pa-ce1"}).findings
    assert (outage.kind, outage.key) == ("power", "power:pa-ce1") and outage.affected_sites


def test_staging_link_is_never_down(topo: Topology) -> None:
    assert links_down_from_interfaces(topo, {"pc-ce1": ["GigabitEthernet0/1/2"]}) == set()
    assert links_down_from_interfaces(topo, {"pc-ce1": ["GigabitEthernet0/1/1"]}) == {"pc-c1-ce1--pc-ce1"}


def test_a_neighbour_failing_its_polls_is_no_witness(topo: Topology) -> None:
    """The counties went silent before the centre saw the prefecture's uplinks down, and the prefecture
    router has failed once so far: nobody is a cause yet (v1 called each county and the codec down)."""
    result = analyse(topo, PA - {"pa-ce1"}, [], pending={"pa-ce1"})
    assert result.findings == ()
    assert {result.status[d] for d in PA - {"pa-ce1"}} == {"unreachable"}
