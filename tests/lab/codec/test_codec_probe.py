"""The TWAMP-light reflector of lab codecs and the ``probe_path`` client: impairments measured within
tolerance, the wire format checked on raw datagrams, silent devices.

Tolerances: the reflector draws from a random source seeded by the device id, so a run impairs the same
packets the same way; the bounds below still hold for any seed with a wide margin (RFC 3550 J: sd about
1.4 ms at 10 ms; the mean |D| over 400 packets: sd about 0.4 ms; loss over 400 packets at 10 %: sd 1.5 %).
What varies between runs is the machine's timer lateness: the reflector runs on the test's own event loop, so
on a loaded machine its delays and replies come out late, and lateness only adds. Lower bounds are exact;
upper bounds allow the lateness measured on the same loop during the same probes (``Lateness``), which is a
millisecond or two on an idle machine and tens of milliseconds under load (CI with 4 workers on 2 cores).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time

from netops.drivers.probes import probe_path
from netops.lab.codec import CodecLab
from netops.lab.state import Impairment, LabWorld
from tests.lab.codec.codec_testlib import HOTAN, KASHGAR, MCU, PROBE, UNUSED, Lateness, WithLab

REFLECTED = struct.Struct("!IQHHQIQHHB")
NTP_OFFSET = 2_208_988_800


def test_delay_jitter_and_loss_are_measured_within_tolerance(with_lab: WithLab, world: LabWorld) -> None:
    world.devices["kashgar-codec"].impairment = Impairment(delay_ms=40, jitter_ms=10, loss_ratio=0.10)
    world.devices["hotan-codec"].impairment = Impairment(delay_ms=25)

    async def scenario(lab: CodecLab) -> None:
        late = Lateness()
        late.start()
        impaired, clean, steady = await asyncio.gather(
            # replies wait up to 3 s: on a loaded machine a late reply must not count as a lost one
            probe_path(KASHGAR, PROBE, count=400, interval_s=0.01, timeout_s=3.0),
            probe_path(MCU, PROBE, count=100, interval_s=0.02, timeout_s=10.0),
            probe_path(HOTAN, PROBE, count=100, interval_s=0.02, timeout_s=10.0),
        )
        slack = late.stop()
        why = f"(slack for the loop's lateness: {slack:.1f} ms)"
        assert impaired.sent == 400
        assert 0.05 <= impaired.loss_ratio <= 0.15, impaired.loss_ratio
        assert impaired.one_way_p50_ms is not None and impaired.one_way_p95_ms is not None
        assert 35 <= impaired.one_way_p50_ms <= 45 + slack, (impaired.one_way_p50_ms, why)
        assert impaired.one_way_p50_ms < impaired.one_way_p95_ms <= 60 + slack, (impaired.one_way_p95_ms, why)
        for ipdv in (impaired.ipdv_fwd_ms, impaired.ipdv_back_ms):
            assert ipdv is not None and 7.5 <= ipdv <= 12.5 + slack, (ipdv, why)  # mean |D| = jitter_ms
        for jitter in (impaired.jitter_fwd_ms, impaired.jitter_back_ms):
            assert jitter is not None and 5 <= jitter <= 15 + slack, (jitter, why)  # RFC 3550 J: noisier
        assert impaired.jitter_ms == max(impaired.jitter_fwd_ms or 0, impaired.jitter_back_ms or 0)
        counts = lab.counters()
        assert counts["probes_received"] == 600
        assert 0 < counts["probes_lost"] <= round(impaired.loss_ratio * 400)  # late replies count lost too
        # the MCU's path is not impaired
        assert clean.loss_ratio == 0 and clean.duplicates == 0
        assert clean.rtt_p50_ms is not None and clean.rtt_p50_ms < 5 + slack, (clean.rtt_p50_ms, why)
        assert clean.jitter_ms is not None and clean.jitter_ms < 3 + slack, (clean.jitter_ms, why)
        # delay without jitter: a steady 25 ms one way
        assert steady.one_way_p50_ms is not None, steady
        assert 24 <= steady.one_way_p50_ms <= 29 + slack, (steady.one_way_p50_ms, why)
        assert steady.ipdv_fwd_ms is not None and steady.ipdv_fwd_ms < 3 + slack, (steady.ipdv_fwd_ms, why)

    with_lab(scenario)


def _twamp_exchange(packets: list[bytes], host: str = KASHGAR) -> list[tuple[bytes, float]]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.68.200.3", 0))
        sock.settimeout(0.5)
        out = []
        for packet in packets:
            sock.sendto(packet, (host, PROBE))
            try:
                out.append((sock.recv(65535), time.time()))
            except TimeoutError:
                out.append((b"", time.time()))
        return out


def test_reflected_packet_format_and_slow_turnaround(with_lab: WithLab, world: LabWorld) -> None:
    world.devices["kashgar-codec"].slow_ms = 120

    def test_packet(seq: int, padding: bytes) -> bytes:
        now = time.time()
        ntp = (int(now) + NTP_OFFSET) << 32 | int((now % 1) * 2**32)
        return struct.pack("!IQH", seq, ntp, 0x0101) + padding

    padding = bytes(27) + b"tail-of-padding"
    packets = [test_packet(7, padding), test_packet(8, padding), b"short"]

    async def scenario(lab: CodecLab) -> list[tuple[bytes, float]]:
        return await asyncio.to_thread(_twamp_exchange, packets)

    (first, t4), (second, _), (short, _) = with_lab(scenario)
    assert short == b""  # fewer than 14 octets: not a TWAMP test packet
    assert len(first) == len(packets[0])  # 27 octets of padding dropped, the rest reflected
    own, t3, error, mbz, t2, sender_seq, sender_ts, sender_error, mbz2, ttl = REFLECTED.unpack_from(first)
    assert (own, sender_seq, sender_error, mbz, mbz2, ttl) == (0, 7, 0x0101, 0, 0, 255)
    assert sender_ts == struct.unpack_from("!Q", packets[0], 4)[0]
    assert error & 0x8000  # S bit: the lab's clock is the host's clock
    assert first.endswith(b"tail-of-padding")
    turnaround = (t3 - t2) / 2**32
    assert abs(turnaround - 0.120) < 0.002  # slow_ms is the device's own processing time
    assert (t3 >> 32) - NTP_OFFSET <= t4 + 1
    assert REFLECTED.unpack_from(second)[0] == 1  # the reflector counts its replies to this sender


def test_probe_client_leaves_reflector_processing_out_of_rtt(with_lab: WithLab, world: LabWorld) -> None:
    world.devices["hotan-codec"].slow_ms = 60

    async def scenario(lab: CodecLab) -> None:
        late = Lateness()
        late.start()
        started = time.perf_counter()
        res = await probe_path(HOTAN, PROBE, count=5, interval_s=0.01, timeout_s=10.0)
        assert time.perf_counter() - started >= 0.06  # the replies did wait
        slack = late.stop()
        assert res.received == 5
        # TWAMP RTT excludes T3 - T2 (the 60 ms the reflector held each reply)
        assert res.rtt_p50_ms is not None and res.rtt_p50_ms < 10 + slack, (res.rtt_p50_ms, slack)

    with_lab(scenario)


def test_silent_device_and_unused_address_lose_everything(with_lab: WithLab, world: LabWorld) -> None:
    world.set_node_down("kashgar-codec", True)

    async def scenario(lab: CodecLab) -> None:
        for host in (KASHGAR, UNUSED):
            res = await probe_path(host, PROBE, count=5, interval_s=0.01, timeout_s=0.3)
            assert (res.sent, res.received, res.loss_ratio) == (5, 0, 1.0)
            assert res.rtt_p50_ms is None and res.one_way_p50_ms is None and res.jitter_ms is None

    with_lab(scenario)
