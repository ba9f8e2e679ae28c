"""Sharded polling: ``K/N`` parsing and the device split, then two real ``netops serve --shard 1/2`` and
``--shard 2/2`` processes over the lab (127.78.x) sharing one PostgreSQL store: every device polled by exactly
one shard, statuses for every device, and both uplinks of the prefecture down as exactly one incident."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import func, select

from netops.errors import NetopsError
from netops.inventory import Topology, load_inventory
from netops.lab.testing import service_process, wait_until
from netops.polling import queries
from netops.polling.jobs import poll_groups
from netops.polling.shards import Shard
from netops.store.db import Store, open_store
from netops.store.schema import Incident, PollCycle, PollDevice
from tests.conftest import REPO, free_port, run_netops
from tests.polling.testlib import polling_region

PRIMARY = "kashgar-ce1--centre-core1"
BACKUP = "kashgar-ce1--centre-core2-backup"
T = TypeVar("T")


def test_shard_spec_is_one_based_and_checked() -> None:
    assert Shard.parse(" 2 / 3 ") == Shard(2, 3) and str(Shard(2, 3)) == "2/3"
    assert Shard.parse("1/2").coordinator and not Shard.parse("2/2").coordinator
    for bad in ("0/2", "3/2", "2", "a/b", "1/0"):
        with pytest.raises(NetopsError, match="K/N"):
            Shard.parse(bad)


def test_every_device_in_exactly_one_shard(shipped_inventory: Path) -> None:
    inv = load_inventory(shipped_inventory)
    ids = sorted(inv.devices)
    for n in (1, 2, 3, 5):
        shares = [Shard(k, n).pick(inv.devices.values()) for k in range(1, n + 1)]
        assert sorted(d.id for share in shares for d in share) == ids
        assert all(len(share) > len(ids) / n / 2 for share in shares)  # roughly even, nobody idle
    assert Shard(2, 2).owns("kashgar-ce1") and Shard(1, 2).owns("centre-core1")  # stable across runs


def wait_for(what: str, check: Callable[[], T | None]) -> T:
    return wait_until(what, check, every=0.2)


@pytest.fixture
def region(tmp_path: Path) -> Path:
    return polling_region(tmp_path / "region", net=78)


@pytest.fixture
def lab(tmp_path: Path, region: Path) -> Iterator[dict[str, str]]:
    env = {"NETOPS_SECRETS_FILE": str(tmp_path / "secrets.yaml"), "NETOPS_STATE_DIR": str(tmp_path / "lab")}
    up = run_netops(
        "lab", "up", "--detach", "--inventory", str(region), "--control-port", str(free_port()), env=env
    )
    assert up.returncode == 0, up.stdout + up.stderr
    run = json.loads((tmp_path / "lab" / "lab.json").read_text())
    try:
        yield env
    finally:
        down = run_netops("lab", "down", env=env)
        if down.returncode != 0:  # never leave a lab holding the test addresses
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(run["pid"]), signal.SIGKILL)


@contextlib.contextmanager
def serve_shard(
    shard: str, env: dict[str, str], tmp_path: Path, region: Path
) -> Iterator[subprocess.Popen[bytes]]:
    port = free_port()
    name = shard.replace("/", "of")
    args = ["serve", "--inventory", str(region), "--port", str(port), "--shard", shard]
    args += ["--state-dir", str(tmp_path / name), "--log-level", "warning"]
    with service_process(args, tmp_path / f"serve-{name}.log", port, env=env, cwd=REPO) as svc:
        assert f"shard {shard}" in svc.output()
        yield svc.proc


def polls(store: Store) -> tuple[dict[str, int], int]:
    """(polls counter per device, newest cycle id)."""
    with store.session() as session:
        counts = {r.device: r.polls for r in session.scalars(select(PollDevice))}
        newest = session.scalar(select(func.max(PollCycle.id))) or 0
    return counts, newest


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_shards_share_one_store(lab: dict[str, str], region: Path, db_url: str, tmp_path: Path) -> None:
    inv = load_inventory(region)
    topo = Topology(inv)
    env = {
        **lab,
        "NETOPS_DATABASE_URL": db_url,
        "NETOPS_POLL_FAST_S": "2",
        "NETOPS_POLL_NORMAL_S": "2",
        "NETOPS_BACKUP_INTERVAL_S": "0",
    }
    env.pop("NETOPS_STATE_DIR")
    # the share of each group each shard polls: a cycle row of another size means a device polled twice
    sizes = {(g.job_id, len(Shard(k, 2).pick(g.devices))) for g in poll_groups(inv, 2, 2) for k in (1, 2)}
    assert {n for _, n in sizes} == {1, 2}
    with serve_shard("1/2", env, tmp_path, region), serve_shard("2/2", env, tmp_path, region):
        store = open_store(db_url, apply_migrations=False)
        try:
            st = wait_for(
                "every device polled and analysed up",
                lambda: (s := queries.status(store, topo))["device_counts"]["up"] == len(inv.devices) and s,
            )
            assert st["site_counts"]["up"] == len(inv.sites)

            # over a few cycles: each device counted once per cycle of its own shard
            before, first = polls(store)
            time.sleep(5)
            after, last = polls(store)
            delta = {d: after[d] - before[d] for d in inv.devices}
            with store.session() as session:
                cycles = session.scalars(
                    select(PollCycle).where(PollCycle.id > first, PollCycle.id <= last)
                ).all()
            assert cycles and sum(c.devices for c in cycles) == sum(delta.values())
            assert {(c.job, c.devices) for c in cycles} <= sizes
            assert min(delta.values()) >= 1 and max(delta.values()) - min(delta.values()) <= 1, delta

            # both uplinks of the prefecture: one incident, computed by shard 1 from both shards' results
            for link in (PRIMARY, BACKUP):
                res = run_netops("lab", "fault", "add", "link-down", link, env=lab)
                assert res.returncode == 0, res.stderr
            st = wait_for(
                "the prefecture's counties unreachable",
                lambda: (
                    (s := queries.status(store, topo))["devices"]["kashgar-shufu-ce1"] == "unreachable" and s
                ),
            )
            time.sleep(3)  # a few more cycles and analyses: still one incident
            st = queries.status(store, topo)
            assert [i["cause"] for i in st["open_incidents"]] == [["kashgar-ce1"]]
            assert st["sites"]["kashgar-shule"] == "unreachable"
            with store.session() as session:
                assert session.scalar(select(func.count()).select_from(Incident)) == 1

            res = run_netops("lab", "fault", "clear", "--all", env=lab)
            assert res.returncode == 0, res.stderr
            wait_for("the incident resolved", lambda: queries.status(store, topo)["open_incidents"] == [])
        finally:
            store.close()
