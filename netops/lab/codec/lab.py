"""Start and stop the lab's video-conference endpoints: for every codec and MCU of a ``LabWorld``, on the
device's 127.x management address, the HTTP status API (``statusapi.py``, TCP ``http_port``), the SIP responder
(``sip.py``, UDP ``sip_port``) and the TWAMP-light probe reflector (``reflector.py``, UDP ``probe_port``).

All of them run in the caller's event loop and read the world's state on every request, so a fault that
changes ``LabWorld`` shows at the next request. ``start_codecs`` either starts everything asked for or
closes what it started and raises ``LabError`` naming the device and the address that could not be bound.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from types import TracebackType

from netops.errors import LabError, NetopsError
from netops.inventory.models import Device, Role
from netops.lab.codec.calls import CallBook
from netops.lab.codec.reflector import ProbeReflector
from netops.lab.codec.restart import Restarts
from netops.lab.codec.sip import SipResponder
from netops.lab.codec.status import product_info
from netops.lab.codec.statusapi import StatusApi
from netops.lab.state import LabWorld
from netops.secrets import SecretStore

log = logging.getLogger(__name__)

ROLES = (Role.CODEC, Role.MCU)


@dataclass(slots=True)
class Endpoint:
    """The three servers of one device."""

    device: Device
    http: asyncio.Server | None = None
    api: StatusApi | None = None
    sip: SipResponder | None = None
    reflector: ProbeReflector | None = None

    async def close(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.api is not None:
            await self.api.close()
        if self.http is not None:
            with suppress(asyncio.CancelledError):
                await self.http.wait_closed()
        for proto in (self.sip, self.reflector):
            if proto is not None:
                proto.close()


class CodecLab:
    """The running endpoints; ``close()`` (or ``async with``) stops them all."""

    def __init__(self, world: LabWorld) -> None:
        self.world = world
        self.endpoints: dict[str, Endpoint] = {}
        self.calls = CallBook(world)  # codecs dial the MCU (xAPI Dial); calls drop when the path breaks
        self.restarts = Restarts(world, self.calls)  # xCommand SystemUnit Boot

    @property
    def devices(self) -> list[str]:
        return sorted(self.endpoints)

    def counters(self) -> dict[str, int]:
        """Totals over all endpoints, for ``netops lab status``."""
        out = {"endpoints": len(self.endpoints), "http_requests": 0, "sip_received": 0, "sip_answered": 0,
               "probes_received": 0, "probes_lost": 0}  # fmt: skip
        for ep in self.endpoints.values():
            out["http_requests"] += ep.api.requests if ep.api else 0
            out["sip_received"] += ep.sip.received if ep.sip else 0
            out["sip_answered"] += ep.sip.answered if ep.sip else 0
            out["probes_received"] += ep.reflector.received if ep.reflector else 0
            out["probes_lost"] += ep.reflector.lost if ep.reflector else 0
        return out

    async def close(self) -> None:
        self.restarts.close()
        self.calls.close()
        endpoints, self.endpoints = list(self.endpoints.values()), {}
        for endpoint in endpoints:
            await endpoint.close()
        await asyncio.sleep(0)  # let the closed datagram transports finish their callbacks

    async def __aenter__(self) -> CodecLab:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _select(world: LabWorld, devices: Iterable[str] | None) -> list[Device]:
    inventory = world.inventory
    if devices is None:
        return [d for d in inventory.devices.values() if d.role in ROLES]
    chosen = []
    for ident in devices:
        dev = inventory.device(ident)
        if dev.role not in ROLES:
            raise LabError(f"{dev.id}: role {dev.role.value} has no codec endpoints (codec or mcu expected)")
        chosen.append(dev)
    return chosen


def _credentials(world: LabWorld, secrets: SecretStore, dev: Device) -> tuple[str | None, str | None]:
    if dev.credential is None:
        log.info("%s: no credential in the inventory; its status API needs no authentication", dev.id)
        return None, None
    cred = world.inventory.credentials.get(dev.credential)
    if cred is None:
        raise LabError(f"{dev.id}: credential {dev.credential!r} is not defined in the inventory")
    try:
        return cred.username, secrets.get(cred.password)
    except NetopsError as exc:
        raise LabError(f"{dev.id}: cannot resolve the password of credential {cred.id!r}: {exc}") from exc


def _server_header(product: str, version: str) -> str:
    token = re.sub(r"[^A-Za-z0-9.!%*_+`'~-]+", "-", product).strip("-") or "codec"
    version_token = re.sub(r"[^A-Za-z0-9.!%*_+`'~-]+", "-", version).strip("-") or "0"
    return f"{token}/{version_token} (netops-lab)"


async def _start_one(
    world: LabWorld,
    secrets: SecretStore,
    dev: Device,
    endpoint: Endpoint,
    calls: CallBook,
    restarts: Restarts | None = None,
) -> None:
    state = world.devices[dev.id]
    host = str(dev.address)
    if not dev.address.is_loopback:
        raise LabError(f"{dev.id}: lab endpoints bind to 127.0.0.0/8 only, the inventory says {host}")
    username, password = _credentials(world, secrets, dev)
    loop = asyncio.get_running_loop()
    what, port = "HTTP (tcp)", dev.http_port
    try:
        endpoint.api = StatusApi(state, username, password, calls, restarts)
        endpoint.http = await asyncio.start_server(endpoint.api.handle, host=host, port=port)
        what, port = "SIP (udp)", dev.sip_port
        server = _server_header(*product_info(state))
        _, endpoint.sip = await loop.create_datagram_endpoint(
            lambda: SipResponder(state, server), local_addr=(host, port)
        )
        what, port = "probe reflector (udp)", dev.probe_port
        _, endpoint.reflector = await loop.create_datagram_endpoint(
            lambda: ProbeReflector(state), local_addr=(host, port)
        )
    except OSError as exc:
        raise LabError(f"{dev.id}: cannot bind {what} on {host}:{port}: {exc.strerror or exc}") from exc


async def start_codecs(
    world: LabWorld, secrets: SecretStore, devices: Iterable[str] | None = None
) -> CodecLab:
    """Start the endpoints of ``devices`` (default: every codec and MCU of the world's inventory)."""
    lab = CodecLab(world)
    try:
        for dev in _select(world, devices):
            endpoint = Endpoint(dev)
            lab.endpoints[dev.id] = endpoint
            await _start_one(world, secrets, dev, endpoint, lab.calls, lab.restarts)
    except BaseException:
        await lab.close()
        raise
    log.info("codec lab: %d endpoints started", len(lab.endpoints))
    return lab
