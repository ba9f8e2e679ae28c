"""The status documents a lab codec or MCU serves over HTTP, built from the ``LabWorld`` state.

Codec documents follow the Cisco xAPI status tree as ``GET /status.xml`` and ``GET /getxml?location=/Status/...``
return it (CE / RoomOS element names; repeated elements carry ``item="n"``)::

    Status/Audio/Input/Connectors/Microphone[n]/ConnectionStatus   Connected | NotConnected
    Status/Audio/Microphones/Mute                                   Off
    Status/Call[n]/Status, Direction, Protocol, CallType, ...     only while a call is up
    Status/Cameras/Camera[n]/Connected                              True | False
    Status/Diagnostics/Message[n]/Description, Level, References, Type
    Status/SIP/Proxy[n]/Address, Status                             vars.sip_proxy (vc.lab) | Active
    Status/SIP/Registration[n]/Status, Reason, URI                  Registered | Failed
    Status/Standby/State                                            Off | Standby
    Status/SystemUnit/ProductId, ProductPlatform, Software/Version, Software/DisplayName,
                      State/NumberOfActiveCalls, Uptime (seconds)
    Status/Video/Output/Connector[n]/Connected                      True | False

A real codec raises diagnostics of its own when registration fails or a peripheral is missing; the lab does
the same (types ``SIPProfileRegistration``, ``CameraDetected``, ``MicrophonesConnected``, ``OutputConnected``)
and appends the free-form alerts of ``CodecState.diagnostics``, each written ``"Level:Type:Description"``,
``"Type:Description"`` or just ``"Description"`` (Level defaults to Warning, Type to ``Custom``).

The MCU has no xAPI; its document uses the same shape so that one reader serves both::

    Status/MCU/Ports/Total, InUse, Available
    Status/MCU/Conferences/Active
    Status/SystemUnit/ProductId, Software/Version, Uptime

This module is pure: it turns state into ``xml.etree`` elements and selects sub-trees; ``statusapi.py`` serves them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from netops.inventory.models import Role
from netops.lab.state import CodecState, DeviceState, McuState

MICROPHONE_INPUTS = 4  # microphone connectors shown; ``microphones_connected`` of them are Connected
LEVELS = ("Critical", "Error", "Warning", "Info", "Ok")
DEFAULTS = {False: ("Cisco Webex Room Kit", "ce9.15.15.4"), True: ("Cisco Meeting Server 2000", "3.8.1")}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    level: str
    type: str
    description: str


def _sub(parent: ET.Element, tag: str, text: str | int | None = None, item: int | None = None) -> ET.Element:
    elem = ET.SubElement(parent, tag)
    if item is not None:
        elem.set("item", str(item))
        elem.set("maxOccurrence", "n")
    if text is not None:
        elem.text = str(text)
    return elem


def _bool(value: bool) -> str:
    return "True" if value else "False"


def parse_diagnostic(text: str) -> Diagnostic:
    """``"Error:Type:Description"``, ``"Type:Description"`` or ``"Description"`` -> Diagnostic."""
    parts = [p.strip() for p in text.split(":", 2)]
    if len(parts) == 3 and parts[0].capitalize() in LEVELS:
        return Diagnostic(parts[0].capitalize(), parts[1] or "Custom", parts[2])
    head, sep, tail = text.partition(":")
    if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", head.strip()):
        return Diagnostic("Warning", head.strip(), tail.strip())
    return Diagnostic("Warning", "Custom", text.strip())


def codec_diagnostics(codec: CodecState) -> list[Diagnostic]:
    """The codec's own alerts derived from its state, then the injected ones."""
    found: list[Diagnostic] = []
    if not codec.registered:
        found.append(
            Diagnostic("Error", "SIPProfileRegistration", "SIP registration failed: no answer from registrar")
        )
    if not codec.camera_connected:
        found.append(Diagnostic("Warning", "CameraDetected", "No camera detected on camera input 1"))
    if codec.microphones_connected <= 0:
        found.append(Diagnostic("Warning", "MicrophonesConnected", "No microphone is connected"))
    if not codec.display_connected:
        found.append(Diagnostic("Warning", "OutputConnected", "No display connected to video output 1"))
    found.extend(parse_diagnostic(d) for d in codec.diagnostics)
    return found


def product_info(state: DeviceState) -> tuple[str, str]:
    """(product, software version): the inventory's ``model`` / ``vars.software``, else a default per role."""
    dev = state.device
    default_id, default_version = DEFAULTS[dev.role is Role.MCU]
    product = dev.model or str(dev.vars.get("product", default_id))
    version = str(dev.vars.get("software", default_version))
    return product, version


def codec_status(state: DeviceState, now: float | None = None) -> ET.Element:
    """The whole ``/Status`` tree of a codec."""
    codec = state.codec if state.codec is not None else CodecState()
    product, version = product_info(state)
    root = ET.Element("Status", {"product": "Cisco Codec", "version": version, "apiVersion": "4"})

    audio = _sub(root, "Audio")
    connectors = _sub(_sub(audio, "Input"), "Connectors")
    inputs = max(MICROPHONE_INPUTS, codec.microphones_connected)
    for n in range(1, inputs + 1):
        mic = _sub(connectors, "Microphone", item=n)
        _sub(mic, "ConnectionStatus", "Connected" if n <= codec.microphones_connected else "NotConnected")
    _sub(_sub(audio, "Microphones"), "Mute", "Off")

    in_call = codec.call_state.lower() not in ("idle", "dropped")
    if in_call:
        call = _sub(root, "Call", item=1)
        _sub(call, "CallType", "Video")
        _sub(call, "Direction", "Outgoing")
        _sub(call, "Protocol", "Sip")
        # the number it dialled (a call placed through Dial), else the configured MCU address
        number = codec.call_number or str(state.device.vars.get("mcu_uri", "conference@mcu"))
        _sub(call, "RemoteNumber", number)
        _sub(call, "Status", codec.call_state[:1].upper() + codec.call_state[1:])

    camera = _sub(_sub(root, "Cameras"), "Camera", item=1)
    _sub(camera, "Connected", _bool(codec.camera_connected))
    _sub(camera, "Manufacturer", "Cisco" if codec.camera_connected else "")
    _sub(camera, "Model", "Precision 60" if codec.camera_connected else "")

    diags = _sub(root, "Diagnostics")
    for n, diag in enumerate(codec_diagnostics(codec), start=1):
        msg = _sub(diags, "Message", item=n)
        _sub(msg, "Description", diag.description)
        _sub(msg, "Level", diag.level)
        _sub(msg, "References", "")
        _sub(msg, "Type", diag.type)

    sip = _sub(root, "SIP")
    proxy = _sub(sip, "Proxy", item=1)
    _sub(proxy, "Address", str(state.device.vars.get("sip_proxy", "vc.lab")))
    _sub(proxy, "Status", "Active")
    reg = _sub(sip, "Registration", item=1)
    _sub(reg, "Reason", "" if codec.registered else "408 Request Timeout")
    _sub(reg, "Status", "Registered" if codec.registered else "Failed")
    _sub(reg, "URI", f"{state.device.id}@vc.lab")

    _sub(_sub(root, "Standby"), "State", "Standby" if codec.standby else "Off")

    unit = _sub(root, "SystemUnit")
    _sub(unit, "ProductId", product)
    _sub(unit, "ProductPlatform", product.removeprefix("Cisco Webex ").removeprefix("Cisco "))
    software = _sub(unit, "Software")
    number = version.removeprefix("ce").split()[0] if version.strip() else version
    _sub(software, "DisplayName", f"RoomOS {number}" if version.startswith("ce1") else f"CE {number}")
    _sub(software, "Version", version)
    _sub(_sub(unit, "State"), "NumberOfActiveCalls", 1 if in_call else 0)
    _sub(unit, "Uptime", int(state.uptime_s(now)))

    output = _sub(_sub(_sub(root, "Video"), "Output"), "Connector", item=1)
    _sub(output, "Connected", _bool(codec.display_connected))
    return root


def mcu_status(state: DeviceState, now: float | None = None) -> ET.Element:
    """The whole ``/Status`` tree of an MCU: port capacity and conferences."""
    mcu = state.mcu if state.mcu is not None else McuState()
    product, version = product_info(state)
    root = ET.Element("Status", {"product": "MCU", "version": version, "apiVersion": "4"})
    node = _sub(root, "MCU")
    ports = _sub(node, "Ports")
    _sub(ports, "Total", mcu.total_ports)
    _sub(ports, "InUse", mcu.ports_in_use)
    _sub(ports, "Available", max(0, mcu.total_ports - mcu.ports_in_use))
    _sub(_sub(node, "Conferences"), "Active", mcu.active_conferences)
    unit = _sub(root, "SystemUnit")
    _sub(unit, "ProductId", product)
    _sub(_sub(unit, "Software"), "Version", version)
    _sub(unit, "Uptime", int(state.uptime_s(now)))
    return root


def select(root: ET.Element, location: str) -> ET.Element | None:
    """The sub-tree at ``location`` (``/Status/SIP/Registration/Status``), wrapped in its ancestors as a
    codec's ``getxml`` returns it; a numeric step picks an item (``/Status/Call/1/Status``). Names match
    case-insensitively. None when nothing matches."""
    steps = [s for s in location.strip().split("/") if s]
    if not steps or steps[0].lower() != root.tag.lower():
        return None
    return _prune(root, steps[1:])


def _prune(node: ET.Element, steps: list[str]) -> ET.Element | None:
    if not steps:
        return _copy(node)
    step, rest = steps[0], steps[1:]
    item: str | None = None
    if rest and rest[0].isdigit():
        item, rest = rest[0], rest[1:]
    kept = ET.Element(node.tag, node.attrib)
    for child in node:
        if child.tag.lower() != step.lower() or (item is not None and child.get("item") != item):
            continue
        pruned = _prune(child, rest)
        if pruned is not None:
            kept.append(pruned)
    return kept if len(kept) else None


def _copy(node: ET.Element) -> ET.Element:
    out = ET.Element(node.tag, node.attrib)
    out.text = node.text
    out.extend(_copy(child) for child in node)
    return out


def to_xml(root: ET.Element) -> bytes:
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0"?>\n' + body + b"\n"
