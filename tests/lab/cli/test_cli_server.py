"""The SSH lab as the lead's ``netops lab up`` uses it: bind errors, restarts, device selection, settings."""

from __future__ import annotations

import pytest

from netops.errors import LabError, NotFoundError
from netops.lab.cli import start_ssh
from netops.secrets import SecretStore
from tests.lab.cli.cli_testlib import Lab, connect, hang_up, running


def test_a_second_lab_on_taken_addresses_raises_lab_error_naming_device_and_address(
    lab: Lab, secrets: SecretStore
) -> None:
    host, port = lab.ssh.address("centre-core1")
    with pytest.raises(LabError, match=rf"centre-core1: cannot listen for SSH on {host}:{port}: "):
        lab.loop.run(start_ssh(lab.world, secrets))
    conn = connect(lab, "kashgar-kashi-ce1")  # the running lab is untouched
    try:
        assert conn.find_prompt() == "kashgar-kashi-ce1#"
    finally:
        hang_up(conn)


def test_configuration_survives_a_lab_restart_within_one_world(lab: Lab, secrets: SecretStore) -> None:
    conn = connect(lab, "kashgar-kashi-ce1")
    try:
        conn.send_config_set(["hostname kashi-renamed"])
    finally:
        hang_up(conn)
    lab.loop.run(lab.ssh.close())
    again = lab.loop.run(start_ssh(lab.world, secrets, ["kashgar-kashi-ce1"]))
    try:
        assert again.devices == ["kashgar-kashi-ce1"]
        lab.ssh = again
        conn = connect(lab, "kashgar-kashi-ce1")
        try:
            assert conn.find_prompt() == "kashi-renamed#"
            assert "hostname kashi-renamed" in running(conn)
        finally:
            hang_up(conn)
    finally:
        lab.loop.run(again.close())


def test_device_selection_and_settings(lab: Lab, secrets: SecretStore) -> None:
    with pytest.raises(NotFoundError):
        lab.loop.run(start_ssh(lab.world, secrets, ["no-such-device"]))
    with pytest.raises(LabError):
        lab.ssh.minute_seconds = 0
    lab.ssh.minute_seconds = 0.5
    assert lab.ssh.settings.minute_seconds == 0.5
    assert sorted(lab.ssh.devices) == [
        "centre-core1",
        "kashgar-ce1",
        "kashgar-kashi-ce1",
        "kashgar-kashi-ce2",
        "kashgar-shufu-ce1",
    ]


def test_line_editing_keys_backspace_and_ctrl_z(lab: Lab) -> None:
    conn = connect(lab, "kashgar-kashi-ce1")
    try:
        conn.write_channel("configure terminal\n")
        conn.read_until_pattern(r"\(config\)#")
        conn.write_channel("hostnamx\x7fe edited-name\n")  # backspace corrects the typo, as on a terminal
        conn.read_until_pattern(r"edited-name\(config\)#")
        conn.write_channel("\x1a")  # Ctrl+Z: back to the exec view
        assert "^Z" in conn.read_until_pattern(r"edited-name#")
    finally:
        hang_up(conn)
