"""Transactions as each platform has them: VRP8 trial commit/abort/rollback, Comware commit delay, IOS revert
timer. Timers really run on the lab's event loop; these tests make a lab "minute" last two seconds.

The timers are long (``TIMER_S``): a loaded machine can take seconds over the steps that need a change still on
trial (show it, confirm it), so a short timer could run out first. Where a test would wait for the timer it
lets the device's pending revert run out now (``expire_revert``); a confirmed change has nothing left to run
out."""

from __future__ import annotations

import re

from netmiko import BaseConnection

from tests.lab.cli.cli_testlib import (
    Lab,
    connect,
    expire_revert,
    hang_up,
    revert_left,
    running,
    send,
    wait_for,
)

SYSTEM = r"\]\s*$"
USER = r">\s*$"
TIMER_S = 120  # every trial's length in seconds (VRP counts seconds, Comware and IOS lab minutes of 2 s)
MINUTE_S = 2.0


def commit_ids(conn: BaseConnection) -> list[int]:
    text = send(conn, "display configuration commit list")
    return [int(m) for m in re.findall(r"^ \d+\s+(\d{10})\s", text, re.M)]


def test_vrp8_trial_commit_reverts_unless_confirmed_and_rollback_restores(lab: Lab) -> None:
    conn = connect(lab, "centre-core1")
    try:
        send(conn, "system-view", SYSTEM)
        # a trial that nobody confirms goes back by itself
        conn.send_config_set(["interface GE0/0/1", "description trial-1"], enter_config_mode=False)
        assert "roll back" in send(conn, f"commit trial {TIMER_S}", SYSTEM)
        assert "description trial-1" in running(conn)
        assert "Trial: yes" in send(conn, "display configuration trial status")
        left = revert_left(lab, "centre-core1")
        assert left is not None and 0 < left <= TIMER_S  # armed for the trial's seconds
        assert expire_revert(lab, "centre-core1")  # its time runs out
        assert wait_for(lambda: "description trial-1" not in running(conn))
        assert " description to-kashgar" in running(conn)
        # a confirmed trial stays
        conn.send_config_set(["interface GE0/0/1", "description trial-2"], enter_config_mode=False)
        send(conn, f"commit trial {TIMER_S}", SYSTEM)
        assert "confirmed" in send(conn, "commit", SYSTEM)
        assert "Trial: no" in send(conn, "display configuration trial status")
        assert not expire_revert(lab, "centre-core1")  # nothing left to run out
        assert "description trial-2" in running(conn)
        # abort trial goes back at once
        conn.send_config_set(["interface LoopBack0", "description trial-3"], enter_config_mode=False)
        send(conn, "commit trial 60", SYSTEM)
        assert "rolled back" in send(conn, "abort trial", SYSTEM)
        assert "trial-3" not in running(conn)
        # rollback (user view) to a commit point, and by count
        send(conn, "return", USER)
        ids = commit_ids(conn)
        assert len(ids) == 6  # initial, trial-1, its rollback, trial-2, trial-3, its rollback
        assert "succeeded" in send(conn, f"rollback configuration to commit-id {min(ids)}")
        assert " description to-kashgar" in running(conn) and "trial-2" not in running(conn)
        send(conn, "rollback configuration last 1")
        assert "description trial-2" in running(conn)
        assert "does not exist" in send(conn, "rollback configuration to commit-id 999")
    finally:
        hang_up(conn)


def test_vrp8_leaving_system_view_with_uncommitted_edits_asks(lab: Lab) -> None:
    conn = connect(lab, "centre-core1")
    try:
        send(conn, "system-view", SYSTEM)
        send(conn, "sysname other-name", SYSTEM)
        assert conn.find_prompt() == "[*centre-core1]"  # the sysname is not committed yet
        assert "[Y(yes)/N(no)/C(cancel)]" in send(conn, "return", r"\(cancel\)\]:")
        send(conn, "c", SYSTEM)  # cancel: still in system view, edits kept
        assert "+sysname other-name" in send(conn, "display configuration candidate changes", SYSTEM)
        send(conn, "quit", r"\(cancel\)\]:")
        send(conn, "n", USER)  # no: edits discarded
        assert "sysname centre-core1" in running(conn)
        send(conn, "system-view", SYSTEM)
        send(conn, "sysname renamed-core", SYSTEM)
        send(conn, "return", r"\(cancel\)\]:")
        send(conn, "y", r">\s*$")  # yes: committed on the way out
        assert conn.find_prompt() == "<renamed-core>"
    finally:
        hang_up(conn)


def test_comware_commit_delay_rolls_back_unless_confirmed(lab: Lab) -> None:
    lab.ssh.minute_seconds = MINUTE_S  # a lab "minute" of 2 s
    minutes = int(TIMER_S / MINUTE_S)
    conn = connect(lab, "kashgar-ce1")
    try:
        send(conn, "system-view", SYSTEM)
        send(conn, f"configuration commit delay {minutes}", SYSTEM)
        send(conn, "interface GE0/0/1", SYSTEM)
        send(conn, "description delayed-1", SYSTEM)
        assert "description delayed-1" in running(conn)  # applied at once
        left = revert_left(lab, "kashgar-ce1")
        assert left is not None and 0 < left <= TIMER_S  # the delay's minutes, each a lab minute
        assert expire_revert(lab, "kashgar-ce1")  # its time runs out
        assert wait_for(lambda: "delayed-1" not in running(conn))  # not confirmed: rolled back
        send(conn, f"configuration commit delay {minutes}", SYSTEM)
        send(conn, "description delayed-2", SYSTEM)
        send(conn, "configuration commit", SYSTEM)
        assert not expire_revert(lab, "kashgar-ce1")  # confirmed: nothing left to run out
        assert "description delayed-2" in running(conn)
        assert "Saved the current configuration" in send(conn, "save force", SYSTEM)
    finally:
        hang_up(conn)
    assert lab.loop.call(lab.ssh.store, "kashgar-ce1").reverts == 1


def test_ios_revert_timer_rolls_back_unless_confirmed(lab: Lab) -> None:
    lab.ssh.minute_seconds = MINUTE_S
    conn = connect(lab, "kashgar-kashi-ce1")
    try:
        timed = f"configure terminal revert timer {int(TIMER_S / MINUTE_S)}"
        conn.send_config_set(["interface Gi0/0/0", "description reverted"], config_mode_command=timed)
        assert "description reverted" in running(conn)
        left = revert_left(lab, "kashgar-kashi-ce1")
        assert left is not None and 0 < left <= TIMER_S  # the timer's minutes, each a lab minute
        assert expire_revert(lab, "kashgar-kashi-ce1")  # its time runs out
        assert wait_for(lambda: "description reverted" not in running(conn))
        conn.send_config_set(["interface Gi0/0/0", "description kept"], config_mode_command=timed)
        assert send(conn, "configure confirm") == ""
        assert not expire_revert(lab, "kashgar-kashi-ce1")  # confirmed: nothing left to run out
        assert "description kept" in running(conn)
        assert "No Rollback Confirmed Change pending" in send(conn, "configure confirm")
        conn.send_config_set(["interface Gi0/0/0", "no description"])
        assert "description kept" not in running(conn)
    finally:
        hang_up(conn)
