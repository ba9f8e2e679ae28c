"""Pass 2 for the ``services:`` section: endpoints parsed, site groups expanded, expectations checked.

``loader.py`` validates each service's shape (``ServiceSpec``); ``resolve.py`` calls ``resolve_services``
once the sites are known. Every problem is located (file, line, field) like the rest of the inventory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from ipaddress import AddressValueError, IPv4Address
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from netops.errors import Problem
from netops.inventory.models import Endpoint, Service, ServiceKind, Site, Source, Tier

if TYPE_CHECKING:
    from netops.inventory.resolve import Item
    from netops.inventory.specs import ServiceSpec

# site groups a service's ``sites`` may name besides site ids
GROUPS: Mapping[str, tuple[Tier, ...]] = {
    "counties": (Tier.COUNTY,),
    "prefectures": (Tier.PREFECTURE,),
    "departments": (Tier.DEPARTMENT,),
    "all": (Tier.COUNTY, Tier.PREFECTURE, Tier.DEPARTMENT),
}
DEFAULT_PORTS = {ServiceKind.HTTP: 80, ServiceKind.HTTPS: 443, ServiceKind.DNS: 53, ServiceKind.SIP: 5060}


def parse_endpoint(kind: ServiceKind, text: str) -> Endpoint:
    """``http(s)://host[:port]/path`` for web services, ``host:port`` for the others; raises ValueError."""
    if kind in (ServiceKind.HTTP, ServiceKind.HTTPS):
        parts = urlsplit(text)
        if parts.scheme != kind.value:
            raise ValueError(f"expected a {kind.value}:// URL, found {text!r}")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError(f"bad port in {text!r}: {exc}") from None
        host = parts.hostname or ""
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep or not port_text.isdigit():
            if kind not in DEFAULT_PORTS:
                raise ValueError(f"expected host:port, found {text!r}")
            host, port_text = text, str(DEFAULT_PORTS[kind])
        port = int(port_text)
        path = "/"
    try:
        address = IPv4Address(host)
    except AddressValueError:
        raise ValueError(f"expected an IPv4 address as host, found {host!r}") from None
    port = port or DEFAULT_PORTS.get(kind, 0)
    if not 1 <= port <= 65535:
        raise ValueError(f"port out of range in {text!r}")
    return Endpoint(text=text, host=address, port=port, path=path)


def resolve_services(
    items: Iterable[Item[ServiceSpec]], sites: Mapping[str, Site], problems: list[Problem]
) -> dict[str, Service]:
    out: dict[str, Service] = {}
    for item in items:
        s = item.spec
        kind = ServiceKind(s.kind)
        ok = True

        def problem(key: str, message: str, item: Item[ServiceSpec] = item) -> None:
            problems.append(Problem(item.file, item.raw.line_of(key), key, message))

        endpoints: list[Endpoint] = []
        for i, text in enumerate(s.endpoints):
            try:
                endpoints.append(parse_endpoint(kind, text))
            except ValueError as exc:
                line = item.raw["endpoints"].line_of(i) if hasattr(item.raw["endpoints"], "line_of") else 0
                problems.append(
                    Problem(item.file, line or item.line, f"endpoints[{i}]", f"service {s.id!r}: {exc}")
                )
                ok = False
        chosen: set[str] = set()
        for name in s.sites:
            if name in GROUPS:
                chosen.update(sid for sid, site in sites.items() if site.tier in GROUPS[name] and sid != name)
            elif name in sites:
                chosen.add(name)
            else:
                problem(
                    "sites", f"service {s.id!r} names unknown site {name!r} (or a group: {', '.join(GROUPS)})"
                )
                ok = False
        exp = s.expect
        web = kind in (ServiceKind.HTTP, ServiceKind.HTTPS)
        if not web and (exp.status is not None or exp.language is not None):
            problem("expect", f"service {s.id!r}: status and language apply to http/https, not {kind}")
            ok = False
        if kind is ServiceKind.DNS and exp.query is None:
            problem("expect", f"service {s.id!r}: a dns service needs expect.query (the name asked)")
            ok = False
        if kind is not ServiceKind.DNS and (exp.query is not None or exp.answer is not None):
            problem("expect", f"service {s.id!r}: query and answer apply to dns, not {kind}")
            ok = False
        if s.tls is not None and kind is not ServiceKind.HTTPS:
            problem("tls", f"service {s.id!r}: tls expectations apply to https, not {kind}")
            ok = False
        if not ok:
            continue
        tls = s.tls
        if kind is ServiceKind.HTTPS and tls is None:
            warn_days: int | None = 30
            chain = True
        else:
            warn_days = tls.warn_days if tls is not None else None
            chain = tls.chain if tls is not None else True
        out[s.id] = Service(
            id=s.id,
            name=s.name,
            kind=kind,
            endpoints=tuple(endpoints),
            sites=tuple(sorted(chosen)),
            status=exp.status,
            text=exp.text,
            language=exp.language,
            query=exp.query,
            answer=exp.answer,
            tls_warn_days=warn_days,
            tls_chain=chain,
            timeout_s=s.timeout_s,
            critical=s.critical,
            source=Source(item.file, item.line),
        )
    return out


__all__ = ["GROUPS", "parse_endpoint", "resolve_services"]
