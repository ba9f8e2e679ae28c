"""Joined outages against the in-process lab (real SNMP on 127.x, the poller's groups polled in order, as in
test_incidents_lab.py's rig): the adversarial findings of issue 13 (2026-12-06), each with its expectation
written from the topology's what-if before the code. A lab each (a router down twice in one flap window
would be flapping); each story ends with a quiet region and nothing opened by the recoveries.

1. pb-ce1 dies, then pc-ce1 (pb-dual-ce1 is dual-homed between them): two device incidents, one per dead router,
   together the what-if of both; pc-ce1 ``down``, never "pb-ce1 down with link pc-ce1--...".
4. pb-dual's backup is cut, then pb-ce1 dies (one outage, pb-dual joined); pb-ce1 comes back first: the outage
   resolves (the backup is a zero-extent link incident), it does not stay open while the backup is down.
6. centre-core1 dies, then pa-ce1's backup uplink is cut: pa's sites are in one incident only, the core
   router's (the backup joined to it); pa-ce1, alive, is never named ``down``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netops.polling import queries
from tests.polling.test_incidents_lab import Rig, extent, run

DUAL_BACKUP = "pb-dual-ce1--pc-ce1-backup"
PA_BACKUP = "pa-ce1--centre-core2-backup"


def union(incidents: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, set[str]] = {"sites": set(), "devices": set(), "rooms": set()}
    for inc in incidents:
        for k, v in extent(inc).items():
            out[k] |= set(v)
    causes = {c for inc in incidents for c in inc["cause"]}
    return {k: sorted(v - causes) for k, v in out.items()}


def no_double_count(incidents: list[dict[str, Any]], allowed: frozenset[str] = frozenset()) -> None:
    seen: dict[str, int] = {}
    for inc in incidents:
        for site in inc["affected_sites"]:
            assert site in allowed or site not in seen, f"site {site} in #{seen.get(site)} and #{inc['id']}"
            seen[site] = inc["id"]


def new_opened(rig: Rig, mark: int) -> list[Any]:
    return [e for e in rig.events if e.kind == "incident.opened" and int(e.subject) > mark]


async def quiet(rig: Rig) -> None:
    await rig.until("a quiet region", lambda: not rig.open())


async def two_dead_prefecture_routers(rig: Rig) -> None:
    b = rig.fault("node-down", "pb-ce1")
    [inc_b] = await rig.until("pb-ce1's incident", rig.open)
    c = rig.fault("node-down", "pc-ce1")
    await rig.until("two incidents", lambda: len(rig.open()) == 2)
    for _ in range(3):  # stays so: never one incident naming pc-ce1's links
        await rig.round()
        by_cause = {tuple(i["cause"]): i for i in rig.open()}
        assert set(by_cause) == {("pb-ce1",), ("pc-ce1",)}, [i["summary"] for i in rig.open()]
        assert by_cause[("pb-ce1",)]["id"] == inc_b["id"]
        assert union(rig.open()) == rig.what_if("pb-ce1", "pc-ce1")
        # each cause's own what-if, and pb-dual (cut off by both together) in both
        b_own, c_own = rig.what_if("pb-ce1"), rig.what_if("pc-ce1")
        assert extent(by_cause[("pb-ce1",)])["sites"] == sorted({*b_own["sites"], "pb-dual"})
        assert extent(by_cause[("pc-ce1",)])["sites"] == sorted({*c_own["sites"], "pb-dual"})
        no_double_count(rig.open(), allowed=frozenset({"pb-dual"}))
        st = queries.status(rig.store, rig.topo)
        assert st["devices"]["pb-ce1"] == st["devices"]["pc-ce1"] == "down"
        assert st["sites"]["pc"] == "down" and st["sites"]["pb-dual"] == "unreachable"
    mark = rig.max_id()
    rig.clear(b)
    await rig.until("pc-ce1's alone", lambda: [i["cause"] for i in rig.open()] == [["pc-ce1"]])
    rig.clear(c)
    await quiet(rig)
    assert rig.max_id() == mark, [i["summary"] for i in rig.all()[: rig.max_id() - mark]]


async def dual_homed_county_parent_back_first(rig: Rig) -> None:
    bk = rig.fault("link-down", DUAL_BACKUP)
    await rig.until("the backup seen down", lambda: queries.status(rig.store, rig.topo)["down_links"])
    pb = rig.fault("node-down", "pb-ce1")
    want = rig.what_if("pb-ce1", DUAL_BACKUP)

    def outage() -> list[dict[str, Any]]:
        return [i for i in rig.open() if i["affected_devices"] and extent(i) == want]

    [inc] = await rig.until("one outage with pb-dual joined", outage)
    assert inc["cause"][0] == "pb-ce1" and set(inc["cause"]) <= {"pb-ce1", DUAL_BACKUP}
    assert [i for i in rig.open() if i["affected_devices"]] == [inc]
    mark = rig.max_id()
    rig.clear(pb)
    await rig.until("the outage resolved", lambda: all(i["id"] != inc["id"] for i in rig.open()))
    await rig.round(2)
    assert [i for i in rig.open() if i["affected_devices"]] == []
    assert [i["cause"] for i in rig.open()] == [[DUAL_BACKUP]]  # the degraded link, no outage
    st = queries.status(rig.store, rig.topo)
    assert st["down_links"] == [DUAL_BACKUP] and st["sites"]["pb-dual"] == "up"
    assert rig.max_id() == mark  # nothing opened for the devices coming back
    rig.clear(bk)
    await quiet(rig)


async def core_router_dead_then_a_backup_cut(rig: Rig) -> None:
    core = rig.fault("node-down", "centre-core1")
    [inc] = await rig.until("core1's incident", rig.open)
    assert inc["cause"] == ["centre-core1"]
    bk = rig.fault("link-down", PA_BACKUP)
    want = rig.what_if("centre-core1", PA_BACKUP)

    def grown() -> bool:
        return union(rig.open()) == {**want, "devices": sorted(set(want["devices"]) - {PA_BACKUP})}

    await rig.until("pa cut off too", grown)
    for _ in range(3):
        await rig.round()
        [now] = rig.open()  # one outage: pa-ce1 is no cause of its own beside it
        assert now["id"] == inc["id"] and now["cause"] == ["centre-core1", PA_BACKUP]
        assert extent(now) == want
        st = queries.status(rig.store, rig.topo)
        assert st["devices"]["pa-ce1"] == "unreachable" and st["sites"]["pa"] == "unreachable"
    mark = rig.max_id()
    rig.clear(core)
    # no outage left: core1's incident resolves, or (its cause had the backup in it) goes on as the backup's
    # zero-extent link incident (the lifecycle's choice, incidents.py); nothing opens for pa coming back
    await rig.until("no outage", lambda: rig.open() and not any(i["affected_devices"] for i in rig.open()))
    assert [i["cause"] for i in rig.open()] == [[PA_BACKUP]]
    st = queries.status(rig.store, rig.topo)
    assert st["down_links"] == [PA_BACKUP] and st["sites"]["pa"] == "up" and st["devices"]["pa-ce1"] == "up"
    assert rig.max_id() <= mark + 1 and all(e.data["kind"] == "link" for e in new_opened(rig, mark))
    rig.clear(bk)
    await quiet(rig)


def test_two_dead_prefecture_routers_are_two_incidents(tmp_path: Path) -> None:
    run(tmp_path, two_dead_prefecture_routers)


def test_dual_homed_county_outage_ends_when_its_parent_returns_first(tmp_path: Path) -> None:
    run(tmp_path, dual_homed_county_parent_back_first)


def test_core_router_dead_then_a_backup_cut_is_one_outage(tmp_path: Path) -> None:
    run(tmp_path, core_router_dead_then_a_backup_cut)
