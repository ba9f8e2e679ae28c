"""The xAPI actions of the lab codecs (wake, register again, restart) and the call / peripheral / MCU faults,
through real HTTP on 127.68.x against one in-process lab (loop thread) shared by the module."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from netops.errors import LabError
from netops.inventory.loader import load_inventory
from netops.lab.testing import InProcessLab, in_process_lab, wait_until, write_secrets
from netops.secrets import SecretStore
from tests.lab.codec.codec_testlib import HTTP, INVENTORY, KASHGAR, MCU, PASSWORD, USER

AUTH = (USER, PASSWORD)
CODEC = "kashgar-codec"
WAKE = "<Command><Standby><Deactivate/></Standby></Command>"
BOOT = "<Command><SystemUnit><Boot/></SystemUnit></Command>"
HISTORY = "<Command><CallHistory><Get><Limit>1</Limit></Get></CallHistory></Command>"
DIAL = "<Command><Dial><Number>briefing@127.68.0.5</Number></Dial></Command>"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessLab]:
    secrets = write_secrets(
        tmp_path_factory.mktemp("xapi") / "secrets.yaml",
        {"codec-admin-password": PASSWORD, "lab-cli-password": "cli-pw-0815"},
    )
    with in_process_lab(
        load_inventory(INVENTORY),
        SecretStore(Path(secrets)),
        snmp=False,
        ssh=False,
        codecs=[CODEC, "centre-mcu"],
    ) as running:
        running.loop.call(lambda: setattr(running.codecs.restarts, "boot_s", 0.5))
        yield running


@pytest.fixture
def client(lab: InProcessLab) -> Iterator[httpx.Client]:
    with httpx.Client(auth=AUTH, timeout=2) as http:
        yield http
    for fault in lab.loop.call(lab.faults.active):
        lab.loop.call(lambda f=fault: lab.faults.clear(f.id))
    lab.loop.call(lambda: lab.codecs.calls.disconnect(CODEC))


def fault(lab: InProcessLab, kind: str, target: str = CODEC, params: dict[str, Any] | None = None) -> None:
    lab.loop.call(lambda: lab.faults.apply(kind, target, params))


def post(client: httpx.Client, xml: str, host: str = KASHGAR) -> ET.Element:
    resp = client.post(f"http://{host}:{HTTP}/putxml", content=xml, headers={"Content-Type": "text/xml"})
    assert resp.status_code == 200, resp.text
    return ET.fromstring(resp.content)


def status(client: httpx.Client, host: str = KASHGAR) -> ET.Element:
    resp = client.get(f"http://{host}:{HTTP}/status.xml")
    assert resp.status_code == 200
    return ET.fromstring(resp.content)


def test_standby_deactivate_wakes_the_codec(lab: InProcessLab, client: httpx.Client) -> None:
    fault(lab, "standby")
    assert status(client).findtext("Standby/State") == "Standby"
    answer = post(client, WAKE)
    assert answer.tag == "Command" and answer[0].tag == "DeactivateResult" and answer[0].get("status") == "OK"
    assert status(client).findtext("Standby/State") == "Off"


def test_reapplying_the_sip_proxy_registers_again(lab: InProcessLab, client: httpx.Client) -> None:
    fault(lab, "codec-unregistered")
    before = status(client)
    assert before.findtext("SIP/Registration/Status") == "Failed"
    proxy = before.findtext("SIP/Proxy/Address")
    assert proxy == "vc.lab" and before.findtext("SIP/Proxy/Status") == "Active"
    xml = f'<Configuration><SIP><Proxy item="1"><Address>{proxy}</Address></Proxy></SIP></Configuration>'
    answer = post(client, xml)
    assert answer.tag == "Configuration" and answer.get("status") == "OK"
    assert status(client).findtext("SIP/Registration/Status") == "Registered"
    bad = client.post(f"http://{KASHGAR}:{HTTP}/putxml", content="<Configuration><Video/></Configuration>")
    assert bad.status_code == 400


def test_restart_goes_silent_then_comes_back_registered_out_of_the_call_with_the_camera_still_missing(
    lab: InProcessLab, client: httpx.Client
) -> None:
    assert post(client, DIAL)[0].get("status") == "OK"
    fault(lab, "codec-unregistered")
    fault(lab, "camera-disconnected")
    fault(lab, "diag-alert", params={"text": "Software: media engine stalled"})
    uptime = float(status(client).findtext("SystemUnit/Uptime") or 0)
    answer = post(client, BOOT)
    assert answer[0].tag == "BootResult" and answer[0].get("status") == "OK"
    with pytest.raises(httpx.TimeoutException):  # silent while it boots: the connection gets no answer
        client.get(f"http://{KASHGAR}:{HTTP}/status.xml", timeout=0.3)
    back = wait_until("the codec answers again", lambda: status(client), timeout=30)
    assert float(back.findtext("SystemUnit/Uptime") or 1e9) < max(uptime, 5)
    assert back.findtext("SIP/Registration/Status") == "Registered"
    assert back.findtext("Cameras/Camera/Connected") == "False"  # a restart does not plug the camera in
    assert back.find("Call") is None and back.findtext("SystemUnit/State/NumberOfActiveCalls") == "0"
    assert [m.findtext("Type") for m in back.iterfind("Diagnostics/Message")] == ["CameraDetected"]
    entry = post(client, HISTORY)[0].find("Entry")
    assert entry is not None
    assert (entry.findtext("DisconnectCause"), entry.findtext("DisconnectCauseType")) == (
        "Restart",
        "LocalDisconnect",
    )
    assert status(client, MCU).findtext("MCU/Ports/InUse") == "0"


def test_microphones_and_display_disconnected(lab: InProcessLab, client: httpx.Client) -> None:
    fault(lab, "microphones-disconnected")
    fault(lab, "display-disconnected", "kashgar-vc")  # a room names its codec
    root = status(client)
    mics = [m.findtext("ConnectionStatus") for m in root.iterfind("Audio/Input/Connectors/Microphone")]
    assert mics and set(mics) == {"NotConnected"}
    assert root.findtext("Video/Output/Connector/Connected") == "False"
    kinds = {m.findtext("Type") for m in root.iterfind("Diagnostics/Message")}
    assert {"MicrophonesConnected", "OutputConnected"} <= kinds


def test_call_dropped_by_the_mcu_is_in_the_call_history(lab: InProcessLab, client: httpx.Client) -> None:
    with pytest.raises(LabError, match="not in a call"):
        fault(lab, "call-dropped")
    assert post(client, DIAL)[0].get("status") == "OK"
    assert status(client).findtext("Call/Status") == "Connected"
    fault(lab, "call-dropped")
    root = status(client)
    assert root.find("Call") is None and root.findtext("SystemUnit/State/NumberOfActiveCalls") == "0"
    entry = post(client, HISTORY)[0].find("Entry")
    assert entry is not None and entry.findtext("DisconnectCauseType") == "RemoteDisconnect"
    assert "dropped by the MCU" in (entry.findtext("DisconnectCause") or "")
    assert status(client, MCU).findtext("MCU/Ports/InUse") == "0"


def test_mcu_full_refuses_the_dial_until_cleared(lab: InProcessLab, client: httpx.Client) -> None:
    with pytest.raises(LabError, match="expected an MCU"):
        fault(lab, "mcu-full", CODEC)
    fault(lab, "mcu-full", "centre-mcu")
    assert status(client, MCU).findtext("MCU/Ports/Available") == "0"
    result = post(client, DIAL)[0]
    assert result.get("status") == "Error" and "no free port" in (result.findtext("Reason") or "")
    lab.loop.call(lambda: [lab.faults.clear(f.id) for f in lab.faults.active()])
    assert status(client, MCU).findtext("MCU/Ports/InUse") == "0"
    assert post(client, DIAL)[0].get("status") == "OK"


def test_the_call_reports_the_number_it_dialled(lab: InProcessLab, client: httpx.Client) -> None:
    """Call/RemoteNumber is the conference address the codec dialled (two overlapping conferences on one MCU
    are told apart by it), and the call element is gone after the hang-up."""
    assert status(client).find("Call") is None
    post(client, DIAL)
    assert status(client).findtext("Call/RemoteNumber") == "briefing@127.68.0.5"
    lab.loop.call(lambda: lab.codecs.calls.disconnect(CODEC))
    assert status(client).find("Call") is None
