"""The polling tests' region, generated from ``region/region.yaml.tmpl`` by the lab kit."""

from __future__ import annotations

from pathlib import Path

from netops.lab.testing import write_inventory
from netops.polling.model import InterfaceSample

TEMPLATE = Path(__file__).parent / "region"


def polling_region(target: Path, net: int = 72) -> Path:
    """The small polling region on 127.``net``.x.x, written to ``target``."""
    return write_inventory(target, TEMPLATE, {"net": net})


def interface(
    name: str = "",
    speed_bps: int = 10**9,
    *,
    alias: str = "",
    oper_up: bool = True,
    in_octets: int = 0,
    out_octets: int = 0,
) -> InterfaceSample:
    """A polled interface, ifIndex 1, admin up, no errors or discards."""
    return InterfaceSample(
        index=1,
        name=name,
        alias=alias,
        admin_up=True,
        oper_up=oper_up,
        speed_bps=speed_bps,
        in_octets=in_octets,
        out_octets=out_octets,
        in_errors=0,
        out_errors=0,
        in_discards=0,
        out_discards=0,
    )
