"""The polling tests' region, generated from ``region/region.yaml.tmpl`` by the lab kit."""

from __future__ import annotations

from pathlib import Path

from netops.lab.testing import write_inventory

TEMPLATE = Path(__file__).parent / "region"


def polling_region(target: Path, net: int = 72) -> Path:
    """The small polling region on 127.``net``.x.x, written to ``target``."""
    return write_inventory(target, TEMPLATE, {"net": net})
