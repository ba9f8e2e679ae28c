"""What a ``codec_command`` step does to a conference-room codec: one xAPI action over HTTP.

Sits beside ``actions.py`` (which reads devices) and uses the same client as the room checks
(``netops.vc.checks.command`` / ``fetch_status``: ``POST /putxml`` and ``GET /status.xml`` with the codec's
inventory credential, its password from the secret store). The actions and their xAPI form::

    standby-deactivate  xCommand Standby Deactivate   <Command><Standby><Deactivate/></Standby></Command>
    sip-reregister      xConfiguration SIP Proxy 1 Address: <the codec's own proxy, read from its status>
                        <Configuration><SIP><Proxy item="1"><Address>a</Address></Proxy></SIP></Configuration>
                        (RoomOS has no ``xCommand SIP Register``: re-applying the proxy makes it REGISTER again)
    systemunit-boot     xCommand SystemUnit Boot       <Command><SystemUnit><Boot/></SystemUnit></Command>
                        then wait until the codec answers again with an uptime younger than the command
    dial-conference     xCommand Dial Number: <conference>@<MCU>, the conference running with the codec's
                        room (``netops.vc.checks.join_call``, as the live rounds make a room join)

A refusal (``status="Error"``), a 401 or a silent codec raises ``DeviceError`` (the step fails with it).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from netops.errors import DeviceError, NetopsError
from netops.inventory.models import Device, Role
from netops.runbooks import facts
from netops.runbooks.actions import Tools
from netops.vc.checks import command, fetch_status, join_call

HTTP_TIMEOUT_S = 3.0
BOOT_POLL_S = 0.5
BOOT_POLL_TIMEOUT_S = 1.0  # a restarting codec says nothing: each poll gives up after this

XAPI = {
    "standby-deactivate": "xCommand Standby Deactivate",
    "sip-reregister": "xConfiguration SIP Proxy 1 Address",
    "systemunit-boot": "xCommand SystemUnit Boot",
    "dial-conference": "xCommand Dial Number",
}
WAKE = "<Command><Standby><Deactivate/></Standby></Command>"
BOOT = "<Command><SystemUnit><Boot/></SystemUnit></Command>"


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _uptime(root: ET.Element) -> float | None:
    try:
        return float((root.findtext("SystemUnit/Uptime") or "").strip())
    except ValueError:
        return None


async def _post(client: httpx.AsyncClient, tools: Tools, dev: Device, xml: str) -> ET.Element:
    """``POST /putxml``; a ``<Configuration>`` write answers with the root element itself."""
    if xml.startswith("<Command>"):
        return await command(client, dev, tools.inventory(), tools.secrets, xml)
    cred = tools.inventory().credentials[dev.credential] if dev.credential is not None else None
    auth = (cred.username, tools.secrets.get(cred.password)) if cred is not None else None
    url = f"http://{dev.address}:{dev.http_port}/putxml"
    try:
        resp = await client.post(url, auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
                                 content=xml.encode(), headers={"Content-Type": "text/xml"})  # fmt: skip
    except httpx.HTTPError as exc:
        raise DeviceError(dev.id, f"xAPI configuration: {exc.__class__.__name__}") from exc
    if resp.status_code != 200 or b"<!DOCTYPE" in resp.content[:1024].upper():
        raise DeviceError(dev.id, f"xAPI configuration answered {resp.status_code}")
    try:
        return ET.fromstring(resp.content)
    except ET.ParseError as exc:
        raise DeviceError(dev.id, f"xAPI sent malformed XML ({exc})") from exc


async def codec_action(
    tools: Tools, device: str, action: str, pause: Callable[[float], Awaitable[None]]
) -> dict[str, Any]:
    """Run one action on the codec ``device``; ``pause(s)`` sleeps between the polls of a restart (the
    engine's, which notices a cancel). Returns the step's output."""
    dev = tools.device(device)
    if dev.role is not Role.CODEC:
        raise NetopsError(f"{dev.id}: a codec_command needs a codec, found role {dev.role.value}")
    out: dict[str, Any] = {"device": dev.id, "command": action, "xapi": XAPI[action]}
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
        if action == "standby-deactivate":
            result = await _post(client, tools, dev, WAKE)
        elif action == "sip-reregister":
            status = await fetch_status(client, dev, tools.inventory(), tools.secrets)
            proxy = (status.findtext("SIP/Proxy/Address") or "").strip()
            if not proxy:
                raise DeviceError(
                    dev.id, "its status names no SIP proxy (SIP/Proxy/Address) to register with"
                )
            out["proxy"] = proxy
            address = f"<Address>{_xml_text(proxy)}</Address>"
            xml = f'<Configuration><SIP><Proxy item="1">{address}</Proxy></SIP></Configuration>'
            result = await _post(client, tools, dev, xml)
        elif action == "dial-conference":
            room = facts.room_of_codec(tools.inventory(), dev.id)
            live = facts.live_conference(tools, room)
            number = facts.conference_number(tools, live[0]) if live is not None else None
            if number is None:
                raise NetopsError(
                    f"{room.id}: no conference with an MCU runs with this room now: nothing to dial"
                )
            joined, reason = await join_call(client, dev, tools.inventory(), tools.secrets, number)
            out.update(number=number, result="Dial", status="OK" if joined else "Error", detail=reason)
            if not joined:
                raise DeviceError(dev.id, reason)
            return out
        else:
            result = await _post(client, tools, dev, BOOT)
        out["result"], out["status"] = result.tag, result.get("status", "")
        if out["status"] != "OK":
            reason = (result.findtext("Reason") or "").strip()
            raise DeviceError(
                dev.id, f"{XAPI[action]} answered {out['status'] or 'no status'} {reason}".strip()
            )
    if action == "systemunit-boot":
        async with httpx.AsyncClient(timeout=BOOT_POLL_TIMEOUT_S) as client:
            out.update(await _back_after_boot(client, tools, dev, pause))
    return out


async def _back_after_boot(
    client: httpx.AsyncClient, tools: Tools, dev: Device, pause: Callable[[float], Awaitable[None]]
) -> dict[str, Any]:
    """Poll the status document until the codec answers with an uptime younger than the restart."""
    sent = time.monotonic()
    silent = 0
    while True:
        await pause(BOOT_POLL_S)
        elapsed = time.monotonic() - sent
        try:
            root = await fetch_status(client, dev, tools.inventory(), tools.secrets)
        except DeviceError:
            silent += 1
            continue
        uptime = _uptime(root)
        if uptime is not None and uptime <= elapsed + 1:
            return {"back_after_s": round(elapsed, 1), "silent_polls": silent, "uptime_s": uptime}
