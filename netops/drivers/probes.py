"""Active probes from netops to a device: path quality (TWAMP-light) and SIP liveness (OPTIONS).

Drivers layer: the video-conference checks call these against real reflectors (a router's TWAMP-light
responder, a codec) and the lab's (``netops.lab.codec``); they know nothing of the layers above.

``probe_path`` is a TWAMP-light Session-Sender (RFC 5357, unauthenticated, no control session): it sends
``count`` test packets (sequence number, NTP timestamp T1, error estimate, 27 octets of padding) every
``interval_s`` and reads the reflector's T2/T3 timestamps from each reply. It reports:

- ``rtt_ms``: (T4 - T1) - (T3 - T2) per reply, the reflector's turnaround left out; p50 / p95 (nearest rank);
- ``one_way_p50_ms`` / ``one_way_p95_ms``: RTT / 2, an estimate that needs no clock synchronisation;
- ``jitter_fwd_ms`` / ``jitter_back_ms``: RFC 3550 interarrival jitter ``J += (|D| - J) / 16`` of the
  forward (T2 - T1) and backward (T4 - T3) transit times, over the replies in sending order; a constant
  clock offset between the hosts cancels out in D. ``jitter_ms`` is the worse direction;
- ``ipdv_fwd_ms`` / ``ipdv_back_ms``: the plain mean of those |D| (mean absolute IP packet delay
  variation, RFC 5481); RFC 3550's J estimates the same quantity but, being a 1/16 moving average, moves
  by about 14 % of itself from run to run, where the mean over 200 packets moves by about 6 %;
- ``loss_ratio``: the share of packets without a reply within ``timeout_s`` of being sent.
A path that loses everything is a measurement (``received == 0``, loss 1.0), not an error.

``sip_options`` sends one OPTIONS over UDP (retransmitted after 0.5 s, 1 s, 2 s, ... as RFC 3261 timer E)
and returns the first final response: any final response means the user agent is alive. No answer within
``timeout_s``, or an ICMP port unreachable, raises ``DeviceUnreachable``.
"""

from __future__ import annotations

import asyncio
import math
import re
import secrets
import struct
import time
from dataclasses import dataclass
from itertools import pairwise

from netops.errors import DeviceUnreachable

NTP_EPOCH_OFFSET = 2_208_988_800
SENDER = struct.Struct("!IQH")  # Sequence Number, Timestamp, Error Estimate
REFLECTED = struct.Struct("!IQHHQIQHHB")  # RFC 5357 4.2.1 unauthenticated reflector header, 41 octets
ERROR_ESTIMATE = (22 << 8) | 1  # S=0 (not claiming synchronisation), about 1 ms
PADDING = 27  # RFC 5357 4.2.1: the reflector drops 27 octets of padding, so the reply has our size
SIP_T1 = 0.5
SIP_T2 = 4.0


def _to_ntp(seconds: float) -> int:
    whole = int(seconds)
    return (((whole + NTP_EPOCH_OFFSET) & 0xFFFFFFFF) << 32) | (int((seconds - whole) * 2**32) & 0xFFFFFFFF)


def _ntp_diff(a: int, b: int) -> float:
    """a - b in seconds for two NTP timestamps (modulo 2**64, so an era wrap does not matter)."""
    diff = (a - b) % 2**64
    if diff >= 2**63:
        diff -= 2**64
    return diff / 2**32


def _rfc3550_jitter(transits: list[float]) -> float | None:
    if len(transits) < 2:
        return None
    jitter = 0.0
    for prev, cur in pairwise(transits):
        jitter += (abs(cur - prev) - jitter) / 16
    return jitter


def _mean_abs_ipdv(transits: list[float]) -> float | None:
    if len(transits) < 2:
        return None
    return sum(abs(cur - prev) for prev, cur in pairwise(transits)) / (len(transits) - 1)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def _nearest_rank(sorted_values: list[float], pct: float) -> float:
    return sorted_values[max(0, math.ceil(pct / 100 * len(sorted_values)) - 1)]


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One multi-packet path measurement. Times in milliseconds; None when too few replies to tell."""

    host: str
    port: int
    sent: int
    received: int
    rtt_ms: tuple[float, ...]  # per reply, in sending order
    jitter_fwd_ms: float | None
    jitter_back_ms: float | None
    ipdv_fwd_ms: float | None = None
    ipdv_back_ms: float | None = None
    duplicates: int = 0

    @property
    def loss_ratio(self) -> float:
        return 1.0 - self.received / self.sent if self.sent else 0.0

    def _rtt_pct(self, pct: float) -> float | None:
        return _nearest_rank(sorted(self.rtt_ms), pct) if self.rtt_ms else None

    @property
    def rtt_p50_ms(self) -> float | None:
        return self._rtt_pct(50)

    @property
    def rtt_p95_ms(self) -> float | None:
        return self._rtt_pct(95)

    @property
    def one_way_p50_ms(self) -> float | None:
        value = self._rtt_pct(50)
        return None if value is None else value / 2

    @property
    def one_way_p95_ms(self) -> float | None:
        value = self._rtt_pct(95)
        return None if value is None else value / 2

    @property
    def jitter_ms(self) -> float | None:
        """The worse direction's RFC 3550 jitter."""
        values = [j for j in (self.jitter_fwd_ms, self.jitter_back_ms) if j is not None]
        return max(values) if values else None


@dataclass(slots=True)
class _Reply:
    t4_mono: float
    t2: int
    t3: int


class _Collector(asyncio.DatagramProtocol):
    def __init__(self, sent_ntp: dict[int, int]) -> None:
        self.sent_ntp = sent_ntp
        self.replies: dict[int, _Reply] = {}
        self.duplicates = 0
        self.changed = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        now = time.perf_counter()
        if len(data) < REFLECTED.size:
            return
        _, t3, _, _, t2, seq, t1, _, _, _ = REFLECTED.unpack_from(data)
        if self.sent_ntp.get(seq) != t1:
            return  # not a reply to one of our packets
        if seq in self.replies:
            self.duplicates += 1
            return
        self.replies[seq] = _Reply(now, t2, t3)
        self.changed.set()

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP errors: the packets simply count as lost


async def probe_path(
    host: str, port: int, count: int = 50, interval_s: float = 0.02, timeout_s: float = 1.0
) -> ProbeResult:
    """Measure RTT, one-way delay estimate, RFC 3550 jitter and loss to a TWAMP-light reflector."""
    if count < 1 or interval_s < 0 or timeout_s <= 0:
        raise ValueError(
            f"probe_path needs count >= 1, interval_s >= 0, timeout_s > 0 (got {count}, "
            f"{interval_s}, {timeout_s})"
        )
    loop = asyncio.get_running_loop()
    sent_ntp: dict[int, int] = {}
    sent_at: dict[int, tuple[float, float]] = {}  # seq -> (perf_counter, wall clock) at sending
    collector = _Collector(sent_ntp)
    transport, _ = await loop.create_datagram_endpoint(lambda: collector, remote_addr=(host, port))
    try:
        start = loop.time()
        for seq in range(count):
            wall, mono = time.time(), time.perf_counter()
            sent_ntp[seq] = _to_ntp(wall)
            sent_at[seq] = (mono, wall)
            transport.sendto(SENDER.pack(seq, sent_ntp[seq], ERROR_ESTIMATE) + bytes(PADDING))
            if seq + 1 < count:
                await asyncio.sleep(max(0.0, start + (seq + 1) * interval_s - loop.time()))
        deadline = loop.time() + timeout_s
        while len(collector.replies) < count and (left := deadline - loop.time()) > 0:
            collector.changed.clear()
            try:
                await asyncio.wait_for(collector.changed.wait(), left)
            except TimeoutError:
                break
    finally:
        transport.close()
    rtts: list[float] = []
    forward: list[float] = []
    back: list[float] = []
    for seq in range(count):
        reply = collector.replies.get(seq)
        if reply is None:
            continue
        mono, wall = sent_at[seq]
        raw = reply.t4_mono - mono
        if raw > timeout_s:
            continue  # too late: counted as lost
        turnaround = _ntp_diff(reply.t3, reply.t2)
        rtts.append((raw - turnaround if 0 <= turnaround <= raw else raw) * 1000)
        forward.append(_ntp_diff(reply.t2, sent_ntp[seq]))
        back.append(_ntp_diff(_to_ntp(wall + raw), reply.t3))
    return ProbeResult(
        host=host,
        port=port,
        sent=count,
        received=len(rtts),
        rtt_ms=tuple(rtts),
        jitter_fwd_ms=_ms(_rfc3550_jitter(forward)),
        jitter_back_ms=_ms(_rfc3550_jitter(back)),
        ipdv_fwd_ms=_ms(_mean_abs_ipdv(forward)),
        ipdv_back_ms=_ms(_mean_abs_ipdv(back)),
        duplicates=collector.duplicates,
    )


# --- SIP OPTIONS ---------------------------------------------------------------------------------------

STATUS_LINE = re.compile(r"^SIP/2\.0 (\d{3}) ?(.*)$")
COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "l": "content-length", "m": "contact",
           "k": "supported", "c": "content-type"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SipOptionsResult:
    """The final response to one OPTIONS request."""

    host: str
    port: int
    status: int
    reason: str
    rtt_ms: float  # from the first transmission to the final response
    server: str | None  # the Server header (or User-Agent, which some devices send instead)
    headers: tuple[tuple[str, str], ...]  # lower-case names, compact forms expanded, in order
    retransmissions: int = 0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n == name.lower()), None)


def parse_response(data: bytes) -> tuple[int, str, list[tuple[str, str]]] | None:
    """(status, reason, headers) of a SIP response datagram, or None if it is not one."""
    head = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    lines: list[str] = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        elif line:
            lines.append(line)
    match = STATUS_LINE.match(lines[0].strip()) if lines else None
    if match is None:
        return None
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            key = name.strip().lower()
            headers.append((COMPACT.get(key, key), value.strip()))
    return int(match.group(1)), match.group(2).strip(), headers


class _SipClient(asyncio.DatagramProtocol):
    def __init__(self, branch: str, call_id: str) -> None:
        self.branch, self.call_id = branch, call_id
        self.final: asyncio.Future[tuple[float, int, str, list[tuple[str, str]]]] = (
            asyncio.get_running_loop().create_future()
        )

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        parsed = parse_response(data)
        if parsed is None or self.final.done():
            return
        status, reason, headers = parsed
        values = dict(reversed(headers))  # first occurrence wins
        if f"branch={self.branch}" not in values.get("via", "") or values.get("call-id") != self.call_id:
            return  # RFC 3261 17.1.3: not our transaction
        if not values.get("cseq", "").upper().endswith("OPTIONS") or status < 200:
            return  # provisional responses do not end the transaction
        self.final.set_result((time.perf_counter(), status, reason, headers))

    def error_received(self, exc: Exception) -> None:
        if not self.final.done():
            self.final.set_exception(exc)


async def sip_options(
    host: str, port: int = 5060, timeout_s: float = 2.0, *, device: str | None = None
) -> SipOptionsResult:
    """Send OPTIONS and wait for the final response. Raises DeviceUnreachable (named ``device`` or
    ``host:port``) when nothing answers within ``timeout_s`` or the port is unreachable."""
    loop = asyncio.get_running_loop()
    name = device or f"{host}:{port}"
    branch = "z9hG4bK" + secrets.token_hex(8)
    call_id = f"{secrets.token_hex(10)}@netops"
    client = _SipClient(branch, call_id)
    transport, _ = await loop.create_datagram_endpoint(lambda: client, remote_addr=(host, port))
    retransmissions = 0
    try:
        local_ip, local_port = transport.get_extra_info("sockname")[:2]
        target = f"sip:{host}:{port}"
        request = (
            f"OPTIONS {target} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {local_ip}:{local_port};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:netops@{local_ip}>;tag={secrets.token_hex(6)}\r\n"
            f"To: <{target}>\r\n"
            f"Call-ID: {call_id}\r\n"
            f"CSeq: 1 OPTIONS\r\n"
            f"Contact: <sip:netops@{local_ip}:{local_port}>\r\n"
            f"Accept: application/sdp\r\n"
            f"User-Agent: netops\r\n"
            f"Content-Length: 0\r\n\r\n"
        ).encode()
        started = time.perf_counter()
        deadline = loop.time() + timeout_s
        wait = SIP_T1
        while True:
            transport.sendto(request)
            left = deadline - loop.time()
            if left <= 0:
                raise DeviceUnreachable(name, f"no SIP answer to OPTIONS within {timeout_s:g} s")
            try:
                arrived, status, reason, headers = await asyncio.wait_for(
                    asyncio.shield(client.final), min(wait, left)
                )
                break
            except TimeoutError:
                if loop.time() >= deadline:
                    raise DeviceUnreachable(
                        name, f"no SIP answer to OPTIONS within {timeout_s:g} s"
                    ) from None
                retransmissions += 1
                wait = min(wait * 2, SIP_T2)
            except OSError as exc:
                raise DeviceUnreachable(name, f"SIP port unreachable ({exc.__class__.__name__})") from exc
    finally:
        transport.close()
        if not client.final.done():
            client.final.cancel()
        elif not client.final.cancelled():
            client.final.exception()  # mark a late ICMP error as retrieved
    values = dict(reversed(headers))
    return SipOptionsResult(
        host=host,
        port=port,
        status=status,
        reason=reason,
        rtt_ms=(arrived - started) * 1000,
        server=values.get("server") or values.get("user-agent"),
        headers=tuple(headers),
        retransmissions=retransmissions,
    )
