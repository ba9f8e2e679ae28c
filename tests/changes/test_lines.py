"""Changes given as lines merged into the running configuration (``netops.changes.lines``): the merge, its
inverse, and pushes / dry runs / rollbacks against the lab's SSH CLIs with SNMP post-checks."""

from __future__ import annotations

import asyncio

import pytest

from netops.changes import records
from netops.changes.lines import (
    LinesChange,
    diff_lines,
    inverse_lines,
    merge_lines,
    push_lines,
    rollback_lines,
)
from netops.changes.push import PushOptions, PushResult
from netops.drivers.platforms.remediation import diff_texts
from netops.drivers.platforms.syntax import Syntax, syntax_for
from netops.drivers.snmp.source import SnmpSource
from netops.errors import NetopsError
from netops.inventory.models import Platform
from netops.store.db import Store
from netops.store.schema import ConfigLock
from tests.changes.changes_testlib import COMMUNITY, LIVE_CONFIRM_S, LIVE_TIMEOUTS, Lab

VRP = syntax_for(Platform.HUAWEI_VRP8)
# the pushes of live devices: the kit's trial (15 s could run out before the confirm of a push whose post-checks a
# loaded machine made slow) and logins long enough for a loaded machine
LIVE_OPTIONS = PushOptions(confirm_s=LIVE_CONFIRM_S, minute_s=1.0, timeouts=LIVE_TIMEOUTS)
IOS = syntax_for(Platform.CISCO_IOS)
RUNNING = """\
#
sysname core1
#
interface GigabitEthernet0/0/1
 description old
 shutdown
 ip address 10.0.0.1 255.255.255.252
#
interface GigabitEthernet0/0/2
 description other
#
ntp-service unicast-server 10.1.1.1
#
return
"""


def test_merge_adds_replaces_and_removes_in_blocks() -> None:
    merged = merge_lines(
        VRP,
        RUNNING,
        ["interface GE0/0/1", " description new", " undo shutdown", "acl number 3001", " rule 5 permit ip"],
    )
    tree = VRP.parse(merged)
    itf = next(n for n in tree.children if n.line == "interface GigabitEthernet0/0/1")
    assert [c.line for c in itf.children] == ["description new", "ip address 10.0.0.1 255.255.255.252"]
    assert "sysname core1" in merged and "ntp-service unicast-server 10.1.1.1" in merged
    assert "acl number 3001\n rule 5 permit ip" in merged
    rem = diff_texts(VRP, RUNNING, merged)
    assert rem.commands == [
        "interface GigabitEthernet0/0/1",
        "undo shutdown",
        "description new",
        "quit",
        "acl number 3001",
        "rule 5 permit ip",
        "quit",
    ]


def test_a_negation_removes_every_line_it_names_and_nothing_when_absent() -> None:
    merged = merge_lines(
        VRP, RUNNING, ["interface GigabitEthernet0/0/2", " undo description", "undo snmp-agent"]
    )
    assert "description other" not in merged and "description old" in merged
    assert diff_texts(VRP, RUNNING, merge_lines(VRP, RUNNING, ["undo snmp-agent"])).empty
    loop = "#\ninterface LoopBack1\n ip address 10.255.0.1 255.255.255.255\n#\n"
    assert "LoopBack1" not in merge_lines(VRP, RUNNING + loop, ["undo interface Loop1"])


@pytest.mark.parametrize(
    ("syntax", "lines"),
    [
        (VRP, ["interface GE0/0/1", " description new", " undo shutdown", "acl number 3001", " rule 5 permit ip"]),
        (VRP, ["interface GigabitEthernet0/0/2", " undo description", " shutdown",
               "undo ntp-service unicast-server 10.1.1.1"]),
        (IOS, ["interface Gi0/1", " no shutdown", " description x", "ip access-list extended B", " deny ip any any"]),
    ],
)  # fmt: skip
def test_the_inverse_of_a_recorded_diff_restores_the_configuration(syntax: Syntax, lines: list[str]) -> None:
    running = RUNNING if syntax is VRP else RUNNING.replace("#", "!").replace("return", "end")
    running = running.replace("GigabitEthernet0/0/", "GigabitEthernet0/").replace("sysname", "hostname")
    merged = merge_lines(syntax, running, lines)
    diff = diff_texts(syntax, running, merged)
    assert not diff.empty
    undone = merge_lines(syntax, merged, inverse_lines(syntax, diff.text()))
    assert diff_texts(syntax, running, undone).empty


def test_a_diff_holding_a_masked_secret_cannot_be_inverted() -> None:
    with pytest.raises(NetopsError, match="secret"):
        inverse_lines(IOS, "+ snmp-server community ****** RO\n")


def _push(
    lab: Lab, store: Store, device: str, lines: list[str], secrets: frozenset[str] = frozenset()
) -> tuple[str, PushResult]:
    async def go() -> tuple[str, PushResult]:
        snmp = SnmpSource(lambda: lab.inventory, lab.secrets)
        change = LinesChange(device, tuple(lines), "tester", "test", secrets, LIVE_OPTIONS)
        return await push_lines(lab.inventory, lab.secrets, store, change, snmp)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("device", "itf"),
    [("centre-core1", "GE0/0/1"), ("kashgar-ce1", "GE0/0/1"), ("kashgar-shufu-ce1", "GE0/0/1"),
     ("kashgar-kashi-ce1", "Gi0/0/0")],
)  # fmt: skip
def test_lines_are_pushed_recorded_and_rolled_back(lab: Lab, store: Store, device: str, itf: str) -> None:
    before = lab.running(device)
    change_id, result = _push(lab, store, device, [f"interface {itf}", " description set by lines"])
    assert result.outcome == "confirmed", result.detail
    assert " description set by lines" in lab.running(device)
    row = records.get_change(store, change_id)
    assert row["state"] == "done" and row["devices"][0]["outcome"] == "confirmed"
    assert "+  description set by lines" in row["devices"][0]["diff"]
    assert {c["name"] for c in row["devices"][0]["checks"]} >= {"ssh", "snmp", "uplinks"}

    async def undo() -> tuple[str | None, PushResult]:
        return await rollback_lines(
            lab.inventory,
            lab.secrets,
            store,
            change_id,
            device,
            user="tester",
            options=LIVE_OPTIONS,
        )

    new_id, undone = asyncio.run(undo())
    assert undone.outcome == "confirmed" and new_id is not None
    assert lab.running(device) == before
    assert records.get_change(store, change_id)["devices"][0]["outcome"] == "rolled-back"
    assert records.get_change(store, new_id)["reason"] == f"rollback of {change_id}"
    again = asyncio.run(undo())  # already rolled back: nothing to undo
    assert again[0] is None and again[1].outcome == "rolled-back"


def test_dry_run_diffs_without_lock_record_or_change(lab: Lab, store: Store) -> None:
    before = lab.running("hotan-ce1")
    diff = diff_lines(
        lab.inventory,
        lab.secrets,
        "hotan-ce1",
        ["interface GE0/0/1", " shutdown", f"snmp-agent community read {COMMUNITY}"],
    )
    assert diff.available and not diff.empty
    text = diff.text()
    assert "+  shutdown" in text and COMMUNITY not in text and COMMUNITY not in repr(diff.masked_commands())
    assert lab.running("hotan-ce1") == before
    assert records.list_changes(store) == []
    with store.session() as s:
        assert s.query(ConfigLock).count() == 0


def test_a_post_check_failure_reverts_and_the_record_says_why(lab: Lab, store: Store) -> None:
    # the county LAN (a service interface): shutting the only uplink would cut the device off (the twin)
    before = lab.running("kashgar-shufu-ce1")
    change_id, result = _push(lab, store, "kashgar-shufu-ce1", ["interface GE0/0/1", " shutdown"])
    assert result.outcome == "reverted"
    assert "lan down after the change: GigabitEthernet0/0/1" in (result.detail or "")
    assert lab.running("kashgar-shufu-ce1") == before
    row = records.get_change(store, change_id)["devices"][0]
    assert row["outcome"] == "reverted" and "lan down" in row["detail"]


def test_secret_values_given_with_the_lines_are_masked_in_the_record(lab: Lab, store: Store) -> None:
    change_id, result = _push(
        lab, store, "hotan-ce1", ["interface GE0/0/1", " description key-Zz9-secret"],
        secrets=frozenset({"key-Zz9-secret"}),
    )  # fmt: skip
    assert result.outcome == "confirmed"
    row = records.get_change(store, change_id)["devices"][0]
    assert "key-Zz9-secret" not in repr(row) and "description ******" in row["diff"]
    # a secret line: undone from the journal's snapshot (issue 17), the secret masked in the new record too
    new_id, undone = asyncio.run(
        rollback_lines(lab.inventory, lab.secrets, store, change_id, "hotan-ce1", user="t")
    )
    assert undone.outcome == "confirmed", undone.detail
    assert "key-Zz9-secret" not in lab.running("hotan-ce1")
    new_row = records.get_change(store, str(new_id))["devices"][0]
    assert "key-Zz9-secret" not in repr(new_row), new_row
    assert records.get_change(store, change_id)["devices"][0]["outcome"] == "rolled-back"
