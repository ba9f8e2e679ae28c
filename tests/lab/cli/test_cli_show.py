"""Real netmiko clients log in to every simulated platform and read what the lab state says."""

from __future__ import annotations

import socket
import time

import pytest
from netmiko import NetmikoAuthenticationException, ReadTimeout

from tests.lab.cli.cli_testlib import ENABLE, LOGIN_S, Lab, connect, hang_up, in_parallel, running, send

PROMPTS = {
    "centre-core1": "<centre-core1>",
    "kashgar-ce1": "<kashgar-ce1>",
    "kashgar-shufu-ce1": "<kashgar-shufu-ce1>",
    "kashgar-kashi-ce1": "kashgar-kashi-ce1#",
    "kashgar-kashi-ce2": "kashgar-kashi-ce2>",
}
HUAWEI_SHOWS = ["display version", "display interface brief", "display ospf peer", "display cpu-usage"]
SHOWS = {
    "centre-core1": [*HUAWEI_SHOWS, "display memory-usage"],
    "kashgar-shufu-ce1": [*HUAWEI_SHOWS, "display memory-usage"],
    "kashgar-ce1": [*HUAWEI_SHOWS, "display memory"],
    "kashgar-kashi-ce1": [
        "show version",
        "show ip interface brief",
        "show ip ospf neighbor",
        "show processes cpu",
        "show memory statistics",
    ],
}


def _read_all(lab: Lab, device: str) -> dict[str, str]:
    conn = connect(lab, device, secret=ENABLE) if device == "kashgar-kashi-ce2" else connect(lab, device)
    try:
        out = {"prompt": conn.find_prompt()}
        if device == "kashgar-kashi-ce2":
            out["user-exec config"] = send(conn, "show running-config")
            conn.enable()
            out["enabled prompt"] = conn.find_prompt()
        for cmd in SHOWS.get(device, []):
            out[cmd] = send(conn, cmd)
        out["config"] = running(conn)
        return out
    finally:
        hang_up(conn)


def test_every_platform_logs_in_and_reports_the_lab_state(lab: Lab) -> None:
    results = in_parallel(lambda d: _read_all(lab, d), PROMPTS)
    for device, prompt in PROMPTS.items():
        assert results[device]["prompt"] == prompt
    assert lab.ssh.logins == len(PROMPTS)
    assert "kashgar-codec" not in lab.ssh.devices  # no CLI on a codec

    vrp8 = results["centre-core1"]
    assert "VRP (R) software, Version 8.180" in vrp8["display version"]
    assert "GigabitEthernet0/0/1" in vrp8["display interface brief"]
    assert "127.66." in vrp8["display ospf peer"] and "Full" in vrp8["display ospf peer"]
    cpu = round(lab.world.device("centre-core1").cpu_percent)
    assert f"CPU Usage            : {cpu}%" in vrp8["display cpu-usage"]
    assert "Memory Using Percentage Is:" in vrp8["display memory-usage"]
    assert "sysname centre-core1" in vrp8["config"]
    assert " description to-kashgar" in vrp8["config"]
    assert " ip address 10.66.0.1 255.255.255.252" in vrp8["config"]
    assert "ospf 1 router-id" in vrp8["config"] and "  network 10.66.0.0 0.0.0.3" in vrp8["config"]

    comware = results["kashgar-ce1"]
    assert "H3C Comware Software, Version 7.1" in comware["display version"]
    assert "GE0/0/0" in comware["display interface brief"] and "UP" in comware["display interface brief"]
    assert "Full/DR" in comware["display ospf peer"]
    assert "in last 5 seconds" in comware["display cpu-usage"]
    assert "Mem:" in comware["display memory"]
    assert " sysname kashgar-ce1" in comware["config"]

    vrp5 = results["kashgar-shufu-ce1"]
    assert "Version 5.170 (AR2220E V200R010C10SPC700)" in vrp5["display version"]
    assert "ntp-service unicast-server" in vrp5["config"]

    ios = results["kashgar-kashi-ce1"]
    assert "Cisco IOS Software" in ios["show version"]
    assert "GigabitEthernet0/0/0" in ios["show ip interface brief"]
    assert "10.66.0.10" in ios["show ip interface brief"]
    assert "FULL/" in ios["show ip ospf neighbor"] and "10.66.0.9" in ios["show ip ospf neighbor"]
    assert "CPU utilization for five seconds" in ios["show processes cpu"]
    assert "Processor" in ios["show memory statistics"]
    assert "hostname kashgar-kashi-ce1" in ios["config"]
    assert "router ospf 1" in ios["config"]

    enabled = results["kashgar-kashi-ce2"]
    assert "% Invalid input detected at '^' marker." in enabled["user-exec config"]
    assert enabled["enabled prompt"] == "kashgar-kashi-ce2#"
    assert "hostname kashgar-kashi-ce2" in enabled["config"]

    for result in results.values():
        # secrets never appear in a generated configuration
        assert "c0mmunity-x" not in result["config"] and ENABLE not in result["config"]


def test_interface_and_neighbour_follow_faults(lab: Lab) -> None:
    # the centre keeps answering when its link to kashgar fails (kashgar is cut off instead)
    link = next(lk for lk in lab.world.inventory.links.values() if lk.b.device == "centre-core1")
    conn = connect(lab, "centre-core1")
    try:
        assert "Full" in send(conn, "display ospf peer")
        lab.loop.call(lab.world.set_link_down, link.id, True)
        rows = send(conn, "display interface brief").splitlines()
        assert next(ln for ln in rows if ln.startswith("GigabitEthernet0/0/1")).split()[1:3] == [
            "down",
            "down",
        ]
        # a loopback's protocol is up(s), spoofing, as on a real VRP
        assert next(ln for ln in rows if ln.startswith("LoopBack0")).split()[1:3] == ["up", "up(s)"]
        assert "Full" not in send(conn, "display ospf peer")
        lab.loop.call(lab.world.set_link_down, link.id, False)
        assert "Full" in send(conn, "display ospf peer")
    finally:
        hang_up(conn)
    # admin down comes from the running configuration (a port off the device's path: shutting its only
    # uplink would cut it off, tests/lab/twin)
    ios = connect(lab, "kashgar-kashi-ce1")
    try:
        ios.send_config_set(["interface Loopback5", "shutdown"])
        row = next(
            ln for ln in send(ios, "show ip interface brief").splitlines() if ln.startswith("Loopback5")
        )
        assert "administratively down" in row
    finally:
        hang_up(ios)


def test_wrong_password_is_refused(lab: Lab) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        connect(lab, "kashgar-kashi-ce1", password="not-the-password")
    assert lab.ssh.failed_logins == 1
    assert lab.ssh.logins == 0


def test_device_that_does_not_answer_never_sends_a_banner(lab: Lab) -> None:
    host, port = lab.ssh.address("kashgar-shufu-ce1")
    lab.loop.call(lab.world.set_node_down, "kashgar-shufu-ce1", True)
    with socket.create_connection((host, port), timeout=2) as sock:
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(100)  # TCP is accepted, the SSH banner never comes
    lab.loop.call(lab.world.set_node_down, "kashgar-shufu-ce1", False)
    with socket.create_connection((host, port), timeout=LOGIN_S) as sock:
        sock.settimeout(LOGIN_S)  # the device answers again: as long as a loaded machine needs for the banner
        assert sock.recv(100).startswith(b"SSH-2.0-")


def test_session_goes_silent_when_the_device_stops_answering_and_slow_devices_are_slow(lab: Lab) -> None:
    conn = connect(lab, "kashgar-kashi-ce1")
    try:
        lab.world.device("kashgar-kashi-ce1").slow_ms = 300
        start = time.monotonic()
        send(conn, "show clock")
        assert time.monotonic() - start >= 0.3
        lab.world.device("kashgar-kashi-ce1").slow_ms = 0
        lab.loop.call(lab.world.set_node_down, "kashgar-kashi-ce1", True)
        with pytest.raises(ReadTimeout):
            conn.send_command("show clock", expect_string=r"#", read_timeout=0.6, cmd_verify=False)
        lab.loop.call(lab.world.set_node_down, "kashgar-kashi-ce1", False)
        assert "UTC" in send(conn, "show clock")  # the lost line stays lost; the session answers again
    finally:
        conn.disconnect()
