"""The polling tests' region, generated from ``region/region.yaml.tmpl`` by the lab kit."""

from __future__ import annotations

from pathlib import Path

from netops.lab.testing import write_inventory
from netops.polling.model import InterfaceSample

TEMPLATE = Path(__file__).parent / "region"


SHORT_TIMEOUT_S = 0.4  # SNMP timeout (no retry) where tests wait out silent devices cycle after cycle
ANSWERED_TIMEOUT_S = 2.0  # where a live device's late answer (a lost poll) would fail the test


def polling_region(target: Path, net: int = 72, timeout_s: float = SHORT_TIMEOUT_S) -> Path:
    """The small polling region on 127.``net``.x.x, written to ``target``. ``timeout_s``: its SNMP profiles'
    timeout (no retry); a late answer on a loaded machine is a failed poll, so a kit that needs every live
    device's poll to succeed asks for ``ANSWERED_TIMEOUT_S`` (it costs time only where a device is silent)."""
    return write_inventory(target, TEMPLATE, {"net": net, "timeout_s": timeout_s})


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
