"""The SIP responder of lab codecs: the netops client, raw datagrams checked header by header, and SIPp."""

from __future__ import annotations

import asyncio
import shutil
import socket
import time
from pathlib import Path

import pytest

from netops.drivers.probes import parse_response, sip_options
from netops.errors import DeviceUnreachable
from netops.lab.codec import CodecLab
from netops.lab.state import LabWorld
from tests.lab.codec.codec_testlib import ANSWER_S, HOTAN, KASHGAR, MCU, SIP, UNUSED, WithLab

CLIENT = "127.68.200.2"  # the raw-socket test client's own address


def exchange(
    request: bytes, host: str = KASHGAR, timeout: float = ANSWER_S, bind: str = CLIENT
) -> bytes | None:
    """Send one datagram from ``bind`` and return the first reply (None on timeout). The default wait is for a
    request the codec answers; a request it must ignore is sent with a short ``timeout``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((bind, 0))
        sock.settimeout(timeout)
        sock.sendto(request.replace(b"@PORT@", str(sock.getsockname()[1]).encode()), (host, SIP))
        try:
            return sock.recv(65535)
        except TimeoutError:
            return None


def options(method: str = "OPTIONS", cseq_method: str | None = None, extra: str = "", via: str = "") -> bytes:
    via = via or f"Via: SIP/2.0/UDP {CLIENT}:@PORT@;branch=z9hG4bKraw1;rport\r\n"
    return (
        f"{method} sip:kashgar-codec@{KASHGAR}:{SIP} SIP/2.0\r\n"
        f"{via}"
        "Max-Forwards: 70\r\n"
        'From: "Duty desk" <sip:duty@noc.lab>;tag=abc123\r\n'
        f"To: <sip:kashgar-codec@{KASHGAR}>\r\n"
        "Call-ID: raw-call-1@noc.lab\r\n"
        f"CSeq: 42 {cseq_method or method}\r\n"
        f"{extra}"
        "Content-Length: 0\r\n\r\n"
    ).encode()


def test_client_gets_200_from_codecs_and_mcu(with_lab: WithLab) -> None:
    async def scenario(lab: CodecLab) -> None:
        for host in (KASHGAR, HOTAN, MCU):
            res = await sip_options(host, SIP, timeout_s=2.0)
            assert (res.status, res.reason) == (200, "OK")
            assert res.ok
            assert 0 < res.rtt_ms < 500
            assert res.retransmissions == 0
            assert res.server is not None and "netops-lab" in res.server
            assert "OPTIONS" in (res.header("Allow") or "")
            assert res.header("Accept") == "application/sdp"
        hotan = await sip_options(HOTAN, SIP, ANSWER_S)
        assert hotan.server is not None and hotan.server.startswith("Cisco-Webex-Room-Kit-Pro/")
        counts = lab.counters()
        assert (counts["endpoints"], counts["sip_received"], counts["sip_answered"]) == (3, 4, 4)

    with_lab(scenario)


def test_raw_options_headers_are_copied_per_rfc3261(with_lab: WithLab) -> None:
    second_via = "SIP/2.0/UDP proxy.noc.lab:5060;branch=z9hG4bKproxy9"
    via = f"Via: SIP/2.0/UDP {CLIENT}:@PORT@;branch=z9hG4bKraw1;rport, {second_via}\r\n"

    async def scenario(lab: CodecLab) -> tuple[bytes | None, bytes | None]:
        first = await asyncio.to_thread(exchange, options(via=via))
        again = await asyncio.to_thread(exchange, options(via=via))
        return first, again

    first, again = with_lab(scenario)
    assert first is not None and again is not None
    parsed = parse_response(first)
    assert parsed is not None
    status, reason, headers = parsed
    assert (status, reason) == (200, "OK")
    vias = [v for n, v in headers if n == "via"]
    assert len(vias) == 2 and vias[1] == second_via
    top = vias[0]
    assert top.startswith(f"SIP/2.0/UDP {CLIENT}:") and ";branch=z9hG4bKraw1" in top
    port = top.split(":")[1].split(";")[0]
    assert f";rport={port}" in top  # RFC 3581: the source port, which is also where the answer went
    assert f";received={CLIENT}" in top  # and received, even though the host matches
    value = dict(headers)
    assert value["from"] == '"Duty desk" <sip:duty@noc.lab>;tag=abc123'
    assert value["to"].startswith(f"<sip:kashgar-codec@{KASHGAR}>;tag=")
    assert value["call-id"] == "raw-call-1@noc.lab"
    assert value["cseq"] == "42 OPTIONS"
    assert value["content-length"] == "0"
    assert value["accept"] == "application/sdp"
    assert "OPTIONS" in value["allow"] and value["supported"] and value["server"]
    # a retransmission gets the same To tag (the tag is derived from the request, not random)
    again_parsed = parse_response(again)
    assert again_parsed is not None and dict(again_parsed[2])["to"] == value["to"]


def test_raw_without_rport_compact_form_and_existing_tag(with_lab: WithLab) -> None:
    request = (
        f"OPTIONS sip:{KASHGAR} SIP/2.0\r\n"
        "v: SIP/2.0/UDP client.noc.lab:@PORT@;branch=z9hG4bKraw2\r\n"  # a host name: received= is added
        "f: <sip:duty@noc.lab>;tag=f1\r\n"
        f"t: <sip:{KASHGAR}>;tag=already\r\n"
        "i: compact-1\r\n"
        "CSeq: 7\r\n  OPTIONS\r\n"  # folded onto a continuation line
        "l: 0\r\n\r\n"
    ).encode()

    async def scenario(lab: CodecLab) -> bytes | None:
        return await asyncio.to_thread(exchange, request)

    reply = with_lab(scenario)
    assert reply is not None
    parsed = parse_response(reply)
    assert parsed is not None and parsed[0] == 200
    value = dict(parsed[2])
    assert value["via"].endswith(f";branch=z9hG4bKraw2;received={CLIENT}")
    assert "rport" not in value["via"]
    assert value["to"] == f"<sip:{KASHGAR}>;tag=already"
    assert value["call-id"] == "compact-1"
    assert value["cseq"] == "7 OPTIONS"


def test_other_methods_and_malformed_requests(with_lab: WithLab) -> None:
    cases = {
        "invite": options("INVITE"),
        "register": options("REGISTER"),
        "cancel": options("CANCEL"),
        "unknown": options("FROBNICATE"),
        "ack": options("ACK"),
        "cseq_mismatch": options("OPTIONS", cseq_method="INVITE"),
        "require": options(extra="Require: 100rel, timer\r\n"),
        "scheme": options().replace(b"OPTIONS sip:", b"OPTIONS http:", 1),
        "no_call_id": options().replace(b"Call-ID: raw-call-1@noc.lab\r\n", b""),
        "short_body": options().replace(b"Content-Length: 0", b"Content-Length: 99"),
        "garbage": b"\x00\x01hello world",
        "response": b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.68.200.2:5060\r\n\r\n",
        "no_via": options().replace(b"Via: ", b"X-Via: ", 1),
    }

    silent = ("ack", "garbage", "response", "no_via")  # the codec ignores these: 0.5 s is waited out

    async def scenario(lab: CodecLab) -> dict[str, bytes | None]:
        replies = await asyncio.gather(
            *(
                asyncio.to_thread(exchange, req, KASHGAR, 0.5 if name in silent else ANSWER_S)
                for name, req in cases.items()
            )
        )
        return dict(zip(cases, replies, strict=True))

    replies = with_lab(scenario)

    def status(name: str) -> tuple[int, dict[str, str]]:
        data = replies[name]
        assert data is not None, f"{name}: no answer"
        parsed = parse_response(data)
        assert parsed is not None
        return parsed[0], dict(parsed[2])

    code, headers = status("invite")
    assert code == 405 and headers["allow"] == "OPTIONS, ACK" and ";tag=" in headers["to"]
    assert status("register")[0] == 405
    assert status("cancel")[0] == 481
    assert status("unknown")[0] == 501
    assert status("cseq_mismatch")[0] == 400
    code, headers = status("require")
    assert code == 420 and headers["unsupported"] == "100rel"
    assert status("scheme")[0] == 416
    code, headers = status("no_call_id")
    assert code == 400 and headers["cseq"] == "42 OPTIONS"
    assert status("short_body")[0] == 400
    for name in silent:
        assert replies[name] is None, name


def test_standby_unregistered_silent_and_slow(with_lab: WithLab, world: LabWorld) -> None:
    codec = world.devices["kashgar-codec"].codec
    assert codec is not None

    async def scenario(lab: CodecLab) -> None:
        codec.standby, codec.registered = True, False
        assert (await sip_options(KASHGAR, SIP, ANSWER_S)).status == 200  # liveness, not registration
        world.set_node_down("kashgar-codec", True)
        started = time.perf_counter()
        with pytest.raises(DeviceUnreachable, match="kashgar-codec: no SIP answer"):
            await sip_options(KASHGAR, SIP, timeout_s=0.8, device="kashgar-codec")
        assert time.perf_counter() - started > 0.7  # it did wait for the timeout
        world.devices["hotan-codec"].slow_ms = 250
        slow = await sip_options(HOTAN, SIP, timeout_s=ANSWER_S)
        assert slow.status == 200 and slow.rtt_ms >= 240 and slow.retransmissions == 0
        world.devices["hotan-codec"].slow_ms = 700  # longer than timer E's first 500 ms: retransmitted
        slower = await sip_options(HOTAN, SIP, timeout_s=ANSWER_S)
        assert slower.status == 200 and slower.retransmissions >= 1

    with_lab(scenario)


def test_nothing_listening_raises_device_unreachable() -> None:
    async def scenario() -> None:
        with pytest.raises(DeviceUnreachable, match=UNUSED):
            await sip_options(UNUSED, SIP, timeout_s=1.0)

    asyncio.run(scenario())


def test_sipp_options_scenario(with_lab: WithLab, tmp_path: Path) -> None:
    sipp = shutil.which("sipp")
    assert sipp is not None, "SIPp is needed for this test: apt-get install -y sip-tester"
    scenario_file = Path(__file__).parent / "sipp" / "options.xml"
    args = [sipp, f"{KASHGAR}:{SIP}", "-sf", str(scenario_file), "-m", "5", "-r", "50",
            "-i", "127.68.200.1", "-p", "5070", "-mp", "16000", "-ci", "127.68.200.1", "-cp", "18888",
            "-nostdin", "-timeout", "15", "-timeout_error", "-trace_err"]  # fmt: skip

    async def scenario(lab: CodecLab) -> tuple[int | None, str]:
        proc = await asyncio.create_subprocess_exec(
            *args, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await proc.communicate()
        return proc.returncode, out.decode(errors="replace")

    code, output = with_lab(scenario)
    errors = "".join(p.read_text(errors="replace") for p in tmp_path.glob("*_errors.log"))
    assert code == 0, output[-2000:] + errors
    assert "Successful call" in output
