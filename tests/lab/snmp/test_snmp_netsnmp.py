"""net-snmp's own tools (snmpbulkwalk, snmpget, snmpgetnext) against the lab agents, v2c and v3."""

from __future__ import annotations

import time

from netops.inventory.models import Inventory
from tests.lab.snmp.snmp_testlib import (
    AUTH,
    PRIV,
    V2C_ARGS,
    V3_SHA,
    V3_SHA256,
    LabThread,
    netsnmp,
    parse_netsnmp,
    target,
)

IF_OPER = "1.3.6.1.2.1.2.2.1.8"
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6"


def walk(inventory: Inventory, device: str, auth: list[str], oid: str = "1") -> dict[str, tuple[str, object]]:
    done = netsnmp("snmpbulkwalk", *auth, "-Cr25", target(inventory, device), oid)
    assert done.returncode == 0, done.stderr
    return parse_netsnmp(done.stdout)


def get(inventory: Inventory, device: str, auth: list[str], *oids: str) -> dict[str, tuple[str, object]]:
    done = netsnmp("snmpget", *auth, target(inventory, device), *oids)
    assert done.returncode == 0, done.stderr
    return parse_netsnmp(done.stdout)


def test_v2c_walk_of_a_huawei_core(lab: LabThread, inventory: Inventory) -> None:
    mib = walk(inventory, "centre-core1", V2C_ARGS)
    keys = list(mib)
    assert keys == sorted(keys, key=lambda k: tuple(int(a) for a in k.split(".")))  # lexicographic order
    assert mib["1.3.6.1.2.1.1.5.0"] == ("OCTET STRING", b"centre-core1")
    assert mib["1.3.6.1.2.1.1.6.0"] == ("OCTET STRING", "自治区人民政府办公厅".encode())
    assert mib["1.3.6.1.2.1.1.2.0"] == ("OID", "1.3.6.1.4.1.2011.2.62.2.9")
    assert b"Huawei Versatile Routing Platform" in mib["1.3.6.1.2.1.1.1.0"][1]  # type: ignore[operator]
    state = lab.world.device("centre-core1")
    uptime = mib["1.3.6.1.2.1.1.3.0"][1]
    assert isinstance(uptime, int) and abs(uptime - state.uptime_s() * 100) < 500
    assert mib["1.3.6.1.2.1.2.1.0"] == ("INTEGER", 4)
    assert mib["1.3.6.1.2.1.2.2.1.2.1"] == ("OCTET STRING", b"GigabitEthernet0/0/1")
    # ifName: VRP's own long spelling of the inventory's GE0/0/1 (as a real VRP agent fills it)
    assert mib["1.3.6.1.2.1.31.1.1.1.1.1"] == ("OCTET STRING", b"GigabitEthernet0/0/1")
    assert mib["1.3.6.1.2.1.31.1.1.1.18.1"] == ("OCTET STRING", b"to kashgar-ce1")
    assert mib["1.3.6.1.2.1.2.2.1.3.4"] == ("INTEGER", 24)  # LoopBack0 softwareLoopback
    assert mib["1.3.6.1.2.1.2.2.1.5.3"] == ("Gauge32", 2**32 - 1)  # 10 Gbit/s capped
    assert mib["1.3.6.1.2.1.31.1.1.1.15.3"] == ("Gauge32", 10000)
    assert all(mib[f"{IF_OPER}.{i}"] == ("INTEGER", 1) for i in range(1, 5))
    hc_in = mib[f"{IF_HC_IN}.1"]
    assert hc_in[0] == "Counter64"
    in32 = mib["1.3.6.1.2.1.2.2.1.10.1"]
    assert in32[0] == "Counter32" and isinstance(in32[1], int) and isinstance(hc_in[1], int)
    assert (
        0 <= (hc_in[1] - in32[1]) % 2**32 < 10**7
    )  # the 32-bit view of the same counter, read a bit earlier
    # CPU / memory per board; the main board is the module(9)
    assert mib["1.3.6.1.2.1.47.1.1.1.1.5.16842753"] == ("INTEGER", 9)
    assert mib["1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5.16842753"] == ("INTEGER", round(state.cpu_percent))
    assert mib["1.3.6.1.4.1.2011.5.25.31.1.1.1.1.7.16842753"] == ("INTEGER", round(state.memory_percent))
    assert mib["1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5.16973825"] == ("INTEGER", 0)
    # OSPF neighbours: the link address when the inventory has one, else the router id
    assert mib["1.3.6.1.2.1.14.10.1.6.10.67.1.2.0"] == ("INTEGER", 8)
    assert mib["1.3.6.1.2.1.14.10.1.3.10.67.1.2.0"] == ("IpAddress", "127.67.1.1")
    assert mib["1.3.6.1.2.1.14.10.1.6.127.67.3.1.0"] == ("INTEGER", 8)
    # BGP to the internet exit
    assert mib["1.3.6.1.2.1.15.3.1.2.127.67.0.2"] == ("INTEGER", 6)
    assert mib["1.3.6.1.2.1.15.3.1.7.127.67.0.2"] == ("IpAddress", "127.67.0.2")
    remote_as = mib["1.3.6.1.2.1.15.3.1.9.127.67.0.2"][1]
    assert isinstance(remote_as, int) and 64512 <= remote_as < 65512
    assert "1.3.6.1.2.1.33.1.4.1.0" not in mib  # no UPS on this device


def test_v3_sha_h3c_with_ups(lab: LabThread, inventory: Inventory) -> None:
    mib = walk(inventory, "kashgar-ce1", V3_SHA)
    state = lab.world.device("kashgar-ce1")
    assert mib["1.3.6.1.2.1.1.2.0"][1] == "1.3.6.1.4.1.25506.11.1.138"
    assert mib["1.3.6.1.2.1.2.2.1.2.1"] == ("OCTET STRING", b"GigabitEthernet0/0")
    assert mib["1.3.6.1.4.1.25506.2.6.1.1.1.1.6.2"] == ("INTEGER", round(state.cpu_percent))
    assert mib["1.3.6.1.4.1.25506.2.6.1.1.1.1.8.2"] == ("INTEGER", round(state.memory_percent))
    assert [mib[f"1.3.6.1.2.1.47.1.1.1.1.5.{i}"][1] for i in (1, 2, 27, 31)] == [3, 9, 6, 7]
    assert mib["1.3.6.1.2.1.33.1.4.1.0"] == ("INTEGER", 3)
    assert mib["1.3.6.1.6.3.10.2.1.2.0"] == ("INTEGER", 1)  # snmpEngineBoots

    def battery() -> None:
        state.on_battery = True
        state.battery_minutes = 8
        state.cpu_percent = 97.0

    lab.call(battery)
    ups = get(
        inventory,
        "kashgar-ce1",
        V3_SHA,
        "1.3.6.1.2.1.33.1.4.1.0",
        "1.3.6.1.2.1.33.1.2.3.0",
        "1.3.6.1.2.1.33.1.2.1.0",
        "1.3.6.1.4.1.25506.2.6.1.1.1.1.6.2",
    )
    assert list(ups.values()) == [("INTEGER", 5), ("INTEGER", 8), ("INTEGER", 3), ("INTEGER", 97)]


def test_v3_sha256_cisco_cpu_and_memory(lab: LabThread, inventory: Inventory) -> None:
    mib = walk(inventory, "centre-exit", V3_SHA256, "1.3.6.1.4.1.9")
    state = lab.world.device("centre-exit")
    assert mib["1.3.6.1.4.1.9.9.109.1.1.1.1.8.1"] == ("INTEGER", round(state.cpu_percent))
    assert mib["1.3.6.1.4.1.9.9.109.1.1.1.1.2.1"] == ("INTEGER", 2)  # cpmCPUTotalPhysicalIndex -> module R0
    used, free = mib["1.3.6.1.4.1.9.9.48.1.1.1.5.1"][1], mib["1.3.6.1.4.1.9.9.48.1.1.1.6.1"][1]
    assert isinstance(used, int) and isinstance(free, int)
    assert abs(used / (used + free) * 100 - state.memory_percent) < 0.01
    assert mib["1.3.6.1.4.1.9.9.48.1.1.1.2.1"] == ("OCTET STRING", b"Processor")


def test_wrong_credentials_behave_like_net_snmp(lab: LabThread, inventory: Inventory) -> None:
    core, h3c = target(inventory, "centre-core1"), target(inventory, "kashgar-ce1")
    sysname = "1.3.6.1.2.1.1.5.0"
    wrong_community = netsnmp("snmpget", "-v2c", "-c", "not-the-community", core, sysname, timeout=0.5)
    assert wrong_community.returncode != 0 and "Timeout" in wrong_community.stderr
    assert lab.snmp.counters("centre-core1")["bad_community"] == 1
    wrong_auth = [a if a != AUTH else "wrong-auth-key" for a in V3_SHA]
    # a report or an error is an answer: those requests wait the kit's default, the dropped ones 0.5 s
    done = netsnmp("snmpget", *wrong_auth, h3c, sysname)
    assert "Authentication failure" in done.stderr  # usmStatsWrongDigests report
    wrong_priv = [a if a != PRIV else "wrong-priv-key" for a in V3_SHA]
    done = netsnmp("snmpget", *wrong_priv, h3c, sysname, timeout=0.5)
    assert "Timeout" in done.stderr  # decrypts to garbage: dropped, as snmpd does
    unknown = [a if a != "netops-ro" else "nobody" for a in V3_SHA]
    done = netsnmp("snmpget", *unknown, h3c, sysname)
    assert "Unknown user name" in done.stderr
    auth_no_priv = ["-v3", "-l", "authNoPriv", "-u", "netops-ro", "-a", "SHA", "-A", AUTH]
    done = netsnmp("snmpget", *auth_no_priv, h3c, sysname)
    assert "authorizationError" in done.stdout + done.stderr
    done = netsnmp("snmpget", *V3_SHA, "-n", "vpn1", h3c, sysname, timeout=0.5)
    assert "Timeout" in done.stderr  # only the default context exists; snmpd does not answer either
    # a device answers only its own profile's version
    assert "Timeout" in netsnmp("snmpget", *V3_SHA, core, sysname, timeout=0.5).stderr
    assert "Timeout" in netsnmp("snmpget", *V2C_ARGS, h3c, sysname, timeout=0.5).stderr
    counters = lab.snmp.counters("kashgar-ce1")
    assert counters["wrong_digests"] >= 1 and counters["unknown_user_names"] >= 1
    assert counters["undecodable_scoped_pdus"] >= 1 and counters["authorization_errors"] >= 1
    assert counters["unknown_contexts"] == 1


def test_get_and_getnext_semantics(lab: LabThread, inventory: Inventory) -> None:
    core = target(inventory, "centre-core1")
    done = netsnmp(
        "snmpget",
        *V2C_ARGS,
        core,
        "1.3.6.1.2.1.1.5",
        "1.3.6.1.2.1.1.5.1",
        "1.3.6.1.2.1.2.2.1.1.99",
        "1.3.6.1.2.1.2.2.1.99.1",
        "1.3.6.1.2.1.1.99.0",
        "1.3.6.1.9.9",
    )
    kinds = [kind for kind, _ in parse_netsnmp(done.stdout).values()]
    assert kinds == ["noSuchInstance"] * 3 + ["noSuchObject"] * 3  # what net-snmp's snmpd answers
    done = netsnmp("snmpgetnext", *V2C_ARGS, core, "1.3.6.1.2.1.1", "1.3.6.1.2.1.2.2.1.8.4", "1.9")
    nxt = list(parse_netsnmp(done.stdout).items())
    assert nxt[0][0] == "1.3.6.1.2.1.1.1.0"
    assert nxt[1][0] == "1.3.6.1.2.1.2.2.1.9.1"
    assert nxt[2] == ("1.9", ("endOfMibView", None))


def test_link_down_and_unreachable_devices(lab: LabThread, inventory: Inventory) -> None:
    hotan, kashgar = target(inventory, "hotan-ce1"), target(inventory, "kashgar-ce1")
    hotan_backup, kashgar_backup = f"{IF_OPER}.2", f"{IF_OPER}.3"  # Gi0/0/1 and GE0/2
    assert get(inventory, "hotan-ce1", V2C_ARGS, hotan_backup)[hotan_backup] == ("INTEGER", 1)
    lab.call(lambda: lab.world.set_link_down("kashgar-hotan-backup", True))
    assert get(inventory, "hotan-ce1", V2C_ARGS, hotan_backup)[hotan_backup] == ("INTEGER", 2)
    assert get(inventory, "kashgar-ce1", V3_SHA, kashgar_backup)[kashgar_backup] == ("INTEGER", 2)
    last_change = get(inventory, "hotan-ce1", V2C_ARGS, "1.3.6.1.2.1.2.2.1.9.2", "1.3.6.1.2.1.1.3.0")
    change, uptime = (v for _, v in last_change.values())
    assert isinstance(change, int) and isinstance(uptime, int) and 0 <= uptime - change < 300
    # the county behind kashgar-ce1 loses its only path: it stops answering; its uplink shows down
    lab.call(lambda: lab.world.set_link_down("kashgar-shufu", True))
    done = netsnmp("snmpget", *V2C_ARGS, target(inventory, "shufu-ce1"), "1.3.6.1.2.1.1.5.0", timeout=0.5)
    assert done.returncode != 0 and "Timeout" in done.stderr
    assert get(inventory, "kashgar-ce1", V3_SHA, f"{IF_OPER}.2")[f"{IF_OPER}.2"] == ("INTEGER", 2)
    assert lab.snmp.counters("shufu-ce1")["silenced"] == 1
    lab.call(lambda: lab.world.set_link_down("kashgar-shufu", False))
    assert get(inventory, "shufu-ce1", V2C_ARGS, f"{IF_OPER}.1")[f"{IF_OPER}.1"] == ("INTEGER", 1)
    assert hotan and kashgar


def test_hc_counters_advance(lab: LabThread, inventory: Inventory) -> None:
    oid = f"{IF_HC_IN}.1"
    first = get(inventory, "hotan-ce1", V2C_ARGS, oid)[oid][1]
    time.sleep(0.3)
    second = get(inventory, "hotan-ce1", V2C_ARGS, oid)[oid][1]
    assert isinstance(first, int) and isinstance(second, int) and second > first


def test_slow_device_and_reboot(lab: LabThread, inventory: Inventory) -> None:
    state = lab.world.device("kashgar-ce1")
    lab.call(lambda: setattr(state, "slow_ms", 400.0))
    started = time.monotonic()
    assert get(inventory, "kashgar-ce1", V3_SHA, "1.3.6.1.2.1.1.5.0")
    assert time.monotonic() - started >= 0.4 * 2  # discovery and the request are both delayed
    too_short = netsnmp(
        "snmpget", *V3_SHA, target(inventory, "kashgar-ce1"), "1.3.6.1.2.1.1.5.0", timeout=0.2
    )
    assert "Timeout" in too_short.stderr
    lab.call(lambda: setattr(state, "slow_ms", 0.0))
    lab.call(lambda: lab.world.set_node_down("kashgar-ce1", True))
    down = netsnmp("snmpget", *V3_SHA, target(inventory, "kashgar-ce1"), "1.3.6.1.2.1.1.5.0", timeout=0.3)
    assert "Timeout" in down.stderr
    lab.call(lambda: lab.world.set_node_down("kashgar-ce1", False))
    after = get(inventory, "kashgar-ce1", V3_SHA, "1.3.6.1.2.1.1.3.0", "1.3.6.1.6.3.10.2.1.2.0")
    uptime, boots = (v for _, v in after.values())
    assert isinstance(uptime, int) and uptime < 500  # rebooted just now
    assert boots == 2  # snmpEngineBoots counts the reboot; clients re-synchronise


def test_auth_no_priv_profile_with_md5(lab: LabThread, inventory: Inventory) -> None:
    switch = target(inventory, "hotan-sw1")
    auth_only = ["-v3", "-l", "authNoPriv", "-u", "monitor", "-a", "MD5", "-A", AUTH]
    values = get(inventory, "hotan-sw1", auth_only, "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.2.2.1.3.2")
    assert list(values.values()) == [("OCTET STRING", b"hotan-sw1"), ("INTEGER", 136)]  # Vlanif10: l3ipvlan
    with_priv = ["-v3", "-l", "authPriv", "-u", "monitor", "-a", "MD5", "-A", AUTH, "-x", "AES", "-X", PRIV]
    assert "Unsupported security level" in netsnmp("snmpget", *with_priv, switch, "1.3.6.1.2.1.1.5.0").stderr
    no_auth = ["-v3", "-l", "noAuthNoPriv", "-u", "monitor"]
    done = netsnmp("snmpget", *no_auth, switch, "1.3.6.1.2.1.1.5.0")
    assert "authorizationError" in done.stdout + done.stderr
