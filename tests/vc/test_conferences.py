"""Conference files (errors with file:line), room scopes, CRUD in the store, the 0003 migration both ways, and
the shipped example conferences against the shipped inventory."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from netops.errors import NotFoundError
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from netops.inventory.topology import Topology
from netops.lab.codec import start_codecs
from netops.lab.state import LabWorld
from netops.secrets import SecretStore
from netops.store.db import Store, alembic_config, migrate, open_store
from netops.vc import store as vcstore
from netops.vc.conferences import (
    Conference,
    ConferenceConflict,
    ConferenceError,
    ConferenceIn,
    load_files,
    resolve_rooms,
)
from netops.vc.filecheck import check_files
from netops.vc.precheck import Prechecker
from netops.vc.rule import Colour
from netops.vc.thresholds import ThresholdError, Thresholds
from tests.vc.conftest import FAST, INVENTORY

REGION = Path(__file__).parents[2] / "inventory"


def folder(tmp_path: Path, text: str) -> Path:
    (tmp_path / "conferences").mkdir()
    (tmp_path / "conferences" / "c.yaml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("conferences:\n  - {id: a, title: t, start: 2030-01-01T10:00:00}\n", "c.yaml:2: conference a: start: "),
        ("conferences:\n  - {id: A b, title: t, start: 2030-01-01T10:00:00+08:00}\n", "c.yaml:2: conference A b: id"),
        ("conferences:\n  - {id: a, title: t, start: 2030-01-01T10:00:00+08:00}\n"
         "  - {id: a, title: u, start: 2030-01-02T10:00:00+08:00}\n", "already defined at conferences/c.yaml:2"),
        ("thresholds: {delay_fail_ms: 150, delay_warn_ms: 200}\n", "delay_warn_ms (200.0) is above delay_fail_ms"),
        ("thresholds: {jitter_max: 3}\n", "unknown threshold 'jitter_max'"),
        ("rooms: []\n", "expected a mapping with 'conferences' and/or 'thresholds'"),
    ],
)  # fmt: skip
def test_bad_conference_files_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises((ConferenceError, ThresholdError), match=re.escape(message)):
        load_files(folder(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        # both ends of a band raised: valid, though the warning alone is above the default failure (150)
        ("thresholds:\n  delay_warn_ms: 200\n  delay_fail_ms: 250\n", []),
        ("thresholds:\n  delay_fail_ms: 150\n  delay_warn_ms: 200\n",
         ["conferences/c.yaml:2: thresholds: delay_warn_ms (200.0) is above delay_fail_ms (150.0)"]),
        ("thresholds:\n  delay_warn_ms: 200\n",
         ["conferences/c.yaml:2: thresholds: delay_warn_ms (200.0) is above delay_fail_ms (150.0)"]),
        ("thresholds:\n  jitter_warn_ms: 5\n  probe_count: 1\n  concurrency: x\n",
         ["conferences/c.yaml:3: thresholds.probe_count: expected >= 2, found 1",
          "conferences/c.yaml:4: thresholds.concurrency: expected a number, found 'x'"]),
    ],
)  # fmt: skip
def test_validate_checks_threshold_keys_alone_then_together(
    tmp_path: Path, text: str, problems: list[str]
) -> None:
    """``netops inventory validate``: a key's own problem at its line; warn above fail once the keys are
    together (not each key against the other's default)."""
    assert [str(p) for p in check_files(folder(tmp_path, text), None)] == problems


def test_thresholds_default_and_override(tmp_path: Path) -> None:
    _, th = load_files(folder(tmp_path, "thresholds: {jitter_fail_ms: 25, probe_count: 100}\n"))
    assert (th.jitter_fail_ms, th.probe_count, th.delay_fail_ms, th.loss_fail_ratio) == (
        25.0,
        100,
        150.0,
        0.01,
    )
    assert Thresholds().as_dict()["jitter_warn_ms"] == 20.0
    assert load_files(tmp_path / "nowhere") == ([], Thresholds())


def test_scopes_and_unknown_rooms(inventory: Inventory) -> None:
    def conf(rooms: tuple[str, ...] | str) -> Conference:
        return Conference("c", "t", 0.0, 60.0, rooms, None, None, "api")

    assert [r.id for r in resolve_rooms(conf("all"), inventory)] == [
        "aksu-vc", "hotan-vc", "kashgar-shufu-vc", "kashgar-vc"]  # fmt: skip
    assert [r.id for r in resolve_rooms(conf("all-prefectures"), inventory)] == [
        "aksu-vc",
        "hotan-vc",
        "kashgar-vc",
    ]
    with pytest.raises(NotFoundError, match=r"no room named 'kashgar-v'.*did you mean: kashgar-vc"):
        resolve_rooms(conf(("kashgar-v",)), inventory)


def test_store_crud(db: Store, inventory: Inventory) -> None:
    start = datetime(2031, 5, 1, 9, 0, tzinfo=UTC)
    spec = ConferenceIn(id="drill", title="演练", start=start, rooms=["hotan-vc"], call_rate_kbps=2048)
    vcstore.add_conference(db, inventory, spec)
    with pytest.raises(ConferenceConflict, match=r"already exists"):
        vcstore.add_conference(db, inventory, spec)
    with pytest.raises(ConferenceConflict, match=re.escape("already exists (conferences/weekly.yaml:2)")):
        vcstore.add_conference(db, inventory, spec.model_copy(update={"id": "region-weekly"}))
    with pytest.raises(ConferenceError, match="has role ce, expected mcu"):
        vcstore.add_conference(db, inventory, spec.model_copy(update={"id": "x", "mcu": "hotan-ce1"}))
    changed = vcstore.update_conference(db, inventory, "drill", spec.model_copy(update={"title": "改"}))
    assert vcstore.get_conference(db, INVENTORY, "drill") == changed
    assert changed.start_at == start.timestamp() and changed.call_rate_kbps == 2048
    assert [c.id for c in vcstore.list_conferences(db, INVENTORY)] == ["region-weekly", "drill"]
    with pytest.raises(ConferenceError, match="ids cannot change"):
        vcstore.update_conference(db, inventory, "drill", spec.model_copy(update={"id": "other"}))
    vcstore.remove_conference(db, str(INVENTORY), "drill")
    with pytest.raises(NotFoundError):
        vcstore.get_conference(db, INVENTORY, "drill")


def test_migration_0003_down_and_up(db: Store) -> None:
    tables = {"vc_conferences", "vc_rounds", "vc_room_results", "vc_room_states"}
    assert tables <= set(inspect(db.engine).get_table_names())
    command.downgrade(alembic_config(db.engine), "0002")  # whatever came after 0003 goes too
    assert not tables & set(inspect(db.engine).get_table_names())
    assert "incidents" in inspect(db.engine).get_table_names()
    migrate(db.engine, "head")
    assert tables <= set(inspect(db.engine).get_table_names())


def test_wrong_codec_password_is_red(
    inventory: Inventory, topology: Topology, db: Store, world: LabWorld, secrets: SecretStore, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("codec-admin-password: not-the-password\n", encoding="utf-8")
    wrong.chmod(0o600)
    checker = Prechecker(inventory, topology, db, SecretStore(wrong), thresholds=FAST)
    conf = Conference("c", "t", time.time() + 1800, 3600.0, ("aksu-vc",), None, None, "api")

    async def main() -> Colour:
        async with await start_codecs(world, secrets, ["aksu-codec", "centre-mcu"]):
            report = await checker.run(conf)
            [room] = report.rooms
            assert room.reasons == ("status_api: status API refused the credentials (401)",)
            return room.colour

    assert asyncio.run(main()) is Colour.RED


def test_shipped_conferences_resolve_against_the_shipped_region(tmp_path: Path) -> None:
    inv = load_inventory(REGION)
    confs, th = load_files(REGION)
    assert th == Thresholds()
    by_id = {c.id: c for c in confs}
    assert len(resolve_rooms(by_id["region-all-hands"], inv)) == len(inv.rooms) >= 44
    prefectures = resolve_rooms(by_id["region-prefectures"], inv)
    assert len(prefectures) == 15 and "centre-vc" in {r.id for r in prefectures}
    shutil.copytree(REGION, tmp_path / "copy")  # the loader skips conferences/: the inventory still loads
    assert load_inventory(tmp_path / "copy").digest == inv.digest


def test_rounds_and_states_on_each_backend(db_url: str, inventory: Inventory) -> None:
    store = open_store(db_url)
    try:
        spec = ConferenceIn(
            id="drill", title="演练", start=datetime(2031, 5, 1, 9, 0, tzinfo=UTC), rooms="all"
        )
        vcstore.add_conference(store, inventory, spec)

        def outcome(colour: str, streak: int) -> vcstore.RoomOutcome:
            return vcstore.RoomOutcome("aksu-vc", colour, [f"path_loss: {colour}"], [{"name": "path_loss"}],
                                       {"path_loss": streak}, 0.012, 0.001, 0.04)  # fmt: skip

        def record(kind: str, at: float, colour: str, streak: int) -> int:
            rooms = [outcome(colour, streak)]
            return vcstore.record_round(store, conference="drill", kind=kind, started_at=at, duration_s=0.5,
                                        counts={colour: 1}, conference_checks=[], rooms=rooms)  # fmt: skip

        first = record("t60", 1.0, "AMBER", 1)
        second = record("t15", 2.0, "RED", 2)
        state = vcstore.room_states(store, "drill")["aksu-vc"]
        assert (state.round_id, state.colour, state.streaks, state.checked_at) == (
            second,
            "RED",
            {"path_loss": 2},
            2.5,
        )
        assert [r.id for r in vcstore.rounds(store, "drill")] == [second, first]
        vcstore.remove_conference(store, str(INVENTORY), "drill")
        assert vcstore.room_states(store, "drill") == {} and vcstore.rounds(store, "drill") == []
    finally:
        store.close()
