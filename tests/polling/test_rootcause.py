"""Root cause on the shipped region: redundancy, cut-off components, one finding per cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.inventory import Inventory, Topology, load_inventory
from netops.polling.rootcause import analyse, links_down_from_interfaces

REGION = Path(__file__).parents[2] / "inventory"
PRIMARY = "kashgar-ce1--centre-core1"
BACKUP = "kashgar-ce1--centre-core2-backup"


@pytest.fixture(scope="module")
def topo() -> Topology:
    return Topology(load_inventory(REGION))


def kashgar_all(inv: Inventory) -> set[str]:
    sites = {"kashgar", *(s.id for s in inv.descendants("kashgar"))}
    return {d.id for d in inv.devices.values() if d.site in sites and d.status == "active"}


def test_healthy_region(topo: Topology) -> None:
    result = analyse(topo, [], [])
    assert set(result.status.values()) == {"up"}
    assert result.findings == () and result.on_backup == ()


def test_primary_uplink_down_is_degraded_not_an_outage(topo: Topology) -> None:
    down = links_down_from_interfaces(topo, {"centre-core1": ["GigabitEthernet0/1/10"]})
    assert down == {PRIMARY}
    result = analyse(topo, [], down)
    [f] = result.findings  # v2: the link itself, both ends answer; nothing cut off
    assert (f.kind, f.root_links, f.affected_devices, f.affected_sites) == ("link", (PRIMARY,), (), ())
    assert result.degraded_links == (PRIMARY,)
    assert "kashgar" in result.on_backup


def test_both_uplinks_down_is_one_finding_the_silent_router_counties_unreachable(topo: Topology) -> None:
    """v2: the prefecture router is silent and every link to it from a device that answers is down: from the
    centre a dead router and two cut circuits look the same, and the router is the one cause named."""
    inv = topo.inventory
    silent = kashgar_all(inv)
    result = analyse(topo, silent, [PRIMARY, BACKUP])
    assert len(result.findings) == 1
    finding = result.findings[0]
    assert finding.root_devices == ("kashgar-ce1",) and finding.root_links == ()
    assert finding.key == "device:kashgar-ce1" and finding.kind == "device"
    assert set(finding.affected_devices) == silent
    assert "kashgar" in finding.affected_sites and "kashgar-shufu" in finding.affected_sites
    assert "kashgar-vc" in finding.affected_rooms
    assert result.status["kashgar-ce1"] == "down"
    assert {result.status[d] for d in silent - {"kashgar-ce1"}} == {"unreachable"}
    assert result.site_status(topo, "kashgar-shufu") == "unreachable"
    assert result.site_status(topo, "kashgar") == "down"
    assert result.degraded_links == (PRIMARY, BACKUP)  # explained by the router, not causes themselves


def test_county_router_down_is_the_root_cause(topo: Topology) -> None:
    silent = {"kashgar-kashi-ce1", "kashgar-kashi-codec"}
    result = analyse(topo, silent, [])
    assert result.status["kashgar-kashi-ce1"] == "down"
    assert result.status["kashgar-kashi-codec"] == "unreachable"
    [finding] = result.findings
    assert finding.key == "device:kashgar-kashi-ce1"
    assert finding.affected_rooms == ("kashgar-kashi-vc",)
    assert result.site_status(topo, "kashgar-kashi") == "down"


def test_two_independent_causes_are_two_findings(topo: Topology) -> None:
    result = analyse(topo, {"hotan-codec", "kashgar-shufu-ce1"}, [])
    assert [f.key for f in result.findings] == ["device:hotan-codec", "device:kashgar-shufu-ce1"]
    assert result.status["hotan-codec"] == "down"


def test_county_silent_before_its_cut_off_prefecture_router_waits_for_it(topo: Topology) -> None:
    """Shards poll at different moments: the county may reach the threshold while the prefecture router behind
    the same two dead uplinks has failed only once. No short-lived "isolated" finding; the next analysis has
    the one finding of the two links."""
    inv = topo.inventory
    counties = (
        kashgar_all(inv)
        - {"kashgar-ce1", "kashgar-ce2"}
        - {d.id for d in inv.devices.values() if d.site == "kashgar"}
    )
    early = analyse(topo, counties, [PRIMARY, BACKUP], pending={"kashgar-ce1"})
    assert early.findings == ()
    assert {early.status[d] for d in counties} == {"unreachable"}
    without_pending = analyse(topo, counties, [PRIMARY, BACKUP])
    # what the wait avoids: the router answered last, so each county would look like a cause of its own
    assert {f.kind for f in without_pending.findings} == {"device", "link"}  # counties, and the uplinks
    assert without_pending.findings
    later = analyse(topo, kashgar_all(inv), [PRIMARY, BACKUP], pending=set())
    assert [f.key for f in later.findings] == ["device:kashgar-ce1"]
    # v2: a pending neighbour is no witness either way: the county waits for its verdict (one poll), then
    # the county router is the cause
    county = analyse(topo, {"kashgar-kashi-ce1", "kashgar-kashi-codec"}, [], pending={"kashgar-ce1"})
    assert county.findings == ()
    county = analyse(topo, {"kashgar-kashi-ce1", "kashgar-kashi-codec"}, [])
    assert [f.key for f in county.findings] == ["device:kashgar-kashi-ce1"]
