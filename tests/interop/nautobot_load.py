# mypy: disable-error-code="import-not-found"
"""Create a Nautobot database holding a netops region, in one process of the Nautobot venv's python.

    python nautobot_load.py CONFIG REGION.json TOKEN

Run by ``tests/interop/nautobot_server.py`` (never imported by netops: Nautobot and netops live in separate
venvs). ``REGION.json`` is what ``nautobot_server.region_dump`` made of a netops inventory. Steps:

1. the schema from the models (``migrate --run-syncdb``; the config disables every app's migrations), then
   what Nautobot's data migrations would have created and the loaded region needs: the default statuses and
   roles (Nautobot's own ``populate_status_choices``/``populate_role_choices``) and the Global namespace;
2. a superuser with the API token the test's importer uses;
3. the region through the ORM in bulk (the importer under test reads it back through the REST API):
   location types and locations, manufacturers, device types, platforms, roles, devices, interfaces, IP
   addresses, providers, circuit types, circuits and their terminations, cables, the netops custom fields,
   and the ``netops`` config contexts. The mapping is the one docs/deploy.md documents for users.

One shortcut a user of the web UI could not take: a device's management address (``primary_ip4``) is not
assigned to one of its interfaces (netops' inventory has no management interface to assign it to); saving
through the ORM skips the model's ``clean()`` that would ask for one. The importer only reads
``primary_ip4``, so an address assigned the usual way imports the same.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any


def main(config: str, region_file: str, token: str) -> None:
    t0 = time.monotonic()
    import nautobot

    nautobot.setup(config)
    logging.disable(logging.INFO)
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)
    t_schema = time.monotonic()
    region = json.loads(Path(region_file).read_text(encoding="utf-8"))
    phases = load(region, token)
    timings = {"schema_s": round(t_schema - t0, 1), "load_s": round(time.monotonic() - t_schema, 1)}
    print(json.dumps({**timings, "load_phases_s": phases}), flush=True)


def load(region: dict[str, Any], token: str) -> dict[str, float]:
    """Load ``region``; returns the seconds each phase took."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from nautobot.circuits.models import Circuit, CircuitTermination, CircuitType, Provider
    from nautobot.dcim.models import (
        Cable,
        Device,
        DeviceType,
        Interface,
        Location,
        LocationType,
        Manufacturer,
        Platform,
    )
    from nautobot.dcim.signals import defer_cable_path_rebuilds
    from nautobot.extras.management import populate_role_choices, populate_status_choices
    from nautobot.extras.models import ConfigContext, CustomField, Role, Status
    from nautobot.ipam.models import IPAddress, IPAddressToInterface, Prefix, get_default_namespace
    from nautobot.users.models import Token, User

    marks: list[tuple[str, float]] = [("start", time.monotonic())]
    populate_status_choices(verbosity=0)
    populate_role_choices(verbosity=0)
    namespace = get_default_namespace()
    user = User.objects.create_superuser("netops-test", "netops@example.invalid", "unused-password-0")
    Token.objects.create(user=user, key=token)

    def ct(model: type) -> Any:
        return ContentType.objects.get_for_model(model)

    statuses = {s.name.lower(): s for s in Status.objects.all()}
    for name in ("Active", "Planned", "Staging", "Decommissioning", "Retired", "Connected"):
        if name.lower() not in statuses:
            statuses[name.lower()] = Status.objects.create(name=name)
    for s in statuses.values():
        s.content_types.add(
            ct(Location), ct(Device), ct(Interface), ct(Circuit), ct(Cable), ct(IPAddress), ct(Prefix)
        )

    with transaction.atomic():
        fields = {
            "netops_target_date": ("date", [Location, Device]),
            "netops_contacts": ("json", [Location]),
            "netops_rooms": ("json", [Location]),
            "netops_snmp_profile": ("text", [Device]),
            "netops_credential": ("text", [Device]),
            "netops_ssh_port": ("integer", [Device]),
            "netops_snmp_port": ("integer", [Device]),
            "netops_http_port": ("integer", [Device]),
            "netops_sip_port": ("integer", [Device]),
            "netops_probe_port": ("integer", [Device]),
            "netops_ups": ("boolean", [Device]),
            "netops_kind": ("text", [Interface]),
            "netops_link_kind": ("text", [Cable, Circuit]),
            "netops_medium": ("text", [Cable]),
            "netops_bandwidth_mbps": ("integer", [Cable]),
        }
        for key, (kind, models) in fields.items():
            cf = CustomField.objects.create(key=key, label=key, type=kind)
            cf.content_types.set([ct(m) for m in models])

        type_names = {
            "region": "Region",
            "prefecture": "Prefecture",
            "county": "County",
            "city": "City",
            "department": "Department",
        }
        parents = {"prefecture": "region", "county": "prefecture", "city": "region", "department": "region"}
        ltypes: dict[str, Any] = {}
        for key, name in type_names.items():
            parent = ltypes.get(parents.get(key, ""))
            ltypes[key] = LocationType.objects.create(name=name, parent=parent)
            ltypes[key].content_types.set([ct(Device), ct(CircuitTermination), ct(Prefix)])

        sites = {s["id"]: s for s in region["sites"]}
        locations: dict[str, Any] = {}

        def location(site_id: str) -> Any:
            if site_id in locations:
                return locations[site_id]
            s = sites[site_id]
            parent = location(s["parent"]) if s["parent"] else None
            key = s["tier"]
            if key == "county" and parent is not None and sites[s["parent"]]["tier"] != "prefecture":
                key = "city"  # a county-level city under the region itself
            cf: dict[str, Any] = {}
            if s["contacts"]:
                cf["netops_contacts"] = s["contacts"]
            if s["rooms"]:
                cf["netops_rooms"] = s["rooms"]
            if s["target_date"]:
                cf["netops_target_date"] = s["target_date"]
            loc = Location(
                name=s["name"],
                facility=s["id"],
                description=s["name_en"] or "",
                location_type=ltypes[key],
                parent=parent,
                status=statuses[s["status"]],
            )
            loc._custom_field_data = cf
            loc.save()
            locations[site_id] = loc
            return loc

        marks.append(("setup", time.monotonic()))
        for site_id in sites:
            location(site_id)
        marks.append(("locations", time.monotonic()))

        manufacturers: dict[str, Any] = {}
        platforms: dict[str, Any] = {}
        device_types: dict[tuple[str, str], Any] = {}
        roles: dict[str, Any] = {r.name.lower(): r for r in Role.objects.all()}
        for d in region["devices"]:
            vendor = d["vendor"]
            if vendor not in manufacturers:
                manufacturers[vendor] = Manufacturer.objects.create(name=vendor)
            if d["platform"] not in platforms:
                platforms[d["platform"]] = Platform.objects.create(
                    name=d["platform"],
                    manufacturer=manufacturers[vendor],
                    network_driver=d["netmiko_device_type"] or "",
                )
            model = d["model"] or f"{vendor} (model not recorded)"
            if (vendor, model) not in device_types:
                device_types[(vendor, model)] = DeviceType.objects.create(
                    manufacturer=manufacturers[vendor], model=model
                )
            if d["role"] not in roles:
                roles[d["role"]] = Role.objects.create(name=d["role"])
                roles[d["role"]].content_types.add(ct(Device))

        nets = {
            first: Prefix.objects.create(
                network=f"{first}.0.0.0", prefix_length=8, namespace=namespace, status=statuses["active"]
            )
            for first in ("127", "10")
        }

        def address(text: str) -> Any:  # in bulk below: the parent (a /8 above) set here, as clean() would
            return IPAddress(address=text, parent=nets[text.split(".", 1)[0]], status=statuses["active"])

        devices: dict[str, Any] = {}
        interfaces: dict[tuple[str, str], Any] = {}
        management = [address(f"{d['address']}/32") for d in region["devices"]]
        IPAddress.objects.bulk_create(management)
        for d, ip in zip(region["devices"], management, strict=True):
            cf = {
                "netops_snmp_profile": d["snmp_profile"],
                "netops_credential": d["credential"],
                "netops_ssh_port": d["ssh_port"],
                "netops_snmp_port": d["snmp_port"],
                "netops_http_port": d["http_port"],
                "netops_sip_port": d["sip_port"],
                "netops_probe_port": d["probe_port"],
                "netops_ups": d["ups"],
                "netops_target_date": d["target_date"],
            }
            vendor = d["vendor"]
            dev = Device(
                name=d["id"],
                location=locations[d["site"]],
                role=roles[d["role"]],
                status=statuses[d["status"]],
                platform=platforms[d["platform"]],
                device_type=device_types[(vendor, d["model"] or f"{vendor} (model not recorded)")],
                primary_ip4=ip,
            )
            dev._custom_field_data = {k: v for k, v in cf.items() if v is not None}
            dev.local_config_context_data = d["local_vars"] or None
            devices[d["id"]] = dev
            for i in d["interfaces"]:
                iface = Interface(
                    device=dev,
                    name=i["name"],
                    type="1000base-t",
                    status=statuses["active"],
                    description=i["description"],
                    speed=i["speed_mbps"] * 1000,
                )
                iface._custom_field_data = {"netops_kind": i["kind"]}
                interfaces[(d["id"], i["name"])] = iface
        Device.objects.bulk_create(devices.values())
        for iface in interfaces.values():
            iface.device = iface.device  # the device got its primary key in bulk_create
        Interface.objects.bulk_create(interfaces.values())
        assigned = [
            (address(i["address"]), interfaces[(d["id"], i["name"])])
            for d in region["devices"]
            for i in d["interfaces"]
            if i["address"]
        ]
        IPAddress.objects.bulk_create([ip for ip, _ in assigned])
        IPAddressToInterface.objects.bulk_create(
            [IPAddressToInterface(ip_address=ip, interface=iface) for ip, iface in assigned]
        )

        marks.append(("devices", time.monotonic()))
        # circuits and their terminations first, then every cable inside one defer_cable_path_rebuilds():
        # Nautobot traces each cable's paths once, at the end, through complete circuits
        providers: dict[str, Any] = {}
        circuit_types: dict[str, Any] = {}
        cables: list[Any] = []
        for link in region["links"]:
            a = interfaces[(link["a"]["device"], link["a"]["interface"])]
            b = interfaces[(link["b"]["device"], link["b"]["interface"])]
            if not link["circuit"]:
                cable = Cable(termination_a=a, termination_b=b, status=statuses["connected"])
                cable._custom_field_data = {
                    "netops_link_kind": link["kind"],
                    "netops_medium": link["medium"],
                    "netops_bandwidth_mbps": link["bandwidth_mbps"],
                }
                cables.append(cable)
                continue
            carrier = link["carrier"] or "unknown carrier"
            if carrier not in providers:
                providers[carrier] = Provider.objects.create(name=carrier)
            medium = link["medium"] or "unspecified"
            if medium not in circuit_types:
                circuit_types[medium] = CircuitType.objects.create(name=medium)
            circuit = Circuit(
                cid=link["circuit"],
                provider=providers[carrier],
                circuit_type=circuit_types[medium],
                status=statuses["active"],
                commit_rate=link["bandwidth_mbps"] * 1000,
            )
            circuit._custom_field_data = {"netops_link_kind": link["kind"]}
            circuit.save()
            for side, end in (("A", a), ("Z", b)):
                term = CircuitTermination.objects.create(
                    circuit=circuit, term_side=side, location=end.device.location
                )
                cables.append(Cable(termination_a=end, termination_b=term, status=statuses["connected"]))
        marks.append(("circuits", time.monotonic()))
        with defer_cable_path_rebuilds():
            for cable in cables:
                cable.save()
        marks.append(("links", time.monotonic()))
        ConfigContext.objects.create(
            name="netops",
            weight=1000,
            data={
                "netops": {
                    "snmp_profiles": region["snmp_profiles"],
                    "credentials": region["credentials"],
                    "services": region["services"],
                }
            },
        )
        if region["common_vars"]:
            ConfigContext.objects.create(name="netops vars", weight=100, data=region["common_vars"])
    marks.append(("committed", time.monotonic()))
    return {name: round(t - marks[n][1], 1) for n, (name, t) in enumerate(marks[1:])}


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
