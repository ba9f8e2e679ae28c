"""An inventory that spells interfaces short (``GE0/0/1`` on VRP/Comware, ``Gi0/1`` on IOS) while the devices
report their full ifName (``GigabitEthernet0/0/1``), as real ones do: link ends still match, so a link seen
down from both ends is confirmed (``store.interface_ends``, ``netops.drivers.names.canonical``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.inventory import Topology, load_inventory
from netops.lab.testing import write_inventory
from netops.polling import queries
from netops.polling.analysis import stored_state
from netops.polling.model import DeviceSample
from netops.polling.rootcause import analyse
from netops.polling.store import record_cycle
from netops.polling.tracker import StatusTracker
from netops.store.db import Store, open_store

from .testlib import TEMPLATE, interface

ITF = interface("", 10**7)


@pytest.fixture(scope="module")
def topo(tmp_path_factory: pytest.TempPathFactory) -> Topology:
    tmp = tmp_path_factory.mktemp("short")
    text = (TEMPLATE / "region.yaml.tmpl").read_text(encoding="utf-8")
    text = text.replace("GigabitEthernet0/1,", "Gi0/1,").replace("GigabitEthernet0/1, b", "Gi0/1, b")
    text = text.replace("GigabitEthernet", "GE")  # VRP and Comware short names; IOS written Gi0/1 above
    (tmp / "tmpl").mkdir()
    (tmp / "tmpl" / "region.yaml.tmpl").write_text(text, encoding="utf-8")
    topo = Topology(load_inventory(write_inventory(tmp / "inv", tmp / "tmpl", {"net": 72, "timeout_s": 0.4})))
    assert "kashgar-shule-ce1:Gi0/1" in text and "kashgar-ce1:GE0/1/2" in text
    return topo


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'netops.db'}")
    yield s
    s.close()


def answers(device: str, t: float, down: str) -> DeviceSample:
    """A device that answers, reporting its full ifName ``down`` oper-down (admin-up)."""
    itf = dataclasses.replace(ITF, name=down, oper_up=False)
    return DeviceSample(
        device=device, polled_at=t, duration_s=0.05, ok=True, sys_name=device, interfaces=(itf,)
    )


def test_link_seen_down_from_both_ends_is_confirmed(store: Store, topo: Topology) -> None:
    [link] = [
        lk.id
        for lk in topo.inventory.links.values()
        if {lk.a.device, lk.b.device} == {"kashgar-shule-ce1", "kashgar-ce1"}
    ]
    samples = [
        answers("kashgar-shule-ce1", 100.0, "GigabitEthernet0/1"),  # IOS
        answers("kashgar-ce1", 100.0, "GigabitEthernet0/1/2"),  # VRP
    ]
    tracker = StatusTracker(threshold=2)
    for s in samples:
        tracker.observe(s.device, s.ok, s.polled_at)
    record_cycle(
        store,
        job="test",
        samples=samples,
        tracker=tracker,
        analysis=analyse(topo, set(), ()),
        started_at=100.0,
        duration_s=1.0,
        interval_s=60.0,
    )
    assert link in queries.down_links(store, topo)
    assert queries.link_states(store, topo)[link] is False
    with store.session() as session:
        state = stored_state(session, topo, 2)
    assert link in state.down_links and link in state.confirmed
