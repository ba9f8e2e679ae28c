"""``netops export prometheus``: file-SD target lists from the inventory, through the typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from netops.cli.export import app
from netops.exporters import SERIES_LABELS
from tests.exporters import material

INVENTORY = Path(__file__).parent / "inventory"
runner = CliRunner()


def test_writes_the_service_and_device_targets(tmp_path: Path) -> None:
    out = tmp_path / "targets"
    res = runner.invoke(
        app, ["prometheus", "--inventory", str(INVENTORY), "--out", str(out), "--port", "8611"]
    )
    assert res.exit_code == 0, res.output
    assert f"wrote {out / 'netops.json'}" in res.output
    assert "1 netops target(s), 5 device target(s)" in res.output

    service = json.loads((out / "netops.json").read_text(encoding="utf-8"))
    assert service == [{"targets": ["127.0.0.1:8611"], "labels": {"shard": "all"}}]
    # a target label that netops also puts on its series would be renamed exported_* by Prometheus
    assert not SERIES_LABELS & service[0]["labels"].keys()

    devices = {
        g["labels"]["device"]: g for g in json.loads((out / "devices.json").read_text(encoding="utf-8"))
    }
    assert sorted(devices) == ["centre-core1", "centre-core2", "hami-ce1", "kashgar-ce1", "kashgar-shufu-ce1"]
    assert devices["kashgar-shufu-ce1"] == {
        "targets": ["127.75.22.1:10161"],
        "labels": {
            "device": "kashgar-shufu-ce1",
            "site": "kashgar-shufu",
            "prefecture": "kashgar",
            "tier": "county",
            "role": "ce",
            "platform": "h3c_comware7",
        },
    }
    # the centre has no prefecture: no empty label
    assert "prefecture" not in devices["centre-core1"]["labels"]
    assert devices["centre-core1"]["labels"]["tier"] == "region"
    assert not list(out.glob(".*.tmp"))


def test_json_summary_and_environment(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        ["prometheus", "--out", str(tmp_path), "--json"],
        env={"NETOPS_INVENTORY": str(INVENTORY), "NETOPS_HOST": "127.0.0.9", "NETOPS_PORT": "8700"},
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {
        "files": [str(tmp_path / "netops.json"), str(tmp_path / "devices.json")],
        "service_targets": 1,
        "device_targets": 5,
    }
    assert json.loads((tmp_path / "netops.json").read_text())[0]["targets"] == ["127.0.0.9:8700"]


def test_shipped_service_target_matches_an_export_with_defaults(tmp_path: Path) -> None:
    res = runner.invoke(
        app,
        ["prometheus", "--inventory", str(INVENTORY), "--out", str(tmp_path)],
        env={"NETOPS_HOST": None, "NETOPS_PORT": None},
    )
    assert res.exit_code == 0, res.output
    shipped = material.PROMETHEUS / "targets" / "netops.json"
    assert (tmp_path / "netops.json").read_text() == shipped.read_text()


def test_invalid_inventory_exits_1_with_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "inv"
    bad.mkdir()
    text = (
        (INVENTORY / "region.yaml")
        .read_text(encoding="utf-8")
        .replace("b: centre-core2:", "b: centre-core9:")
    )
    (bad / "region.yaml").write_text(text, encoding="utf-8")
    res = runner.invoke(app, ["prometheus", "--inventory", str(bad), "--out", str(tmp_path / "t")])
    assert res.exit_code == 1
    assert "centre-core9" in res.output
    assert not (tmp_path / "t").exists()


def test_output_path_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["prometheus", "--inventory", str(INVENTORY), "--out", str(blocker)])
    assert res.exit_code == 1
    assert f"cannot create {blocker}" in res.output


def test_one_target_per_shard(tmp_path: Path) -> None:
    out = tmp_path / "targets"
    args = ["prometheus", "--inventory", str(INVENTORY), "--out", str(out)]
    res = runner.invoke(app, [*args, "--shard", "1/2=127.0.0.1:8601", "--shard", "2/2=127.0.0.1:8602"])
    assert res.exit_code == 0, res.output
    service = json.loads((out / "netops.json").read_text(encoding="utf-8"))
    assert service == [
        {"targets": ["127.0.0.1:8601"], "labels": {"shard": "1/2"}},
        {"targets": ["127.0.0.1:8602"], "labels": {"shard": "2/2"}},
    ]
    missing = runner.invoke(app, [*args, "--shard", "1/2=127.0.0.1:8601"])
    assert missing.exit_code == 1 and "every K/N of one N exactly once" in missing.output
    bad = runner.invoke(app, [*args, "--shard", "1/2"])
    assert bad.exit_code == 2
