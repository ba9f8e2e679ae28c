"""A scripted SNMP agent for the driver tests: a UDP endpoint on 127.73.x that answers each request with
whatever a test function returns (bytes built with pysnmp/pyasn1 or netops' codec), or stays silent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, cast

Respond = Callable[[bytes], bytes | None]


class ScriptedAgent(asyncio.DatagramProtocol):
    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.requests: list[bytes] = []
        self.transport: asyncio.DatagramTransport | None = None

    @classmethod
    async def start(cls, host: str, port: int, respond: Respond) -> ScriptedAgent:
        loop = asyncio.get_running_loop()
        agent = cls(respond)
        await loop.create_datagram_endpoint(lambda: agent, local_addr=(host, port))
        return agent

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.requests.append(data)
        reply = self.respond(data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    async def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        await asyncio.sleep(0)
