"""The change journal under faults (issue 18, items 1 and 3): netmiko's session dies at each phase of a push
(before apply, mid-apply, before the confirm, right after it, during the post-checks, during a wave's
rollback) on every platform of the lab. After each, an independent netmiko session says whether the device
runs its OLD or NEW configuration and the record says the same; a record left open (``unknown``, ``half``)
is finished by the next reconcile, and then agrees too. One lab for the module; devices are put back
between cases."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netops.changes import records
from netops.changes.journal import reconcile
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from netops.lab.faults import FaultBook
from netops.lab.state import LabEvent, LabEventKind
from netops.lab.testing import InProcessLab, LoopThread, in_process_lab, start_on_free_subnet
from netops.store.db import Store, open_store
from netops.store.schema import ConfigLock
from tests.changes.changes_testlib import Lab, one_wave, push_devices, write_inventory, write_secrets
from tests.changes.conftest import TEMPLATES
from tests.changes.faults_testlib import (
    CONFIRM,
    ENTER,
    PLATFORM_DEVICES,
    SHOW_INTERFACES,
    Checker,
    Trigger,
    as_landing,
    drop_session,
    first_on_another_session,
    initial_tree,
    lines_after,
    nth,
    recorded,
    reset_device,
)

PARTNER = "hotan-hetian-ce1"  # fails (a refused line) in the rollback case, so its wave rolls back


@pytest.fixture(scope="module")
def flab(tmp_path_factory: pytest.TempPathFactory, loop_thread: LoopThread) -> Iterator[Lab]:
    tmp = tmp_path_factory.mktemp("journal-faults")
    secrets = write_secrets(tmp / "secrets.yaml")
    with contextlib.ExitStack() as stack:

        def start(n: int) -> tuple[int, Path, Inventory, InProcessLab]:
            inv_dir = write_inventory(tmp / f"inventory-{n}", n, TEMPLATES)
            inventory = load_inventory(inv_dir)
            running = stack.enter_context(in_process_lab(inventory, secrets, codecs=False, loop=loop_thread))
            return n, inv_dir, inventory, running

        n, inv_dir, inventory, running = start_on_free_subnet(start)
        yield Lab(running.world, running.ssh, running.snmp, loop_thread, n, inventory, inv_dir, secrets)


@pytest.fixture(scope="module")
def fstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    st = open_store(f"sqlite:///{tmp_path_factory.mktemp('journal-db') / 'netops.db'}")
    yield st
    st.close()


@pytest.fixture(scope="module")
def checker(flab: Lab) -> Iterator[Checker]:
    c = Checker(flab)
    yield c
    c.close()


@pytest.fixture(scope="module")
def marks(flab: Lab, fstore: Store, checker: Checker) -> dict[str, tuple[Any, str, str]]:
    """Per device: the lab's initial tree, OLD and NEW as the independent checker reads them."""
    out: dict[str, tuple[Any, str, str]] = {}
    devices = [*PLATFORM_DEVICES.values(), PARTNER]
    trees = {d: initial_tree(flab, d) for d in devices}
    olds = {d: checker.running(d) for d in devices}
    run = push_devices(flab, fstore, one_wave(*devices), snmp=False)
    for device in devices:
        assert run.results[device].outcome == "confirmed", run.results[device].detail
        new = checker.running(device)
        assert new != olds[device]
        reset_device(flab, device, trees[device])
        assert checker.running(device) == olds[device]
        out[device] = (trees[device], olds[device], new)
    return out


def _no_locks(store: Store) -> bool:
    with store.session() as s:
        return s.query(ConfigLock).count() == 0


PHASES = ["before-apply", "mid-apply", "before-confirm", "after-confirm", "post-checks", "rollback"]


def _trigger(phase: str, device: str, lab: Lab) -> Trigger:
    platform = lab.inventory.device(device).platform
    confirm = CONFIRM[platform]
    if phase == "before-apply":
        return Trigger(nth(ENTER[platform]), answered=False)
    if phase == "mid-apply":
        return Trigger(lines_after(ENTER[platform], 3), answered=True)
    if phase == "before-confirm":
        return Trigger(nth(lambda c: c == confirm), answered=False)
    if phase == "after-confirm":
        return Trigger(nth(lambda c: c == confirm), answered=True)
    if phase == "post-checks":
        return Trigger(nth(SHOW_INTERFACES[platform], 2), answered=False)
    return Trigger(first_on_another_session(confirm), answered=False)


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("platform", list(PLATFORM_DEVICES))
def test_session_dies_record_matches_device(
    flab: Lab,
    fstore: Store,
    checker: Checker,
    marks: dict[str, tuple[Any, str, str]],
    platform: str,
    phase: str,
) -> None:
    device = PLATFORM_DEVICES[platform]
    tree, old, new = marks[device]
    reset_device(flab, device, tree)
    waves = one_wave(device)
    fault, book = None, FaultBook(flab.world)
    if phase == "rollback":
        reset_device(flab, PARTNER, marks[PARTNER][0])
        fault = book.apply("reject-line", PARTNER, {"pattern": "."})
        waves = one_wave(device, PARTNER)
    trigger = _trigger(phase, device, flab)
    try:
        with drop_session(str(flab.inventory.device(device).address), trigger):
            run = push_devices(flab, fstore, waves, snmp=False, confirm_s=30)
    finally:
        if fault is not None:
            book.clear(fault.id)
    assert trigger.fired.is_set(), f"the fault never fired ({phase})"
    rec = recorded(fstore, run.change_id, device)
    seen = checker.landing(device, old, new)
    if rec["outcome"] in ("unknown", "half"):  # the next contact reads the device and finishes
        assert rec["phase"] not in (None, "done")
        done = reconcile(flab.inventory, flab.secrets, fstore, actor="test")
        assert [d.change for d in done] == [run.change_id]
        rec = recorded(fstore, run.change_id, device)
        seen = checker.landing(device, old, new)
    assert seen in ("OLD", "NEW"), f"{phase}: the device is HALF"
    assert as_landing(rec["outcome"]) == seen, (phase, rec["outcome"], rec["detail"])
    assert rec["phase"] == "done"
    expected = {
        "before-apply": "OLD",
        "mid-apply": "OLD",
        "before-confirm": "NEW",
        "after-confirm": "NEW",
        "post-checks": "OLD",
        "rollback": "OLD",
    }[phase]
    assert seen == expected, (rec["outcome"], rec["detail"])
    assert _no_locks(fstore)
    if phase == "rollback":
        assert recorded(fstore, run.change_id, PARTNER)["outcome"] == "rejected"
        assert rec["outcome"] == "rolled-back"


VRP5 = PLATFORM_DEVICES["vrp5"]


def _fifteen_lines(lab: Lab) -> list[str]:
    """An ACL and 13 rules: with the ``quit`` that leaves the block, 15 lines typed (none replaces another)."""
    dscp = ["af11", "af12", "af13", "af21", "af22", "af23", "af31", "af32", "af33", "af42", "af43", "cs1"]
    rules = [f" rule {5 * (i + 1)} permit ip dscp {d}" for i, d in enumerate([*dscp, "cs2"])]
    return ["acl number 3999", *rules]


@pytest.mark.parametrize("line", range(1, 16))
def test_vrp5_session_killed_at_every_line_of_a_15_line_change(
    flab: Lab, fstore: Store, checker: Checker, marks: dict[str, tuple[Any, str, str]], line: int
) -> None:
    """A 15-line VRP5 change (applies line by line, no commit model): the session dies after line N; the
    record says HALF until converged back from a fresh session, then OLD, as the device shows."""
    import asyncio

    from netops.changes.lines import LinesChange, push_lines
    from netops.changes.push import PushOptions

    tree, old, _new = marks[VRP5]
    reset_device(flab, VRP5, tree)
    lines = _fifteen_lines(flab)
    trigger = Trigger(lines_after("system-view", line), answered=True)
    change = LinesChange(VRP5, tuple(lines), "tester", "15 lines", options=PushOptions(post_checks=False))
    with drop_session(str(flab.inventory.device(VRP5).address), trigger):
        change_id, _ = asyncio.run(push_lines(flab.inventory, flab.secrets, fstore, change))
    assert trigger.fired.is_set()
    assert len(rec_commands := recorded(fstore, change_id, VRP5)["commands"]) == 15, rec_commands
    rec = recorded(fstore, change_id, VRP5)
    assert rec["outcome"] == "reverted", rec["detail"]
    assert "session lost while applying" in rec["detail"]
    assert checker.running(VRP5) == old
    assert rec["phase"] == "done"


def test_vrp5_half_until_converged_when_the_fresh_session_fails_too(
    flab: Lab, fstore: Store, checker: Checker, marks: dict[str, tuple[Any, str, str]]
) -> None:
    """The session dies mid-apply and no fresh session gets an answer: the record says ``half`` with the
    journal at ``applying`` (the device does run 4 of the lines); the next reconcile, with the device back,
    converges it and records OLD."""
    import asyncio

    from netops.changes.lines import LinesChange, push_lines
    from netops.changes.push import PushOptions
    from netops.drivers.cli import Timeouts

    tree, old, new = marks[VRP5]
    reset_device(flab, VRP5, tree)
    # the session dies after the 4th line and every later session dies at its first command
    trigger = Trigger(lines_after("system-view", 4), answered=True, silent_after=True)
    quick = Timeouts(connect=1.0, banner=1.0, auth=1.0, command=2.0)
    options = PushOptions(post_checks=False, timeouts=quick)
    change = LinesChange(VRP5, tuple(_fifteen_lines(flab)), "tester", "half", options=options)
    with drop_session(str(flab.inventory.device(VRP5).address), trigger):
        change_id, _ = asyncio.run(push_lines(flab.inventory, flab.secrets, fstore, change))
    rec = recorded(fstore, change_id, VRP5)
    assert rec["outcome"] == "half" and rec["phase"] == "applying", rec["detail"]
    assert checker.landing(VRP5, old, new) == "HALF"  # part of the change stays on the device
    done = reconcile(flab.inventory, flab.secrets, fstore, actor="test")
    assert change_id in [d.change for d in done]
    rec = recorded(fstore, change_id, VRP5)
    assert rec["outcome"] == "reverted" and rec["phase"] == "done"
    assert checker.running(VRP5) == old
    assert records.get_change(fstore, change_id)["reconciled"]["by"] == "test"


# -- the process is killed ----------------------------------------------------------------------------------
# The session cases above cover every phase on every platform; the process is killed at the two phases where
# a device may run the change (mid-apply: unconfirmed; confirming: checks passed), to keep the suite's time.
# A kill during a wave's rollback is covered by the session case "rollback" and its reconcile (the CLI's wave
# plan puts a failing partner in a wave of its own, the canary, so no rollback would follow there).
# ``applying`` is caught by the lab (``KillAtFirstChange``): deterministic. ``confirming`` is caught by reading
# the journal while every answer is 40 ms late: the lab has no event and no hold at a confirm or a save, so a
# loaded machine can still let that phase pass between two reads (a lab "hold-line" fault would fix it).
KILL_AT = ["applying", "confirming"]


def _phases(store: Store, change_id: str | None) -> dict[str, str]:
    with store.session() as s:
        from netops.store.schema import ConfigChangeDevice

        q = s.query(ConfigChangeDevice)
        if change_id is not None:
            q = q.filter(ConfigChangeDevice.change_id == change_id)
        return {r.device: r.phase or "" for r in q}


class KillAtFirstChange:
    """Kills the push (SIGKILL) from the lab itself when one of ``devices`` changes its running configuration
    (a VRP5 line, a trial commit), before the device answers that line: the push wrote the device's
    ``applying`` before it typed its first line and waits for this answer, so the kill lands at ``applying``
    however fast or slow the machine is. Subscribed before the push starts; ``aim`` names its process."""

    def __init__(self, lab: Lab, devices: list[str]) -> None:
        self.lab, self.devices = lab, devices
        self.killed = threading.Event()
        self._pid: int | None = None
        self._aimed = threading.Event()
        self._unsubscribe: Callable[[], None] = lab.loop.call(lambda: lab.world.subscribe(self._heard))

    def aim(self, pid: int) -> None:
        self._pid = pid
        self._aimed.set()

    def _heard(self, event: LabEvent) -> None:
        if event.kind is not LabEventKind.CONFIG_CHANGED or event.device not in self.devices:
            return
        if not self.killed.is_set() and self._aimed.wait(60) and self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            self.killed.set()

    def close(self) -> None:
        self.lab.loop.call(self._unsubscribe)


@pytest.mark.parametrize("phase", KILL_AT)
def test_push_process_killed_next_command_reconciles(
    flab: Lab,
    checker: Checker,
    marks: dict[str, tuple[Any, str, str]],
    tmp_path: Path,
    phase: str,
) -> None:
    """``netops config push --apply`` of the four platforms killed (SIGKILL) once a device's journal reaches
    ``phase``; the next ``netops config changes`` reconciles: every device runs OLD or NEW as its record says,
    the change is ``interrupted``, no lock is left."""
    from netops.lab.testing import spawn, wait_until

    devices = list(PLATFORM_DEVICES.values())
    for d in devices:
        reset_device(flab, d, marks[d][0])
    chosen = devices
    if phase == "confirming":  # caught in the database (see KILL_AT): each answer late, the phase lasts
        for d in devices:
            flab.world.devices[d].slow_ms = 40
    state = tmp_path / "state"
    env = {"NETOPS_SECRETS_FILE": str(flab.secrets.path), "NETOPS_STATE_DIR": str(state)}
    args = ["config", "push", "--apply", "--inventory", str(flab.inventory_dir), "--no-snmp-checks"]
    args += ["--confirm-s", "60", "--minute-s", "1", "--reason", f"killed at {phase}"]
    for d in chosen:
        args += ["--device", d]
    trap = KillAtFirstChange(flab, chosen) if phase == "applying" else None
    try:
        proc = spawn(args, tmp_path / "push.log", env=env)
    except BaseException:
        if trap is not None:
            trap.close()
        raise
    if trap is not None:
        trap.aim(proc.pid)
    try:
        if trap is not None:
            try:
                wait_until(
                    "the push's first configuration change",
                    lambda: trap.killed.is_set() or proc.poll() is not None,
                )
                assert trap.killed.is_set(), (tmp_path / "push.log").read_text()
            finally:
                trap.close()
            proc.wait(30)
        else:
            store = wait_until(
                "the push's database",
                lambda: (state / "netops.db").exists() and open_store(f"sqlite:///{state / 'netops.db'}"),
                timeout=60,
            )
            try:

                def reached() -> bool:
                    assert proc.poll() is None, (tmp_path / "push.log").read_text()
                    return phase in _phases(store, None).values()

                wait_until(f"a device at {phase}", reached)
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(30)
            finally:
                store.close()
        store = open_store(f"sqlite:///{state / 'netops.db'}")
        try:
            assert phase in _phases(store, None).values()  # what the dead process left: a device at phase
        finally:
            store.close()
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
        for d in devices:
            flab.world.devices[d].slow_ms = 0
    # the next command reconciles what the dead process left
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "netops",
            "config",
            "changes",
            "--json",
            "--inventory",
            str(flab.inventory_dir),
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reconciled change" in done.stderr
    store = open_store(f"sqlite:///{state / 'netops.db'}")
    try:
        change = records.list_changes(store)[0]
        assert change["state"] == "interrupted" and change["reconciled"]["by"].startswith("cli:")
        for device in chosen:
            rec = recorded(store, change["id"], device)
            _tree, old, new = marks[device]
            seen = checker.landing(device, old, new)
            assert seen in ("OLD", "NEW"), (device, rec)
            if rec["outcome"] == "skipped":
                assert seen == "OLD", device
            else:
                assert as_landing(rec["outcome"]) == seen, (device, rec["outcome"], rec["detail"])
            assert rec["phase"] == "done", (device, rec)
        assert _no_locks(store)
    finally:
        store.close()
