"""Pure parts of the codec lab: status sub-tree selection, diagnostics strings, the SIP request parser
(including a fuzz test: any datagram either parses or raises one of the parser's two errors)."""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netops.inventory.models import Inventory
from netops.lab.codec.sip import SipResponder
from netops.lab.codec.sipmsg import BadRequest, Unparseable, parse_request, parse_via, split_values
from netops.lab.codec.status import Diagnostic, codec_status, parse_diagnostic, select
from netops.lab.state import LabWorld


def test_parse_diagnostic_forms() -> None:
    assert parse_diagnostic("critical:FanStatus:Fan 2 stopped") == Diagnostic(
        "Critical", "FanStatus", "Fan 2 stopped"
    )
    assert parse_diagnostic("NetworkQuality: packet loss 3 %") == Diagnostic(
        "Warning", "NetworkQuality", "packet loss 3 %"
    )
    assert parse_diagnostic("Touch panel not paired") == Diagnostic(
        "Warning", "Custom", "Touch panel not paired"
    )
    assert parse_diagnostic("Check cable 3: loose") == Diagnostic("Warning", "Custom", "Check cable 3: loose")


def test_select_items_case_and_misses(world: LabWorld) -> None:
    codec = world.devices["kashgar-codec"].codec
    assert codec is not None
    codec.microphones_connected = 3
    root = codec_status(world.devices["kashgar-codec"])
    third = select(root, "/status/audio/input/connectors/microphone/3/ConnectionStatus")
    assert third is not None
    mics = third.findall("Audio/Input/Connectors/Microphone")
    assert [m.get("item") for m in mics] == ["3"]
    assert mics[0].findtext("ConnectionStatus") == "Connected"
    assert select(root, "/Status/Audio/Input/Connectors/Microphone/9") is None
    assert select(root, "/Configuration/Video") is None
    assert select(root, "") is None
    whole = select(root, "/Status")
    assert whole is not None and ET.tostring(whole) == ET.tostring(root)


def test_parse_request_tolerant_forms() -> None:
    data = (
        b"\r\n\r\nOPTIONS sip:a@b SIP/2.0\n"
        b"VIA: SIP/2.0/UDP h1;branch=z9hG4bK1\n"
        b'v: SIP/2.0/UDP h2:5062;branch=z9hG4bK2;x="a,b", SIP/2.0/UDP h3;branch=z9hG4bK3\n'
        b'From: "Smith, J" <sip:j@x>;tag=1\n'
        b"To: <sip:a@b>\n"
        b"Call-ID: c1\n"
        b"CSeq: 1 OPTIONS\n"
        b"Content-Length: 4\n\nbodyEXTRA"
    )
    req = parse_request(data)
    assert req.method == "OPTIONS"
    assert len(req.all("Via")) == 3
    assert req.first("From") == '"Smith, J" <sip:j@x>;tag=1'
    assert req.body == b"body"  # bytes past Content-Length are discarded (RFC 3261 18.3)
    via = parse_via(req.all("Via")[1])
    assert (via.host, via.port, via.param("branch"), via.param("x")) == ("h2", 5062, "z9hG4bK2", '"a,b"')
    assert split_values('<sip:a,b@x>, "q,r" <sip:c@d>') == ["<sip:a,b@x>", '"q,r" <sip:c@d>']
    with pytest.raises(Unparseable):
        parse_request(b"\r\n\r\n")
    with pytest.raises(BadRequest):
        parse_request(b"OPTIONS sip:a SIP/2.0\r\nno colon here\r\n\r\n")
    with pytest.raises(BadRequest):
        parse_via("SIP/2.0/UDP host:99999")


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=400) | st.text(max_size=300).map(lambda t: ("OPTIONS sip:x SIP/2.0\r\n" + t).encode())
)
def test_any_datagram_parses_or_raises_a_parser_error(data: bytes) -> None:
    with contextlib.suppress(Unparseable, BadRequest):
        assert parse_request(data).method  # parsed: a request with a method


@settings(max_examples=200, deadline=None)
@given(junk=st.text(max_size=200))
def test_responder_never_raises_on_junk_headers(inventory: Inventory, junk: str) -> None:
    state = LabWorld(inventory).devices["kashgar-codec"]
    responder = SipResponder(state, "lab/1")
    request = (
        "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.68.200.9:5060;branch=z9hG4bKf\r\n" + junk + "\r\n\r\n"
    ).encode()
    answer = responder.answer(request, ("127.68.200.9", 5060))
    if answer is not None:
        assert answer[1] == ("127.68.200.9", 5060)  # only ever to the source address
        assert answer[0].startswith(b"SIP/2.0 ")
