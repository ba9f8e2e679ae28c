"""Import from Nautobot: its REST API read with a token, the objects mapped to netops' inventory sections.

    NautobotSource (netops.interop.nautobot_api) ──fetch──▶ Snapshot (raw JSON lists)
        ──build_sections──▶ {"region.yaml": {...}, "sites.yaml": {...}, "links.yaml": {...}, ...}
        ──netops.interop.importing.write_inventory_dir──▶ the inventory folder (validated, then swapped in)

The mapping (docs/deploy.md, "Import from NetBox / Nautobot"):

- Location -> site: ``facility`` is the netops id (else the name, if it is a slug); name -> name; description
  -> name_en; parent -> parent; status -> status; the location type names the tier (Region, Prefecture,
  County, Department; City = a county-level city under the region; custom field ``netops_tier`` overrides).
- Device -> device: name -> id; location -> site; role name -> role; platform -> platform (its name if it is a
  netops platform id, else its ``network_driver``: huawei_vrpv8, huawei/huawei_vrp, hp_comware, cisco_ios);
  ``primary_ip4`` -> address; device type model -> model; the rendered config context (without its
  ``netops`` key) -> vars.
- Interface -> interface: name, description, speed (kbit/s -> Mbit/s), the IPv4 address assigned to it.
- Circuit with both terminations cabled to interfaces -> link (A = the lower end, Z = the upper end): provider
  -> carrier, cid -> circuit, circuit type -> medium, commit rate -> bandwidth. A cable between two
  interfaces -> link (no carrier).
- netops-only values are Nautobot custom fields (``CUSTOM_FIELDS``); profiles, credentials and services are
  the ``netops`` key of a config context. Credentials are names: a literal where a ``{secret: NAME}``
  belongs is refused, never written. Nautobot's own Secrets are not read.

Errors name the Nautobot object (type, name, id). ``SourceError``: the server could not be read (exit 1);
``MappingError``: an object netops cannot represent (exit 1).
"""

from __future__ import annotations

import re
from typing import Any

from netops.errors import NetopsError
from netops.interop.nautobot_api import NautobotSource, Snapshot, SourceError, ref
from netops.inventory.models import InterfaceKind, Lifecycle, LinkKind, Platform, Role, Tier

# custom field key -> (content type, what netops makes of it)
CUSTOM_FIELDS: dict[str, tuple[str, str]] = {
    "netops_tier": ("dcim.location", "site tier (overrides the location type)"),
    "netops_target_date": ("dcim.location, dcim.device", "target_date of a planned/staging site or device"),
    "netops_contacts": ("dcim.location", "contacts: JSON list of {name, phone, role, email}"),
    "netops_rooms": ("dcim.location", "rooms: JSON list of {id, name, codec, call_rate_kbps, contact}"),
    "netops_snmp_profile": ("dcim.device", "snmp_profile (a profile id of the netops config context)"),
    "netops_credential": ("dcim.device", "credential (a credential id of the netops config context)"),
    "netops_ssh_port": ("dcim.device", "ssh_port"),
    "netops_snmp_port": ("dcim.device", "snmp_port"),
    "netops_http_port": ("dcim.device", "http_port"),
    "netops_sip_port": ("dcim.device", "sip_port"),
    "netops_probe_port": ("dcim.device", "probe_port"),
    "netops_ups": ("dcim.device", "ups (UPS-MIB on this device's agent)"),
    "netops_kind": ("dcim.interface", "interface kind: uplink, downlink, lan, loopback, mgmt"),
    "netops_link_kind": ("circuits.circuit, dcim.cable", "link kind: primary or backup"),
    "netops_medium": ("dcim.cable", "medium of a link without a circuit"),
    "netops_bandwidth_mbps": ("dcim.cable", "bandwidth of a link without a circuit"),
}
_DEVICE_CF = ("snmp_profile", "credential", "ssh_port", "snmp_port", "http_port", "sip_port", "probe_port")
TIERS = {
    "region": "region",
    "prefecture": "prefecture",
    "county": "county",
    "city": "county",  # a county-level city directly under the region
    "department": "department",
}
DRIVERS = {
    "huawei_vrpv8": Platform.HUAWEI_VRP8,
    "huawei_vrp": Platform.HUAWEI_VRP5,
    "huawei": Platform.HUAWEI_VRP5,
    "hp_comware": Platform.H3C_COMWARE7,
    "h3c_comware": Platform.H3C_COMWARE7,
    "cisco_ios": Platform.CISCO_IOS,
}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SECRET_FIELDS = {
    "snmp_profiles": ("community", "auth_key", "priv_key"),
    "credentials": ("password", "enable"),
}


class MappingError(NetopsError):
    """An object of the source that netops cannot represent; the message names it: exit 1."""


def _name(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    found = value.get("name") or value.get("value") or value.get("display")
    return str(found) if found is not None else None


def _what(kind: str, obj: dict[str, Any]) -> str:
    label = obj.get("name") or obj.get("cid") or obj.get("display") or ""
    return f"{kind} '{label}' (id {obj.get('id')})"


def _cf(obj: dict[str, Any], key: str) -> Any:
    fields = obj.get("custom_fields")
    return fields.get(key) if isinstance(fields, dict) else None


def _enum(kind: type[Any], value: str | None, what: str, attr: str) -> Any:
    try:
        return kind((value or "").lower())
    except ValueError:
        known = ", ".join(str(v) for v in kind)
        raise MappingError(f"{what}: {attr} '{value}' has no netops equivalent (known: {known})") from None


def _site_id(loc: dict[str, Any]) -> str:
    for candidate in (loc.get("facility"), loc.get("slug"), loc.get("name")):
        if isinstance(candidate, str) and _SLUG.match(candidate):
            return candidate
    raise MappingError(
        f"{_what('location', loc)}: no netops id: set its facility to a slug (lowercase, digits, '-')"
    )


def _sites(snap: Snapshot) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """(location id -> site id, site specs) in tree order (parents first)."""
    ids = {str(loc["id"]): _site_id(loc) for loc in snap.data["locations"]}
    sites: list[dict[str, Any]] = []
    for loc in snap.data["locations"]:
        what = _what("location", loc)
        tier_name = _cf(loc, "netops_tier") or _name(loc.get("location_type")) or ""
        tier = TIERS.get(tier_name.lower())
        if tier is None:
            raise MappingError(
                f"{what}: location type '{tier_name}' is not a netops tier "
                f"(known: {', '.join(TIERS)}; or set custom field netops_tier)"
            )
        parent = ref(loc.get("parent"))
        site: dict[str, Any] = {"id": ids[str(loc["id"])], "name": loc.get("name") or ids[str(loc["id"])]}
        if loc.get("description"):
            site["name_en"] = loc["description"]
        site["tier"] = Tier(tier).value
        if parent is not None:
            if parent not in ids:
                raise MappingError(f"{what}: its parent (id {parent}) was not among the locations read")
            site["parent"] = ids[parent]
        site["status"] = _enum(Lifecycle, _name(loc.get("status")), what, "status").value
        for key, cf in (("target_date", "netops_target_date"), ("contacts", "netops_contacts")):
            if _cf(loc, cf):
                site[key] = _cf(loc, cf)
        if _cf(loc, "netops_rooms"):
            site["rooms"] = _cf(loc, "netops_rooms")
        site["devices"] = []
        sites.append(site)
    depth = {s["id"]: 0 for s in sites}
    by_id = {s["id"]: s for s in sites}
    for s in sites:
        hop, seen = s, set()
        while hop.get("parent") in by_id and hop["id"] not in seen:
            seen.add(hop["id"])
            depth[s["id"]] += 1
            hop = by_id[hop["parent"]]
    sites.sort(key=lambda s: (depth[s["id"]], s["id"]))
    return ids, sites


def _platform(dev: dict[str, Any], what: str) -> Platform:
    plat = dev.get("platform")
    if not isinstance(plat, dict):
        raise MappingError(f"{what}: no platform (netops needs one of: {', '.join(Platform)})")
    name = str(plat.get("name") or "").lower()
    if name in {p.value for p in Platform}:
        return Platform(name)
    driver = str(plat.get("network_driver") or "").lower()
    if driver in DRIVERS:
        return DRIVERS[driver]
    raise MappingError(
        f"{what}: platform '{plat.get('name')}' (network driver '{driver}') has no netops platform "
        f"(name it after one of {', '.join(Platform)}, or set its network driver to one of {', '.join(DRIVERS)})"
    )


def _interfaces(snap: Snapshot) -> tuple[dict[str, tuple[str, str]], dict[str, list[dict[str, Any]]]]:
    """(interface id -> (device id, name), device id -> interface specs)."""
    addresses = {str(ip["id"]): str(ip.get("address") or "") for ip in snap.data["ip_addresses"]}
    assigned: dict[str, str] = {}
    for a in snap.data["ip_assignments"]:
        iface, ip = ref(a.get("interface")), ref(a.get("ip_address"))
        if iface and ip and ip in addresses and ":" not in addresses[ip]:
            assigned.setdefault(iface, addresses[ip])
    names: dict[str, tuple[str, str]] = {}
    specs: dict[str, list[dict[str, Any]]] = {}
    for i in snap.data["interfaces"]:
        device = ref(i.get("device"))
        if device is None:
            continue  # a module's or a virtual chassis' own: not a netops interface
        names[str(i["id"])] = (device, str(i["name"]))
        spec: dict[str, Any] = {"name": str(i["name"])}
        kind = _cf(i, "netops_kind") or ("mgmt" if i.get("mgmt_only") else "lan")
        spec["kind"] = _enum(InterfaceKind, kind, _what("interface", i), "netops_kind").value
        if i.get("description"):
            spec["description"] = i["description"]
        if i.get("speed"):
            spec["speed_mbps"] = max(1, int(i["speed"]) // 1000)
        if str(i["id"]) in assigned:
            spec["address"] = assigned[str(i["id"])]
        specs.setdefault(device, []).append(spec)
    return names, specs


def _device(dev: dict[str, Any], site_of: dict[str, str], ifaces: list[dict[str, Any]]) -> dict[str, Any]:
    what = _what("device", dev)
    name = dev.get("name")
    if not isinstance(name, str) or not _SLUG.match(name):
        raise MappingError(f"{what}: its name is not a netops id (lowercase letters, digits, '-')")
    location = ref(dev.get("location"))
    if location not in site_of:
        raise MappingError(f"{what}: its location (id {location}) was not among the locations read")
    primary = dev.get("primary_ip4")
    address = str(primary.get("address") or "").split("/")[0] if isinstance(primary, dict) else ""
    if not address:
        raise MappingError(f"{what}: no primary IPv4 address (netops reaches devices at it)")
    spec: dict[str, Any] = {
        "id": name,
        "role": _enum(Role, _name(dev.get("role")), what, "role").value,
        "address": address,
        "platform": _platform(dev, what).value,
    }
    for key in _DEVICE_CF:
        if _cf(dev, f"netops_{key}") is not None:
            spec[key] = _cf(dev, f"netops_{key}")
    spec["status"] = _enum(Lifecycle, _name(dev.get("status")), what, "status").value
    if _cf(dev, "netops_target_date"):
        spec["target_date"] = _cf(dev, "netops_target_date")
    model = dev.get("device_type", {}).get("model") if isinstance(dev.get("device_type"), dict) else None
    if model:
        spec["model"] = model
    if _cf(dev, "netops_ups"):
        spec["ups"] = True
    spec["interfaces"] = ifaces
    context = dev.get("config_context")
    if isinstance(context, dict):
        device_vars = {k: v for k, v in context.items() if k != "netops"}
        if device_vars:
            spec["vars"] = device_vars
    return spec


def _definitions(snap: Snapshot) -> dict[str, list[Any]]:
    """snmp_profiles, credentials, services from the ``netops`` key of the config contexts (by weight)."""
    found: dict[str, list[Any]] = {"snmp_profiles": [], "credentials": [], "services": []}
    for ctx in sorted(snap.data["config_contexts"], key=lambda c: int(c.get("weight") or 0)):
        data = ctx.get("data")
        own = data.get("netops") if isinstance(data, dict) else None
        if not isinstance(own, dict) or ctx.get("is_active") is False:
            continue
        what = _what("config context", ctx)
        for section in found:
            items = own.get(section) or []
            if not isinstance(items, list):
                raise MappingError(f"{what}: netops.{section} must be a list")
            for n, item in enumerate(items):
                if not isinstance(item, dict):
                    raise MappingError(f"{what}: netops.{section}[{n}] must be a mapping")
                for key in _SECRET_FIELDS.get(section, ()):
                    value = item.get(key)
                    if value is not None and not (
                        isinstance(value, dict)
                        and set(value) == {"secret"}
                        and isinstance(value["secret"], str)
                    ):
                        raise MappingError(
                            f"{what}: netops.{section}[{n}] ({item.get('id')}).{key} must name a secret "
                            "({secret: NAME}); it holds a value, which netops does not write"
                        )
            ids = {i.get("id") for i in items}
            found[section] = [i for i in found[section] if i.get("id") not in ids] + items
    return found


def _links(snap: Snapshot, names: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """Circuits cabled at both ends, then interface-to-interface cables."""

    def end(iface_id: str | None, what: str) -> str:
        if iface_id is None or iface_id not in names:
            raise MappingError(f"{what}: not cabled to a device interface")
        device_id, iface = names[iface_id]
        return f"{device_names[device_id]}:{iface}"

    device_names = {str(d["id"]): str(d.get("name")) for d in snap.data["devices"]}
    peer: dict[str, str | None] = {}  # circuit termination id -> interface id across its cable
    for c in snap.data["cables"]:
        a = (c.get("termination_a_type"), c.get("termination_a_id"))
        b = (c.get("termination_b_type"), c.get("termination_b_id"))
        for this, other in ((a, b), (b, a)):
            if this[0] == "circuits.circuittermination":
                peer[str(this[1])] = str(other[1]) if other[0] == "dcim.interface" else None
    terms: dict[str, dict[str, str | None]] = {}
    for t in snap.data["terminations"]:
        circuit = ref(t.get("circuit"))
        if circuit:
            terms.setdefault(circuit, {})[str(t.get("term_side"))] = peer.get(str(t["id"]))
    links: list[dict[str, Any]] = []
    for c in snap.data["circuits"]:
        what = _what("circuit", c)
        sides = terms.get(str(c["id"]), {})
        if sides.get("A") is None and sides.get("Z") is None:
            continue  # a circuit not (yet) patched to our devices is no link of ours
        link: dict[str, Any] = {"a": end(sides.get("A"), f"{what} termination A")}
        link["b"] = end(sides.get("Z"), f"{what} termination Z")
        link["kind"] = _enum(
            LinkKind, _cf(c, "netops_link_kind") or "primary", what, "netops_link_kind"
        ).value
        if _name(c.get("provider")):
            link["carrier"] = _name(c.get("provider"))
        link["circuit"] = str(c["cid"])
        if c.get("commit_rate"):
            link["bandwidth_mbps"] = max(1, int(c["commit_rate"]) // 1000)
        if _name(c.get("circuit_type")):
            link["medium"] = _name(c.get("circuit_type"))
        links.append(link)
    for c in snap.data["cables"]:
        if c.get("termination_a_type") != "dcim.interface" or c.get("termination_b_type") != "dcim.interface":
            continue
        what = _what("cable", c)
        link = {
            "a": end(str(c.get("termination_a_id")), what),
            "b": end(str(c.get("termination_b_id")), what),
            "kind": _enum(LinkKind, _cf(c, "netops_link_kind") or "primary", what, "netops_link_kind").value,
        }
        if _cf(c, "netops_medium"):
            link["medium"] = _cf(c, "netops_medium")
        if _cf(c, "netops_bandwidth_mbps"):
            link["bandwidth_mbps"] = int(_cf(c, "netops_bandwidth_mbps"))
        links.append(link)
    return links


def build_sections(snap: Snapshot) -> dict[str, dict[str, Any]]:
    """File name -> YAML document of the inventory the snapshot describes."""
    site_of, sites = _sites(snap)
    names, ifaces = _interfaces(snap)
    by_site = {s["id"]: s for s in sites}
    for dev in sorted(snap.data["devices"], key=lambda d: str(d.get("name"))):
        spec = _device(dev, site_of, ifaces.get(str(dev["id"]), []))
        site = by_site[site_of[str(ref(dev.get("location")))]]
        if spec["status"] == site["status"]:
            del spec["status"]  # inherited from the site, as the inventory writes it
        site["devices"].append(spec)
    definitions = _definitions(snap)
    files: dict[str, dict[str, Any]] = {
        "region.yaml": {k: definitions[k] for k in ("snmp_profiles", "credentials") if definitions[k]},
        "sites.yaml": {"sites": sites},
        "links.yaml": {"links": _links(snap, names)},
    }
    if definitions["services"]:
        files["services.yaml"] = {"services": definitions["services"]}
    return files


def fetch(source: NautobotSource) -> Snapshot:
    """Read everything the mapping needs; the ``netops`` config context is checked before the rest is read."""
    return source.fetch(check_first=_definitions)


__all__ = [
    "CUSTOM_FIELDS",
    "MappingError",
    "NautobotSource",
    "Snapshot",
    "SourceError",
    "build_sections",
    "fetch",
]
