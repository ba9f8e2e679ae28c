"""The lab's SNMP agents on their UDP endpoints: ``start_snmp`` binds one asyncio endpoint per device.

Top of ``netops.lab.snmp``: the lab runner calls ``start_snmp(world, secrets)`` and later ``SnmpLab.close()``.
Each endpoint hands datagrams to its device's ``Agent`` (``agent.py``); here the live ``DeviceState`` decides
whether anything is sent at all (``answers`` False: silence) and when (``slow_ms``: a delayed answer).
Everything runs in the caller's event loop; one process serves a whole region.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any, cast

from netops.errors import LabError, SecretError
from netops.inventory.models import Device
from netops.lab.snmp.agent import Agent
from netops.lab.snmp.platforms import PLATFORMS
from netops.lab.state import LabWorld
from netops.secrets import SecretStore
from netops.snmp.usm import UsmError, engine_id_for, make_user

log = logging.getLogger(__name__)

RECEIVE_BUFFER = 1 << 20  # bytes: bursts from pollers with many requests in flight must not overflow


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: set[asyncio.TimerHandle] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        state = self.agent.state
        if not state.answers:
            self.agent.counters["silenced"] += 1
            return
        reply = self.agent.handle(data, time.time())
        if reply is None or self.transport is None:
            return
        if state.slow_ms > 0:
            loop = asyncio.get_running_loop()
            handle: asyncio.TimerHandle | None = None

            def send() -> None:
                if handle is not None:
                    self.pending.discard(handle)
                # a device that went down while "thinking" never sends its late answer
                if state.answers and self.transport is not None and not self.transport.is_closing():
                    self.transport.sendto(reply, addr)

            handle = loop.call_later(state.slow_ms / 1000, send)
            self.pending.add(handle)
        else:
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("snmp agent %s: socket error %s", self.agent.state.device.id, exc)

    def close(self) -> None:
        for handle in self.pending:
            handle.cancel()
        self.pending.clear()
        if self.transport is not None:
            self.transport.close()


class SnmpLab:
    """The running agents of one lab. Counters per device and in total; ``close`` unbinds everything."""

    def __init__(self) -> None:
        self.agents: dict[str, Agent] = {}
        self._endpoints: list[_Endpoint] = []

    def counters(self, device: str | None = None) -> Counter[str]:
        """Request counters (packets, get, getnext, getbulk, answers, bad_community, wrong_digests, ...)."""
        if device is not None:
            return Counter(self.agents[device].counters)
        total: Counter[str] = Counter()
        for agent in self.agents.values():
            total.update(agent.counters)
        return total

    def address(self, device: str) -> tuple[str, int]:
        dev = self.agents[device].state.device
        return str(dev.address), dev.snmp_port

    async def close(self) -> None:
        for endpoint in self._endpoints:
            endpoint.close()
        self._endpoints.clear()
        await asyncio.sleep(0)  # let the transports finish closing in this loop

    async def __aenter__(self) -> SnmpLab:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def make_agent(world: LabWorld, secrets: SecretStore, device: Device) -> Agent:
    """The agent of one device from its SNMP profile; ``LabError`` names the device when it cannot be built."""
    assert device.snmp_profile is not None
    profile = world.inventory.snmp_profiles.get(device.snmp_profile)
    if profile is None:
        raise LabError(f"{device.id}: unknown snmp_profile {device.snmp_profile!r}")
    engine_id = engine_id_for(device.id, PLATFORMS[device.platform].enterprise)
    state = world.device(device.id)
    try:
        if profile.version == "2c":
            if profile.community is None:
                raise LabError(f"{device.id}: SNMP profile {profile.id!r} (v2c) has no community")
            community = secrets.get(profile.community).encode()
            return Agent(world, state, profile, engine_id, community=community)
        if profile.user is None or profile.auth_key is None:
            raise LabError(
                f"{device.id}: SNMP profile {profile.id!r} (v3) needs a user and an auth_key; "
                "noAuthNoPriv is not served by the lab"
            )
        priv = secrets.get(profile.priv_key) if profile.priv_key is not None else None
        user = make_user(
            profile.user,
            engine_id,
            profile.auth_protocol,
            secrets.get(profile.auth_key),
            profile.priv_protocol,
            priv,
        )
        return Agent(world, state, profile, engine_id, user=user)
    except SecretError as exc:
        raise LabError(f"{device.id}: SNMP profile {profile.id!r}: {exc}") from exc
    except UsmError as exc:
        raise LabError(f"{device.id}: SNMP profile {profile.id!r}: {exc}") from exc


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def start_snmp(world: LabWorld, secrets: SecretStore, devices: Iterable[str] | None = None) -> SnmpLab:
    """Start an agent for every device with an ``snmp_profile`` (or those of ``devices`` that have one).

    Binds ``(device.address, device.snmp_port)`` over UDP in the running loop. Raises ``LabError`` naming the
    device and address if a bind fails (every endpoint already bound is closed again first), or naming the
    device and profile if its secrets are missing or its protocols unsupported.
    """
    inventory = world.inventory
    chosen = (
        [inventory.device(d) for d in devices] if devices is not None else list(inventory.devices.values())
    )
    lab = SnmpLab()
    loop = asyncio.get_running_loop()
    try:
        for dev in chosen:
            if dev.snmp_profile is None:
                continue
            agent = make_agent(world, secrets, dev)
            host = str(dev.address)
            try:
                sock = _bind(host, dev.snmp_port)
            except OSError as exc:
                raise LabError(
                    f"{dev.id}: cannot bind the SNMP agent to udp {host}:{dev.snmp_port}: "
                    f"{exc.strerror or exc}"
                ) from exc
            endpoint = _Endpoint(agent)
            await loop.create_datagram_endpoint(lambda ep=endpoint: ep, sock=sock)  # type: ignore[misc]
            lab.agents[dev.id] = agent
            lab._endpoints.append(endpoint)
    except BaseException:
        await lab.close()
        raise
    log.info("lab SNMP agents started: %d", len(lab.agents))
    return lab
