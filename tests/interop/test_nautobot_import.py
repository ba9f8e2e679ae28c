"""``netops import nautobot`` against a real Nautobot (installed by ``scripts/install-nautobot.sh``, started
here on 127.0.0.1 with its own PostgreSQL and Redis) holding the shipped region: the import round-trips to the
same topology and validates; an existing inventory is kept unless ``--force``; a refused token, a literal
secret or an object netops cannot represent writes nothing and names the object.

The server part is one test (one server: pytest-xdist may spread a module's tests over workers, and a
Nautobot costs a minute to start); the rest needs no server.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from netops.errors import NetopsError
from netops.interop.importing import InventoryExists, write_inventory_dir
from netops.interop.nautobot import MappingError, Snapshot, build_sections
from netops.inventory.loader import load_inventory
from netops.inventory.models import Inventory
from tests.conftest import REPO, free_port, run_netops
from tests.interop.nautobot_server import nautobot_server

SHIPPED = REPO / "inventory"
LEAK = "hunter2-literal-secret"


def _sites(inv: Inventory) -> dict[str, Any]:
    return {
        s.id: (s.name, s.name_en, s.tier, s.parent, s.status, s.target_date, s.contacts)
        for s in inv.sites.values()
    }


def _devices(inv: Inventory, models: bool) -> dict[str, Any]:
    return {
        d.id: (
            d.site,
            d.platform,
            d.role,
            d.address,
            d.snmp_profile,
            d.credential,
            (d.ssh_port, d.snmp_port, d.http_port, d.sip_port, d.probe_port),
            d.status,
            d.target_date,
            d.ups,
            d.attached_to,
            d.interfaces,
            dict(d.vars),
            d.model if models else None,
        )
        for d in inv.devices.values()
    }


def _links(inv: Inventory) -> dict[str, Any]:
    return {
        link.id: (link.a, link.b, link.kind, link.carrier, link.circuit, link.bandwidth_mbps, link.medium)
        for link in inv.links.values()
    }


def _run(url: str, token: str, *args: str) -> Any:
    return run_netops("import", "nautobot", *args, "--url", url, env={"NAUTOBOT_TOKEN": token}, timeout=600)


def _files(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): p.read_text(encoding="utf-8")
        for p in directory.rglob("*")
        if p.is_file()
    }


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_the_shipped_region_round_trips_through_a_real_nautobot(tmp_path: Path) -> None:
    shipped = load_inventory(SHIPPED)
    with nautobot_server(shipped, SHIPPED, tmp_path / "nautobot") as (url, token, timings):
        out = tmp_path / "imported"
        started = time.monotonic()
        res = _run(url, token, str(out), "--json")
        print(f"nautobot: {timings}, import_s: {time.monotonic() - started:.1f}")
        assert res.returncode == 0, res.stderr
        summary = json.loads(res.stdout)
        assert token not in res.stdout + res.stderr
        assert {k: summary[k] for k in ("sites", "devices", "links", "rooms", "services")} == {
            "sites": len(shipped.sites),
            "devices": len(shipped.devices),
            "links": len(shipped.links),
            "rooms": len(shipped.rooms),
            "services": len(shipped.services),
        }
        assert summary["circuits"] == sum(1 for link in shipped.links.values() if link.circuit)

        # the same topology: sites, devices (with interfaces, ports, profiles), links, rooms, definitions
        got = load_inventory(out)
        assert _sites(got) == _sites(shipped)
        assert _devices(got, models=False) == _devices(shipped, models=False)
        assert {d.id: d.model for d in shipped.devices.values() if d.model} == {
            d.id: got.devices[d.id].model for d in shipped.devices.values() if d.model
        }
        assert _links(got) == _links(shipped)
        assert got.rooms == shipped.rooms
        assert got.snmp_profiles == shipped.snmp_profiles and got.credentials == shipped.credentials
        assert got.services == shipped.services
        check = run_netops("inventory", "validate", str(out), "--json")
        assert check.returncode == 0, check.stdout
        assert json.loads(check.stdout)["valid"] is True
        assert all(token not in text for text in _files(out).values())

        # an existing inventory stays unless --force (refused before the server is read)
        before = _files(out)
        again = _run(url, token, str(out))
        assert again.returncode == 2, again.stderr
        assert "--force" in again.stderr and _files(out) == before

        # a refused token: exit 1, nothing written
        refused = _run(url, "0" * 40, str(tmp_path / "refused"))
        assert refused.returncode == 1, refused.stderr
        assert "token" in refused.stderr and not (tmp_path / "refused").exists()

        # a literal secret in the netops config context: refused, named, never written or printed
        api = httpx.Client(base_url=f"{url}/api/", headers={"Authorization": f"Token {token}"}, timeout=60)
        ctx = api.get("extras/config-contexts/", params={"name": "netops"}).json()["results"][0]
        data = json.loads(json.dumps(ctx["data"]))
        data["netops"]["credentials"][0]["password"] = LEAK
        assert api.patch(f"extras/config-contexts/{ctx['id']}/", json={"data": data}).status_code == 200
        leaked = _run(url, token, str(tmp_path / "leaked"))
        assert leaked.returncode == 1, leaked.stderr
        assert "config context 'netops'" in leaked.stderr and "password must name a secret" in leaked.stderr
        assert LEAK not in leaked.stdout + leaked.stderr and not (tmp_path / "leaked").exists()
        api.close()


def test_an_unreachable_server_is_exit_1_and_writes_nothing(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    res = _run(url, "0" * 40, str(tmp_path / "out"))
    assert res.returncode == 1, res.stderr
    assert "cannot read" in res.stderr and url in res.stderr
    assert not (tmp_path / "out").exists()


def test_usage_errors_are_exit_2(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED, tmp_path / "inv")
    before = _files(tmp_path / "inv")
    res = _run(f"http://127.0.0.1:{free_port()}", "0" * 40, str(tmp_path / "inv"))
    assert res.returncode == 2 and "already holds an inventory" in res.stderr, res.stderr
    assert _files(tmp_path / "inv") == before
    no_token = _run(f"http://127.0.0.1:{free_port()}", "", str(tmp_path / "new"))
    assert no_token.returncode == 2 and "NAUTOBOT_TOKEN" in no_token.stderr, no_token.stderr
    assert _run("ftp://x", "t", str(tmp_path / "new")).returncode == 2


def _snapshot(**over: list[dict[str, Any]]) -> Snapshot:
    """The smallest snapshot in the shapes Nautobot's API answers with, ids resolved as ``fetch`` leaves them."""
    active = {"id": "s1", "name": "Active"}
    data: dict[str, list[dict[str, Any]]] = {
        "locations": [
            {
                "id": "l1",
                "name": "中心",
                "facility": "centre",
                "description": "",
                "parent": None,
                "location_type": {"id": "t1", "name": "Region"},
                "status": active,
                "custom_fields": {},
            }
        ],
        "devices": [
            {
                "id": "d1",
                "name": "centre-core1",
                "location": {"id": "l1"},
                "role": {"id": "r1", "name": "core"},
                "status": active,
                "platform": {"id": "p1", "name": "NE8000", "network_driver": "huawei_vrpv8"},
                "primary_ip4": {"id": "i1", "address": "127.1.0.1/32"},
                "device_type": {"id": "dt1", "model": "NetEngine 8000 M8"},
                "custom_fields": {"netops_credential": "cli"},
                "config_context": {},
            }
        ],
        "interfaces": [],
        "ip_addresses": [],
        "ip_assignments": [],
        "cables": [],
        "circuits": [],
        "terminations": [],
        "config_contexts": [
            {
                "id": "c1",
                "name": "netops",
                "weight": 1000,
                "data": {
                    "netops": {"credentials": [{"id": "cli", "username": "u", "password": {"secret": "p"}}]}
                },
            }
        ],
    }
    data.update(over)
    return Snapshot("http://nautobot.invalid", data)


def test_a_platform_is_mapped_by_its_network_driver(tmp_path: Path) -> None:
    sections = build_sections(_snapshot())
    inv = write_inventory_dir(tmp_path / "inv", sections, "test", force=False).inventory
    assert inv.devices["centre-core1"].platform == "huawei_vrp8"
    assert inv.devices["centre-core1"].credential == "cli"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"primary_ip4": None}, "device 'centre-core1' (id d1): no primary IPv4 address"),
        ({"role": {"id": "r", "name": "firewall"}}, "device 'centre-core1' (id d1): role 'firewall'"),
        ({"name": "Core 1"}, "device 'Core 1' (id d1): its name is not a netops id"),
        (
            {"platform": {"id": "p", "name": "eos", "network_driver": "arista_eos"}},
            "device 'centre-core1' (id d1): platform 'eos'",
        ),
    ],
)
def test_an_object_netops_cannot_represent_is_named(change: dict[str, Any], message: str) -> None:
    snap = _snapshot()
    snap.data["devices"][0].update(change)
    with pytest.raises(MappingError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        build_sections(snap)


def test_a_location_type_that_is_no_tier_is_named() -> None:
    snap = _snapshot()
    snap.data["locations"][0]["location_type"] = {"id": "t", "name": "Campus"}
    with pytest.raises(MappingError, match=r"location '中心' \(id l1\): location type 'Campus'"):
        build_sections(snap)


def test_an_invalid_result_replaces_nothing(tmp_path: Path) -> None:
    target = tmp_path / "inv"
    shutil.copytree(SHIPPED, target)
    before = _files(target)
    snap = _snapshot()
    snap.data["devices"][0]["custom_fields"] = {"netops_credential": "missing"}
    with pytest.raises(NetopsError):
        write_inventory_dir(target, build_sections(snap), "test", force=True)
    assert _files(target) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inv"]  # no temporary folder left
    with pytest.raises(InventoryExists):
        write_inventory_dir(target, build_sections(_snapshot()), "test", force=False)


def test_force_replaces_the_model_files_and_keeps_the_rest(tmp_path: Path) -> None:
    target = tmp_path / "inv"
    shutil.copytree(SHIPPED, target)
    kept = _files(target / "templates")
    result = write_inventory_dir(target, build_sections(_snapshot()), "test", force=True)
    assert sorted(p.name for p in target.glob("*.yaml")) == ["links.yaml", "region.yaml", "sites.yaml"]
    assert not (target / "prefectures").exists() or not list((target / "prefectures").glob("*.yaml"))
    assert _files(target / "templates") == kept
    assert list(result.inventory.devices) == ["centre-core1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inv"]
