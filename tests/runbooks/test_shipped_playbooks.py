"""The six playbooks of the emergency plan validate, and name only devices the lab region has."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops.inventory import load_inventory
from netops.runbooks.catalog import load_catalog
from netops.runbooks.engine import Live
from netops.runbooks.expr import render
from netops.runbooks.params import coerce
from netops.runbooks.records import Masker
from netops.runbooks.schema import WaitUntilStep
from tests.runbooks.rb_testlib import SHIPPED

REPO = Path(__file__).parent.parent.parent
SAMPLES = {
    "prefecture-uplink-down": {"site": "hami"},
    "county-unreachable": {"site": "hami-yiwu"},
    "device-cpu-high": {"device": "centre-core1"},
    "room-precheck-failed": {"room": "kashgar-vc"},
    "internet-exit-abnormal-traffic": {},
    "ups-on-battery": {"site": "kashgar"},
}


def test_the_six_playbooks_validate() -> None:
    catalog = load_catalog(SHIPPED)
    assert sorted(catalog.runbooks) == sorted(SAMPLES)
    for rb in catalog.runbooks.values():
        assert rb.spec.triggers and rb.spec.plan_section and rb.spec.concurrency


@pytest.mark.parametrize("ident", sorted(SAMPLES))
def test_playbook_devices_exist_in_the_lab_region(ident: str) -> None:
    inventory = load_inventory(REPO / "inventory")
    rb = load_catalog(SHIPPED).get(ident)
    plain, _ = coerce(rb.spec.parameters, SAMPLES[ident], inventory)
    live = Live("check", rb, plain, Masker())
    ctx = live.context(inventory)
    for step in rb.spec.all_steps():
        probe = step.until if isinstance(step, WaitUntilStep) else step
        device = getattr(probe, "device", None)
        if device is not None:
            inventory.device(render(device, ctx))  # raises NotFoundError if the playbook names nothing
