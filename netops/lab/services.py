"""The region's e-government services, simulated on their inventory addresses (127.x) for the lab.

Web services (``http``/``https``) answer from one asyncio HTTP/1.1 server per address and port, routed by
the path of each service's endpoint: the portal in Chinese, Uyghur and English (each page in its language:
``lang`` attribute and script), the document exchange, supervision, government information. ``tcp``
services accept connections (the MCU), ``dns`` answers A queries. HTTPS uses certificates of the lab's CA
(``lab/tlsca.py``), written with the CA file to a directory the checks trust.

Faults of this module (``netops lab fault add KIND SERVICE``; registered in ``lab/faults.py``):

| kind | target | parameters | effect |
| --- | --- | --- | --- |
| service-down | service id | - | web: 503; tcp: the port refuses; dns: no answer; routers' probes fail |
| wrong-language | service id (a portal page) | language (zh) | the page is served in another language |
| cert-expiring | https service id | days (10) | the server certificate is replaced by one expiring in ``days`` |

Routers' probes (``lab/snmp/probes.py``) read ``ServiceStates`` of the world: a probe succeeds when its
router answers (it has a path to the centre) and the service is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ssl
import struct
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from netops.errors import LabError, NotFoundError
from netops.inventory.models import Inventory, Service, ServiceKind

if TYPE_CHECKING:
    from netops.lab.tlsca import LabCa

FAULT_KINDS = ("service-down", "wrong-language", "cert-expiring")
CERT_DAYS = 365.0

# Pages per language: the lang attribute, and text in the language's own script (Uyghur: Arabic script).
PAGES = {
    "zh": (
        "zh-CN",
        "ltr",
        "新疆维吾尔自治区人民政府",
        "政务公开 · 办事服务 · 互动交流 · 政务信息 · 新闻中心",
    ),
    "ug": (
        "ug",
        "rtl",
        "شىنجاڭ ئۇيغۇر ئاپتونوم رايونلۇق خەلق ھۆكۈمىتى",
        "ھۆكۈمەت ئۇچۇرلىرى · مۇلازىمەت · خەۋەرلەر مەركىزى",
    ),
    "en": (
        "en",
        "ltr",
        "People's Government of Xinjiang Uygur Autonomous Region",
        "Government information · Services · News centre",
    ),
}


@dataclass(slots=True)
class ServiceState:
    """What the lab does to one service now (faults change it)."""

    down: bool = False
    language: str | None = None  # served in this language instead of its own (wrong-language)
    cert_days: float | None = None  # the certificate now expires in this many days (cert-expiring)


@dataclass(slots=True)
class ServiceStates:
    states: dict[str, ServiceState] = field(default_factory=dict)
    on_cert_change: list[Callable[[str], None]] = field(default_factory=list)
    on_down_change: list[Callable[[str], None]] = field(default_factory=list)

    def of(self, service: str) -> ServiceState:
        return self.states.setdefault(service, ServiceState())


_STATES: weakref.WeakKeyDictionary[Any, ServiceStates] = weakref.WeakKeyDictionary()


def service_states(world: Any) -> ServiceStates:
    """The service states of a ``LabWorld`` (created on first use)."""
    found = _STATES.get(world)
    if found is None:
        found = _STATES[world] = ServiceStates()
    return found


def apply_fault(world: Any, kind: str, target: str, params: dict[str, Any]) -> Callable[[], None]:
    """Apply a service fault to ``world``; return its undo (``lab/faults.py`` calls this)."""
    inv: Inventory = world.inventory
    service = inv.services.get(target)
    if service is None:
        raise NotFoundError("service", target, list(inv.services))
    states = service_states(world)
    state = states.of(service.id)
    if kind == "service-down":
        state.down = True
        for listener in states.on_down_change:
            listener(service.id)

        def undo_down() -> None:
            state.down = False
            for listener in states.on_down_change:
                listener(service.id)

        return undo_down
    if kind == "wrong-language":
        if service.language is None:
            raise LabError(f"{target}: wrong-language needs a service with expect.language")
        other = str(params.get("language") or ("zh" if service.language != "zh" else "en"))
        if other not in PAGES:
            raise LabError(f"parameter language: expected one of {', '.join(PAGES)}, found {other!r}")
        state.language = other

        def undo_language() -> None:
            state.language = None

        return undo_language
    if kind == "cert-expiring":
        if service.kind is not ServiceKind.HTTPS:
            raise LabError(f"{target}: cert-expiring needs an https service, found {service.kind}")
        try:
            days = float(params.get("days", 10))
        except (TypeError, ValueError):
            raise LabError(f"parameter days: expected a number, found {params.get('days')!r}") from None
        state.cert_days = days
        for listener in states.on_cert_change:
            listener(service.id)

        def undo_cert() -> None:
            state.cert_days = None
            for listener in states.on_cert_change:
                listener(service.id)

        return undo_cert
    raise LabError(f"unknown service fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")


def page(service: Service, language: str | None) -> str:
    """The HTML a service serves; a portal page in ``language`` (its own unless a fault says otherwise)."""
    if language is not None:
        lang, direction, title, body = PAGES[language]
        marker = service.text if language == service.language and service.text else ""
        return (
            f'<!DOCTYPE html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><h1>{title}</h1><p>{body}</p><p>{marker}</p></body></html>"
        )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{service.name}</title></head><body><h1>{service.name}</h1><p>{service.text or ''}</p>"
        "</body></html>"
    )


class ServiceLab:
    """The simulated services of one lab world, started in the running loop; ``close`` stops them."""

    def __init__(self, world: Any, directory: Path, services: list[str] | None = None) -> None:
        self.world = world
        self.inventory: Inventory = world.inventory
        self.directory = directory
        self.states = service_states(world)
        wanted = (
            self.inventory.services if services is None else {s: self.inventory.service(s) for s in services}
        )
        self.services: dict[str, Service] = dict(wanted)
        from netops.lab.tlsca import make_ca  # cryptography: only when services run

        self.ca: LabCa = make_ca()
        self.ca_file = directory / "lab-ca.crt"
        self._servers: list[asyncio.AbstractServer] = []
        self._transports: list[asyncio.BaseTransport] = []
        self._contexts: dict[tuple[str, int], ssl.SSLContext] = {}
        self._tcp: dict[str, asyncio.AbstractServer | None] = {}
        self._reopening: asyncio.Future[None] | None = None

    # --- start / stop ------------------------------------------------------------------------------------
    async def start(self) -> ServiceLab:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca_file.write_bytes(self.ca.pem)
        web: dict[tuple[str, int], list[Service]] = {}
        try:
            for svc in self.services.values():
                for ep in svc.endpoints:
                    key = (str(ep.host), ep.port)
                    if svc.kind in (ServiceKind.HTTP, ServiceKind.HTTPS):
                        web.setdefault(key, []).append(svc)
                    elif svc.kind is ServiceKind.DNS:
                        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
                            functools.partial(_DnsResponder, self, svc), local_addr=key
                        )
                        self._transports.append(transport)
                    else:  # tcp, sip (over TCP): accept connections
                        self._tcp[svc.id] = await self._listen_tcp(key)
            for (host, port), members in web.items():
                tls = any(s.kind is ServiceKind.HTTPS for s in members)
                context = self._context(host, members) if tls else None
                server = await asyncio.start_server(
                    functools.partial(self._serve_http, members=members), host, port, ssl=context
                )
                self._servers.append(server)
        except OSError as exc:
            await self.close()
            raise LabError(f"lab services: cannot bind: {exc}") from exc
        self.states.on_cert_change.append(self._cert_changed)
        self.states.on_down_change.append(self._down_changed)
        return self

    async def close(self) -> None:
        if self._cert_changed in self.states.on_cert_change:
            self.states.on_cert_change.remove(self._cert_changed)
        if self._down_changed in self.states.on_down_change:
            self.states.on_down_change.remove(self._down_changed)
        for server in [*self._servers, *(s for s in self._tcp.values() if s is not None)]:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()
        for transport in self._transports:
            transport.close()
        self._servers, self._transports, self._tcp = [], [], {}

    def _down_changed(self, service: str) -> None:
        """A TCP service that goes down closes its listener (connections are refused); back up, it reopens."""
        svc = self.services.get(service)
        if svc is None or service not in self._tcp:
            return
        server = self._tcp[service]
        if self.states.of(service).down and server is not None:
            server.close()
            self._tcp[service] = None
        elif not self.states.of(service).down and server is None:
            ep = svc.endpoints[0]
            self._reopening = asyncio.ensure_future(self._reopen(service, (str(ep.host), ep.port)))

    async def _reopen(self, service: str, key: tuple[str, int]) -> None:
        self._tcp[service] = await self._listen_tcp(key)

    async def _listen_tcp(self, key: tuple[str, int]) -> asyncio.AbstractServer:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()

        return await asyncio.start_server(accept, *key)

    # --- TLS ---------------------------------------------------------------------------------------------
    def _context(self, host: str, members: list[Service]) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._contexts[(host, 0)] = context
        self._load_cert(host, context, members)
        return context

    def _load_cert(self, host: str, context: ssl.SSLContext, members: list[Service]) -> None:
        days = [self.states.of(s.id).cert_days for s in members]
        valid = min((d for d in days if d is not None), default=CERT_DAYS)
        from netops.lab.tlsca import server_cert, write_pair

        cert_pem, key_pem = server_cert(self.ca, host, valid)
        cert, key = write_pair(self.directory, f"{host}-{int(valid)}", cert_pem, key_pem)
        context.load_cert_chain(cert, key)  # new handshakes use it

    def _cert_changed(self, service: str) -> None:
        svc = self.services.get(service)
        if svc is None:
            return
        for ep in svc.endpoints:
            context = self._contexts.get((str(ep.host), 0))
            if context is not None:
                members = [s for s in self.services.values() if any(e.host == ep.host for e in s.endpoints)]
                self._load_cert(str(ep.host), context, members)

    # --- HTTP --------------------------------------------------------------------------------------------
    async def _serve_http(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, members: list[Service]
    ) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
                parts = request_line.split(" ")
                path = parts[1] if len(parts) > 1 else "/"
                status, body = self._answer(path, members)
                keep = b"connection: close" not in head.lower()
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: {'keep-alive' if keep else 'close'}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                if not keep:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    def _answer(self, path: str, members: list[Service]) -> tuple[str, bytes]:
        best: Service | None = None
        best_len = -1
        for svc in members:
            for ep in svc.endpoints:
                if path.startswith(ep.path.rstrip("/") or "/") and len(ep.path) > best_len:
                    best, best_len = svc, len(ep.path)
        if best is None:
            return "404 Not Found", b"not found"
        state = self.states.of(best.id)
        if state.down:
            return "503 Service Unavailable", "服务暂时不可用".encode()
        return "200 OK", page(best, state.language or best.language).encode()


class _DnsResponder(asyncio.DatagramProtocol):
    """A minimal authoritative answer: the service's ``expect.answer`` for its ``expect.query`` (type A)."""

    def __init__(self, lab: ServiceLab, service: Service) -> None:
        self.lab, self.service = lab, service
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.transport is None or self.lab.states.of(self.service.id).down or len(data) < 12:
            return
        try:
            name, end = decode_name(data, 12)
        except (IndexError, ValueError):
            return
        qtype = struct.unpack_from("!H", data, end)[0] if len(data) >= end + 4 else 0
        question = data[12 : end + 4]
        found = (
            self.service.answer is not None
            and qtype == 1
            and name.lower().rstrip(".") == (self.service.query or "").lower().rstrip(".")
        )
        flags = 0x8400 | (0 if found else 3)  # response, authoritative; NXDOMAIN when unknown
        header = struct.pack("!HHHHHH", struct.unpack_from("!H", data)[0], flags, 1, 1 if found else 0, 0, 0)
        answer = b""
        if found and self.service.answer is not None:
            answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + self.service.answer.packed
        self.transport.sendto(header + question + answer, addr)


def decode_name(data: bytes, pos: int) -> tuple[str, int]:
    """A DNS name at ``pos`` (no compression in questions): (name, offset after it)."""
    labels: list[str] = []
    while True:
        length = data[pos]
        if length == 0:
            return ".".join(labels), pos + 1
        if length & 0xC0:
            raise ValueError("compressed name in question")
        labels.append(data[pos + 1 : pos + 1 + length].decode("ascii"))
        pos += 1 + length


async def start_services(world: Any, directory: Path, services: list[str] | None = None) -> ServiceLab:
    """Start the simulated services of ``world.inventory`` in the running loop (CA and certificates written to
    ``directory``; ``lab-ca.crt`` is the CA the checks trust)."""
    return await ServiceLab(world, directory, services).start()


def probe_result(
    world: Any, state: Any, service_id: str, host: IPv4Address | None, port: int | None
) -> tuple[bool, int]:
    """(success, round-trip ms) of a router's probe of ``service_id`` at ``host:port`` now, in the lab: the
    router must have a path to the centre, the destination must be one of the service's endpoints, and the
    service must be up. The round trip grows with the router's hops to the centre."""
    if not state.answers:
        return False, 0
    svc = world.inventory.services.get(service_id)
    if svc is None or host is None:
        return False, 0
    if not any(ep.host == host and (port is None or ep.port == port) for ep in svc.endpoints):
        return False, 0
    if service_states(world).of(svc.id).down:
        return False, 0
    hops = len(world.topology.upstream_path(state.device.id))
    return True, 2 + 6 * hops
