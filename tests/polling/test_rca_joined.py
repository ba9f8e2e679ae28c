"""Root cause when a second failure joins an outage (the adversarial findings of issue 13, 2026-12-06): two dead
prefecture routers with a dual-homed county between them, a dual-homed county's outage after its parent
returns, a core router dead and then a prefecture's backup uplink cut. The expected causes and extents are
written from the topology's what-if (``Topology.impact``) before the code; the inputs are what the store holds
in each order the pollers can see it (``rootcause.analyse``: silent devices, links seen down, prior causes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.inventory import Topology, load_inventory
from netops.lab.testing import write_inventory
from netops.polling.rootcause import Analysis, Finding, analyse

REGION = Path(__file__).parent / "region_v2" / "region.yaml.tmpl"
PB = {"pb-ce1", "pb-c1-ce1", "pb-c1-codec"}
PC = {"pc-ce1", "pc-c1-ce1"}
PB_UP = {"pb-ce1--centre-core1", "pb-ce1--centre-core2-backup"}
PC_UP = {"pc-ce1--centre-core1", "pc-ce1--centre-core2-backup"}
DUAL_BACKUP = "pb-dual-ce1--pc-ce1-backup"
CORE1_SEEN = {  # centre-core1's links whose other end answers (core1 dead, pa on its backup)
    "centre-core1--centre-core2",
    "pb-ce1--centre-core1",
    "pc-ce1--centre-core1",
    "dept-a-ce1--centre-core1",
}
PA = {"pa-ce1", "pa-codec", "pa-c1-ce1", "pa-c1-codec", "pa-c2-ce1"}
PA_BACKUP = "pa-ce1--centre-core2-backup"


@pytest.fixture(scope="module")
def topo(tmp_path_factory: pytest.TempPathFactory) -> Topology:
    return Topology(load_inventory(write_inventory(tmp_path_factory.mktemp("r"), REGION, {"net": 98})))


def what_if(topo: Topology, *failed: str) -> tuple[set[str], set[str], set[str]]:
    """(sites, devices with the failed devices, rooms) the failure cuts off, in service (not the staging
    county)."""
    inv = topo.inventory
    fail = topo.failure(failed)
    imp = topo.impact(fail)
    sites = {s for s in imp.lost_sites if inv.sites[s].status == "active"}
    lost = set(imp.lost_devices) | set(fail.devices)
    devices = {d for d in lost if inv.sites[inv.devices[d].site].status == "active"}
    return sites, devices, set(imp.lost_rooms)


def extent(f: Finding) -> tuple[set[str], set[str], set[str]]:
    return set(f.affected_sites), set(f.affected_devices), set(f.affected_rooms)


def outages(result: Analysis) -> dict[str, Finding]:
    return {f.key: f for f in result.findings if f.affected_devices}


def union(findings: dict[str, Finding]) -> tuple[set[str], set[str], set[str]]:
    sites, devices, rooms = set(), set(), set()
    for f in findings.values():
        sites |= set(f.affected_sites)
        devices |= set(f.affected_devices)
        rooms |= set(f.affected_rooms)
    return sites, devices, rooms


def fix_names(topo: Topology) -> None:
    for link in (*PB_UP, *PC_UP, DUAL_BACKUP, *CORE1_SEEN, PA_BACKUP):
        assert link in topo.inventory.links, link  # the region's link ids as written here


# --- finding 1: pb-ce1 dead, then pc-ce1 dead (pb-dual-ce1 dual-homed between them) ----------------------
@pytest.mark.parametrize("prior", [set(), {"pb-ce1"}, {"pb-ce1", "pc-ce1"}, {"pc-ce1"}])
def test_two_dead_prefecture_routers_are_two_causes(topo: Topology, prior: set[str]) -> None:
    """Expected (what-if): B = [pb-ce1] cuts off pb, pb-c1 by itself; C = [pc-ce1] cuts off pc, pc-c1 by itself;
    pb-dual is cut off only by both (no single cause explains it: it goes to both). Together: the what-if of
    [pb-ce1, pc-ce1]. Both routers are ``down`` whichever was stored a cause first."""
    fix_names(topo)
    silent = PB | PC | {"pb-dual-ce1"}
    result = analyse(topo, silent, PB_UP | PC_UP, prior=prior)
    found = outages(result)
    assert set(found) == {"device:pb-ce1", "device:pc-ce1"}, [f.summary for f in result.findings]
    b, c = found["device:pb-ce1"], found["device:pc-ce1"]
    assert (b.cause, c.cause) == (("pb-ce1",), ("pc-ce1",))  # no links: two dead routers
    b_sites, b_devices, b_rooms = what_if(topo, "pb-ce1")
    c_sites, c_devices, c_rooms = what_if(topo, "pc-ce1")
    assert extent(b) == (b_sites | {"pb-dual"}, b_devices | {"pb-dual-ce1"}, b_rooms)
    assert extent(c) == (c_sites | {"pb-dual"}, c_devices | {"pb-dual-ce1"}, c_rooms)
    assert not set(b.affected_devices) & PC and not set(c.affected_devices) & PB  # not each other's
    assert union(found) == what_if(topo, "pb-ce1", "pc-ce1")
    assert result.status["pb-ce1"] == result.status["pc-ce1"] == "down"
    assert result.status["pb-dual-ce1"] == "unreachable"
    assert result.site_status(topo, "pc") == "down" and result.site_status(topo, "pb") == "down"


# --- finding 4: pb-dual's backup cut, then pb-ce1 dead; pb-ce1 comes back first ---------------------------
def test_dual_homed_county_joins_its_dead_parent_and_the_outage_ends_with_the_parent(topo: Topology) -> None:
    """Expected (what-if [pb-ce1, backup]): one outage, cause pb-ce1 with the backup joined, extent pb, pb-c1,
    pb-dual. Once pb-ce1 answers again (pb-dual back on its primary) the backup is a degraded link: a zero-extent
    link finding, and the device finding's own links (``root_links``, what keeps an incident open while they
    stay down) are none: the outage ends with its dead router."""
    silent = PB | {"pb-dual-ce1"}
    for prior in (set(), {"pb-ce1"}):
        result = analyse(topo, silent, PB_UP | {DUAL_BACKUP}, prior=prior)
        [f] = outages(result).values()
        assert f.cause == ("pb-ce1", DUAL_BACKUP) and f.root_links == () and f.joined == (DUAL_BACKUP,)
        assert extent(f) == what_if(topo, "pb-ce1", DUAL_BACKUP)
        assert result.status["pb-dual-ce1"] == "unreachable" and result.status["pb-ce1"] == "down"
    back = analyse(topo, set(), {DUAL_BACKUP}, confirmed={DUAL_BACKUP})
    assert [(f.kind, f.cause, f.affected_devices) for f in back.findings] == [("link", (DUAL_BACKUP,), ())]
    assert back.down_links == (DUAL_BACKUP,) and back.degraded_links == (DUAL_BACKUP,)


def test_dual_homed_county_dead_first_stays_its_own_cause_when_its_parent_dies(topo: Topology) -> None:
    """pb-dual-ce1 dead (both its links seen down: a cause), then pb-ce1 dies: pb-dual's failure came first
    (pb-ce1 answered after it), its outage goes on as its own cause; pb-ce1's what-if does not take it."""
    silent = PB | {"pb-dual-ce1"}
    last_ok = {"pb-dual-ce1": 100.0, "pb-ce1": 130.0, "pb-c1-ce1": 125.0, "pb-c1-codec": 128.0}
    result = analyse(topo, silent, PB_UP | {DUAL_BACKUP}, prior={"pb-dual-ce1"}, last_ok=last_ok)
    found = outages(result)
    assert set(found) == {"device:pb-ce1", "device:pb-dual-ce1"}
    assert extent(found["device:pb-ce1"]) == what_if(topo, "pb-ce1")
    assert set(found["device:pb-dual-ce1"].affected_devices) == {"pb-dual-ce1"}


# --- finding 6: centre-core1 dead, then pa-ce1's backup uplink cut -----------------------------------------
@pytest.mark.parametrize("prior", [{"centre-core1"}, {"centre-core1", "pa-ce1"}, set()])
def test_core_router_dead_then_a_backup_cut_is_one_outage(topo: Topology, prior: set[str]) -> None:
    """Expected (what-if [centre-core1, pa-ce1--centre-core2-backup]): pa-ce1 answers nothing because core1 is
    dead and its backup is cut: one outage, cause centre-core1 with the backup joined, extent dept-b and pa with
    its counties; pa-ce1 ``unreachable``, never a cause beside it with the same sites (also when a stale
    answer had stored it ``down`` for a cycle: it went silent after core1, so core1 explains it)."""
    silent = {"centre-core1", "dept-b-ce1"} | PA
    last_ok = {d: 100.0 for d in silent} | {"centre-core1": 50.0, "dept-b-ce1": 45.0}
    result = analyse(topo, silent, CORE1_SEEN | {PA_BACKUP}, prior=prior, last_ok=last_ok)
    found = outages(result)
    assert list(found) == ["device:centre-core1"], [f.summary for f in result.findings]
    [f] = found.values()
    assert f.cause == ("centre-core1", PA_BACKUP)
    assert extent(f) == what_if(topo, "centre-core1", PA_BACKUP)
    assert result.status["pa-ce1"] == "unreachable" and result.status["centre-core1"] == "down"
    assert result.site_status(topo, "pa") == "unreachable"


def test_dead_core_router_is_the_cause_whatever_its_neighbours_last_saw(topo: Topology) -> None:
    """A core router hangs off the centre LAN, where netops sits: silent, it is a cause (never its links), even
    with every link to it seen down and no prior verdict. Expected: the what-if of [centre-core2]: nothing cut
    off."""
    seen = {
        "centre-core1--centre-core2",
        "pa-ce1--centre-core2-backup",
        "pb-ce1--centre-core2-backup",
        "pc-ce1--centre-core2-backup",
        "dept-a-ce1--centre-core2-backup",
    }
    assert seen <= set(topo.inventory.links)
    result = analyse(topo, {"centre-core2"}, seen)
    [f] = result.findings
    assert (f.key, f.cause) == ("device:centre-core2", ("centre-core2",))
    assert set(f.affected_devices) == {"centre-core2"} and f.affected_sites == ()
    assert result.status["centre-core2"] == "down"
