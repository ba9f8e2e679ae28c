"""Load a directory of inventory YAML into a validated, frozen ``Inventory``.

Reading order: every ``*.yaml``/``*.yml`` below the directory (sorted; ``templates/`` and
``conferences/`` are other tools' folders and are skipped). Each file may hold any of the sections
``defaults``, ``snmp_profiles``, ``credentials``, ``sites``, ``links``. Everything is checked in one pass
and every problem is reported at once, each with file, line, field and what was expected
(``InventoryError.problems``). Defaults are inherited once, here: global ``defaults`` <- region site's
``defaults`` <- prefecture's <- county's <- the device's own fields.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from netops.errors import InventoryError, Problem
from netops.inventory import checks
from netops.inventory.models import (
    Contact,
    Credential,
    Device,
    Interface,
    Inventory,
    Lifecycle,
    Link,
    LinkEnd,
    LinkKind,
    Role,
    Room,
    SecretRef,
    Site,
    SnmpProfile,
    Source,
    Tier,
)
from netops.inventory.specs import (
    SECTIONS,
    ContactSpec,
    CredentialSpec,
    DefaultsSpec,
    DeviceSpec,
    LinkSpec,
    RoomSpec,
    SecretSpec,
    SiteSpec,
    SnmpProfileSpec,
)
from netops.inventory.yamlsource import LineDict, LineList, line_at, read_yaml

SKIPPED_DIRS = frozenset({"templates", "conferences"})
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
_S = TypeVar("_S", bound=BaseModel)
_T = TypeVar("_T")


@dataclass(slots=True)
class _Item(Generic[_T]):
    """A validated spec plus where it was written."""

    spec: _T
    file: str
    line: int
    raw: LineDict


@dataclass(slots=True)
class _Collected:
    defaults: list[_Item[DefaultsSpec]]
    profiles: list[_Item[SnmpProfileSpec]]
    credentials: list[_Item[CredentialSpec]]
    sites: list[_Item[SiteSpec]]
    devices: list[tuple[_Item[DeviceSpec], str]]  # (device, site id)
    rooms: list[tuple[_Item[RoomSpec], str]]
    links: list[_Item[LinkSpec]]
    broken_ids: set[str]  # ids of items that failed validation: references to them are not re-reported


def inventory_files(directory: Path) -> list[Path]:
    files = [
        p
        for p in directory.rglob("*")
        if p.suffix in (".yaml", ".yml")
        and p.is_file()
        and not SKIPPED_DIRS.intersection(p.relative_to(directory).parts[:-1])
    ]
    return sorted(files)


def load_inventory(directory: str | Path) -> Inventory:
    """Read, validate and resolve the inventory in ``directory``; raise ``InventoryError`` listing every problem."""
    # Loading creates hundreds of thousands of small long-lived objects; the cyclic collector would scan them
    # again and again (it tripled the load time of 10,000 devices). Nothing here makes reference cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(Path(directory))
    finally:
        if enabled:
            gc.enable()


def _load(root: Path) -> Inventory:
    if not root.is_dir():
        raise InventoryError([Problem(str(root), None, "", "inventory directory does not exist")])
    files = inventory_files(root)
    if not files:
        raise InventoryError([Problem(str(root), None, "", "no *.yaml files in the inventory directory")])
    problems: list[Problem] = []
    digest = hashlib.sha256()
    col = _Collected([], [], [], [], [], [], [], set())
    for path in files:
        display = path.relative_to(root).as_posix()
        digest.update(display.encode())
        digest.update(path.read_bytes())
        data, errs = read_yaml(path, display)
        problems.extend(errs)
        if data is None:  # an empty file, or one whose problems were just recorded
            continue
        _collect_file(data, display, col, problems)
    inv = _resolve(root, col, problems, digest.hexdigest())
    if inv is not None and not problems:  # paths are only meaningful once every reference resolves
        problems.extend(checks.check_paths_to_centre(inv))
    if problems or inv is None:
        raise InventoryError(problems or [Problem(str(root), None, "", "no region site")])
    return inv


# -- pass 1: shape ------------------------------------------------------------------------------------


def _validate(
    spec: type[_S], raw: Any, file: str, line: int, prefix: str, problems: list[Problem]
) -> _S | None:
    try:
        return spec.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = err["loc"]
            field = ".".join(str(p) for p in (prefix, *loc) if p != "")
            problems.append(Problem(file, line_at(raw, loc, line), field, _explain(err)))
        return None


def _explain(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see docs/inventory.md for the keys allowed here)"
    if kind == "missing":
        return "required key is missing"
    msg = str(err["msg"])
    if kind == "string_pattern_mismatch":
        return f"expected a lowercase slug (a-z, 0-9, '-'), found {err.get('input')!r}"
    if kind in ("model_type", "model_attributes_type"):
        return f"expected a mapping, found {type(err.get('input')).__name__}"
    found = err.get("input")
    if isinstance(found, (str, int, float, bool)) and not isinstance(found, dict):
        return f"{msg}; found {found!r}"
    return msg


def _collect_file(data: Any, file: str, col: _Collected, problems: list[Problem]) -> None:
    if not isinstance(data, LineDict):
        problems.append(
            Problem(file, 1, "", f"expected a mapping of sections at the top, found {type(data).__name__}")
        )
        return
    for key, value in data.items():
        line = data.line_of(key)
        if key == "defaults":
            d = _validate(DefaultsSpec, value, file, line, "defaults", problems)
            if d is not None:
                col.defaults.append(_Item(d, file, line, value))
            continue
        if key not in SECTIONS:
            allowed = ", ".join(["defaults", *SECTIONS])
            problems.append(Problem(file, line, key, f"unknown section; expected one of {allowed}"))
            continue
        if not isinstance(value, LineList):
            problems.append(Problem(file, line, key, f"expected a list, found {type(value).__name__}"))
            continue
        for i, raw in enumerate(value):
            item_line = value.line_of(i)
            where = f"{key}[{i}]"
            if not isinstance(raw, LineDict):
                problems.append(
                    Problem(file, item_line, where, f"expected a mapping, found {type(raw).__name__}")
                )
                continue
            if key == "sites":
                _collect_site(raw, file, item_line, where, col, problems)
                continue
            spec = _validate(SECTIONS[key], raw, file, item_line, where, problems)
            if spec is None:
                if isinstance(raw.get("id"), str):
                    col.broken_ids.add(raw["id"])
                continue
            item = _Item(spec, file, item_line, raw)
            if isinstance(spec, SnmpProfileSpec):
                col.profiles.append(item)  # type: ignore[arg-type]
            elif isinstance(spec, CredentialSpec):
                col.credentials.append(item)  # type: ignore[arg-type]
            elif isinstance(spec, LinkSpec):
                col.links.append(item)  # type: ignore[arg-type]


def _collect_site(
    raw: LineDict, file: str, line: int, where: str, col: _Collected, problems: list[Problem]
) -> None:
    # Devices and rooms are validated one by one, so one bad device does not hide its site or siblings.
    body = LineDict({k: v for k, v in raw.items() if k not in ("devices", "rooms")})
    body.line, body.key_lines = raw.line, raw.key_lines
    site = _validate(SiteSpec, body, file, line, where, problems)
    site_id = site.id if site is not None else str(raw.get("id", "?"))
    if site is None:
        col.broken_ids.add(site_id)
    else:
        col.sites.append(_Item(site, file, line, raw))
    for section, spec_type in (("devices", DeviceSpec), ("rooms", RoomSpec)):
        items = raw.get(section)
        if items is None:
            continue
        if not isinstance(items, LineList):
            problems.append(Problem(file, raw.line_of(section), f"{where}.{section}", "expected a list"))
            continue
        for i, item_raw in enumerate(items):
            item_line = items.line_of(i)
            item_where = f"{where}.{section}[{i}]"
            if not isinstance(item_raw, LineDict):
                problems.append(Problem(file, item_line, item_where, "expected a mapping"))
                continue
            spec = _validate(spec_type, item_raw, file, item_line, item_where, problems)
            if spec is None:
                if isinstance(item_raw.get("id"), str):
                    col.broken_ids.add(item_raw["id"])
                continue
            item = _Item(spec, file, item_line, item_raw)
            if isinstance(spec, DeviceSpec):
                col.devices.append((item, site_id))  # type: ignore[arg-type]
            else:
                col.rooms.append((item, site_id))  # type: ignore[arg-type]


# -- pass 2: references, hierarchy, inheritance ---------------------------------------------------------


def _unique(items: Iterable[_Item[_T]], key: Any, kind: str, problems: list[Problem]) -> dict[str, _Item[_T]]:
    seen: dict[str, _Item[_T]] = {}
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


def _resolve(root: Path, col: _Collected, problems: list[Problem], digest: str) -> Inventory | None:
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
    return Inventory(
        directory=str(root),
        sites=MappingProxyType(dict(sorted(sites.items()))),
        devices=MappingProxyType(dict(sorted(devices.items()))),
        links=MappingProxyType(dict(sorted(links.items()))),
        rooms=MappingProxyType(dict(sorted(rooms.items()))),
        snmp_profiles=MappingProxyType(profiles),
        credentials=MappingProxyType(credentials),
        digest=digest,
    )


def _profile(item: _Item[SnmpProfileSpec], problems: list[Problem]) -> SnmpProfile:
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
    glob: DefaultsSpec, items: Mapping[str, _Item[SiteSpec]], sites: Mapping[str, Site]
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
    col: _Collected,
    sites: Mapping[str, Site],
    defaults: Mapping[str, dict[str, Any]],
    profiles: Mapping[str, SnmpProfile],
    credentials: Mapping[str, Credential],
    problems: list[Problem],
) -> dict[str, Device]:
    items = _unique((it for it, _ in col.devices), lambda s: s.id, "device", problems)
    site_of = {id(it): site for it, site in col.devices}
    _check_default_refs(col, profiles, credentials, problems)
    by_address: dict[str, _Item[DeviceSpec]] = {}
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
    col: _Collected,
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
    items: Mapping[str, _Item[DeviceSpec]],
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
            devices[ident] = _replace(dev, attached_to=tuple(parent))


def _replace(dev: Device, **changes: Any) -> Device:
    from dataclasses import replace

    return replace(dev, **changes)


def _links(col: _Collected, devices: Mapping[str, Device], problems: list[Problem]) -> dict[str, Link]:
    links: dict[str, Link] = {}
    where: dict[str, _Item[LinkSpec]] = {}
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
    col: _Collected, sites: Mapping[str, Site], devices: Mapping[str, Device], problems: list[Problem]
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


__all__ = ["Lifecycle", "Tier", "inventory_files", "load_inventory"]
