"""Syslog parsing on real lines from Huawei VRP, H3C Comware and Cisco IOS (the corpus syslog/syslog.yaml, found
where tests/ingest/corpus/SOURCES.md says, with sources and licences), the lab's own lines, and garbage that
must be refused, not guessed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from netops.ingest.events import EventKind
from netops.ingest.syslog import SyslogError, classify, parse, parse_frame

CORPUS_FILE = "syslog/syslog.yaml"
CORPUS_SHA256 = (
    "8dfd75ab908d800163482c173b33efd6db82653e5e094f4e31247cdb5a5cd689"  # tests/ingest/corpus/SOURCES.md
)


def _corpus() -> Path | None:
    """The corpus file where it lives (SOURCES.md: data fetched from public repositories is not committed)."""
    for base in (
        os.environ.get("NETOPS_CAPTURES"),
        Path(__file__).parents[1] / "drivers" / "captures",
        Path(__file__).parents[3] / "shared" / "data" / "captures",
    ):
        if base and (Path(base) / CORPUS_FILE).is_file():
            return Path(base) / CORPUS_FILE
    return None


def test_real_lines() -> None:
    where = _corpus()
    if where is None:
        pytest.skip(
            f"the real-line corpus {CORPUS_FILE} is not in this checkout (tests/ingest/corpus/SOURCES.md)"
        )
    data = where.read_bytes()
    assert hashlib.sha256(data).hexdigest() == CORPUS_SHA256, f"{where} is not the corpus SOURCES.md names"
    cases: list[dict[str, Any]] = yaml.safe_load(data.decode("utf-8"))["cases"]
    assert len(cases) == 26
    for case in cases:
        _check_line(case)


def _check_line(case: dict[str, Any]) -> None:
    line: str = case["line"]
    if case.get("frame"):
        _, notice = parse(line.encode())
    else:
        notice = classify(line)
    want = case["expect"]
    assert notice.kind == EventKind(want["kind"]), line
    if "interface" in want:
        assert notice.interface == want["interface"], line
    if "neighbor" in want:
        assert notice.neighbor == want["neighbor"], line


def test_rfc5424_framing_and_structured_data() -> None:
    msg, notice = parse(
        b'<187>1 2026-12-05T20:00:00.003Z kashgar-ce1 - - - [meta sequenceId="1"] '
        b"%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down"
    )
    assert (msg.facility, msg.severity, msg.hostname) == (23, 3, "kashgar-ce1")
    assert (notice.kind, notice.interface) == (EventKind.LINK_DOWN, "GigabitEthernet0/1")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x01\x02garbage",
        b"no priority here %LINK-3-UPDOWN: Interface Gi0/1, changed state to down",
        b"<999>Dec  5 20:00:00 host %LINK-3-UPDOWN: Interface Gi0/1, changed state to down",
        b"<13>",
        b"<13>   \r\n",
        b"\x30\x29\x02\x01\x01\x04\x06public\xa7\x1c",  # an SNMP datagram sent to the syslog port
    ],
)
def test_garbled_datagrams_are_refused(data: bytes) -> None:
    with pytest.raises(SyslogError):
        parse_frame(data)


def test_unknown_or_binary_text_is_other_not_an_error() -> None:
    _, notice = parse(b"<13>Dec  5 20:00:00 host sshd[1]: Accepted publickey for root \xff\xfe")
    assert notice.kind is EventKind.OTHER
