"""Pass 2 of loading: references, hierarchy, inheritance; builds the frozen models from the validated specs.

``loader.py`` reads the files and validates each item's shape (pass 1) into a ``Collected``; ``resolve`` checks
everything that spans items (duplicate ids and addresses, unknown references, defaults inherited region ->
prefecture -> county, links and rooms) and returns the ``Inventory``, adding every problem it finds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from netops.errors import Problem
from netops.inventory import checks
from netops.inventory.models import (
    Contact,
    Credential,
    Device,
    Interface,
    Inventory,
    Link,
    LinkEnd,
    LinkKind,
    Role,
    Room,
    SecretRef,
    Site,
    SnmpProfile,
    Source,
)
from netops.inventory.services import resolve_services
from netops.inventory.specs import (
    ContactSpec,
    CredentialSpec,
    DefaultsSpec,
    DeviceSpec,
    LinkSpec,
    RoomSpec,
    SecretSpec,
    ServiceSpec,
    SiteSpec,
    SnmpProfileSpec,
)
from netops.inventory.yamlsource import LineDict, LineList

_INHERITED = (
    "platform",
    "snmp_profile",
    "credential",
    "ssh_port",
    "snmp_port",
    "http_port",
    "sip_port",
    "probe_port",
    "model",
)
_T = TypeVar("_T")


@dataclass(slots=True)
class Item(Generic[_T]):
    """A validated spec plus where it was written."""

    spec: _T
    file: str
    line: int
    raw: LineDict


@dataclass(slots=True)
class Collected:
    defaults: list[Item[DefaultsSpec]]
    profiles: list[Item[SnmpProfileSpec]]
    credentials: list[Item[CredentialSpec]]
    sites: list[Item[SiteSpec]]
    devices: list[tuple[Item[DeviceSpec], str]]  # (device, site id)
    rooms: list[tuple[Item[RoomSpec], str]]
    links: list[Item[LinkSpec]]
    broken_ids: set[str]  # ids of items that failed validation: references to them are not re-reported
    services: list[Item[ServiceSpec]] = dc_field(default_factory=list)


# -- pass 2: references, hierarchy, inheritance ---------------------------------------------------------


def _unique(items: Iterable[Item[_T]], key: Any, kind: str, problems: list[Problem]) -> dict[str, Item[_T]]:
    seen: dict[str, Item[_T]] = {}
    for item in items:
        ident = key(item.spec)
        if ident in seen:
            first = seen[ident]
            problems.append(
                Problem(
                    item.file,
                    item.line,
                    "id",
                    f"duplicate {kind} id {ident!r} (first defined at {first.file}:{first.line})",
                )
            )
            continue
        seen[ident] = item
    return seen


def _secret(spec: SecretSpec | None) -> SecretRef | None:
    return SecretRef(spec.secret) if spec is not None else None


def _contact(spec: ContactSpec) -> Contact:
    return Contact(name=spec.name, phone=spec.phone, role=spec.role, email=spec.email)


def resolve(root: Path, col: Collected, problems: list[Problem], digest: str) -> Inventory | None:
    broken = col.broken_ids
    # global defaults: at most one
    glob = DefaultsSpec()
    if col.defaults:
        glob = col.defaults[0].spec
        for extra in col.defaults[1:]:
            first = col.defaults[0]
            problems.append(
                Problem(
                    extra.file,
                    extra.line,
                    "defaults",
                    f"global defaults are already set at {first.file}:{first.line}; keep one",
                )
            )

    profiles = {
        i: _profile(it, problems)
        for i, it in _unique(col.profiles, lambda s: s.id, "SNMP profile", problems).items()
    }
    credentials = {
        i: Credential(
            id=i,
            username=it.spec.username,
            password=SecretRef(it.spec.password.secret),
            enable=_secret(it.spec.enable),
            source=Source(it.file, it.line),
        )
        for i, it in _unique(col.credentials, lambda s: s.id, "credential", problems).items()
    }

    site_items = _unique(col.sites, lambda s: s.id, "site", problems)
    sites = checks.resolve_hierarchy(site_items, broken, problems)
    if sites is None:
        return None
    site_defaults = _site_defaults(glob, site_items, sites)

    devices = _devices(col, sites, site_defaults, profiles, credentials, problems)
    links = _links(col, devices, problems)
    rooms = _rooms(col, sites, devices, problems)
    services = resolve_services(
        _unique(col.services, lambda s: s.id, "service", problems).values(), sites, problems
    )
    return Inventory(
        directory=str(root),
        sites=MappingProxyType(dict(sorted(sites.items()))),
        devices=MappingProxyType(dict(sorted(devices.items()))),
        links=MappingProxyType(dict(sorted(links.items()))),
        rooms=MappingProxyType(dict(sorted(rooms.items()))),
        snmp_profiles=MappingProxyType(profiles),
        credentials=MappingProxyType(credentials),
        digest=digest,
        services=MappingProxyType(dict(sorted(services.items()))),
    )


def _profile(item: Item[SnmpProfileSpec], problems: list[Problem]) -> SnmpProfile:
    s = item.spec
    if s.version == "2c" and s.community is None:
        problems.append(
            Problem(item.file, item.line, "community", "SNMPv2c profile needs community: {secret: NAME}")
        )
    if s.version == "3":
        if not s.user:
            problems.append(Problem(item.file, item.line, "user", "SNMPv3 profile needs a user"))
        if (s.auth_protocol is None) != (s.auth_key is None):
            problems.append(
                Problem(item.file, item.line, "auth_key", "auth_protocol and auth_key go together")
            )
        if (s.priv_protocol is None) != (s.priv_key is None):
            problems.append(
                Problem(item.file, item.line, "priv_key", "priv_protocol and priv_key go together")
            )
        if s.priv_protocol is not None and s.auth_protocol is None:
            problems.append(
                Problem(item.file, item.line, "priv_protocol", "privacy needs authentication (authPriv)")
            )
    return SnmpProfile(
        id=s.id,
        version=s.version,
        community=_secret(s.community),
        user=s.user,
        auth_protocol=s.auth_protocol,
        auth_key=_secret(s.auth_key),
        priv_protocol=s.priv_protocol,
        priv_key=_secret(s.priv_key),
        timeout_s=s.timeout_s,
        retries=s.retries,
        source=Source(item.file, item.line),
    )


def _site_defaults(
    glob: DefaultsSpec, items: Mapping[str, Item[SiteSpec]], sites: Mapping[str, Site]
) -> dict[str, dict[str, Any]]:
    """Effective defaults per site: the chain from the region down, nearest value wins; vars merged."""
    out: dict[str, dict[str, Any]] = {}

    def effective(site_id: str) -> dict[str, Any]:
        if site_id in out:
            return out[site_id]
        parent = sites[site_id].parent
        base = (
            effective(parent)
            if parent is not None
            else {**{k: getattr(glob, k) for k in _INHERITED}, "vars": dict(glob.vars)}
        )
        own = items[site_id].spec.defaults
        if own is None:
            out[site_id] = base
            return base
        merged = {k: (getattr(own, k) if getattr(own, k) is not None else base[k]) for k in _INHERITED}
        merged["vars"] = {**base["vars"], **own.vars}
        out[site_id] = merged
        return merged

    for sid in sites:
        effective(sid)
    return out


def _devices(
    col: Collected,
    sites: Mapping[str, Site],
    defaults: Mapping[str, dict[str, Any]],
    profiles: Mapping[str, SnmpProfile],
    credentials: Mapping[str, Credential],
    problems: list[Problem],
) -> dict[str, Device]:
    items = _unique((it for it, _ in col.devices), lambda s: s.id, "device", problems)
    site_of = {id(it): site for it, site in col.devices}
    _check_default_refs(col, profiles, credentials, problems)
    by_address: dict[str, Item[DeviceSpec]] = {}
    devices: dict[str, Device] = {}
    for ident, item in items.items():
        s = item.spec
        site_id = site_of[id(item)]
        if site_id not in sites:
            col.broken_ids.add(ident)  # the site itself failed and was reported
            continue
        site = sites[site_id]
        eff = defaults[site_id]
        ok = True

        def pick(name: str, spec: DeviceSpec = s, eff: dict[str, Any] = eff) -> Any:
            value = getattr(spec, name)
            return value if value is not None else eff[name]

        platform = pick("platform")
        if platform is None:
            problems.append(
                Problem(
                    item.file,
                    item.line,
                    "platform",
                    "no platform: set it on the device or in a defaults block above it",
                )
            )
            ok = False
        address = str(s.address)
        if address in by_address:  # reported; the device is kept so links to it are still checked
            first = by_address[address]
            problems.append(
                Problem(
                    item.file,
                    item.raw.line_of("address"),
                    "address",
                    f"management address {address} is already used by {first.spec.id} "
                    f"({first.file}:{first.line})",
                )
            )
        else:
            by_address[address] = item
        snmp_profile, credential = pick("snmp_profile"), pick("credential")
        # inherited references were checked once where the defaults are written; check the device's own here
        for field, ref, known in (
            ("snmp_profile", s.snmp_profile, profiles),
            ("credential", s.credential, credentials),
        ):
            if ref is not None and ref not in known and ref not in col.broken_ids:
                problems.append(
                    Problem(
                        item.file,
                        item.raw.line_of(field),
                        field,
                        f"unknown {field.replace('_', ' ')} {ref!r}; known: {', '.join(sorted(known))}",
                    )
                )
        interfaces: list[Interface] = []
        seen_if: set[str] = set()
        for i, itf in enumerate(s.interfaces):
            if itf.name in seen_if:
                raw_ifs = item.raw.get("interfaces")
                line = raw_ifs.line_of(i) if isinstance(raw_ifs, LineList) else item.line
                problems.append(
                    Problem(
                        item.file,
                        line,
                        f"interfaces[{i}].name",
                        f"duplicate interface {itf.name!r} on {ident}",
                    )
                )
                continue
            seen_if.add(itf.name)
            interfaces.append(
                Interface(
                    name=itf.name,
                    kind=itf.kind,
                    description=itf.description,
                    speed_mbps=itf.speed_mbps,
                    address=itf.address,
                )
            )
        if not ok:
            continue
        devices[ident] = Device(
            id=ident,
            site=site_id,
            platform=platform,
            role=s.role,
            address=s.address,
            snmp_profile=snmp_profile,
            credential=credential,
            ssh_port=pick("ssh_port") or 22,
            snmp_port=pick("snmp_port") or 161,
            http_port=pick("http_port") or 80,
            sip_port=pick("sip_port") or 5060,
            probe_port=pick("probe_port") or 862,
            status=s.status or site.status,
            target_date=s.target_date or site.target_date,
            model=pick("model"),
            ups=s.ups,
            attached_to=tuple(s.attached_to or ()),
            interfaces=tuple(interfaces),
            vars=MappingProxyType({**eff["vars"], **site.vars, **s.vars}),
            source=Source(item.file, item.line),
        )
    _attach(devices, items, col.broken_ids, problems)
    return devices


def _check_default_refs(
    col: Collected,
    profiles: Mapping[str, SnmpProfile],
    credentials: Mapping[str, Credential],
    problems: list[Problem],
) -> None:
    blocks: list[tuple[DefaultsSpec, str, LineDict]] = [(d.spec, d.file, d.raw) for d in col.defaults]
    blocks += [
        (it.spec.defaults, it.file, it.raw["defaults"]) for it in col.sites if it.spec.defaults is not None
    ]
    for spec, file, raw in blocks:
        for field, known in (("snmp_profile", profiles), ("credential", credentials)):
            ref = getattr(spec, field)
            if ref is not None and ref not in known and ref not in col.broken_ids:
                line = raw.line_of(field) if isinstance(raw, LineDict) else 0
                problems.append(
                    Problem(
                        file,
                        line,
                        f"defaults.{field}",
                        f"unknown {field.replace('_', ' ')} {ref!r}; known: {', '.join(sorted(known))}",
                    )
                )


def _attach(
    devices: dict[str, Device],
    items: Mapping[str, Item[DeviceSpec]],
    broken: set[str],
    problems: list[Problem],
) -> None:
    """Check explicit ``attached_to`` and fill in the default in-site attachment.

    Default: a codec/MCU hangs off its site's switches (or routers when the site has no switch); a switch
    hangs off its site's routers. Routers are connected by links only.
    """
    by_site: dict[str, list[Device]] = {}
    for dev in devices.values():
        by_site.setdefault(dev.site, []).append(dev)
    for ident, dev in list(devices.items()):
        item = items[ident]
        if dev.attached_to:
            for ref in dev.attached_to:
                if ref not in devices and ref not in broken:
                    problems.append(
                        Problem(
                            item.file,
                            item.raw.line_of("attached_to"),
                            "attached_to",
                            f"unknown device {ref!r}",
                        )
                    )
                elif ref == ident:
                    problems.append(
                        Problem(
                            item.file,
                            item.raw.line_of("attached_to"),
                            "attached_to",
                            "a device cannot be attached to itself",
                        )
                    )
            continue
        if dev.role.routes:
            continue
        peers = by_site[dev.site]
        switches = [p.id for p in peers if p.role is Role.SWITCH and p.id != ident]
        routers = [p.id for p in peers if p.role.routes]
        parent = routers if dev.role is Role.SWITCH else (switches or routers)
        if parent:
            devices[ident] = replace(dev, attached_to=tuple(parent))


def _links(col: Collected, devices: Mapping[str, Device], problems: list[Problem]) -> dict[str, Link]:
    links: dict[str, Link] = {}
    where: dict[str, Item[LinkSpec]] = {}
    for item in col.links:
        s = item.spec
        ends: list[LinkEnd] = []
        ok = True
        for side in ("a", "b"):
            ref: str = getattr(s, side)
            dev_id, _, itf = ref.partition(":")
            line = item.raw.line_of(side)
            dev = devices.get(dev_id)
            if dev is None:
                if dev_id not in col.broken_ids:
                    problems.append(
                        Problem(
                            item.file, line, side, f"link {s.id or ref!r} names unknown device {dev_id!r}"
                        )
                    )
                ok = False
            elif dev.interfaces and itf not in {i.name for i in dev.interfaces}:
                problems.append(
                    Problem(
                        item.file,
                        line,
                        side,
                        f"device {dev_id!r} has no interface {itf!r}; "
                        f"known: {', '.join(i.name for i in dev.interfaces)}",
                    )
                )
                ok = False
            ends.append(LinkEnd(dev_id, itf))
        if ok and ends[0].device == ends[1].device:
            problems.append(
                Problem(item.file, item.line, "b", "both ends of the link are on the same device")
            )
            ok = False
        ident = s.id or f"{ends[0].device}--{ends[1].device}" + (
            "" if s.kind is LinkKind.PRIMARY else f"-{s.kind}"
        )
        if ident in where:
            first = where[ident]
            hint = "" if s.id else "; give one of them an explicit id"
            problems.append(
                Problem(
                    item.file,
                    item.line,
                    "id",
                    f"duplicate link id {ident!r} (first at {first.file}:{first.line}){hint}",
                )
            )
            continue
        where[ident] = item
        if ok:
            links[ident] = Link(
                id=ident,
                a=ends[0],
                b=ends[1],
                kind=s.kind,
                carrier=s.carrier,
                circuit=s.circuit,
                bandwidth_mbps=s.bandwidth_mbps,
                medium=s.medium,
                source=Source(item.file, item.line),
            )
    used: dict[str, str] = {}
    for link in links.values():
        for end in link.ends():
            key = str(end)
            if key in used:
                item = where[link.id]
                problems.append(
                    Problem(
                        item.file,
                        item.line,
                        "a" if end is link.a else "b",
                        f"interface {key} is already the end of link {used[key]!r}",
                    )
                )
            else:
                used[key] = link.id
    return links


def _rooms(
    col: Collected, sites: Mapping[str, Site], devices: Mapping[str, Device], problems: list[Problem]
) -> dict[str, Room]:
    rooms: dict[str, Room] = {}
    items = _unique((it for it, _ in col.rooms), lambda s: s.id, "room", problems)
    site_of = {id(it): site for it, site in col.rooms}
    codecs_used: dict[str, str] = {}
    for ident, item in items.items():
        s = item.spec
        site_id = site_of[id(item)]
        if site_id not in sites:
            continue
        codec = devices.get(s.codec)
        line = item.raw.line_of("codec")
        if codec is None:
            if s.codec not in col.broken_ids:
                problems.append(
                    Problem(item.file, line, "codec", f"room {ident!r} names unknown device {s.codec!r}")
                )
            continue
        if codec.role is not Role.CODEC:
            problems.append(
                Problem(
                    item.file, line, "codec", f"device {s.codec!r} has role {codec.role}, expected a codec"
                )
            )
            continue
        if codec.site != site_id:
            problems.append(
                Problem(
                    item.file,
                    line,
                    "codec",
                    f"codec {s.codec!r} is at site {codec.site!r}, not at the room's site {site_id!r}",
                )
            )
            continue
        if s.codec in codecs_used:
            problems.append(
                Problem(
                    item.file,
                    line,
                    "codec",
                    f"codec {s.codec!r} already serves room {codecs_used[s.codec]!r}",
                )
            )
            continue
        codecs_used[s.codec] = ident
        rooms[ident] = Room(
            id=ident,
            site=site_id,
            name=s.name,
            codec=s.codec,
            call_rate_kbps=s.call_rate_kbps,
            contact=_contact(s.contact) if s.contact else None,
            source=Source(item.file, item.line),
        )
    return rooms
