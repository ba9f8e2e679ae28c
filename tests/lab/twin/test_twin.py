"""The lab as a twin (issue 14, item 4): the running configuration decides interface state, adjacencies and
who answers. Pushed by hand over SSH (netmiko); observed through SNMP (net-snmp's tools), the CLI and the
lab's events, as a trap/syslog collector would see them. One lab for the module."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from netops.lab.state import LabEventKind, LabWorld
from netops.lab.testing import wait_until
from tests.lab.twin.twin_testlib import (
    IF_ADMIN,
    IF_OPER,
    Twin,
    drop,
    expire_dead_intervals,
    expire_revert_timer,
    twin_lab,
    typed,
)

DEAD_S = 600.0  # the module's OSPF dead interval: long, so a kept neighbour is seen kept whatever the load
# the trial/revert timers the tests arm, in lab minutes (1 s): long, so a loaded machine cannot run one out while
# the test still looks at the change (its logins and SNMP walks can take seconds); expire_revert_timer ends it
TIMER_MIN = 120


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    with twin_lab(tmp_path_factory.mktemp("twin"), ospf_dead_s=DEAD_S) as t:
        yield t


def _reverted(twin: Twin, device: str) -> int:
    return int(twin.lab.call(lambda: twin.lab.ssh.store(device).reverts))


def test_shutdown_of_a_county_s_only_uplink_cuts_it_off_until_the_revert_timer(twin: Twin) -> None:
    county, pref = "kashgar-kashi-ce1", "kashgar-ce1"
    pref_itf = twin.if_index(pref, "GE0/0/1")
    county_ip_row = "10.79.0.10.0"  # OSPF-MIB index on the prefecture router: neighbour address, 0
    assert twin.ospf_rows(pref).get(county_ip_row) == 8  # full
    assert twin.snmp("snmpget", county, f"{IF_OPER}.1") == {f"{IF_OPER}.1": 1}
    reverts = _reverted(twin, county)
    twin.events.clear()

    conn = twin.connect(county)
    typed(conn, f"configure terminal revert timer {TIMER_MIN}", "interface GigabitEthernet0/0/0")
    conn.write_channel("shutdown\n")  # the answer never comes: the session ran over this uplink
    try:
        wait_until("the county to be cut off", lambda: not twin.answers(county))
        # the far end: oper down (SNMP and CLI), the adjacency gone from OSPF-MIB and `display ospf peer`
        assert twin.snmp("snmpget", pref, f"{IF_ADMIN}.{pref_itf}", f"{IF_OPER}.{pref_itf}") == {
            f"{IF_ADMIN}.{pref_itf}": 1,
            f"{IF_OPER}.{pref_itf}": 2,
        }
        assert county_ip_row not in twin.ospf_rows(pref)
        assert "10.79.0.10" not in twin.cli(pref, "display ospf peer brief")
        assert "GigabitEthernet0/0/1" in twin.cli(pref, "display interface brief | include 0/0/1 ")
        # the county itself answers nothing: SNMP silent
        assert twin.snmp("snmpget", county, f"{IF_OPER}.1", timeout=0.3) is None
        kinds = {(e.kind, e.device, e.interface) for e in twin.events}
        assert (LabEventKind.CONFIG_CHANGED, county, "") in kinds
        assert (LabEventKind.LINK_DOWN, pref, "GE0/0/1") in kinds
        assert (LabEventKind.NEIGHBOR_DOWN, pref, "GE0/0/1") in kinds
    finally:
        drop(conn)
    # nobody confirms: the device's own timer puts the uplink back, and the county answers again
    expire_revert_timer(twin, county)
    wait_until("the county to answer again after its revert timer", lambda: twin.answers(county))
    assert _reverted(twin, county) == reverts + 1
    assert twin.snmp("snmpget", county, f"{IF_ADMIN}.1", f"{IF_OPER}.1") == {
        f"{IF_ADMIN}.1": 1,
        f"{IF_OPER}.1": 1,
    }
    assert twin.ospf_rows(pref).get(county_ip_row) == 8
    seen = [(e.kind, e.device) for e in twin.events]
    assert seen.count((LabEventKind.CONFIG_CHANGED, county)) == 2  # the change and the revert
    assert (LabEventKind.NEIGHBOR_UP, pref) in seen


def test_shutdown_of_a_primary_uplink_shows_in_snmp_and_ospf_at_both_ends(twin: Twin) -> None:
    pref, core = "kashgar-ce1", "centre-core1"
    own, far = twin.if_index(pref, "GE0/0/0"), twin.if_index(core, "GE0/0/1")
    conn = twin.connect(pref)
    try:
        typed(conn, "system-view", "interface GigabitEthernet0/0/0", "shutdown")
        out = typed(conn, f"commit trial {TIMER_MIN * 60}")
        assert "roll back" in out
        # the backup uplink keeps the prefecture (and its counties) reachable
        assert twin.answers(pref) and twin.answers("kashgar-kashi-ce1")
        assert twin.snmp("snmpget", pref, f"{IF_ADMIN}.{own}", f"{IF_OPER}.{own}") == {
            f"{IF_ADMIN}.{own}": 2,
            f"{IF_OPER}.{own}": 2,
        }
        assert twin.snmp("snmpget", core, f"{IF_ADMIN}.{far}", f"{IF_OPER}.{far}") == {
            f"{IF_ADMIN}.{far}": 1,
            f"{IF_OPER}.{far}": 2,
        }
        assert "10.79.0.1.0" not in twin.ospf_rows(pref)  # the core's address on the primary link
        assert "10.79.0.2.0" not in twin.ospf_rows(core)
        assert "10.79.0.6.0" in twin.ospf_rows(core)  # the backup adjacency stays
        brief = twin.cli(pref, "display interface brief")
        row = next(ln for ln in brief.splitlines() if ln.startswith("GigabitEthernet0/0/0"))
        assert row.split()[1:3] == ["*down", "down"]
    finally:
        drop(conn)
    expire_revert_timer(twin, pref)
    oper = f"{IF_OPER}.{own}"
    wait_until(
        "the primary uplink back up after the trial", lambda: twin.snmp("snmpget", pref, oper) == {oper: 1}
    )
    assert twin.ospf_rows(core).get("10.79.0.2.0") == 8


def test_a_changed_uplink_address_breaks_the_adjacency(twin: Twin) -> None:
    county, pref = "kashgar-shufu-ce1", "kashgar-ce1"
    conn = twin.connect(county)
    typed(conn, "system-view", f"configuration commit delay {TIMER_MIN}", "interface GigabitEthernet0/0/0")
    conn.write_channel("ip address 10.79.9.14 255.255.255.252\n")
    try:
        wait_until("the county to be cut off", lambda: not twin.answers(county))
        itf = twin.lab.world.devices[county].interface("GE0/0/0")
        assert itf is not None and itf.oper_up  # the port is up, but OSPF has nobody to talk to
        # the county reset its own interface: its neighbour went at once; the prefecture hears no hellos and
        # keeps the county Full until its dead interval
        assert not any(nb.up for nb in twin.lab.world.devices[county].neighbors)
        assert twin.ospf_rows(pref).get("10.79.0.14.0") == 8
        expire_dead_intervals(twin)
        assert "10.79.0.14.0" not in twin.ospf_rows(pref)
    finally:
        drop(conn)
    expire_revert_timer(twin, county)
    wait_until("the county to answer again after its revert timer", lambda: twin.answers(county))
    assert twin.ospf_rows(pref).get("10.79.0.14.0") == 8


def test_removing_the_ospf_network_statement_drops_the_adjacency(twin: Twin) -> None:
    pref, core = "kashgar-ce1", "centre-core1"
    conn = twin.connect(pref)
    try:
        typed(conn, "system-view", "ospf 1", "area 0.0.0.0", "undo network 10.79.0.4 0.0.0.3")
        typed(conn, f"commit trial {TIMER_MIN * 60}")
        assert "10.79.0.5.0" not in twin.ospf_rows(pref)  # its own end: gone at once
        assert twin.ospf_rows(core).get("10.79.0.6.0") == 8  # the core: kept until its dead interval
        expire_dead_intervals(twin)
        assert "10.79.0.6.0" not in twin.ospf_rows(core)  # the backup adjacency is gone
        assert twin.ospf_rows(core).get("10.79.0.2.0") == 8  # the primary one stays
        assert twin.answers(pref)
    finally:
        drop(conn)
    expire_revert_timer(twin, pref)
    wait_until(
        "the backup adjacency back after the trial", lambda: twin.ospf_rows(core).get("10.79.0.6.0") == 8
    )


def test_snmpstatus_counts_the_interfaces(twin: Twin) -> None:
    from tests.lab.snmp.snmp_testlib import netsnmp
    from tests.lab.twin.twin_testlib import COMMUNITY, SNMP_PORT

    done = netsnmp("snmpstatus", "-v2c", "-c", COMMUNITY, f"{twin.address('kashgar-ce1')}:{SNMP_PORT}")
    assert done.returncode == 0, done.stderr
    assert "Interfaces: 5," in done.stdout, done.stdout
    assert "Recv/Trans packets: 0/0" not in done.stdout


BGP_PEER_STATE = "1.3.6.1.2.1.15.3.1.2"


def _bgp_states(twin: Twin, device: str) -> dict[str, int]:
    """BGP4-MIB bgpPeerState per peer address, through net-snmp."""
    rows = twin.snmp("snmpwalk", device, BGP_PEER_STATE)
    assert rows is not None, f"{device} does not answer SNMP"
    return {oid[len(BGP_PEER_STATE) + 1 :]: v for oid, v in rows.items() if oid.startswith(BGP_PEER_STATE)}


def _bgp_events(twin: Twin) -> set[tuple[LabEventKind, str, str]]:
    return {(e.kind, e.device, e.peer_device) for e in twin.events if e.protocol == "bgp"}


def test_a_bgp_session_needs_the_peer_statement_at_both_ends_with_the_right_as(twin: Twin) -> None:
    core, exit_ = "centre-core1", "centre-exit"
    core_ip, exit_ip = "10.79.0.22", "10.79.0.21"
    assert _bgp_states(twin, core)[exit_ip] == 6 and _bgp_states(twin, exit_)[core_ip] == 6  # established
    assert f"{exit_ip}      4       65010" in twin.cli(core, "display bgp peer")
    twin.events.clear()

    conn = twin.connect(exit_)
    try:
        typed(conn, "configure terminal", "router bgp 65010", f"no neighbor {core_ip}")
        # the exit no longer names the core: its row is gone; the core still names the exit, now Active
        wait_until(
            "the exit's BGP4-MIB row for the core to go", lambda: core_ip not in _bgp_states(twin, exit_)
        )
        assert _bgp_states(twin, core)[exit_ip] == 3
        assert core_ip not in twin.cli(exit_, "show ip bgp summary")
        peer_row = next(ln for ln in twin.cli(core, "display bgp peer").splitlines() if exit_ip in ln)
        assert peer_row.split()[-2:] == ["Active", "0"]
        assert _bgp_states(twin, exit_)["10.79.0.26"] == 6  # the carrier's session is untouched
        assert {
            (LabEventKind.NEIGHBOR_DOWN, core, exit_),
            (LabEventKind.NEIGHBOR_DOWN, exit_, core),
        } <= _bgp_events(twin)

        typed(conn, f"neighbor {core_ip} remote-as 65999")  # the wrong AS: still no session
        assert _bgp_states(twin, exit_)[core_ip] == 3 and _bgp_states(twin, core)[exit_ip] == 3
        twin.events.clear()
        typed(conn, f"no neighbor {core_ip}", f"neighbor {core_ip} remote-as {_core_as(twin)}", "end")
        wait_until(
            "the session to the exit Established again", lambda: _bgp_states(twin, core).get(exit_ip) == 6
        )
        assert _bgp_states(twin, exit_)[core_ip] == 6
        assert {
            (LabEventKind.NEIGHBOR_UP, core, exit_),
            (LabEventKind.NEIGHBOR_UP, exit_, core),
        } <= _bgp_events(twin)
    finally:
        drop(conn)


def _core_as(twin: Twin) -> int:
    cfg = twin.lab.world.devices["centre-core1"].config
    assert cfg is not None and cfg.bgp_asn is not None
    return int(cfg.bgp_asn)


def test_undo_peer_on_vrp_drops_the_session_at_both_ends(twin: Twin) -> None:
    core, exit_ = "centre-core1", "centre-exit"
    core_ip, exit_ip = "10.79.0.22", "10.79.0.21"
    assert _bgp_states(twin, core)[exit_ip] == 6
    conn = twin.connect(core)
    try:
        typed(conn, "system-view", f"bgp {_core_as(twin)}", f"undo peer {exit_ip}", "commit")
        wait_until(
            "the core's BGP4-MIB row for the exit to go", lambda: exit_ip not in _bgp_states(twin, core)
        )
        assert _bgp_states(twin, exit_)[core_ip] == 3
        assert exit_ip not in twin.cli(core, "display bgp peer")
        typed(conn, f"peer {exit_ip} as-number 65010", "commit")
        wait_until(
            "the session to the exit Established again", lambda: _bgp_states(twin, core).get(exit_ip) == 6
        )
        assert _bgp_states(twin, exit_)[core_ip] == 6
    finally:
        drop(conn)


IF_NAME, IF_DESCR = "1.3.6.1.2.1.31.1.1.1.1", "1.3.6.1.2.1.2.2.1.2"


@pytest.mark.parametrize(
    ("device", "platform", "command", "spelling"),
    [
        ("kashgar-ce1", "huawei_vrp", "display interface brief", "GigabitEthernet0/0/"),
        ("kashgar-yecheng-ce1", "huawei_vrp", "display interface brief", "GigabitEthernet0/0/"),
        ("kashgar-shufu-ce1", "hp_comware", "display interface brief", "GigabitEthernet0/0/"),
        ("kashgar-kashi-ce1", "cisco_ios", "show ip interface brief", "Gi0/0/"),
    ],
)
def test_if_name_is_the_vendor_s_spelling_and_one_canonical_name_with_cli_and_inventory(
    twin: Twin, device: str, platform: str, command: str, spelling: str
) -> None:
    """ifName as real agents fill it (VRP/Comware long, IOS short; the inventory says ``GE0/0/1``/``Gi0/0/1``),
    read with net-snmp's snmpwalk; ``netops.drivers.names.canonical`` makes it, ifDescr, the CLI's table name
    and the inventory's name one interface."""
    from ntc_templates.parse import parse_output  # type: ignore[import-untyped]

    from netops.drivers.cli import CliSession
    from netops.drivers.names import canonical

    dev = twin.inventory.device(device)
    names, descrs = twin.snmp("snmpwalk", device, IF_NAME), twin.snmp("snmpwalk", device, IF_DESCR)
    assert names is not None and descrs is not None
    by_index = {int(oid.rsplit(".", 1)[1]): v.decode() for oid, v in names.items()}
    descr = {int(oid.rsplit(".", 1)[1]): v.decode() for oid, v in descrs.items()}
    assert all(n.startswith(spelling) for n in by_index.values()), by_index
    with CliSession.open(dev, twin.inventory, twin.secrets) as session:
        rows = parse_output(platform=platform, command=command, data=session.send(command))
    cli = {canonical(dev.platform, r.get("interface") or r["intf"]) for r in rows}
    for itf in dev.interfaces:
        index = twin.if_index(device, itf.name)
        want = canonical(dev.platform, itf.name)
        assert canonical(dev.platform, by_index[index]) == want == canonical(dev.platform, descr[index])
        assert want in cli


def test_a_silent_circuit_failure_keeps_ospf_full_until_the_dead_interval_a_local_port_down_drops_it_at_once(
    twin: Twin,
) -> None:
    """An MSTP circuit that fails without either port noticing: both ports stay up and both ends keep the
    neighbour Full (OSPF-MIB, the CLI) until the dead interval, then drop it by themselves (the lab's timer,
    NEIGHBOR_DOWN events); a port that goes down locally drops its neighbour at once."""
    pref, core = "kashgar-ce1", "centre-core1"
    world = twin.lab.world
    fault = twin.lab.call(
        lambda: twin.lab.faults.apply("link-down", "kashgar-ce1--centre-core1", {"silent": "1"})
    )
    try:
        assert twin.snmp("snmpget", pref, f"{IF_OPER}.{twin.if_index(pref, 'GE0/0/0')}") == {
            f"{IF_OPER}.{twin.if_index(pref, 'GE0/0/0')}": 1
        }
        assert twin.ospf_rows(pref).get("10.79.0.1.0") == 8 and twin.ospf_rows(core).get("10.79.0.2.0") == 8
        assert twin.address(core) in twin.cli(pref, "display ospf peer brief")  # the core's router id
        twin.events.clear()
        dead_s = 1.0
        started = twin.lab.call(lambda: _restart_holds(world, dead_s))
        wait_until(
            "the prefecture's dead interval to expire", lambda: "10.79.0.1.0" not in twin.ospf_rows(pref)
        )
        wait_until("the core's dead interval to expire", lambda: "10.79.0.2.0" not in twin.ospf_rows(core))
        assert time.monotonic() - started >= dead_s  # not before the dead interval
        downs = {(e.device, e.interface) for e in twin.events if e.kind is LabEventKind.NEIGHBOR_DOWN}
        assert {(pref, "GE0/0/0"), (core, "GE0/0/1")} <= downs
        assert twin.answers(pref)  # over the backup uplink
    finally:
        twin.lab.call(lambda: setattr(world, "ospf_dead_s", DEAD_S))
        twin.lab.call(lambda: twin.lab.faults.clear(fault.id))
    assert twin.ospf_rows(pref).get("10.79.0.1.0") == 8

    # the same circuit failing loudly: both ports down, both neighbours gone at once (no dead interval)
    fault = twin.lab.call(lambda: twin.lab.faults.apply("link-down", "kashgar-ce1--centre-core1"))
    try:
        assert "10.79.0.1.0" not in twin.ospf_rows(pref) and "10.79.0.2.0" not in twin.ospf_rows(core)
    finally:
        twin.lab.call(lambda: twin.lab.faults.clear(fault.id))
    assert twin.ospf_rows(pref).get("10.79.0.1.0") == 8


def _restart_holds(world: LabWorld, dead_s: float) -> float:
    """Shorten the dead interval and start the kept neighbours' hold again from now (on the lab's loop, so
    the expiry is the lab's own timer); returns when, on the monotonic clock."""
    world.ospf_dead_s = dead_s
    for state in world.devices.values():
        for nb in state.neighbors:
            if nb.lost_at is not None:
                nb.lost_at = None
    started = time.monotonic()
    world.recompute()
    return started
