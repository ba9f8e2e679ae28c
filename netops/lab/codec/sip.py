"""The SIP responder of one lab codec or MCU on UDP ``device.sip_port``: a stateless user agent server
that answers OPTIONS (RFC 3261 section 11) so that SIP liveness checks see a real final response.

What it answers (in this order):
- not a SIP request, or no usable top Via: dropped (there is nowhere to send a response);
- ACK: never answered (RFC 3261 17.1.1.3 / 13.3.1.4);
- missing From/To/Call-ID/CSeq, CSeq method different from the request method, non-numeric
  Max-Forwards, body shorter than Content-Length: ``400 Bad Request``;
- a URI scheme other than sip/sips/tel: ``416 Unsupported URI Scheme``;
- ``Require`` with an option tag not in ``SUPPORTED``: ``420 Bad Extension`` with ``Unsupported``;
- OPTIONS: ``200 OK`` with Allow, Accept, Accept-Encoding, Accept-Language, Supported, Contact, Server;
- CANCEL: ``481 Call/Transaction Does Not Exist`` (there is never an INVITE transaction to cancel);
- other methods of RFC 3261 and its extensions (INVITE, BYE, REGISTER, ...): ``405 Method Not Allowed``
  with ``Allow`` - the lab codec is a liveness responder, not a call engine;
- any other method: ``501 Not Implemented``.

Every response copies all Via values, From, To (adding a ``tag`` derived from Call-ID and CSeq, so a
retransmitted request gets the same tag), Call-ID and CSeq. The top Via gets ``received=<source address>``
when its sent-by host differs from the packet's source, and, when the client asked with a bare ``rport``
(RFC 3581), ``rport=<source port>`` and ``received`` in any case. The response goes to the source address
and, with ``rport``, the source port; otherwise the sent-by port (5060 if absent), as RFC 3261 18.2.2 says.
``maddr`` is ignored: the lab only ever sends to the address a request came from.

Standby and registration do not change the answer (a registrar question, not a liveness one); a device that
does not answer (``DeviceState.answers`` False) sends nothing; ``slow_ms`` delays each response.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from typing import cast

from netops.lab.codec.sipmsg import (
    BadRequest,
    Request,
    Unparseable,
    format_response,
    has_tag,
    parse_cseq,
    parse_request,
    parse_via,
)
from netops.lab.state import DeviceState

log = logging.getLogger(__name__)

ALLOW = ("OPTIONS", "ACK")
SUPPORTED = ("replaces", "timer")
KNOWN_METHODS = {
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "REGISTER",
    "OPTIONS",
    "INFO",
    "UPDATE",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "REFER",
    "MESSAGE",
    "PUBLISH",
}
REASONS = {
    200: "OK",
    400: "Bad Request",
    405: "Method Not Allowed",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    481: "Call/Transaction Does Not Exist",
    501: "Not Implemented",
}

Address = tuple[str, int]


class SipResponder(asyncio.DatagramProtocol):
    """One device's SIP UDP endpoint."""

    def __init__(self, state: DeviceState, server: str) -> None:
        self.state = state
        self.server = server  # the Server header value
        self.transport: asyncio.DatagramTransport | None = None
        self._pending: set[asyncio.TimerHandle] = set()
        self.received = 0
        self.answered = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # a selector transport, not a subclass

    def datagram_received(self, data: bytes, addr: Address) -> None:
        if not self.state.answers:
            return
        self.received += 1
        answer = self.answer(data, addr)
        if answer is None:
            return
        self.answered += 1
        payload, dest = answer
        if self.state.slow_ms > 0:
            loop = asyncio.get_running_loop()
            handle: asyncio.TimerHandle | None = None

            def fire() -> None:
                if handle is not None:
                    self._pending.discard(handle)
                self._send(payload, dest)

            handle = loop.call_later(self.state.slow_ms / 1000, fire)
            self._pending.add(handle)
        else:
            self._send(payload, dest)

    def error_received(self, exc: Exception) -> None:
        log.debug("%s: SIP socket error: %s", self.state.device.id, exc)

    def close(self) -> None:
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        if self.transport is not None:
            self.transport.close()

    def _send(self, payload: bytes, dest: Address) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(payload, dest)

    def answer(self, data: bytes, source: Address) -> tuple[bytes, Address] | None:
        """The response datagram and where it goes, or None to stay silent."""
        try:
            request = parse_request(data)
        except Unparseable:
            return None
        except BadRequest as exc:
            salvaged = _salvage(data)
            if salvaged is None:
                return None
            return self._respond(salvaged, source, 400, reason=f"Bad Request ({exc})")
        if request.method == "ACK":
            return None
        try:
            problem = _check(request)
        except BadRequest as exc:
            return self._respond(request, source, 400, reason=f"Bad Request ({exc})")
        if problem is not None:
            code, extra = problem
            return self._respond(request, source, code, extra=extra)
        if request.method == "OPTIONS":
            return self._respond(request, source, 200, extra=self._capabilities())
        if request.method == "CANCEL":
            return self._respond(request, source, 481)
        if request.method in KNOWN_METHODS:
            return self._respond(request, source, 405, extra=[("Allow", ", ".join(ALLOW))])
        return self._respond(request, source, 501)

    def _capabilities(self) -> list[tuple[str, str]]:
        dev = self.state.device
        return [
            ("Contact", f"<sip:{dev.id}@{dev.address}:{dev.sip_port}>"),
            ("Allow", ", ".join(ALLOW)),
            ("Accept", "application/sdp"),
            ("Accept-Encoding", "identity"),
            ("Accept-Language", "en"),
            ("Supported", ", ".join(SUPPORTED)),
        ]

    def _respond(
        self,
        request: Request,
        source: Address,
        code: int,
        reason: str | None = None,
        extra: list[tuple[str, str]] | None = None,
    ) -> tuple[bytes, Address] | None:
        vias = request.all("Via")
        if not vias:
            return None
        try:
            top = parse_via(vias[0])
        except BadRequest:
            return None
        src_host, src_port = source
        rport = top.has("rport")
        if rport:  # RFC 3581 section 4: fill rport, and received even if the host matches
            top.set("rport", str(src_port))
            top.set("received", src_host)
        elif top.host != src_host:
            top.set("received", src_host)
        dest = (src_host, src_port if rport else (top.port or 5060))
        headers = [("Via", str(top)), *(("Via", v) for v in vias[1:])]
        for name in ("From", "To", "Call-ID", "CSeq"):
            value = request.first(name)
            if value is None:
                continue
            if name == "To" and not has_tag(value):
                value = f"{value};tag={self._tag(request)}"
            headers.append((name, value))
        headers.extend(extra or [])
        headers.append(("Server", self.server))
        return format_response(code, reason or REASONS.get(code, "Unknown"), headers), dest

    def _tag(self, request: Request) -> str:
        seed = "|".join(
            (
                self.state.device.id,
                request.first("Call-ID") or "",
                request.first("CSeq") or "",
                request.first("From") or "",
            )
        )
        return hashlib.sha256(seed.encode()).hexdigest()[:12]


def _check(request: Request) -> tuple[int, list[tuple[str, str]]] | None:
    """The first RFC 3261 section 8.2 problem of a request, as (status, extra headers), or None."""
    for name in ("From", "To", "Call-ID", "CSeq"):
        if not request.first(name):
            raise BadRequest(f"missing {name}")
    _, method = parse_cseq(request.first("CSeq") or "")
    if method != request.method:
        raise BadRequest("CSeq method does not match the request")
    forwards = request.first("Max-Forwards")
    if forwards is not None and not forwards.strip().isdigit():
        raise BadRequest("Max-Forwards is not a number")
    scheme = request.uri.partition(":")[0].lower()
    if scheme not in ("sip", "sips", "tel"):
        return 416, []
    if request.method != "CANCEL":
        unsupported = [tag for tag in request.all("Require") if tag.lower() not in SUPPORTED]
        if unsupported:
            return 420, [("Unsupported", ", ".join(unsupported))]
    return None


def _salvage(data: bytes) -> Request | None:
    """Enough of a defective request (Via, From, To, Call-ID, CSeq) to answer it with 400."""
    text = data.decode("utf-8", "replace")
    first, _, rest = text.partition("\n")
    match = re.match(r"^(\S+) (\S+) SIP/2\.0\s*$", first.strip())
    if match is None:
        return None
    request = Request(match.group(1), match.group(2))
    short = {"v": "Via", "f": "From", "t": "To", "i": "Call-ID"}
    for line in rest.split("\n"):
        name, colon, value = line.partition(":")
        key = short.get(name.strip(), name.strip())
        for wanted in ("Via", "From", "To", "Call-ID", "CSeq"):
            if colon and key.lower() == wanted.lower():
                request.headers.append((wanted, value.strip()))
    return request
