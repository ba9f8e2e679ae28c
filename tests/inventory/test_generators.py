"""The lab region is what its generator writes, and the benchmark generator writes exactly N valid devices."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.gen_inventory import write_inventory
from netops.inventory import load_inventory
from tests.conftest import REPO


def test_shipped_inventory_matches_its_generator() -> None:
    res = subprocess.run(
        [sys.executable, "scripts/gen_lab_inventory.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_benchmark_generator_writes_exactly_n_valid_devices(tmp_path: Path) -> None:
    written = write_inventory(tmp_path / "inv", 500)
    inv = load_inventory(written.directory)
    assert len(inv.devices) == 500
    assert all(d.address.is_loopback for d in inv.devices.values())
