"""Sharded polling: ``K/N`` parsing and the device split, then two real ``netops serve --shard 1/2`` and
``--shard 2/2`` processes over the lab (127.78.x) sharing one PostgreSQL store: every device polled by exactly
one shard, statuses for every device, and both uplinks of the prefecture down as exactly one incident."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections import Counter
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
# The SNMP timeout: two services and the lab in their own processes. A live device's answer later than this on a
# loaded machine is a lost poll: its confirming poll polls the devices in front of it too (a cycle row of another
# size than the shard's share, extra polls), and if that one is late as well, an extra incident. 0.4 s (the
# region's) was tight; 2 s cost 7 s here, where the test waits out the silent devices' timeouts cycle after cycle.
SHARDS_TIMEOUT_S = 1.0


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
    return polling_region(tmp_path / "region", net=78, timeout_s=SHARDS_TIMEOUT_S)


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


def polls(store: Store) -> tuple[dict[str, int], set[int]]:
    """(polls counter per device, ids of the stored cycles), from one snapshot of the store: a shard's cycle
    committed between two plain reads would be counted in one and not in the other (and cycle ids are taken
    before their commits, so a newer id can be visible before an older one)."""
    with (
        store.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
        conn.begin(),
    ):
        counts = {
            str(device): int(n or 0)
            for device, n in conn.execute(select(PollDevice.device, PollDevice.polls))
        }
        cycles = set(conn.scalars(select(PollCycle.id)))
    return counts, cycles


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
    shares = {(g.job_id, k): Shard(k, 2).pick(g.devices) for g in poll_groups(inv, 2, 2) for k in (1, 2)}
    sizes = {(job, len(share)) for (job, _), share in shares.items()}
    assert {n for _, n in sizes} == {1, 2}
    assert len(sizes) == len(shares)  # a (job, size) names the cycles of one shard's share of a job
    cycles_of = {d.id: (job, len(share)) for (job, _), share in shares.items() for d in share}
    with serve_shard("1/2", env, tmp_path, region), serve_shard("2/2", env, tmp_path, region):
        store = open_store(db_url, apply_migrations=False)
        try:
            st = wait_for(
                "every device polled and analysed up",
                lambda: (s := queries.status(store, topo))["device_counts"]["up"] == len(inv.devices) and s,
            )
            assert st["site_counts"]["up"] == len(inv.sites)

            # over a few cycles: each device counted once per cycle of its own shard. Counted in cycles, not
            # seconds: the shards keep their own pace (a loaded machine can delay one shard's cycles by seconds
            # while the other runs on), so the devices' counts over a time need not be within one of each other
            before, seen = polls(store)

            def grown() -> tuple[dict[str, int], set[int]] | None:
                after, now_seen = polls(store)
                delta = {d: after[d] - before[d] for d in inv.devices}
                return (delta, now_seen - seen) if min(delta.values()) >= 2 else None

            delta, new_cycles = wait_for("every device polled twice more", grown)
            with store.session() as session:
                cycles = session.scalars(select(PollCycle).where(PollCycle.id.in_(new_cycles))).all()
            assert cycles and sum(c.devices for c in cycles) == sum(delta.values())
            assert {(c.job, c.devices) for c in cycles} <= sizes
            ran = Counter((c.job, c.devices) for c in cycles)
            assert delta == {d: ran[cycles_of[d]] for d in inv.devices}, (delta, ran)

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
            # a few more cycles and analyses (every device polled again, however long that takes): still one
            seen_polls, _ = polls(store)
            wait_for(
                "every device polled again",
                lambda: min(n - seen_polls[d] for d, n in polls(store)[0].items() if d in inv.devices) >= 1,
            )
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
