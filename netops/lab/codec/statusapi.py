"""The HTTP status API of one lab codec or MCU: HTTP/1.1 with ``h11`` over an asyncio stream.

Routes (GET and HEAD; ``/putxml`` POST; anything else is 405 with ``Allow``)::

    /status.xml                        the whole status document (``status.py``)
    /getxml?location=/Status/...       a sub-tree, wrapped in its ancestors; 404 if nothing matches
    POST /putxml                       an xAPI command (codecs only, ``calls.py``):
        <Command><Dial><Number>conf@mcu</Number></Dial></Command>     -> DialResult status="OK"|"Error"
        <Command><Call><Disconnect/></Call></Command>                 -> CallDisconnectResult
        <Command><CallHistory><Get><Limit>n</Limit></Get></CallHistory></Command>
                                                                      -> CallHistoryGetResult/Entry[n]
        <Command><Standby><Deactivate/></Standby></Command>           -> DeactivateResult status="OK"
        <Command><SystemUnit><Boot/></SystemUnit></Command>           -> BootResult status="OK", then the
                                                        codec restarts (``restart.py``): silent for ``boot_s``
        <Configuration><SIP><Proxy item="1"><Address>a</Address></Proxy></SIP></Configuration>
                                    -> <Configuration status="OK"/>; re-applying the proxy makes the codec
                                       register again (RoomOS has no ``xCommand SIP Register``)

Every request needs HTTP Basic credentials equal to the device's inventory credential (401 with
``WWW-Authenticate`` otherwise; a device without a credential serves without authentication). Responses carry
``Content-Length``; connections stay open (keep-alive) unless the client asks to close, speaks HTTP/1.0, or
stays idle for ``IDLE_TIMEOUT_S``. A device whose state says it does not answer (``DeviceState.answers``)
accepts the TCP connection and then says nothing until the client gives up, like a host behind a dead link
whose traffic is black-holed; ``slow_ms`` delays each response.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
import time
import xml.etree.ElementTree as ET
from contextlib import suppress
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import h11

from netops.inventory.models import Role
from netops.lab.codec.calls import CallBook, DialError
from netops.lab.codec.restart import Restarts
from netops.lab.codec.status import codec_status, mcu_status, select, to_xml
from netops.lab.state import DeviceState

log = logging.getLogger(__name__)

IDLE_TIMEOUT_S = 30.0
SERVER_NAME = b"netops-lab-codec"
ALLOWED = b"GET, HEAD"
MAX_COMMAND_BYTES = 16384


class StatusApi:
    """Serves one device's status documents; one instance per listening socket."""

    def __init__(
        self,
        state: DeviceState,
        username: str | None,
        password: str | None,
        calls: CallBook | None = None,
        restarts: Restarts | None = None,
    ) -> None:
        self.state = state
        self.calls = calls
        self.restarts = restarts
        self._username = username
        self._password = password
        self._tasks: set[asyncio.Task[None]] = set()
        self.requests = 0  # requests answered

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The ``asyncio.start_server`` callback: one connection, any number of requests."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        conn = h11.Connection(h11.SERVER)
        try:
            await self._serve(conn, reader, writer)
        except h11.RemoteProtocolError as exc:
            if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                with suppress(h11.LocalProtocolError, ConnectionError):
                    await self._send(conn, writer, exc.error_status_hint, b"bad request\n", b"text/plain")
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # only ``close()`` cancels these tasks; ending normally keeps asyncio's stream callback quiet
            # (in Python 3.11 it calls ``task.exception()``, which raises on a cancelled task)
            pass
        finally:
            writer.close()
            with suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()
            if task is not None:
                self._tasks.discard(task)

    async def close(self) -> None:
        """Cancel the open connections (``Server.close`` in Python 3.11 leaves them running)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task

    async def _serve(
        self, conn: h11.Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            event = await _next_event(conn, reader)
            if isinstance(event, h11.ConnectionClosed):
                return
            if not isinstance(event, h11.Request):
                continue
            request = event
            body = b""
            while not isinstance(event, h11.EndOfMessage):  # a GET body is read and ignored
                event = await _next_event(conn, reader)
                if isinstance(event, h11.ConnectionClosed):
                    return
                if isinstance(event, h11.Data) and len(body) < MAX_COMMAND_BYTES:
                    body += bytes(event.data)
            if not self.state.answers:
                await _black_hole(reader)
                return
            if self.state.slow_ms > 0:
                await asyncio.sleep(self.state.slow_ms / 1000)
            status, answer, ctype, extra = self.respond(request, body)
            self.requests += 1
            await self._send(conn, writer, status, answer, ctype, extra, head=request.method == b"HEAD")
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return  # MUST_CLOSE: Connection: close, HTTP/1.0, or an error response
            conn.start_next_cycle()

    def respond(
        self, request: h11.Request, body: bytes = b""
    ) -> tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]:
        """(status, body, content type, extra headers) for one request."""
        if not self._authorized(request):
            realm = f'Basic realm="{self.state.device.id}"'.encode()
            return 401, b"authentication required\n", b"text/plain", [(b"WWW-Authenticate", realm)]
        url = urlsplit(request.target.decode("latin-1"))
        if self.calls is not None:
            self.calls.settle()
        if url.path == "/putxml" and self.calls is not None and self.state.device.role is Role.CODEC:
            if request.method != b"POST":
                return 405, b"method not allowed\n", b"text/plain", [(b"Allow", b"POST")]
            return self._command(body)
        if url.path not in ("/status.xml", "/getxml"):
            return 404, b"not found\n", b"text/plain", []
        if request.method not in (b"GET", b"HEAD"):
            return 405, b"method not allowed\n", b"text/plain", [(b"Allow", ALLOWED)]
        root = mcu_status(self.state) if self.state.device.role is Role.MCU else codec_status(self.state)
        if url.path == "/getxml":
            locations = parse_qs(url.query).get("location")
            if not locations:
                return 400, b"getxml needs a location parameter\n", b"text/plain", []
            selected = select(root, locations[0])
            if selected is None:
                return 404, b"no match on location\n", b"text/plain", []
            root = selected
        return 200, to_xml(root), b"text/xml; charset=utf-8", []

    def _command(self, body: bytes) -> tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]:
        """One xAPI command (``<Command>...</Command>``) -> its result document."""
        assert self.calls is not None
        if b"<!DOCTYPE" in body.upper():
            return 400, b"DOCTYPE refused\n", b"text/plain", []
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return 400, b"malformed command XML\n", b"text/plain", []
        out = ET.Element("Command")
        codec = self.state.device.id
        if root.tag == "Configuration":
            return self._configure(root)
        if root.tag != "Command" or len(root) != 1:
            return 400, b"expected one <Command>\n", b"text/plain", []
        cmd = root[0]
        codec_state = self.state.codec
        if cmd.tag == "Standby" and cmd.find("Deactivate") is not None and codec_state is not None:
            codec_state.standby = False
            ET.SubElement(out, "DeactivateResult", {"status": "OK"})
        elif cmd.tag == "SystemUnit" and cmd.find("Boot") is not None and self.restarts is not None:
            ET.SubElement(out, "BootResult", {"status": "OK"})
            self.restarts.boot(codec)  # after this answer: silent for boot_s, then back
        elif cmd.tag == "Dial":
            result = ET.SubElement(out, "DialResult")
            try:
                call = self.calls.dial(codec, (cmd.findtext("Number") or "").strip())
            except DialError as exc:
                result.set("status", "Error")
                ET.SubElement(result, "Reason").text = str(exc)
            else:
                result.set("status", "OK")
                ET.SubElement(result, "CallId").text = str(call.id)
                ET.SubElement(result, "ConferenceId").text = str(call.id)
        elif cmd.tag == "Call" and cmd.find("Disconnect") is not None:
            ended = self.calls.disconnect(codec)
            result = ET.SubElement(out, "CallDisconnectResult", {"status": "OK" if ended else "Error"})
            if not ended:
                ET.SubElement(result, "Reason").text = "No active call"
        elif cmd.tag == "CallHistory" and cmd.find("Get") is not None:
            limit = int((cmd.findtext("Get/Limit") or "10").strip() or 10)
            result = ET.SubElement(out, "CallHistoryGetResult", {"status": "OK"})
            for n, call in enumerate(self.calls.history.get(codec, [])[:limit], start=1):
                entry = ET.SubElement(result, "Entry", {"item": str(n)})
                for tag, text in (
                    ("CallHistoryId", call.id),
                    ("CallbackNumber", f"sip:{call.number}"),
                    ("StartTime", _iso(call.started_at)),
                    ("EndTime", _iso(call.ended_at or call.started_at)),
                    ("Duration", round((call.ended_at or call.started_at) - call.started_at)),
                    ("DisconnectCause", call.cause),
                    ("DisconnectCauseType", call.cause_type),
                ):
                    ET.SubElement(entry, tag).text = str(text)
        else:
            return 400, b"unknown command\n", b"text/plain", []
        return 200, to_xml(out), b"text/xml; charset=utf-8", []

    def _configure(self, root: ET.Element) -> tuple[int, bytes, bytes, list[tuple[bytes, bytes]]]:
        """An ``xConfiguration`` write; only the SIP proxy address is taken: applying it makes the codec send a
        fresh REGISTER, which succeeds (a lost registration comes back)."""
        address = (root.findtext("SIP/Proxy/Address") or "").strip()
        if not address or len(root) != 1:
            return 400, b"only <SIP><Proxy><Address> can be configured here\n", b"text/plain", []
        if self.state.codec is not None:
            self.state.codec.registered = True
        return 200, to_xml(ET.Element("Configuration", {"status": "OK"})), b"text/xml; charset=utf-8", []

    def _authorized(self, request: h11.Request) -> bool:
        if self._username is None or self._password is None:
            return True
        for name, value in request.headers:
            if name != b"authorization":
                continue
            scheme, _, token = value.partition(b" ")
            if scheme.lower() != b"basic":
                return False
            try:
                user, sep, password = base64.b64decode(token.strip(), validate=True).partition(b":")
            except (binascii.Error, ValueError):
                return False
            user_ok = hmac.compare_digest(user, self._username.encode())
            password_ok = hmac.compare_digest(password, self._password.encode())
            return bool(sep) and user_ok and password_ok
        return False

    async def _send(
        self,
        conn: h11.Connection,
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        ctype: bytes,
        extra: list[tuple[bytes, bytes]] | None = None,
        head: bool = False,
    ) -> None:
        headers = [
            (b"Content-Type", ctype),
            (b"Content-Length", str(len(body)).encode()),
            (b"Date", formatdate(usegmt=True).encode()),
            (b"Server", SERVER_NAME),
            *(extra or []),
        ]
        if status >= 400 and status not in (401, 404, 405):
            headers.append((b"Connection", b"close"))
        reason = HTTPStatus(status).phrase.encode()
        data = conn.send(h11.Response(status_code=status, headers=headers, reason=reason)) or b""
        if not head:
            data += conn.send(h11.Data(data=body)) or b""
        data += conn.send(h11.EndOfMessage()) or b""
        writer.write(data)
        await writer.drain()


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> object:
    """The next h11 event (an ``h11.Event`` or ``h11.PAUSED``), reading from the socket as needed."""
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        data = await asyncio.wait_for(reader.read(65536), IDLE_TIMEOUT_S)
        conn.receive_data(data)


async def _black_hole(reader: asyncio.StreamReader) -> None:
    """Swallow whatever the client sends until it closes (or the lab closes the connection)."""
    while await reader.read(65536):
        pass
