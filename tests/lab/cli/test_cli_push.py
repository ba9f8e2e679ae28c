"""Pushing configuration with netmiko's own methods on every platform; errors and rejected lines.

Each platform's flow runs in its own thread: netmiko's Huawei driver waits 2 s of quiet time whenever it
checks for configuration mode, so running the flows side by side keeps the test short.
"""

from __future__ import annotations

import pytest
from netmiko import ConfigInvalidException

from tests.lab.cli.cli_testlib import Lab, connect, hang_up, in_parallel, running, send

ITF = {
    "centre-core1": "interface GE0/0/1",
    "kashgar-shufu-ce1": "interface GE0/0/0",
    "kashgar-ce1": "interface GE0/0/0",
    "kashgar-kashi-ce1": "interface Gi0/0/0",
}
STORED_ITF = {
    "centre-core1": "interface GigabitEthernet0/0/1",
    "kashgar-shufu-ce1": "interface GigabitEthernet0/0/0",
    "kashgar-ce1": "interface GigabitEthernet0/0/0",
    "kashgar-kashi-ce1": "interface GigabitEthernet0/0/0",
}
SAVED = {
    "centre-core1": "Save the configuration successfully",
    "kashgar-shufu-ce1": "Configuration file had been saved successfully",
    "kashgar-ce1": "Saved the current configuration to mainboard device successfully",
    "kashgar-kashi-ce1": "[OK]",
}


def _push_commit_save(lab: Lab, device: str) -> dict[str, str]:
    conn = connect(lab, device)
    try:
        out = {"push": conn.send_config_set([ITF[device], "description pushed-by-netops"])}
        if device == "centre-core1":
            out["before commit"] = running(conn)
            out["commit"] = conn.commit()
        out["after"] = running(conn)
        out["save"] = conn.save_config()
    finally:
        hang_up(conn)
    again = connect(lab, device)
    try:
        out["new session"] = running(again)
    finally:
        hang_up(again)
    return out


def test_send_config_set_commit_and_save_config_on_every_platform(lab: Lab) -> None:
    results = in_parallel(lambda d: _push_commit_save(lab, d), ITF)
    for device, out in results.items():
        block = f"{STORED_ITF[device]}\n description pushed-by-netops"
        assert block in out["after"], device
        assert block in out["new session"], device
        assert SAVED[device] in out["save"], device
        assert lab.loop.call(lab.ssh.store, device).saves == 1
    assert "pushed-by-netops" not in results["centre-core1"]["before commit"]  # VRP8: candidate until commit
    assert "[*centre-core1-GigabitEthernet0/0/1]" in results["centre-core1"]["push"]


def _errors(lab: Lab, device: str) -> dict[str, str]:
    conn = connect(lab, device)
    out: dict[str, str] = {}
    try:
        system = "configure terminal" if device == "kashgar-kashi-ce1" else "system-view"
        send(conn, system, r"[\])]#?\s*$")
        try:
            conn.send_config_set(
                [ITF[device], "descriptoin typo"],
                enter_config_mode=False,
                exit_config_mode=False,
                error_pattern=r"^(Error:| % |% )",
            )
        except ConfigInvalidException as exc:
            out["invalid"] = str(exc)
        route = "ip route" if device == "kashgar-kashi-ce1" else "ip route-static"
        out["rejected"] = send(conn, f"{route} 0.0.0.0 0.0.0.0 10.66.0.9", r"[\]#]\s*$")
        out["unknown here"] = send(conn, "frobnicate now", r"[\]#]\s*$")
        out["prompt"] = conn.find_prompt()
        if device == "centre-core1":
            send(conn, "clear configuration candidate", r"\]\s*$")
        send(conn, "end" if device == "kashgar-kashi-ce1" else "return", r"[>#]\s*$")
        out["config"] = running(conn)
    finally:
        hang_up(conn)
    return out


ERRORS = {
    "centre-core1": ("Error: Unrecognized command found at '^' position.", "Error: The command is rejected"),
    "kashgar-shufu-ce1": (
        "Error: Unrecognized command found at '^' position.",
        "Error: The command is rejected",
    ),
    "kashgar-ce1": (" % Unrecognized command found at '^' position.", " % The command was rejected"),
    "kashgar-kashi-ce1": ("% Invalid input detected at '^' marker.", "% Command rejected"),
}


def test_invalid_and_rejected_lines_give_the_platform_error(lab: Lab) -> None:
    for device in ITF:
        lab.world.device(device).rejected_lines = [r"^ip route(-static)? 0\.0\.0\.0 0\.0\.0\.0"]
    results = in_parallel(lambda d: _errors(lab, d), ITF)
    for device, out in results.items():
        unknown, rejected = ERRORS[device]
        assert "descriptoin typo" in out["invalid"], device
        assert unknown in out["unknown here"], device
        assert rejected in out["rejected"], device
        caret_line = out["unknown here"].splitlines()[0]
        assert caret_line.index("^") == len(out["prompt"]), device  # the caret sits under the first word
        assert "0.0.0.0 0.0.0.0" not in out["config"], device
        assert "typo" not in out["config"], device


def test_vrp5_has_no_commit(lab: Lab) -> None:
    conn = connect(lab, "kashgar-shufu-ce1")
    try:
        send(conn, "system-view", r"\]\s*$")
        assert "Unrecognized command" in send(conn, "commit", r"\]\s*$")
        # applies at once: no candidate on VRP5 (a harmless line: `undo ospf 1` would cut the county off)
        send(conn, "ntp-service unicast-server 10.9.9.9", r"\]\s*$")
        send(conn, "return", r">\s*$")
        assert "ntp-service unicast-server 10.9.9.9" in running(conn)
    finally:
        hang_up(conn)


@pytest.mark.parametrize("device", ["centre-core1", "kashgar-kashi-ce1"])
def test_nested_blocks_stay_in_order(lab: Lab, device: str) -> None:
    conn = connect(lab, device)
    try:
        if device == "centre-core1":
            send(conn, "system-view", r"\]\s*$")
            lines = [
                "ospf 1",
                "area 0",
                "network 10.99.0.0 0.0.0.255",
                "quit",
                "silent-interface GE0/0/1",
                "interface LoopBack1",
                "ip address 10.255.1.1 255.255.255.255",
                "commit",
            ]
            for line in lines:
                send(conn, line, r"\]\s*$")
            prompt_after_area = "[~centre-core1-LoopBack1]"
            assert conn.find_prompt() == prompt_after_area
            send(conn, "return", r">\s*$")
            cfg = running(conn)
            assert "ospf 1 router-id" in cfg
            ospf = cfg[cfg.index("ospf 1 router-id") :]
            assert ospf.index("  network 10.99.0.0 0.0.0.255") < ospf.index(" silent-interface GE0/0/1")
            assert "interface LoopBack1\n ip address 10.255.1.1 255.255.255.255" in cfg
        else:
            conn.send_config_set(
                [
                    "router ospf 1",
                    "network 10.99.0.0 0.0.0.255 area 0",
                    "interface Loopback1",
                    "ip address 10.255.1.1 255.255.255.255",
                    "no ip address",
                    "description lo1",
                ]
            )
            cfg = running(conn)
            assert " network 10.99.0.0 0.0.0.255 area 0" in cfg
            assert "interface Loopback1\n description lo1\n!" in cfg
    finally:
        hang_up(conn)
