"""The status API of lab codecs and the MCU, through httpx and raw sockets on 127.68.x."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import xml.etree.ElementTree as ET

import httpx
import pytest

from netops.errors import LabError, NotFoundError
from netops.lab.codec import CodecLab, start_codecs
from netops.lab.state import LabWorld
from netops.secrets import SecretStore
from tests.lab.codec.codec_testlib import ANSWER_S, HOTAN, HTTP, KASHGAR, MCU, PASSWORD, USER, WithLab

AUTH = (USER, PASSWORD)


def url(host: str, path: str) -> str:
    return f"http://{host}:{HTTP}{path}"


async def getxml(client: httpx.AsyncClient, host: str, location: str) -> ET.Element:
    resp = await client.get(url(host, "/getxml"), params={"location": location})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/xml")
    return ET.fromstring(resp.content)


def test_status_document_with_valid_credentials(with_lab: WithLab, world: LabWorld) -> None:
    async def scenario(lab: CodecLab) -> None:
        assert lab.devices == ["centre-mcu", "hotan-codec", "kashgar-codec"]
        async with httpx.AsyncClient(auth=AUTH, timeout=ANSWER_S) as client:
            resp = await client.get(url(KASHGAR, "/status.xml"))
            assert resp.status_code == 200
            assert int(resp.headers["content-length"]) == len(resp.content)
            root = ET.fromstring(resp.content)
            assert root.tag == "Status"
            assert root.findtext("SIP/Registration/Status") == "Registered"
            assert root.findtext("Cameras/Camera/Connected") == "True"
            assert root.findtext("Video/Output/Connector/Connected") == "True"
            assert root.findtext("Standby/State") == "Off"
            assert root.find("Call") is None
            assert root.findall("Diagnostics/Message") == []
            mics = root.findall("Audio/Input/Connectors/Microphone")
            assert [m.findtext("ConnectionStatus") for m in mics].count("Connected") == 2
            assert root.findtext("SystemUnit/ProductId") == "Cisco Webex Room Kit"
            assert root.findtext("SystemUnit/Software/Version") == "ce9.15.15.4"
            uptime = int(root.findtext("SystemUnit/Uptime") or "-1")
            assert abs(uptime - world.devices["kashgar-codec"].uptime_s()) < 5
            other = ET.fromstring((await client.get(url(HOTAN, "/status.xml"))).content)
            assert other.findtext("SystemUnit/ProductId") == "Cisco Webex Room Kit Pro"  # the inventory model
            assert lab.counters()["http_requests"] == 2

    with_lab(scenario)


def test_wrong_or_missing_credentials_get_401(with_lab: WithLab) -> None:
    async def scenario(lab: CodecLab) -> None:
        async with httpx.AsyncClient(timeout=ANSWER_S) as client:
            for auth in ((USER, "wrong"), ("root", PASSWORD), None):
                resp = await client.get(url(KASHGAR, "/status.xml"), auth=auth)
                assert resp.status_code == 401
                assert resp.headers["www-authenticate"].startswith("Basic realm=")
                assert PASSWORD not in resp.text
            bad = await client.get(url(KASHGAR, "/status.xml"), headers={"Authorization": "Basic !!!"})
            assert bad.status_code == 401

    with_lab(scenario)


def test_faults_show_in_the_status(with_lab: WithLab, world: LabWorld) -> None:
    codec = world.devices["kashgar-codec"].codec
    assert codec is not None

    async def scenario(lab: CodecLab) -> None:
        async with httpx.AsyncClient(auth=AUTH, timeout=ANSWER_S) as client:
            assert (await getxml(client, KASHGAR, "/Status/Cameras/Camera/Connected")).findtext(
                "Cameras/Camera/Connected"
            ) == "True"
            codec.camera_connected = False
            codec.standby = True
            codec.registered = False
            codec.microphones_connected = 1
            codec.display_connected = False
            codec.diagnostics = ["Error:TemperatureCheck:Fan 1 stopped", "Touch panel not paired"]
            cam = await getxml(client, KASHGAR, "/Status/Cameras/Camera/Connected")
            assert cam.findtext("Cameras/Camera/Connected") == "False"
            assert cam.find("Cameras/Camera/Model") is None  # only the asked element, wrapped in its parents
            standby = await getxml(client, KASHGAR, "/Status/Standby")
            assert standby.findtext("Standby/State") == "Standby"
            sip = await getxml(client, KASHGAR, "Status/SIP/Registration/Status")  # no leading slash: fine
            assert sip.findtext("SIP/Registration/Status") == "Failed"
            out = await getxml(client, KASHGAR, "/Status/Video/Output/Connector/1/Connected")
            assert out.findtext("Video/Output/Connector/Connected") == "False"
            mics = (await getxml(client, KASHGAR, "/Status/Audio/Input/Connectors")).findall(
                "Audio/Input/Connectors/Microphone"
            )
            assert [m.findtext("ConnectionStatus") for m in mics] == ["Connected"] + ["NotConnected"] * 3
            diags = (await getxml(client, KASHGAR, "/status/diagnostics")).findall("Diagnostics/Message")
            found = {(m.findtext("Level"), m.findtext("Type"), m.findtext("Description")) for m in diags}
            assert ("Error", "TemperatureCheck", "Fan 1 stopped") in found
            assert ("Warning", "Custom", "Touch panel not paired") in found
            types = {t for _, t, _ in found}
            assert {"SIPProfileRegistration", "CameraDetected", "OutputConnected"} <= types
            # the other codec is untouched
            other = await getxml(client, HOTAN, "/Status/SIP/Registration/Status")
            assert other.findtext("SIP/Registration/Status") == "Registered"

    with_lab(scenario)


def test_call_state_and_mcu_capacity(with_lab: WithLab, world: LabWorld) -> None:
    codec, mcu = world.devices["kashgar-codec"].codec, world.devices["centre-mcu"].mcu
    assert codec is not None and mcu is not None

    async def scenario(lab: CodecLab) -> None:
        async with httpx.AsyncClient(auth=AUTH, timeout=ANSWER_S) as client:
            codec.call_state = "connected"
            call = await getxml(client, KASHGAR, "/Status/Call/1/Status")
            assert call.findtext("Call/Status") == "Connected"
            unit = await getxml(client, KASHGAR, "/Status/SystemUnit/State/NumberOfActiveCalls")
            assert unit.findtext("SystemUnit/State/NumberOfActiveCalls") == "1"
            mcu.total_ports, mcu.ports_in_use, mcu.active_conferences = 60, 45, 2
            root = ET.fromstring((await client.get(url(MCU, "/status.xml"))).content)
            assert root.findtext("MCU/Ports/Total") == "60"
            assert root.findtext("MCU/Ports/InUse") == "45"
            assert root.findtext("MCU/Ports/Available") == "15"
            assert root.findtext("MCU/Conferences/Active") == "2"
            assert root.find("Cameras") is None

    with_lab(scenario)


def test_unknown_paths_methods_and_head(with_lab: WithLab) -> None:
    async def scenario(lab: CodecLab) -> None:
        async with httpx.AsyncClient(auth=AUTH, timeout=ANSWER_S) as client:
            assert (await client.get(url(KASHGAR, "/"))).status_code == 404
            assert (await client.get(url(KASHGAR, "/configuration.xml"))).status_code == 404
            nope = await client.get(url(KASHGAR, "/getxml"), params={"location": "/Status/Nope"})
            assert nope.status_code == 404
            assert (await client.get(url(KASHGAR, "/getxml"))).status_code == 400
            post = await client.post(url(KASHGAR, "/status.xml"), content=b"<x/>")
            assert post.status_code == 405
            assert post.headers["allow"] == "GET, HEAD"
            full = await client.get(url(KASHGAR, "/status.xml"))
            head = await client.head(url(KASHGAR, "/status.xml"))
            assert head.status_code == 200
            assert head.content == b""
            assert head.headers["content-length"] == full.headers["content-length"]

    with_lab(scenario)


def _raw_exchange(host: str, request: bytes) -> bytes:
    with socket.create_connection((host, HTTP), timeout=ANSWER_S) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_keep_alive_then_connection_close_on_one_socket(with_lab: WithLab) -> None:
    import base64

    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    one = f"GET /getxml?location=/Status/Standby HTTP/1.1\r\nHost: c\r\nAuthorization: Basic {token}\r\n\r\n"
    two = (
        f"GET /getxml?location=/Status/SIP HTTP/1.1\r\nHost: c\r\nAuthorization: Basic {token}\r\n"
        "Connection: close\r\n\r\n"
    )

    async def scenario(lab: CodecLab) -> bytes:
        return await asyncio.to_thread(_raw_exchange, KASHGAR, (one + two).encode())

    data: bytes = with_lab(scenario)
    assert data.count(b"HTTP/1.1 200 OK") == 2  # both answered on the same connection, then it closed
    assert b"<State>Off</State>" in data and b"<Status>Registered</Status>" in data
    assert data.count(b"Content-Length: ") == 2


def test_garbage_gets_400(with_lab: WithLab) -> None:
    async def scenario(lab: CodecLab) -> bytes:
        return await asyncio.to_thread(_raw_exchange, KASHGAR, b"NOT HTTP AT ALL\r\n\r\n")

    assert with_lab(scenario).startswith(b"HTTP/1.1 400 ")


def test_silent_and_slow_devices(with_lab: WithLab, world: LabWorld) -> None:
    async def scenario(lab: CodecLab) -> None:
        async with httpx.AsyncClient(auth=AUTH, timeout=0.5) as client:
            world.set_node_down("kashgar-codec", True)
            assert not world.devices["kashgar-codec"].answers
            with pytest.raises(httpx.TimeoutException):
                await client.get(url(KASHGAR, "/status.xml"))
            world.set_node_down("kashgar-codec", False)
            # the codecs answer: wait as long as a loaded machine may need (0.5 s is for the silent one)
            assert (await client.get(url(KASHGAR, "/status.xml"), timeout=ANSWER_S)).status_code == 200
            world.devices["hotan-codec"].slow_ms = 300
            started = time.perf_counter()
            assert (await client.get(url(HOTAN, "/status.xml"), timeout=ANSWER_S)).status_code == 200
            assert time.perf_counter() - started >= 0.29

    with_lab(scenario)


def test_bind_failure_names_device_and_address(world: LabWorld, store: SecretStore) -> None:
    async def scenario() -> None:
        with socket.socket() as blocker:
            blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            blocker.bind((KASHGAR, HTTP))
            blocker.listen()
            with pytest.raises(LabError, match=rf"kashgar-codec: .*HTTP.*{KASHGAR}:{HTTP}"):
                await start_codecs(world, store)
        # everything started before the failure was closed again: a second start succeeds
        lab = await start_codecs(world, store)
        await lab.close()

    asyncio.run(scenario())


def test_selection_and_secret_errors(world: LabWorld, store: SecretStore) -> None:
    async def scenario() -> None:
        with pytest.raises(LabError, match="kashgar-ce1: role ce"):
            await start_codecs(world, store, ["kashgar-ce1"])
        with pytest.raises(NotFoundError):
            await start_codecs(world, store, ["kashgar-codec9"])
        lab = await start_codecs(world, store, ["hotan-codec"])
        assert lab.devices == ["hotan-codec"]
        await lab.close()
        empty = SecretStore(store.path.with_name("missing.yaml"))
        with pytest.raises(LabError, match="centre-mcu: cannot resolve the password") as info:
            await start_codecs(world, empty)
        assert PASSWORD not in str(info.value)

    asyncio.run(scenario())


def test_close_ends_idle_and_held_connections_quietly(
    world: LabWorld, store: SecretStore, caplog: pytest.LogCaptureFixture
) -> None:
    request = b"GET /status.xml HTTP/1.1\r\nHost: lab\r\n\r\n"

    async def scenario() -> None:
        lab = await start_codecs(world, store)
        idle_reader, idle_writer = await asyncio.open_connection(KASHGAR, HTTP)
        idle_writer.write(request)  # answered with 401, then the connection stays open (keep-alive)
        assert (await idle_reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 401 Unauthorized")
        world.set_node_down("hotan-codec", True)
        held_reader, held_writer = await asyncio.open_connection(HOTAN, HTTP)
        held_writer.write(request)  # never answered: the device is down
        await asyncio.sleep(0.05)
        await asyncio.wait_for(lab.close(), 60)  # does not wait for the request it will never answer
        assert (await asyncio.wait_for(held_reader.read(), 1.0)) == b""  # closed without a response
        await asyncio.wait_for(idle_reader.read(), 1.0)  # the 401 body, then end of stream
        assert idle_reader.at_eof()
        for writer in (idle_writer, held_writer):
            writer.close()
            await writer.wait_closed()

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        asyncio.run(scenario())
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []
