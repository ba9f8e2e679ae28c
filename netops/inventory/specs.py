"""Input specs: the shape of the inventory YAML, exactly as written, validated by pydantic.

Every key is declared; an unknown key is an error (``extra="forbid"``). Fields that may be inherited are
optional here; the loader resolves them once into the frozen models of ``models.py``.
See docs/inventory.md for the file format with examples.
"""

from __future__ import annotations

from datetime import date
from ipaddress import IPv4Address
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from netops.inventory.models import InterfaceKind, Lifecycle, LinkKind, Platform, Role, Tier

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=63),
]
Port = Annotated[int, Field(ge=1, le=65535)]
EndRef = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*:\S+$")]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretSpec(Spec):
    """``{secret: NAME}``: the value is read from NETOPS_SECRET_<NAME> or the secrets file."""

    secret: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class ContactSpec(Spec):
    name: str
    phone: str | None = None
    role: str | None = None
    email: str | None = None


class SnmpProfileSpec(Spec):
    id: Slug
    version: Literal["2c", "3"]
    community: SecretSpec | None = None
    user: str | None = None
    auth_protocol: Literal["md5", "sha", "sha224", "sha256", "sha384", "sha512"] | None = None
    auth_key: SecretSpec | None = None
    priv_protocol: Literal["des", "aes", "aes192", "aes256"] | None = None
    priv_key: SecretSpec | None = None
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 2.0
    retries: Annotated[int, Field(ge=0, le=10)] = 1


class CredentialSpec(Spec):
    id: Slug
    username: str
    password: SecretSpec
    enable: SecretSpec | None = None


class DefaultsSpec(Spec):
    """Values inherited by every device below the place they are written (region -> prefecture -> county)."""

    platform: Platform | None = None
    snmp_profile: Slug | None = None
    credential: Slug | None = None
    ssh_port: Port | None = None
    snmp_port: Port | None = None
    http_port: Port | None = None
    sip_port: Port | None = None
    probe_port: Port | None = None
    model: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)


class InterfaceSpec(Spec):
    name: Annotated[str, StringConstraints(min_length=1, pattern=r"^\S+$")]
    kind: InterfaceKind = InterfaceKind.LAN
    description: str = ""
    speed_mbps: Annotated[int, Field(gt=0)] = 1000
    address: str | None = None


class DeviceSpec(Spec):
    id: Slug
    role: Role
    address: IPv4Address
    platform: Platform | None = None
    snmp_profile: Slug | None = None
    credential: Slug | None = None
    ssh_port: Port | None = None
    snmp_port: Port | None = None
    http_port: Port | None = None
    sip_port: Port | None = None
    probe_port: Port | None = None
    status: Lifecycle | None = None
    target_date: date | None = None
    model: str | None = None
    ups: bool = False
    attached_to: list[Slug] | None = None
    interfaces: list[InterfaceSpec] = Field(default_factory=list)
    vars: dict[str, Any] = Field(default_factory=dict)


class RoomSpec(Spec):
    id: Slug
    name: str
    codec: Slug
    call_rate_kbps: Annotated[int, Field(ge=64, le=20000)] = 4096
    contact: ContactSpec | None = None


class SiteSpec(Spec):
    id: Slug
    name: str
    name_en: str | None = None
    tier: Tier | None = None
    parent: Slug | None = None
    status: Lifecycle = Lifecycle.ACTIVE
    target_date: date | None = None
    contacts: list[ContactSpec] = Field(default_factory=list)
    defaults: DefaultsSpec | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    devices: list[DeviceSpec] = Field(default_factory=list)
    rooms: list[RoomSpec] = Field(default_factory=list)


class LinkSpec(Spec):
    id: Slug | None = None
    a: EndRef
    b: EndRef
    kind: LinkKind = LinkKind.PRIMARY
    carrier: str | None = None
    circuit: str | None = None
    bandwidth_mbps: Annotated[int, Field(gt=0)] = 10
    medium: str | None = None


class ServiceExpectSpec(Spec):
    """What a good answer looks like: HTTP status, a marker text, the page's language (``lang`` attribute and
    script of the text), for DNS the name asked and the address expected."""

    status: Annotated[int, Field(ge=100, le=599)] | None = None
    text: str | None = None
    language: Literal["zh", "ug", "en"] | None = None
    query: str | None = None
    answer: IPv4Address | None = None


class ServiceTlsSpec(Spec):
    warn_days: Annotated[int, Field(ge=0, le=3650)] = 30
    chain: bool = True  # the chain must verify against the trusted CA (the lab's own CA in the lab)


class ServiceSpec(Spec):
    """One e-government service (``services:`` section, docs/services.md)."""

    id: Slug
    name: str
    kind: Literal["http", "https", "tcp", "dns", "sip"]
    endpoints: Annotated[list[str], Field(min_length=1)]
    sites: Annotated[list[Slug], Field(min_length=1)]  # site ids or counties/prefectures/departments/all
    expect: ServiceExpectSpec = Field(default_factory=ServiceExpectSpec)
    tls: ServiceTlsSpec | None = None
    timeout_s: Annotated[float, Field(gt=0, le=60)] = 3.0
    critical: bool = True


# The sections a file may hold, and the spec of one item of each (``defaults`` is one mapping, not a list).
SECTIONS: dict[str, type[Spec]] = {
    "snmp_profiles": SnmpProfileSpec,
    "credentials": CredentialSpec,
    "sites": SiteSpec,
    "links": LinkSpec,
    "services": ServiceSpec,
}
