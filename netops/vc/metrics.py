"""Video-conference metrics, built from the store at scrape time (``VcCollector``).

``netops_vc_room_readiness{conference,room,prefecture}``: 0 GREEN, 1 AMBER, 2 RED (rooms not yet checked are
absent); the path measured by the last round per room in base units; rooms per colour per conference. Labels
are inventory and conference ids only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from netops.inventory.models import Inventory
from netops.store.db import Store
from netops.vc import store as vcstore
from netops.vc.rule import Colour

_LABELS = ["conference", "room", "prefecture"]


class VcCollector(Collector):
    def __init__(self, store: Store, inventory: Callable[[], Inventory]) -> None:
        self.store = store
        self.inventory = inventory

    def collect(self) -> Iterator[Metric]:
        inv = self.inventory()
        readiness = GaugeMetricFamily(
            "netops_vc_room_readiness", "Room readiness: 0 GREEN, 1 AMBER, 2 RED", labels=_LABELS
        )
        delay = GaugeMetricFamily(
            "netops_vc_path_delay_seconds", "One-way delay estimate to the room's codec, p95", labels=_LABELS
        )
        jitter = GaugeMetricFamily(
            "netops_vc_path_jitter_seconds",
            "Path jitter to the room's codec (worse direction)",
            labels=_LABELS,
        )
        loss = GaugeMetricFamily(
            "netops_vc_path_loss_ratio", "Probe loss to the room's codec", labels=_LABELS
        )
        checked = GaugeMetricFamily(
            "netops_vc_room_checked_timestamp_seconds", "When the room was last checked", labels=_LABELS
        )
        rooms = GaugeMetricFamily(
            "netops_vc_conference_rooms", "Rooms per readiness colour", labels=["conference", "colour"]
        )
        counts: dict[str, dict[str, int]] = {}
        for st in vcstore.all_room_states(self.store):
            room = inv.rooms.get(st.room)
            if room is None:
                continue
            site = inv.sites[room.site]
            labels = [st.conference, st.room, site.prefecture or site.id]
            readiness.add_metric(labels, float(Colour(st.colour).code))
            checked.add_metric(labels, st.checked_at)
            for family, value in ((delay, st.delay_s), (jitter, st.jitter_s), (loss, st.loss_ratio)):
                if value is not None:
                    family.add_metric(labels, value)
            per = counts.setdefault(st.conference, {str(c): 0 for c in Colour})
            per[st.colour] += 1
        for conf, per in sorted(counts.items()):
            for colour, n in per.items():
                rooms.add_metric([conf, colour.lower()], float(n))
        yield from (readiness, delay, jitter, loss, checked, rooms)
