"""netops' own probes from the centre: one check per service endpoint per cycle.

http/https with httpx (status, marker text, language; TLS chain against the trusted CA, days until the
certificate expires), tcp with an asyncio connect, dns with one UDP query, sip with SIP OPTIONS. Every
failure is a ``CheckResult`` with a reason; nothing here raises for a service that does not answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import secrets
import ssl
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from netops.inventory.models import Endpoint, Service, ServiceKind
from netops.services.content import language_problem
from netops.services.records import CheckResult, CheckSource, CheckState

CENTRE_SITE = "centre"


@dataclass(frozen=True, slots=True)
class Outcome:
    state: CheckState
    latency_ms: float | None = None
    reason: str | None = None
    tls_days_left: float | None = None


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verify against ``ca_file`` (the lab's CA, or the region's) when given, else the system's CAs."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    return context


class CentreProbe:
    """Checks services from the centre. One ``httpx.AsyncClient`` per probe (connection reuse)."""

    def __init__(self, ca_file: Path | None = None, site: str = CENTRE_SITE) -> None:
        self.site = site
        self.verify = tls_context(ca_file)
        self.insecure = ssl.create_default_context()
        self.insecure.check_hostname = False
        self.insecure.verify_mode = ssl.CERT_NONE

    async def check(self, service: Service) -> list[CheckResult]:
        return list(await asyncio.gather(*(self.check_endpoint(service, ep) for ep in service.endpoints)))

    async def check_endpoint(self, service: Service, ep: Endpoint) -> CheckResult:
        started = time.time()
        try:
            outcome = await asyncio.wait_for(self._run(service, ep), service.timeout_s)
        except TimeoutError:
            outcome = Outcome(CheckState.FAIL, reason=f"timeout: no answer in {service.timeout_s:g} s")
        except OSError as exc:
            outcome = Outcome(CheckState.FAIL, reason=f"down: {exc.strerror or exc.__class__.__name__}")
        return CheckResult(
            site=self.site,
            service=service.id,
            endpoint=ep.text,
            checked_at=started,
            state=outcome.state,
            source=CheckSource.CENTRE,
            latency_ms=outcome.latency_ms,
            reason=outcome.reason,
            tls_days_left=outcome.tls_days_left,
        )

    async def _run(self, service: Service, ep: Endpoint) -> Outcome:
        if service.kind in (ServiceKind.HTTP, ServiceKind.HTTPS):
            return await self._web(service, ep)
        if service.kind is ServiceKind.DNS:
            return await _dns(service, ep)
        if service.kind is ServiceKind.SIP:
            return await _sip(service, ep)
        return await _tcp(ep)

    async def _web(self, service: Service, ep: Endpoint) -> Outcome:
        https = service.kind is ServiceKind.HTTPS
        t0 = time.perf_counter()
        days: float | None = None
        if https:
            days, chain_problem = await _certificate(ep, self.verify)
            if chain_problem is not None and service.tls_chain:
                return Outcome(CheckState.FAIL, reason=chain_problem, tls_days_left=days)
        verify: ssl.SSLContext | bool = self.verify if (https and service.tls_chain) else self.insecure
        async with httpx.AsyncClient(verify=verify, timeout=service.timeout_s, trust_env=False) as client:
            try:
                response = await client.get(ep.text)
            except httpx.ConnectError as exc:
                return Outcome(CheckState.FAIL, reason=f"down: {_short(exc)}", tls_days_left=days)
            except httpx.TimeoutException:
                return Outcome(CheckState.FAIL, reason="timeout", tls_days_left=days)
            except httpx.HTTPError as exc:
                return Outcome(CheckState.FAIL, reason=f"http: {_short(exc)}", tls_days_left=days)
        latency = (time.perf_counter() - t0) * 1000
        expected = service.status
        good = response.status_code == expected if expected else response.status_code < 400
        if not good:
            return Outcome(CheckState.FAIL, latency, f"status: {response.status_code}", days)
        body = response.text
        if service.language:
            problem = language_problem(service.language, body)
            if problem is not None:
                return Outcome(CheckState.FAIL, latency, problem, days)
        if service.text and service.text not in body:
            return Outcome(CheckState.FAIL, latency, "content: marker text missing", days)
        if days is not None and days < 0:
            return Outcome(CheckState.FAIL, latency, "tls-expired", days)
        if days is not None and service.tls_warn_days is not None and days < service.tls_warn_days:
            return Outcome(CheckState.WARN, latency, f"tls-expiring: {days:.0f} days left", days)
        return Outcome(CheckState.OK, latency, None, days)


def _short(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text[:120]


async def _certificate(ep: Endpoint, verify: ssl.SSLContext) -> tuple[float | None, str | None]:
    """(days until the server certificate expires, why its chain does not verify or None)."""
    problem: str | None = None
    try:
        der = await _peer_certificate(ep, verify)
    except ssl.SSLCertVerificationError as exc:
        problem = f"tls-chain: {exc.verify_message or 'certificate verify failed'}"
        loose = ssl.create_default_context()
        loose.check_hostname = False
        loose.verify_mode = ssl.CERT_NONE
        der = await _peer_certificate(ep, loose)
    if not der:
        return None, problem
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    return (cert.not_valid_after_utc - dt.datetime.now(dt.UTC)).total_seconds() / 86400, problem


async def _peer_certificate(ep: Endpoint, context: ssl.SSLContext) -> bytes | None:
    hostname = str(ep.host) if context.check_hostname else None
    _, writer = await asyncio.open_connection(str(ep.host), ep.port, ssl=context, server_hostname=hostname)
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der: bytes | None = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        return der
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _tcp(ep: Endpoint) -> Outcome:
    t0 = time.perf_counter()
    _, writer = await asyncio.open_connection(str(ep.host), ep.port)
    latency = (time.perf_counter() - t0) * 1000
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    return Outcome(CheckState.OK, latency)


def dns_query(name: str, ident: int) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode("ascii") for p in name.rstrip(".").split("."))
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + b"\x00" + struct.pack("!HH", 1, 1)


def dns_addresses(data: bytes) -> tuple[int, list[str]]:
    """(rcode, A records) of a response (answers after one question; names may be compressed)."""
    rcode = struct.unpack_from("!H", data, 2)[0] & 0xF
    qd, an = struct.unpack_from("!HH", data, 4)
    pos = 12
    for _ in range(qd):
        pos = _skip_name(data, pos) + 4
    out: list[str] = []
    for _ in range(an):
        pos = _skip_name(data, pos)
        rtype, _cls, _ttl, length = struct.unpack_from("!HHIH", data, pos)
        pos += 10
        if rtype == 1 and length == 4:
            out.append(".".join(str(b) for b in data[pos : pos + 4]))
        pos += length
    return rcode, out


def _skip_name(data: bytes, pos: int) -> int:
    while True:
        length = data[pos]
        if length == 0:
            return pos + 1
        if length & 0xC0:
            return pos + 2
        pos += 1 + length


class _Udp(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if not self.answer.done():
            self.answer.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.answer.done():
            self.answer.set_exception(exc)


async def _dns(service: Service, ep: Endpoint) -> Outcome:
    loop = asyncio.get_running_loop()
    ident = secrets.randbelow(65536)
    t0 = time.perf_counter()
    transport, proto = await loop.create_datagram_endpoint(_Udp, remote_addr=(str(ep.host), ep.port))
    try:
        transport.sendto(dns_query(service.query or "", ident))
        data = await proto.answer
    finally:
        transport.close()
    latency = (time.perf_counter() - t0) * 1000
    try:
        rcode, addresses = dns_addresses(data)
    except (struct.error, IndexError):
        return Outcome(CheckState.FAIL, latency, "dns: malformed answer")
    if rcode != 0:
        return Outcome(CheckState.FAIL, latency, f"dns: rcode {rcode}")
    if service.answer is not None and str(service.answer) not in addresses:
        return Outcome(
            CheckState.FAIL, latency, f"dns: expected {service.answer}, found {addresses or 'none'}"
        )
    return Outcome(CheckState.OK, latency)


async def _sip(service: Service, ep: Endpoint) -> Outcome:
    from netops.drivers.probes import sip_options
    from netops.errors import DeviceError

    t0 = time.perf_counter()
    try:
        await sip_options(str(ep.host), ep.port, service.timeout_s)
    except DeviceError as exc:
        return Outcome(CheckState.FAIL, reason=f"down: {_short(exc)}")
    return Outcome(CheckState.OK, (time.perf_counter() - t0) * 1000)
