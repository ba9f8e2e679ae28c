"""The incident lifecycle (issue 13), adversarial cases d02 and j01 against the in-process lab (the ``Rig`` of
test_incidents_lab.py): an outage recovering in its hold-down whose cause device is then silent only behind a
new outage in front of it does not recur, and an outage that shrinks back to a degraded link keeps its id.
Expected extents come from the topology's what-if (``Topology.impact``), never from the poller's output."""

from __future__ import annotations

from pathlib import Path

from netops.polling import queries
from netops.polling.jobs import poll_groups
from tests.polling.test_incidents_lab import HOLDDOWN_S, Rig, extent, run

LONG_HOLDDOWN_S = 3600.0  # "within the hold-down" whatever the machine's load; shortened to end it


def changes(rig: Rig, incident_id: int) -> list[str]:
    return [h["change"] for h in queries.incident_history(rig.store, incident_id)]


def test_a_county_back_in_its_holddown_then_cut_off_by_its_dead_parent_is_not_a_second_outage(
    tmp_path: Path,
) -> None:
    """d02: pa-c2-ce1 dies (A) and comes back (A recovering); inside A's hold-down its prefecture router
    pa-ce1 dies. pa-c2-ce1 is silent again, but unreachable behind pa-ce1: one outage, P, with the what-if of
    pa-ce1 (sites pa, pa-c1, pa-c2); A does not recur (its cause answered; its silence now is P's) and
    resolves when its hold-down ends; pa-ce1 coming back opens nothing."""

    async def scenario(rig: Rig) -> None:
        assert rig.poller is not None
        rig.poller.holddown_s = LONG_HOLDDOWN_S
        county = rig.fault("node-down", "pa-c2-ce1")
        [a] = await rig.until("the county's incident", rig.open)
        assert (a["kind"], a["cause"]) == ("device", ["pa-c2-ce1"])
        assert extent(a) == rig.what_if("pa-c2-ce1")
        rig.clear(county)
        await rig.until(
            "A recovering, the county up",
            lambda: (
                [i for i in rig.open() if i["id"] == a["id"] and i["recovering_since"] is not None]
                and queries.status(rig.store, rig.topo)["devices"]["pa-c2-ce1"] == "up"
            ),
        )

        parent = rig.fault("node-down", "pa-ce1")
        full = rig.what_if("pa-ce1")
        assert full["sites"] == ["pa", "pa-c1", "pa-c2"]  # the county is in P's extent
        [p] = await rig.until(
            "P with the full what-if of pa-ce1",
            lambda: [i for i in rig.open() if i["cause"] == ["pa-ce1"] and extent(i) == full],
        )
        await rig.round(3)
        st = queries.status(rig.store, rig.topo)
        assert st["devices"]["pa-ce1"] == "down" and st["devices"]["pa-c2-ce1"] == "unreachable"
        by_id = {i["id"]: i for i in rig.open()}
        assert set(by_id) == {a["id"], p["id"]}  # A still in its hold-down, nothing else
        assert by_id[a["id"]]["recovering_since"] is not None  # not recurred: behind P
        assert by_id[p["id"]]["kind"] == "device" and extent(by_id[p["id"]]) == full
        assert "recurred" not in changes(rig, a["id"])

        rig.poller.holddown_s = HOLDDOWN_S  # A's hold-down ends
        await rig.until("A resolved", lambda: [i["id"] for i in rig.open()] == [p["id"]])
        await rig.round(2)
        [only] = rig.open()
        assert only["id"] == p["id"] and extent(only) == full
        [done] = [i for i in rig.all() if i["id"] == a["id"]]
        assert done["state"] == "resolved" and changes(rig, a["id"])[-1] in ("resolved", "merged")

        mark = rig.max_id()
        rig.clear(parent)
        await rig.until("P resolved", lambda: not rig.open())
        await rig.round(4)
        assert rig.max_id() == mark and rig.open() == []  # a device returning opens nothing

    run(tmp_path, scenario)


def test_a_degraded_uplink_outage_shrinks_back_to_the_link_incident_with_its_id(tmp_path: Path) -> None:
    """j01: pa's primary uplink pa-ce1--centre-core1 fails (L: a link incident, no outage, pa on backup);
    then the backup pa-ce1--centre-core2-backup: L becomes the outage of pa-ce1 (what-if of both links).
    The backup comes back first: the primary was down all along, so L stays open and shrinks back to the
    link incident of the primary (same id, the acknowledgement kept, ``shrunk`` in its history); nothing
    opens. Then the primary: L resolves."""

    async def scenario(rig: Rig) -> None:
        primary, backup = "pa-ce1--centre-core1", "pa-ce1--centre-core2-backup"
        assert {primary, backup} <= set(rig.inv.links)
        assert rig.what_if(primary) == {"sites": [], "devices": [], "rooms": []}  # on backup
        p = rig.fault("link-down", primary)
        [link] = await rig.until("the link incident", rig.open)
        assert (link["kind"], link["cause"]) == ("link", [primary]) and extent(link) == rig.what_if(primary)
        queries.acknowledge(rig.store, link["id"], "noc-1", "on it")
        mark = rig.max_id()

        b = rig.fault("link-down", backup)
        both = rig.what_if(primary, backup)
        assert both["sites"] == ["pa", "pa-c1", "pa-c2"]
        await rig.until(
            "L grown into the outage",
            lambda: [i for i in rig.open() if i["id"] == link["id"] and i["affected_sites"]],
        )
        await rig.round(3)
        [grown] = rig.open()
        assert grown["id"] == link["id"] and grown["kind"] in ("device", "link")
        assert set(both["sites"]) == set(grown["affected_sites"]) and rig.max_id() == mark

        rig.clear(b)
        await rig.until(
            "the outage over, pa on backup",
            lambda: (
                not [i for i in rig.open() if i["affected_sites"]]
                and queries.status(rig.store, rig.topo)["devices"]["pa-ce1"] == "up"
            ),
        )
        await rig.round(3)
        [back] = rig.open()
        assert back["id"] == link["id"] and back["acknowledged_by"] == "noc-1"
        assert (back["kind"], back["cause"]) == ("link", [primary]) and extent(back) == rig.what_if(primary)
        assert back["recovering_since"] is None  # the primary is down: nothing recovers
        assert rig.max_id() == mark  # nothing opened
        history = changes(rig, link["id"])
        assert "shrunk" in history and history.count("opened") == 1 and "resolved" not in history
        st = queries.status(rig.store, rig.topo)
        assert st["down_links"] == [primary] and "pa" in st["on_backup"]

        rig.clear(p)
        await rig.until("L resolved", lambda: not rig.open())
        await rig.round(4)
        assert rig.max_id() == mark and rig.open() == []
        [done] = [i for i in rig.all() if i["id"] == link["id"]]
        assert done["state"] == "resolved" and set(done["peak"]["affected_sites"]) == set(both["sites"])

    run(tmp_path, scenario)


def test_a_county_recurring_from_its_dead_parents_stale_answer_is_merged_into_the_parents_outage(
    tmp_path: Path,
) -> None:
    """d02 with the confirming poll's race made deterministic (as in test_incidents_lab's merge test): A (the
    county pa-c2-ce1) is recovering when its prefecture router pa-ce1 dies, and the access group is polled
    first, twice, while pa-ce1's last stored answer (taken before the fault) still shows the link to the
    county up: the county looks like a cause again and A recurs. Once pa-ce1 is seen dead, A's cause is
    behind P, which had begun when A recurred (no device of P answered since): A is merged into P, not left
    open beside it as a second outage over pa-c2."""

    async def scenario(rig: Rig) -> None:
        assert rig.poller is not None
        rig.poller.holddown_s = LONG_HOLDDOWN_S
        _, access = poll_groups(rig.inv)
        county = rig.fault("node-down", "pa-c2-ce1")
        [a] = await rig.until("the county's incident", rig.open)
        rig.clear(county)
        await rig.until(
            "A recovering",
            lambda: [i for i in rig.open() if i["id"] == a["id"] and i["recovering_since"] is not None],
        )
        await rig.round()  # pa-ce1's last answer: the link to the county up

        parent = rig.fault("node-down", "pa-ce1")
        for _ in range(2):  # the access group only: pa-ce1's stored answer predates the fault
            await rig.poller.run_cycle(access.devices, job=access.job_id)
        again = [i for i in rig.open() if i["id"] == a["id"]]
        assert again and again[0]["recovering_since"] is None  # the race, reproduced: A recurred
        full = rig.what_if("pa-ce1")
        [p] = await rig.until(
            "P with the full what-if of pa-ce1",
            lambda: [i for i in rig.open() if i["cause"] == ["pa-ce1"] and extent(i) == full],
        )
        await rig.round(2)
        assert [i["id"] for i in rig.open()] == [p["id"]]  # one outage
        [merged] = [i for i in rig.all() if i["id"] == a["id"]]
        assert merged["state"] == "resolved" and merged["reason"].startswith(
            f"merged into incident {p['id']}"
        )
        assert changes(rig, a["id"])[-1] == "merged"

        mark = rig.max_id()
        rig.poller.holddown_s = HOLDDOWN_S
        rig.clear(parent)
        await rig.until("P resolved", lambda: not rig.open())
        await rig.round(4)
        assert rig.max_id() == mark and rig.open() == []

    run(tmp_path, scenario)


def test_a_codec_recovering_beside_a_newly_degraded_uplink_is_not_taken_by_the_link(tmp_path: Path) -> None:
    """The other side of j01's shrink-back: pa's codec pa-codec is dead (its router pa-ce1 sees the link to it
    up: a device incident that cuts off no site) and comes back; inside its hold-down pa's primary uplink
    fails (both ends answer, pa on backup). The link is a new cause at site pa, not what the codec's outage
    shrank back to: a link incident of its own opens and the codec's incident goes on recovering."""

    async def scenario(rig: Rig) -> None:
        assert rig.poller is not None
        rig.poller.holddown_s = LONG_HOLDDOWN_S
        primary = "pa-ce1--centre-core1"
        codec = rig.fault("node-down", "pa-codec")
        [c] = await rig.until("the codec's incident", rig.open)
        assert (c["kind"], c["cause"]) == ("device", ["pa-codec"]) and c["affected_sites"] == []
        rig.clear(codec)
        await rig.until(
            "the codec's incident recovering",
            lambda: [i for i in rig.open() if i["id"] == c["id"] and i["recovering_since"] is not None],
        )
        p = rig.fault("link-down", primary)
        [link] = await rig.until(
            "the link incident", lambda: [i for i in rig.open() if i["cause"] == [primary]]
        )
        assert link["id"] != c["id"] and link["kind"] == "link" and extent(link) == rig.what_if(primary)
        [same] = [i for i in rig.open() if i["id"] == c["id"]]
        assert (same["kind"], same["cause"]) == ("device", ["pa-codec"]) and same[
            "recovering_since"
        ] is not None
        rig.poller.holddown_s = HOLDDOWN_S
        rig.clear(p)
        await rig.until("both resolved", lambda: not rig.open())

    run(tmp_path, scenario)
