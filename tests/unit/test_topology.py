"""Topology over the base inventory: paths, impact of failures, root cause of observed outages."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.errors import NotFoundError
from netops.inventory import Topology, load_inventory


@pytest.fixture
def topo(base_inventory: Path) -> Topology:
    return Topology(load_inventory(base_inventory))


def test_upstream_path_prefers_primary(topo: Topology) -> None:
    hops = topo.upstream_path("kashgar-codec")
    assert [h.device for h in hops] == ["centre-core1", "kashgar-ce1", "kashgar-codec"]
    assert hops[1].link == "kashgar-ce1--centre-core1"
    assert hops[2].link is None  # in-site attachment


def test_upstream_path_over_backup_when_primary_fails(topo: Topology) -> None:
    hops = topo.upstream_path("kashgar-ce1", topo.failure(["kashgar-ce1--centre-core1"]))
    assert [h.link for h in hops][-1] == "kashgar-ce1--centre-core2-backup"


def test_core_failure_is_covered_by_the_other_core(topo: Topology) -> None:
    impact = topo.impact(topo.failure(["centre-core1"]))
    assert impact.lost_sites == ()
    assert impact.on_backup == ("kashgar", "kashgar-shufu")


def test_county_router_failure(topo: Topology) -> None:
    impact = topo.impact(topo.failure(["kashgar-shufu-ce1"]))
    assert impact.lost_sites == ("kashgar-shufu",)
    assert impact.lost_devices == ()  # the router itself is failed, not lost
    assert impact.lost_rooms == ()


def test_site_failure_takes_its_devices(topo: Topology) -> None:
    failure = topo.failure(["kashgar"])
    assert failure.devices == {"kashgar-ce1", "kashgar-codec"}
    assert topo.impact(failure).lost_sites == ("kashgar", "kashgar-shufu")


def test_classify_down_finds_root_cause(topo: Topology) -> None:
    assert topo.classify_down(["kashgar-ce1", "kashgar-codec", "kashgar-shufu-ce1"]) == {
        "kashgar-ce1": "down",
        "kashgar-codec": "unreachable",
        "kashgar-shufu-ce1": "unreachable",
    }
    assert topo.classify_down(["kashgar-shufu-ce1"]) == {"kashgar-shufu-ce1": "down"}


def test_unknown_failure_id(topo: Topology) -> None:
    with pytest.raises(NotFoundError, match="kashgar-ce9"):
        topo.failure(["kashgar-ce9"])
