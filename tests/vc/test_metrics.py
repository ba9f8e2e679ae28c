"""``VcCollector`` after a real round against the lab: readiness code and path measurements per room.

The codecs' reflector runs on the round's own event loop, so a loaded machine's timer lateness adds to the
measured delay and jitter: lower bounds are exact, upper bounds allow the lateness measured on that loop
during the round (``Lateness``, as in tests/lab/codec), and so do the path thresholds the rooms must stay
under to be GREEN (``Allowing``)."""

from __future__ import annotations

import time
from dataclasses import replace

from prometheus_client import CollectorRegistry

from netops.inventory.models import Inventory
from netops.lab.faults import FaultBook
from netops.store.db import Store
from netops.vc.conferences import Conference
from netops.vc.metrics import VcCollector
from netops.vc.precheck import Prechecker
from tests.lab.codec.codec_testlib import Allowing, Lateness
from tests.vc.conftest import FAST, RunLab


def test_readiness_and_path_metrics(
    lab: RunLab, checker: Prechecker, faults: FaultBook, db: Store, inventory: Inventory
) -> None:
    faults.apply("camera-disconnected", "kashgar-vc")
    faults.apply("path-impaired", "hotan-vc", {"delay_ms": 60})
    conf = Conference("drill", "演练", time.time() + 1800, 3600.0, "all-prefectures", None, None, "api")

    async def scenario() -> float:
        late = Lateness()
        late.start()
        th = checker.thresholds or FAST  # hotan (60 ms) and aksu (clean) must stay under the path thresholds
        checker.thresholds = replace(
            th,
            delay_warn_ms=Allowing(th.delay_warn_ms, late),
            delay_fail_ms=Allowing(th.delay_fail_ms, late),
            jitter_warn_ms=Allowing(th.jitter_warn_ms, late),
            jitter_fail_ms=Allowing(th.jitter_fail_ms, late),
        )
        await checker.run(conf)
        return late.stop()

    slack_s: float = lab(scenario) / 1000  # the slack for the loop's lateness, in seconds
    registry = CollectorRegistry()
    registry.register(VcCollector(db, lambda: inventory))

    def value(name: str, room: str, prefecture: str) -> float | None:
        return registry.get_sample_value(
            name, {"conference": "drill", "room": room, "prefecture": prefecture}
        )

    assert value("netops_vc_room_readiness", "kashgar-vc", "kashgar") == 2.0
    assert value("netops_vc_room_readiness", "hotan-vc", "hotan") == 0.0
    delay = value("netops_vc_path_delay_seconds", "hotan-vc", "hotan")
    assert delay is not None and 0.055 < delay < 0.08 + slack_s, (delay, slack_s)
    assert value("netops_vc_path_loss_ratio", "aksu-vc", "aksu") == 0.0
    jitter = value("netops_vc_path_jitter_seconds", "aksu-vc", "aksu")
    assert jitter is not None and jitter < 0.005 + slack_s, (jitter, slack_s)
    assert (
        registry.get_sample_value("netops_vc_conference_rooms", {"conference": "drill", "colour": "red"})
        == 1.0
    )
    assert (
        registry.get_sample_value("netops_vc_conference_rooms", {"conference": "drill", "colour": "green"})
        == 2.0
    )
    # the county room is not in an all-prefectures conference
    assert value("netops_vc_room_readiness", "kashgar-shufu-vc", "kashgar") is None
