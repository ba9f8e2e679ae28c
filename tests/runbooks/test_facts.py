"""The facts runbook expressions read instead of asking a person: the next conference on a site's path, the
open incident of a site / room, the backup link, the UPS; and the conference freeze of a push. Read from the
store as netops keeps it (conferences added through ``netops.vc.store``, an incident row as the poller
writes one)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from netops.runbooks import facts
from netops.runbooks.expr import evaluate
from netops.store.schema import Incident
from netops.vc import store as vcstore
from netops.vc.conferences import ConferenceIn
from tests.runbooks.rb_testlib import build_service, lab_inventory


def test_facts_read_conferences_incidents_links_and_the_freeze(tmp_path: Path) -> None:
    inv, secrets, _ = lab_inventory(tmp_path)
    svc = build_service(tmp_path, inv, secrets)
    tools = svc.engine.tools
    context = facts.expression_facts(tools)
    assert evaluate("next_conference('hami') is none and open_incident('hami-vc') is none", context)
    assert facts.frozen_by(tools, "hami-ce1") is None

    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=40)
    vcstore.add_conference(
        svc.store, inv, ConferenceIn(id="c-hami", title="哈密", start=soon, rooms=["hami-vc"])
    )
    conf = evaluate("next_conference('hami')", context)
    assert conf["id"] == "c-hami" and conf["rooms"] == ["hami-vc"] and not conf["running"]
    assert 39 <= conf["minutes"] <= 40
    assert evaluate("next_conference('hami', 30) is none", context)  # not within the battery's 30 minutes
    assert evaluate("next_conference('hami-ce1')['id']", context) == "c-hami"  # a device names its site
    assert evaluate("next_conference('centre')['id']", context) == "c-hami"  # the centre is on every path
    assert evaluate("next_conference('dept-audit') is none", context)  # not on the path of hami's room
    # 40 minutes before the start the 30-minute freeze does not hold yet; 20 minutes before it does
    assert facts.frozen_by(tools, "hami-ce1") is None
    vcstore.remove_conference(svc.store, inv.directory, "c-hami")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)
    vcstore.add_conference(
        svc.store, inv, ConferenceIn(id="c-hami", title="哈密", start=soon, rooms=["hami-vc"])
    )
    assert facts.frozen_by(tools, "hami-ce1") == "c-hami"
    assert facts.frozen_by(tools, "centre-core1") == "c-hami"
    assert facts.frozen_by(tools, "dept-audit-ce1") is None

    now = time.time()
    with svc.store.session() as s:
        s.add(Incident(key="device:hami-ce1", state="open", summary="device hami-ce1 down", opened_at=now,
                       last_seen_at=now, root_devices=["hami-ce1"], root_links=[], cause=["hami-ce1"],
                       affected_devices=["hami-ce1", "hami-codec", "hami-yiwu-ce1"],
                       affected_sites=["hami", "hami-yiwu"], affected_rooms=["hami-vc"], kind="device"))  # fmt: skip
    incident = evaluate("open_incident('hami-vc')", context)
    assert incident["kind"] == "device" and incident["summary"] == "device hami-ce1 down"
    assert evaluate("open_incident('hami-yiwu')['id']", context) == incident["id"]
    assert evaluate("open_incident('dept-audit') is none", context)

    backup = evaluate("backup_link('hami-ce1')", context)
    assert backup["interface"] == "GigabitEthernet1/0/2" and backup["peer"] == "centre-core2"
    assert backup["up"] is None  # never polled: not known to be up
    assert evaluate("backup_link('hami-yiwu-ce1') is none and ups('hami-ce1') is none", context)
    svc.store.close()
