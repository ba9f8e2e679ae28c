"""SIP request parsing and response formatting (RFC 3261 section 7, 18, 20; RFC 3581 ``rport``).

Used by the lab's SIP responder (``sip.py``). Parsing is tolerant where the RFC asks receivers to be:
line folding, compact header names (``v``, ``f``, ``t``, ``i``, ``l``, ...), header names in any case,
several values of a header on one line separated by commas (``Via: a, b``) or on several lines, and
``\\n`` instead of ``\\r\\n``. A datagram that is not a SIP request raises ``Unparseable`` (the responder
drops it); a request that is parseable but wrong raises ``BadRequest`` (the responder answers 400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

COMPACT = dict(
    pair.split("=")
    for pair in [
        "v=Via",
        "f=From",
        "t=To",
        "i=Call-ID",
        "l=Content-Length",
        "m=Contact",
        "c=Content-Type",
        "k=Supported",
        "s=Subject",
        "e=Content-Encoding",
        "o=Event",
        "r=Refer-To",
        "u=Allow-Events",
        "x=Session-Expires",
        "a=Accept-Contact",
        "j=Reject-Contact",
        "d=Request-Disposition",
        "b=Referred-By",
    ]
)
CANONICAL = {
    name.lower(): name
    for name in [
        "Via",
        "From",
        "To",
        "Call-ID",
        "CSeq",
        "Max-Forwards",
        "Contact",
        "Content-Length",
        "Content-Type",
        "Allow",
        "Accept",
        "Accept-Encoding",
        "Accept-Language",
        "Supported",
        "Require",
        "Proxy-Require",
        "Unsupported",
        "User-Agent",
        "Server",
        "Record-Route",
        "Route",
        "Subject",
        "Expires",
        "Event",
        "Content-Encoding",
        "Date",
        "Timestamp",
        "Organization",
        "Warning",
        "WWW-Authenticate",
        "Authorization",
    ]
}
# headers whose comma-separated values are separate header field values (RFC 3261 section 7.3.1)
MULTI_VALUED = {
    "Via",
    "Contact",
    "Route",
    "Record-Route",
    "Allow",
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Supported",
    "Require",
    "Proxy-Require",
    "Unsupported",
}
TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
REQUEST_LINE = re.compile(rf"^({TOKEN}) (\S+) SIP/2\.0$")
VIA = re.compile(r"^SIP\s*/\s*2\.0\s*/\s*([A-Za-z]+)\s+([^;\s]+)\s*(.*)$", re.S)
CSEQ = re.compile(rf"^\s*(\d{{1,10}})\s+({TOKEN})\s*$")


class Unparseable(ValueError):
    """Not a SIP request at all: drop it without an answer."""


class BadRequest(ValueError):
    """A SIP request with a defect: answer 400 with ``reason``."""


@dataclass(slots=True)
class Request:
    method: str
    uri: str
    headers: list[tuple[str, str]] = field(default_factory=list)  # canonical name, one value each, in order
    body: bytes = b""

    def all(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n == name]

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None


@dataclass(slots=True)
class Via:
    transport: str
    host: str
    port: int | None
    params: list[tuple[str, str | None]]  # in order; value None for a flag such as ``rport``

    def param(self, name: str) -> str | None:
        return next((v or "" for k, v in self.params if k.lower() == name), None)

    def has(self, name: str) -> bool:
        return any(k.lower() == name for k, _ in self.params)

    def set(self, name: str, value: str) -> None:
        for i, (k, _) in enumerate(self.params):
            if k.lower() == name:
                self.params[i] = (k, value)
                return
        self.params.append((name, value))

    def __str__(self) -> str:
        hostport = self.host if self.port is None else f"{self.host}:{self.port}"
        params = "".join(f";{k}" if v is None else f";{k}={v}" for k, v in self.params)
        return f"SIP/2.0/{self.transport} {hostport}{params}"


def split_values(value: str) -> list[str]:
    """Split a header value at commas that are outside quotes and angle brackets."""
    out, buf, quoted, angle, i = [], [], False, False, 0
    while i < len(value):
        ch = value[i]
        if quoted and ch == "\\" and i + 1 < len(value):
            buf.append(value[i : i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            angle = True
        elif ch == ">" and not quoted:
            angle = False
        elif ch == "," and not quoted and not angle:
            out.append("".join(buf).strip())
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    out.append("".join(buf).strip())
    return [v for v in out if v]


def parse_request(data: bytes) -> Request:
    """One UDP datagram -> Request. Raises Unparseable or BadRequest."""
    data = data.lstrip(b"\r\n")  # RFC 3261 7.5: ignore CRLFs before the start line (keep-alives)
    if not data:
        raise Unparseable("empty datagram")
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unparseable("header section is not UTF-8") from exc
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()  # folded continuation line
        elif line:
            lines.append(line)
    if not lines:
        raise Unparseable("no start line")
    match = REQUEST_LINE.match(lines[0].strip())
    if match is None:
        raise Unparseable("not a SIP/2.0 request line")  # also every response (a UAS drops stray ones)
    request = Request(method=match.group(1), uri=match.group(2))
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or not re.fullmatch(TOKEN, name):
            raise BadRequest(f"malformed header line {line[:40]!r}")
        canonical = COMPACT.get(name) if len(name) == 1 else None
        canonical = canonical or CANONICAL.get(name.lower(), name)
        values = split_values(value) if canonical in MULTI_VALUED else [value.strip()]
        request.headers.extend((canonical, v) for v in values)
    length = request.first("Content-Length")
    if length is not None:
        if not length.isdigit():
            raise BadRequest("Content-Length is not a number")
        if len(body) < int(length):  # RFC 3261 18.3: the datagram ended before the body did
            raise BadRequest("body shorter than Content-Length")
        body = body[: int(length)]
    request.body = body
    return request


def parse_via(value: str) -> Via:
    match = VIA.match(value.strip())
    if match is None:
        raise BadRequest(f"malformed Via {value[:60]!r}")
    transport, sent_by, rest = match.groups()
    host, port = sent_by, None
    if sent_by.startswith("["):  # IPv6 reference
        host, _, tail = sent_by.partition("]")
        host += "]"
        if tail.startswith(":") and tail[1:].isdigit():
            port = int(tail[1:])
    elif ":" in sent_by:
        host, _, port_text = sent_by.rpartition(":")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise BadRequest(f"bad port in Via sent-by {sent_by!r}")
        port = int(port_text)
    params: list[tuple[str, str | None]] = []
    for raw in rest.split(";"):
        raw = raw.strip()
        if not raw:
            continue
        key, eq, val = raw.partition("=")
        params.append((key.strip(), val.strip() if eq else None))
    return Via(transport.upper(), host, port, params)


def parse_cseq(value: str) -> tuple[int, str]:
    match = CSEQ.match(value)
    if match is None or int(match.group(1)) >= 2**31:
        raise BadRequest(f"malformed CSeq {value[:40]!r}")
    return int(match.group(1)), match.group(2)


def has_tag(name_addr: str) -> bool:
    """Whether a From/To value carries a ``tag`` parameter (header parameters follow the ``>``)."""
    params = name_addr.rpartition(">")[2] if "<" in name_addr else name_addr
    return re.search(r";\s*tag\s*=", params, re.I) is not None


def format_response(code: int, reason: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [f"SIP/2.0 {code} {reason}", *(f"{n}: {v}" for n, v in headers), f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
