"""Fidelity of the lab (issue 14, item 5), judged by tools nobody here wrote: every read command the lab
answers in a format ntc-templates has a template for parses with it (TextFSM raises on any line it cannot
read), the records are non-empty and equal the lab's own state; NAPALM's ``ios`` getters work against the
lab's IOS; CLI and SNMP agree on model, version and serial; invalid values are refused in the platform's words.
One lab for the module (tests/lab/twin/twin_testlib.py: VRP8, VRP5, Comware 7 and IOS)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from ipaddress import IPv4Interface
from typing import Any

import pytest
from ntc_templates.parse import parse_output  # type: ignore[import-untyped]

from netops.drivers.cli import CliSession
from netops.drivers.names import canonical
from netops.inventory.models import Platform
from netops.lab.cli.displays import arp, lldp_neighbours, routes
from netops.lab.state import DeviceIdentity, DeviceState, interface_mac, mac_text
from tests.lab.twin.twin_testlib import PASSWORD, Twin, drop, twin_lab, typed

IOS, VRP8, VRP5, COMWARE = "kashgar-kashi-ce1", "kashgar-ce1", "kashgar-yecheng-ce1", "kashgar-shufu-ce1"
CORE, EXIT = "centre-core1", "centre-exit"  # VRP8 and IOS with BGP; the exit has a Cisco CDP neighbour
NTC = {IOS: "cisco_ios", VRP8: "huawei_vrp", VRP5: "huawei_vrp", COMWARE: "hp_comware"}
NTC |= {CORE: "huawei_vrp", EXIT: "cisco_ios"}
ENT_SERIAL = "1.3.6.1.2.1.47.1.1.1.1.11"
ENT_MODEL = "1.3.6.1.2.1.47.1.1.1.1.13"
SYS_DESCR = "1.3.6.1.2.1.1.1.0"


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    with twin_lab(tmp_path_factory.mktemp("fidelity")) as t:
        yield t


def show(twin: Twin, device: str, command: str) -> str:
    with CliSession.open(twin.inventory.device(device), twin.inventory, twin.secrets) as s:
        return s.send(command)


def records(twin: Twin, device: str, command: str) -> list[dict[str, Any]]:
    out = show(twin, device, command)
    parsed: list[dict[str, Any]] = parse_output(platform=NTC[device], command=command, data=out)
    assert parsed, f"{device}: `{command}` parsed to nothing:\n{out}"
    return parsed


def state(twin: Twin, device: str) -> DeviceState:
    found: DeviceState = twin.lab.world.devices[device]
    return found


def ident(twin: Twin, device: str) -> DeviceIdentity:
    found = state(twin, device).identity
    assert found is not None
    return found


def addresses(twin: Twin, device: str) -> dict[str, str]:
    """Canonical-ish interface name (digits part) -> 'ip/len' from the inventory."""
    return {i.name: i.address for i in twin.inventory.device(device).interfaces if i.address}


def _suffix(name: str) -> str:
    """``GigabitEthernet0/0/1``, ``GE0/0/1``, ``Gi0/0/1`` -> ``0/0/1`` (one device has one kind of port)."""
    return name[next(i for i, c in enumerate(name) if c.isdigit()) :]


# -- the commands, per platform: (device, command, check of the records against the lab) --------------------
def _ios_version(t: Twin, recs: list[dict[str, Any]]) -> None:
    i = ident(t, IOS)
    assert (recs[0]["version"], recs[0]["serial"], recs[0]["hardware"]) == (i.version, [i.serial], [i.model])
    assert recs[0]["hostname"] == IOS


def _ios_inventory(t: Twin, recs: list[dict[str, Any]]) -> None:
    chassis = next(r for r in recs if r["name"] == "Chassis")
    assert (chassis["pid"], chassis["sn"]) == (ident(t, IOS).model, ident(t, IOS).serial)


def _interfaces(
    device: str, name_key: str, status_key: str, up: str
) -> Callable[[Twin, list[dict[str, Any]]], None]:
    def check(t: Twin, recs: list[dict[str, Any]]) -> None:
        seen = {_suffix(r[name_key]): r[status_key] for r in recs}
        lab = {_suffix(i.name): up if i.oper_up else "?" for i in state(t, device).interfaces}
        assert seen == lab

    return check


def _ios_interfaces(t: Twin, recs: list[dict[str, Any]]) -> None:
    _interfaces(IOS, "interface", "link_status", "up")(t, recs)
    for r in recs:
        itf = next(i for i in state(t, IOS).interfaces if _suffix(i.name) == _suffix(r["interface"]))
        assert r["mac_address"] == mac_text(interface_mac(state(t, IOS).device, itf.name), "cisco")
        assert f"{r['ip_address']}/{r['prefix_length']}" == addresses(t, IOS)[itf.name]


def _ios_ip_interface(t: Twin, recs: list[dict[str, Any]]) -> None:
    seen = {_suffix(r["interface"]): f"{r['ip_address'][0]}/{r['prefix_length'][0]}" for r in recs}
    assert seen == {_suffix(k): v for k, v in addresses(t, IOS).items()}


def _lldp(
    device: str, local_key: str, name_key: str, port_key: str
) -> Callable[[Twin, list[dict[str, Any]]], None]:
    def check(t: Twin, recs: list[dict[str, Any]]) -> None:
        lab = {
            (_suffix(n.local), n.system_name, n.port) for n in lldp_neighbours(t.lab.world, state(t, device))
        }
        assert {(_suffix(r[local_key]), r[name_key], r[port_key]) for r in recs} == lab

    return check


def _vrp_lldp(t: Twin, recs: list[dict[str, Any]]) -> None:
    recs = [r for r in recs if r["neighbor_port_id"]]
    lab = {(n.system_name, n.port, n.chassis_mac) for n in lldp_neighbours(t.lab.world, state(t, VRP8))}
    assert {(r["neighbor_name"], r["neighbor_port_id"], r["chassis_id"]) for r in recs} == lab


def _ios_route(t: Twin, recs: list[dict[str, Any]]) -> None:
    lab = {
        (str(r.network), {"connected": "C", "local": "L", "ospf": "O"}[r.protocol], r.next_hop or "")
        for r in routes(t.lab.world, state(t, IOS))
    }
    assert {(f"{r['network']}/{r['prefix_length']}", r["protocol"], r["nexthop_ip"]) for r in recs} == lab
    assert any(r["protocol"] == "O" for r in recs)  # learnt over the adjacency


def _comware_route(t: Twin, recs: list[dict[str, Any]]) -> None:
    lab = {str(r.network) for r in routes(t.lab.world, state(t, COMWARE))}
    assert {f"{r['network']}/{r['prefix_length']}" for r in recs} == lab


def _arp(device: str, ip_key: str, own: bool) -> Callable[[Twin, list[dict[str, Any]]], None]:
    def check(t: Twin, recs: list[dict[str, Any]]) -> None:
        lab = {e.ip for e in arp(t.lab.world, state(t, device)) if own or not e.own}
        assert {r[ip_key] for r in recs} == lab

    return check


def _vrp_version(device: str, prefix_model: str) -> Callable[[Twin, list[dict[str, Any]]], None]:
    def check(t: Twin, recs: list[dict[str, Any]]) -> None:
        i = ident(t, device)
        assert (recs[0]["vrp_version"], recs[0]["model"]) == (i.version, i.model)
        assert recs[0]["product_version"].endswith(i.release)
        assert prefix_model.format(model=i.model) in show(t, device, "display version")

    return check


def _vrp_device(t: Twin, recs: list[dict[str, Any]]) -> None:
    assert any(r["ha_status"] == "Master" for r in recs)


def _vrp_interface(t: Twin, recs: list[dict[str, Any]]) -> None:
    _interfaces(VRP8, "interface", "link_status", "UP")(t, recs)
    for r in recs:
        itf = next(i for i in state(t, VRP8).interfaces if _suffix(i.name) == _suffix(r["interface"]))
        assert r["ip_address"] == addresses(t, VRP8)[itf.name]
        assert r["mac_address"] == mac_text(interface_mac(state(t, VRP8).device, itf.name))


def _comware_manuinfo(t: Twin, recs: list[dict[str, Any]]) -> None:
    assert (recs[0]["device_serial_number"], recs[0]["device_name"]) == (
        ident(t, COMWARE).serial,
        ident(t, COMWARE).model,
    )


def _comware_interface(t: Twin, recs: list[dict[str, Any]]) -> None:
    _interfaces(COMWARE, "interface", "line_status", "UP")(t, recs)
    for r in recs:
        itf = next(i for i in state(t, COMWARE).interfaces if _suffix(i.name) == _suffix(r["interface"]))
        assert r["ip_address"] == [addresses(t, COMWARE)[itf.name]]
        assert r["hw_address"][0] == mac_text(interface_mac(state(t, COMWARE).device, itf.name))


def _comware_ip_interface(t: Twin, recs: list[dict[str, Any]]) -> None:
    _interfaces(COMWARE, "interface", "line_status", "UP")(t, recs)
    assert {_suffix(r["interface"]): r["ip_address"] for r in recs} == {
        _suffix(k): [v] for k, v in addresses(t, COMWARE).items()
    }
    assert all(r["protocol_status"] == "UP" and r["mtu"] == "1500" for r in recs)


def _ios_name(name: str) -> str:
    """``Gig 0/0/1``, ``Gi0/0/1``, ``GigabitEthernet0/0/1`` -> ``GigabitEthernet0/0/1``."""
    return canonical(Platform.CISCO_IOS, name.replace(" ", ""))


def _cdp(detail: bool) -> Callable[[Twin, list[dict[str, Any]]], None]:
    def check(t: Twin, recs: list[dict[str, Any]]) -> None:
        lab = {
            (n.system_name, _ios_name(n.local), _ios_name(n.port))
            for n in lldp_neighbours(t.lab.world, state(t, EXIT))
            if t.inventory.device(n.system_name).platform is Platform.CISCO_IOS  # CDP: Cisco neighbours only
        }
        seen = {
            (r["neighbor_name"], _ios_name(r["local_interface"]), _ios_name(r["neighbor_interface"]))
            for r in recs
        }
        assert seen == lab and len(lab) == 1
        for r in recs:
            assert r["platform"].removeprefix("cisco ").startswith(ident(t, r["neighbor_name"]).model[:9])
            if detail:
                assert r["mgmt_address"] == str(t.inventory.device(r["neighbor_name"]).address)

    return check


def _bgp_lab(t: Twin, device: str) -> set[tuple[str, str, bool]]:
    return {(p.address, str(p.remote_as), p.up) for p in t.lab.world.bgp_peers(device)}


def _vrp_bgp(t: Twin, recs: list[dict[str, Any]]) -> None:
    assert {(r["peer"], r["asn"], r["state"] == "Established") for r in recs} == _bgp_lab(t, CORE)
    assert all(r["state"] == "Established" for r in recs)


def _ios_bgp(t: Twin, recs: list[dict[str, Any]]) -> None:
    seen = {(r["bgp_neighbor"], r["neighbor_as"], r["state_or_prefixes_received"].isdigit()) for r in recs}
    assert seen == _bgp_lab(t, EXIT) and len(seen) == 2  # the core and the carrier, both Established
    cfg = state(t, EXIT).config
    assert cfg is not None
    assert {(r["router_id"], r["local_as"]) for r in recs} == {
        (str(t.inventory.device(EXIT).address), str(cfg.bgp_asn))
    }


CASES: list[tuple[str, str, Callable[[Twin, list[dict[str, Any]]], None]]] = [
    (IOS, "show version", _ios_version),
    (IOS, "show inventory", _ios_inventory),
    (IOS, "show interfaces", _ios_interfaces),
    (IOS, "show ip interface", _ios_ip_interface),
    (IOS, "show ip interface brief", _interfaces(IOS, "interface", "status", "up")),
    (IOS, "show lldp neighbors", _lldp(IOS, "local_interface", "neighbor_name", "neighbor_interface")),
    (IOS, "show lldp neighbors detail", _lldp(IOS, "local_interface", "neighbor_name", "neighbor_port_id")),
    (IOS, "show ip route", _ios_route),
    (IOS, "show ip arp", _arp(IOS, "ip_address", own=True)),
    (EXIT, "show cdp neighbors", _cdp(detail=False)),
    (EXIT, "show cdp neighbors detail", _cdp(detail=True)),
    (EXIT, "show ip bgp summary", _ios_bgp),
    (CORE, "display bgp peer", _vrp_bgp),
    (VRP8, "display version", _vrp_version(VRP8, "HUAWEI {model} uptime is")),
    (VRP5, "display version", _vrp_version(VRP5, "Huawei {model} Router uptime is")),
    (VRP8, "display device", _vrp_device),
    (VRP8, "display interface", _vrp_interface),
    (VRP8, "display interface brief", _interfaces(VRP8, "interface", "phy", "up")),
    (VRP5, "display interface brief", _interfaces(VRP5, "interface", "phy", "up")),
    (VRP8, "display lldp neighbor", _vrp_lldp),
    (VRP8, "display arp all", _arp(VRP8, "ip_address", own=True)),
    (COMWARE, "display device manuinfo", _comware_manuinfo),
    (COMWARE, "display interface brief", _interfaces(COMWARE, "interface", "link", "UP")),
    (COMWARE, "display interface", _comware_interface),
    (COMWARE, "display ip interface", _comware_ip_interface),
    (
        COMWARE,
        "display lldp neighbor-information list",
        _lldp(COMWARE, "local_interface", "neighbor_name", "neighbor_interface"),
    ),
    (COMWARE, "display ip routing-table", _comware_route),
    (COMWARE, "display arp", _arp(COMWARE, "ip_address", own=False)),
]


@pytest.mark.parametrize(("device", "command", "check"), CASES, ids=[f"{NTC[d]}:{c}" for d, c, _ in CASES])
def test_read_command_parses_with_ntc_templates_and_equals_the_lab(
    twin: Twin, device: str, command: str, check: Callable[[Twin, list[dict[str, Any]]], None]
) -> None:
    check(twin, records(twin, device, command))


def test_comware_ip_interface_brief_has_the_comware_7_layout_and_the_lab_s_state(twin: Twin) -> None:
    """No ntc template reads it (ntc's index hands ``display ip interface brief`` to the verbose template):
    the columns of Comware 7.1.064 (``IP address/Mask``, ``VPN instance``), short names, values = the lab's."""
    lines = show(twin, COMWARE, "display ip interface brief").splitlines()
    assert lines[:2] == ["*down: administratively down", "(s): spoofing  (l): loopback"]
    header = "Interface           Physical Protocol IP address/Mask    VPN instance Description"
    assert lines[2] == header
    rows = {f[0]: f[1:] for f in (ln.split() for ln in lines[3:] if ln.strip())}
    assert all(name.startswith("GE") for name in rows)  # the short form, as in ``display interface brief``
    lab = {
        "GE" + _suffix(i.name): [
            "up" if i.oper_up else "down",
            "up" if i.oper_up else "down",
            addresses(twin, COMWARE).get(i.name, "--"),
            "--",
            i.description,
        ]
        for i in state(twin, COMWARE).interfaces
    }
    assert rows == lab


@pytest.mark.parametrize("device", [IOS, VRP8, VRP5, COMWARE])
def test_cli_and_snmp_tell_one_identity(twin: Twin, device: str) -> None:
    i = ident(twin, device)
    values = twin.snmp(
        "snmpget", device, SYS_DESCR, f"{ENT_SERIAL}.{_chassis(device)}", f"{ENT_MODEL}.{_chassis(device)}"
    )
    assert values is not None
    text = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in values.items()}
    descr = text[SYS_DESCR]
    assert i.version in descr and i.release in descr
    if device != IOS:  # a real IOS sysDescr names no model (ENTITY-MIB does)
        assert i.model in descr
    assert text[f"{ENT_SERIAL}.{_chassis(device)}"] == i.serial
    assert text[f"{ENT_MODEL}.{_chassis(device)}"] == i.model
    cli = {
        IOS: "show version",
        VRP8: "display esn",
        VRP5: "display esn",
        COMWARE: "display device manuinfo",
    }[device]
    assert i.serial in show(twin, device, cli)


def _chassis(device: str) -> int:
    return 16777216 if device in (VRP8, VRP5) else 1


def test_napalm_ios_getters_work_against_the_lab(twin: Twin) -> None:
    from napalm import get_network_driver

    dev = twin.inventory.device(IOS)
    driver = get_network_driver("ios")(
        str(dev.address), "netops", PASSWORD, timeout=20, optional_args={"port": dev.ssh_port}
    )
    driver.open()
    try:
        facts = driver.get_facts()
        interfaces = driver.get_interfaces()
        ips = driver.get_interfaces_ip()
        lldp = driver.get_lldp_neighbors()
        env = driver.get_environment()
    finally:
        driver.close()
    i = ident(twin, IOS)
    assert (facts["serial_number"], facts["model"], facts["vendor"], facts["hostname"]) == (
        i.serial,
        i.model,
        "Cisco",
        IOS,
    )
    assert i.version in facts["os_version"] and facts["uptime"] > 0
    lab = {i.name: i for i in state(twin, IOS).interfaces}
    assert {_suffix(n): v["is_up"] for n, v in interfaces.items()} == {
        _suffix(n): s.oper_up for n, s in lab.items()
    }
    assert {
        _suffix(n): {f"{a}/{p['prefix_length']}" for a, p in v["ipv4"].items()} for n, v in ips.items()
    } == {_suffix(k): {str(IPv4Interface(v))} for k, v in addresses(twin, IOS).items()}
    assert lldp == {"GigabitEthernet0/0/0": [{"port": "GigabitEthernet0/0/1", "hostname": VRP8}]}
    assert env["cpu"][0]["%usage"] == round(state(twin, IOS).cpu_percent)
    assert env["memory"]["available_ram"] > env["memory"]["used_ram"] > 0


@pytest.mark.parametrize(
    ("device", "commands", "answer"),
    [
        (
            VRP8,
            ["system-view", "interface GigabitEthernet0/0/4"],
            "Error: Wrong parameter found at '^' position.",
        ),
        (
            VRP5,
            ["system-view", "interface GigabitEthernet0/0/0"],
            "Error: Wrong parameter found at '^' position.",
        ),
        (
            COMWARE,
            ["system-view", "interface GigabitEthernet0/0/1"],
            " % Wrong parameter found at '^' position.",
        ),
        (
            IOS,
            ["configure terminal", "interface GigabitEthernet0/0/1"],
            "% Invalid input detected at '^' marker.",
        ),
    ],
)
def test_an_invalid_mask_is_refused_in_the_platform_s_words(
    twin: Twin, device: str, commands: list[str], answer: str
) -> None:
    conn = twin.connect(device)
    try:
        typed(conn, *commands)
        out = typed(conn, "ip address 10.79.200.1 255.255.255.256")
        assert answer in out
        caret = next(ln for ln in out.splitlines() if ln.rstrip().endswith("^"))
        assert caret.index("^") > 0  # under the mask, as the device points at the wrong word
        if device == IOS:
            assert "Bad mask 0xFF00FF00 for address 10.79.200.1" in typed(
                conn, "ip address 10.79.200.1 255.0.255.0"
            )
    finally:
        drop(conn)
    assert "10.79.200.1" not in "\n".join(
        twin.lab.call(lambda: twin.lab.ssh.store(device).running.text_lines())
    )


def test_ip_mib_and_lldp_mib_tell_what_the_cli_shows(twin: Twin) -> None:
    ip_if = "1.3.6.1.2.1.4.20.1.2"
    rows = twin.snmp("snmpwalk", VRP8, ip_if)
    assert rows is not None
    lab = {str(IPv4Interface(a).ip): state(twin, VRP8).interface(n) for n, a in addresses(twin, VRP8).items()}
    assert {oid[len(ip_if) + 1 :]: v for oid, v in rows.items()} == {
        ip: i.index for ip, i in lab.items() if i
    }
    sys_name = "1.0.8802.1.1.2.1.4.1.1.9"
    rem = twin.snmp("snmpwalk", VRP8, sys_name)
    assert rem is not None
    by_port = {int(oid.split(".")[-2]): v.decode() for oid, v in rem.items()}
    expected = {
        state(twin, VRP8).interface(n.local).index: n.system_name  # type: ignore[union-attr]
        for n in lldp_neighbours(twin.lab.world, state(twin, VRP8))
    }
    assert by_port == expected and len(expected) == 5  # core (two links) and three counties


def test_comware_bgp_peer_parses_with_ntc_templates_and_shows_a_configured_peer_active(twin: Twin) -> None:
    """No Comware BGP session in the twin: a peer configured by hand towards a router without BGP stays
    ``Active``, and ``display bgp peer ipv4`` says so in the layout ntc-templates' Comware template reads."""
    conn = twin.connect(COMWARE)
    try:
        typed(conn, "system-view", "bgp 65020", "peer 10.79.0.13 as-number 65000", "quit", "quit")
        out = show(twin, COMWARE, "display bgp peer ipv4")
        recs = parse_output(platform="hp_comware", command="display bgp peer ipv4", data=out)
        assert [(r["peer"], r["remote_asn"], r["state"], r["local_as_number"]) for r in recs] == [
            ("10.79.0.13", "65000", "Active", "65020")
        ]
        assert recs[0]["local_router_id"] == twin.address(COMWARE)
        assert [(p.address, p.up) for p in twin.lab.world.bgp_peers(COMWARE)] == [("10.79.0.13", False)]
    finally:
        typed(conn, "system-view", "undo bgp 65020", "quit")
        drop(conn)
    assert show(twin, COMWARE, "display bgp peer ipv4") == ""
