"""Two approvals of the same waiting step (or the same proposed start) at the same moment, on SQLite and
PostgreSQL: the approval is one conditional UPDATE, so exactly one wins and the other gets ``RunConflict``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest

from netops.auth.tokens import Role
from netops.errors import NetopsError
from netops.runbooks import records as rec
from netops.runbooks.actions import Tools
from netops.runbooks.catalog import load_catalog
from netops.runbooks.engine import Engine, RunConflict
from netops.store.db import Store, open_store

PLAYBOOK = """\
id: gate
title: One approval
severity: minor
plan_section: "test"
goal: {none: "a test runbook: no network state to reach"}
approval: start
triggers:
  - manual: true
steps:
  - id: approve
    kind: manual_confirm
    prompt: "Go?"
    role: operator
    timeout: 600
"""


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Iterator[Engine]:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "gate.yaml").write_text(PLAYBOOK, encoding="utf-8")
    catalog = load_catalog(tmp_path / "playbooks")
    store = open_store(db_url)
    yield Engine(store, lambda: catalog, cast(Tools, None))
    store.close()


def new_run(store: Store, state: rec.RunState) -> str:
    return rec.new_run(store, runbook="gate", params={}, secret_params=[], trigger={"source": "test"},
                       created_by="test", state=state, cursor="approve")  # fmt: skip


def waiting_run(store: Store) -> str:
    """A run executed by this process, waiting at its manual_confirm step (as the engine leaves it)."""
    run_id = new_run(store, rec.RunState.PENDING)
    assert rec.claim(store, rec.get_run(store, run_id))
    assert rec.move_cursor(store, run_id, "approve")
    record = rec.step_started(store, run_id, "approve", "manual_confirm", 1)
    assert rec.mark_step_waiting(store, run_id, record)
    return run_id


def approver(engine: Engine, run_id: str, who: str, decision: str) -> Callable[[], object]:
    return lambda: engine.approve(run_id, "approve", actor=who, role=Role.OPERATOR, decision=decision)


def race(calls: list[Callable[[], object]]) -> list[str]:
    """Start the calls at the same moment; each result is 'ok' or the exception's class name."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = ["" for _ in calls]

    def one(i: int) -> None:
        barrier.wait()
        try:
            calls[i]()
            results[i] = "ok"
        except NetopsError as exc:
            results[i] = type(exc).__name__

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()  # no deadline of its own: a result read before the call ended would be "" (the suite's
        # pytest-timeout ends a call that never does)
    return results


@pytest.mark.parametrize("rounds", [5])
def test_two_approvals_of_one_waiting_step_one_wins(engine: Engine, rounds: int) -> None:
    for _ in range(rounds):
        run_id = waiting_run(engine.store)
        results = race(
            [approver(engine, run_id, "olga", "approved"), approver(engine, run_id, "oleg", "rejected")]
        )
        assert sorted(results) == ["RunConflict", "ok"], results
        (approval,) = rec.approvals_of(engine.store, run_id)
        winner = "olga" if results[0] == "ok" else "oleg"
        assert approval["actor"] == winner
        (step,) = rec.steps_of(engine.store, run_id)
        assert step.state == rec.StepState.ANSWERED
        answer = rec.take_approval(engine.store, run_id, "approve")
        assert answer is not None and answer["actor"] == winner
        assert rec.take_approval(engine.store, run_id, "approve") is None


def test_two_answers_to_a_proposed_start_one_wins(engine: Engine) -> None:
    run_id = new_run(engine.store, rec.RunState.PROPOSED)
    results = race(
        [
            lambda: engine.approve(run_id, None, actor="olga", role=Role.OPERATOR, decision="approved"),
            lambda: engine.approve(run_id, None, actor="oleg", role=Role.OPERATOR, decision="rejected"),
        ]
    )
    assert sorted(results) == ["RunConflict", "ok"], results
    state = rec.get_run(engine.store, run_id).state
    assert state == (rec.RunState.PENDING if results[0] == "ok" else rec.RunState.CANCELLED)


def test_an_answered_or_finished_run_refuses_approval(engine: Engine) -> None:
    run_id = waiting_run(engine.store)
    engine.approve(run_id, "approve", actor="olga", role=Role.OPERATOR)
    with pytest.raises(RunConflict, match="no longer waits"):
        engine.approve(run_id, "approve", actor="oleg", role=Role.OPERATOR)
    other = waiting_run(engine.store)
    assert rec.finish_run(engine.store, other, rec.RunState.FAILED)
    assert not rec.finish_run(engine.store, other, rec.RunState.SUCCEEDED)  # final already: not applied
    with pytest.raises(RunConflict, match="is failed"):
        engine.approve(other, "approve", actor="olga", role=Role.OPERATOR)
