"""Typed, frozen models of the inventory after loading: what the rest of netops works with.

The loader (``loader.py``) reads YAML into input specs (``specs.py``), validates them, resolves the
defaults inherited region -> prefecture -> county once, and builds these objects. Nothing here reads files;
nothing here holds a secret: profiles name secrets (``SecretRef``), ``netops.secrets`` resolves them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from ipaddress import IPv4Address
from types import MappingProxyType
from typing import Any

from netops.errors import NotFoundError


class Tier(StrEnum):
    REGION = "region"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    DEPARTMENT = "department"


class Lifecycle(StrEnum):
    """Status of a site or device, as NetBox names it. Only ``active`` ones are polled and pushed to."""

    PLANNED = "planned"
    STAGING = "staging"
    ACTIVE = "active"
    DECOMMISSIONING = "decommissioning"
    RETIRED = "retired"


class Platform(StrEnum):
    HUAWEI_VRP8 = "huawei_vrp8"
    HUAWEI_VRP5 = "huawei_vrp5"
    H3C_COMWARE7 = "h3c_comware7"
    CISCO_IOS = "cisco_ios"
    CODEC = "codec"
    MCU = "mcu"

    @property
    def has_cli(self) -> bool:
        """Routers and switches: SSH CLI, configuration push, SNMP."""
        return self not in (Platform.CODEC, Platform.MCU)

    @property
    def netmiko_device_type(self) -> str | None:
        return _NETMIKO_TYPES.get(self)

    @property
    def vendor(self) -> str:
        return _VENDORS[self]


_NETMIKO_TYPES = {
    Platform.HUAWEI_VRP8: "huawei_vrpv8",
    Platform.HUAWEI_VRP5: "huawei",
    Platform.H3C_COMWARE7: "hp_comware",
    Platform.CISCO_IOS: "cisco_ios",
}
_VENDORS = {
    Platform.HUAWEI_VRP8: "huawei",
    Platform.HUAWEI_VRP5: "huawei",
    Platform.H3C_COMWARE7: "h3c",
    Platform.CISCO_IOS: "cisco",
    Platform.CODEC: "codec",
    Platform.MCU: "mcu",
}


class Role(StrEnum):
    CORE = "core"  # region-centre core router
    CE = "ce"  # customer-edge router of a node, on the carrier circuit
    INTERNET_EXIT = "internet-exit"
    SWITCH = "switch"
    CODEC = "codec"  # conference-room video codec
    MCU = "mcu"  # multipoint control unit at the centre

    @property
    def routes(self) -> bool:
        """A routing role: terminates links, carries the site's traffic upstream."""
        return self in (Role.CORE, Role.CE, Role.INTERNET_EXIT)


class LinkKind(StrEnum):
    PRIMARY = "primary"
    BACKUP = "backup"


class InterfaceKind(StrEnum):
    UPLINK = "uplink"  # towards the parent node / carrier
    DOWNLINK = "downlink"  # towards child nodes
    LAN = "lan"
    LOOPBACK = "loopback"
    MGMT = "mgmt"


@dataclass(frozen=True, slots=True)
class Source:
    """Where an object was defined: file (relative to the inventory directory) and 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class SecretRef:
    """The name of a secret; its value lives in the environment or the secrets file, never here."""

    name: str

    def __str__(self) -> str:
        return f"<secret {self.name}>"


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    phone: str | None = None
    role: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class SnmpProfile:
    id: str
    version: str  # "2c" or "3"
    community: SecretRef | None = None
    user: str | None = None
    auth_protocol: str | None = None  # "sha", "sha256", "md5"
    auth_key: SecretRef | None = None
    priv_protocol: str | None = None  # "aes", "aes256", "des"
    priv_key: SecretRef | None = None
    timeout_s: float = 2.0
    retries: int = 1
    source: Source = field(default=Source("?", 0), compare=False)


@dataclass(frozen=True, slots=True)
class Credential:
    id: str
    username: str
    password: SecretRef
    enable: SecretRef | None = None
    source: Source = field(default=Source("?", 0), compare=False)


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str  # display name, usually Chinese (喀什地区)
    tier: Tier
    parent: str | None  # None only for the region centre
    prefecture: (
        str | None
    )  # the prefecture-level ancestor (itself for a prefecture), None for region/department
    status: Lifecycle = Lifecycle.ACTIVE
    target_date: date | None = None
    name_en: str | None = None
    contacts: tuple[Contact, ...] = ()
    vars: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    source: Source = field(default=Source("?", 0), compare=False)


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    kind: InterfaceKind = InterfaceKind.LAN
    description: str = ""
    speed_mbps: int = 1000
    address: str | None = None  # "10.1.2.1/30" style, for templates; never a target netops sends to


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    site: str
    platform: Platform
    role: Role
    address: IPv4Address  # management address
    snmp_profile: str | None
    credential: str | None
    ssh_port: int = 22
    snmp_port: int = 161
    http_port: int = 80  # codec / MCU status API
    sip_port: int = 5060
    probe_port: int = 862  # TWAMP-light style reflector
    status: Lifecycle = Lifecycle.ACTIVE
    target_date: date | None = None
    model: str | None = None
    ups: bool = False  # the node's UPS is monitored through this device's SNMP agent (UPS-MIB)
    attached_to: tuple[str, ...] = ()  # in-site attachment (codec -> switch -> ce), resolved by the loader
    interfaces: tuple[Interface, ...] = ()
    vars: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    source: Source = field(default=Source("?", 0), compare=False)

    def interface(self, name: str) -> Interface:
        for itf in self.interfaces:
            if itf.name == name:
                return itf
        raise NotFoundError(f"interface of {self.id}", name, [i.name for i in self.interfaces])


@dataclass(frozen=True, slots=True)
class LinkEnd:
    device: str
    interface: str

    def __str__(self) -> str:
        return f"{self.device}:{self.interface}"


@dataclass(frozen=True, slots=True)
class Link:
    id: str
    a: LinkEnd  # the lower (child) end by convention: county side, prefecture side
    b: LinkEnd  # the upper (parent) end
    kind: LinkKind = LinkKind.PRIMARY
    carrier: str | None = None
    circuit: str | None = None
    bandwidth_mbps: int = 10
    medium: str | None = None  # "mpls-vpn", "mstp", ...
    source: Source = field(default=Source("?", 0), compare=False)

    def ends(self) -> tuple[LinkEnd, LinkEnd]:
        return (self.a, self.b)

    def other(self, device: str) -> LinkEnd:
        return self.b if self.a.device == device else self.a


@dataclass(frozen=True, slots=True)
class Room:
    id: str
    site: str
    name: str
    codec: str  # device id of the room's codec
    call_rate_kbps: int = 4096
    contact: Contact | None = None
    source: Source = field(default=Source("?", 0), compare=False)


class ServiceKind(StrEnum):
    HTTP = "http"
    HTTPS = "https"
    TCP = "tcp"
    DNS = "dns"
    SIP = "sip"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One place a service answers: the text as written (a URL or ``host:port``), its host and port."""

    text: str
    host: IPv4Address
    port: int
    path: str = "/"  # http(s) only


@dataclass(frozen=True, slots=True)
class Service:
    """An e-government service and the sites that must reach it (``services:``, docs/services.md)."""

    id: str
    name: str
    kind: ServiceKind
    endpoints: tuple[Endpoint, ...]
    sites: tuple[str, ...]  # resolved site ids, in id order
    status: int | None = None  # expected HTTP status (http/https; None: any 2xx/3xx)
    text: str | None = None  # a marker the answer must contain
    language: str | None = None  # zh | ug | en: the page's lang attribute and the script of its text
    query: str | None = None  # dns: the name asked
    answer: IPv4Address | None = None  # dns: the address expected
    tls_warn_days: int | None = None  # https: warn this many days before the certificate expires
    tls_chain: bool = True  # https: the chain must verify against the trusted CA
    timeout_s: float = 3.0
    critical: bool = True
    source: Source = field(default=Source("?", 0), compare=False)


@dataclass(frozen=True, slots=True)
class Inventory:
    """The whole validated inventory. Lookups by id; iteration in id order."""

    directory: str
    sites: Mapping[str, Site]
    devices: Mapping[str, Device]
    links: Mapping[str, Link]
    rooms: Mapping[str, Room]
    snmp_profiles: Mapping[str, SnmpProfile]
    credentials: Mapping[str, Credential]
    digest: str  # sha256 over the files read, to tell inventory versions apart
    services: Mapping[str, Service] = field(default_factory=lambda: MappingProxyType({}))
    # indexes built once (the models are frozen, so they never go stale)
    _by_site: Mapping[str, tuple[Device, ...]] = field(init=False, repr=False, compare=False)
    _children: Mapping[str, tuple[Site, ...]] = field(init=False, repr=False, compare=False)
    _rooms_by_site: Mapping[str, tuple[Room, ...]] = field(init=False, repr=False, compare=False)
    _links_by_device: Mapping[str, tuple[Link, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_site: dict[str, list[Device]] = {}
        for dev in self.devices.values():
            by_site.setdefault(dev.site, []).append(dev)
        children: dict[str, list[Site]] = {}
        for site in self.sites.values():
            if site.parent is not None:
                children.setdefault(site.parent, []).append(site)
        rooms: dict[str, list[Room]] = {}
        for room in self.rooms.values():
            rooms.setdefault(room.site, []).append(room)
        links: dict[str, list[Link]] = {}
        for link in self.links.values():
            links.setdefault(link.a.device, []).append(link)
            links.setdefault(link.b.device, []).append(link)
        object.__setattr__(self, "_by_site", {k: tuple(v) for k, v in by_site.items()})
        object.__setattr__(self, "_children", {k: tuple(v) for k, v in children.items()})
        object.__setattr__(self, "_rooms_by_site", {k: tuple(v) for k, v in rooms.items()})
        object.__setattr__(self, "_links_by_device", {k: tuple(v) for k, v in links.items()})

    # lookups -------------------------------------------------------------------------------------------
    def site(self, ident: str) -> Site:
        try:
            return self.sites[ident]
        except KeyError:
            raise NotFoundError("site", ident, list(self.sites)) from None

    def device(self, ident: str) -> Device:
        try:
            return self.devices[ident]
        except KeyError:
            raise NotFoundError("device", ident, list(self.devices)) from None

    def link(self, ident: str) -> Link:
        try:
            return self.links[ident]
        except KeyError:
            raise NotFoundError("link", ident, list(self.links)) from None

    def service(self, ident: str) -> Service:
        try:
            return self.services[ident]
        except KeyError:
            raise NotFoundError("service", ident, list(self.services)) from None

    def room(self, ident: str) -> Room:
        try:
            return self.rooms[ident]
        except KeyError:
            raise NotFoundError("room", ident, list(self.rooms)) from None

    @property
    def centre(self) -> Site:
        return next(s for s in self.sites.values() if s.tier is Tier.REGION)

    def children(self, site: str) -> list[Site]:
        return list(self._children.get(site, ()))

    def devices_at(self, site: str) -> list[Device]:
        return list(self._by_site.get(site, ()))

    def rooms_at(self, site: str) -> list[Room]:
        return list(self._rooms_by_site.get(site, ()))

    def links_of(self, device: str) -> list[Link]:
        return list(self._links_by_device.get(device, ()))

    def descendants(self, site: str) -> list[Site]:
        """Every site below ``site`` in the hierarchy, parents before children."""
        out: list[Site] = []
        frontier = [site]
        while frontier:
            nxt: list[str] = []
            for parent in frontier:
                for child in self.children(parent):
                    out.append(child)
                    nxt.append(child.id)
            frontier = nxt
        return out

    def active_devices(self) -> Iterator[Device]:
        """Devices that are polled and pushed to: active themselves, on an active site."""
        for dev in self.devices.values():
            if dev.status is Lifecycle.ACTIVE and self.sites[dev.site].status is Lifecycle.ACTIVE:
                yield dev

    def device_by_address(self, address: IPv4Address) -> Device | None:
        for dev in self.devices.values():
            if dev.address == address:
                return dev
        return None
