"""Room checks against the codec itself: path probe, SIP OPTIONS and the xAPI-style status document.

Each check yields a ``Check`` (OK / WARN / FAIL / UNKNOWN, a measured value, a reason). ``critical`` checks can
make a room RED; ``network`` checks need two consecutive bad rounds before they do (``rule.py``). A check that
could not run because another failed names it in ``cause`` and is left to that one. The checks fed by polling
(upstream incident, bandwidth, CE router, backup link) are in ``pollchecks.py``; ``precheck.py`` runs both.

| check | source | critical | network |
| --- | --- | --- | --- |
| reachable | TWAMP-light burst: any reply | yes | yes |
| path_delay / path_jitter / path_loss | the same burst: one-way p95, worse-direction mean IPDV, loss | yes | yes |
| sip_options | SIP OPTIONS answered, its delay | yes | yes |
| status_api | ``GET /status.xml`` with the codec's credential | yes | no |
| registration / camera / microphones / display | status document | yes | no |
| diagnostics / call_state / standby | status document | no | no |
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import httpx

from netops.drivers.probes import ProbeResult, probe_path, sip_options
from netops.errors import AuthenticationFailed, DeviceError, DeviceUnreachable, SecretError
from netops.inventory.models import Device, Inventory
from netops.secrets import SecretStore
from netops.vc.thresholds import Thresholds

# diagnostics a codec raises for states the dedicated checks already report
COVERED_DIAGNOSTICS = frozenset(
    {"SIPProfileRegistration", "CameraDetected", "MicrophonesConnected", "OutputConnected"}
)


class Status(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    reason: str
    value: float | str | None = None
    unit: str = ""
    critical: bool = True
    network: bool = False
    cause: str | None = None  # the check whose failure kept this one from running

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Check:
        return cls(**{**data, "status": Status(data["status"])})


def banded(
    name: str, value: float, warn: float, fail: float, unit: str, label: str, *, network: bool = True
) -> Check:
    """OK up to ``warn``, WARN up to ``fail``, FAIL above."""

    def fmt(x: float) -> str:
        return f"{x * 100:g} %" if unit == "ratio" else f"{x:g} {unit}"

    shown = f"{value * 100:.1f} %" if unit == "ratio" else f"{value:.1f} {unit}"
    limit = fmt
    if value > fail:
        return Check(name, Status.FAIL, f"{label} {shown} > {limit(fail)}", value, unit, network=network)
    if value > warn:
        return Check(name, Status.WARN, f"{label} {shown} > {limit(warn)}", value, unit, network=network)
    return Check(name, Status.OK, f"{label} {shown}", value, unit, network=network)


# --- the path burst ---------------------------------------------------------------------------------


def path_checks(result: ProbeResult, th: Thresholds) -> list[Check]:
    """reachable + delay / jitter / loss from one burst to the codec's reflector."""
    if result.received == 0:
        reason = f"no reply to {result.sent} probes"
        return [
            Check("reachable", Status.FAIL, reason, 0.0, "replies", network=True),
            *(
                Check(n, Status.UNKNOWN, "no probe replies", None, u, network=True, cause="reachable")
                for n, u in (("path_delay", "ms"), ("path_jitter", "ms"), ("path_loss", "ratio"))
            ),
        ]
    reach = Check("reachable", Status.OK, f"{result.received}/{result.sent} replies", float(result.received),
                  "replies", network=True)  # fmt: skip
    delay = result.one_way_p95_ms or 0.0
    jitters = [j for j in (result.ipdv_fwd_ms, result.ipdv_back_ms) if j is not None]
    checks = [
        reach,
        banded("path_delay", delay, th.delay_warn_ms, th.delay_fail_ms, "ms", "one-way delay p95"),
    ]
    if jitters:
        checks.append(
            banded("path_jitter", max(jitters), th.jitter_warn_ms, th.jitter_fail_ms, "ms", "jitter")
        )
    else:
        checks.append(
            Check("path_jitter", Status.UNKNOWN, "fewer than two replies", None, "ms", network=True)
        )
    checks.append(
        banded("path_loss", result.loss_ratio, th.loss_warn_ratio, th.loss_fail_ratio, "ratio", "loss")
    )
    return checks


async def probe(dev: Device, th: Thresholds) -> tuple[list[Check], ProbeResult]:
    result = await probe_path(
        str(dev.address), dev.probe_port, th.probe_count, th.probe_interval_s, th.probe_timeout_s
    )
    return path_checks(result, th), result


# --- SIP ---------------------------------------------------------------------------------------------


async def sip_check(dev: Device, th: Thresholds) -> Check:
    try:
        ans = await sip_options(str(dev.address), dev.sip_port, th.sip_timeout_s, device=dev.id)
    except DeviceUnreachable:
        return Check("sip_options", Status.FAIL, f"no answer to SIP OPTIONS within {th.sip_timeout_s:g} s",
                     None, "ms", network=True)  # fmt: skip
    label = f"SIP OPTIONS answered {ans.status} {ans.reason} in"
    return banded("sip_options", ans.rtt_ms, th.sip_warn_ms, th.sip_timeout_s * 1000, "ms", label)


# --- the status document -----------------------------------------------------------------------------


async def fetch_status(
    client: httpx.AsyncClient, dev: Device, inventory: Inventory, secrets: SecretStore
) -> ET.Element:
    """``GET /status.xml`` with the device's credential. Raises ``DeviceError`` subclasses or ``SecretError``."""
    auth: tuple[str, str] | None = None
    if dev.credential is not None:
        cred = inventory.credentials[dev.credential]
        auth = (cred.username, secrets.get(cred.password))
    url = f"http://{dev.address}:{dev.http_port}/status.xml"
    try:
        resp = await client.get(url, auth=auth)
    except httpx.TimeoutException as exc:
        raise DeviceUnreachable(dev.id, "status API did not answer in time") from exc
    except httpx.HTTPError as exc:
        raise DeviceUnreachable(dev.id, f"status API: {exc.__class__.__name__}") from exc
    if resp.status_code == 401:
        raise AuthenticationFailed(dev.id, "status API refused the credentials (401)")
    if resp.status_code != 200:
        raise DeviceError(dev.id, f"status API answered {resp.status_code}")
    if b"<!DOCTYPE" in resp.content[:1024].upper():
        raise DeviceError(dev.id, "status API sent a document with a DOCTYPE; refused")
    try:
        return ET.fromstring(resp.content)
    except ET.ParseError as exc:
        raise DeviceError(dev.id, f"status API sent malformed XML ({exc})") from exc


async def command(
    client: httpx.AsyncClient, dev: Device, inventory: Inventory, secrets: SecretStore, xml: str
) -> ET.Element:
    """One xAPI command (``POST /putxml``) with the device's credential; the result element under
    ``<Command>``. Raises ``DeviceError`` subclasses or ``SecretError``."""
    auth: tuple[str, str] | None = None
    if dev.credential is not None:
        cred = inventory.credentials[dev.credential]
        auth = (cred.username, secrets.get(cred.password))
    url = f"http://{dev.address}:{dev.http_port}/putxml"
    try:
        resp = await client.post(
            url,
            auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            content=xml.encode(),
            headers={"Content-Type": "text/xml"},
        )
    except httpx.TimeoutException as exc:
        raise DeviceUnreachable(dev.id, "xAPI command did not answer in time") from exc
    except httpx.HTTPError as exc:
        raise DeviceUnreachable(dev.id, f"xAPI command: {exc.__class__.__name__}") from exc
    if resp.status_code == 401:
        raise AuthenticationFailed(dev.id, "xAPI refused the credentials (401)")
    if resp.status_code != 200 or b"<!DOCTYPE" in resp.content[:1024].upper():
        raise DeviceError(dev.id, f"xAPI command answered {resp.status_code}")
    try:
        root = ET.fromstring(resp.content)
    except ET.ParseError as exc:
        raise DeviceError(dev.id, f"xAPI sent malformed XML ({exc})") from exc
    if len(root) != 1:
        raise DeviceError(dev.id, "xAPI result without a result element")
    return root[0]


HISTORY_COMMAND = "<Command><CallHistory><Get><Limit>1</Limit></Get></CallHistory></Command>"


async def join_call(
    client: httpx.AsyncClient, dev: Device, inventory: Inventory, secrets: SecretStore, number: str
) -> tuple[bool, str]:
    """Make the codec dial the conference on the MCU (``xCommand Dial Number: conf@mcu``): (joined, reason);
    before dialling, the last call's end from the call history: a call to ``number`` that the network ended
    is a dropped call and says so."""
    dropped = ""
    try:
        history = await command(client, dev, inventory, secrets, HISTORY_COMMAND)
        last = history.find("Entry")
        if last is not None and (last.findtext("CallbackNumber") or "").endswith(number):
            kind = (last.findtext("DisconnectCauseType") or "").strip()
            if kind not in ("", "LocalDisconnect"):
                when = (last.findtext("EndTime") or "").strip()
                dropped = f"call dropped at {when} ({(last.findtext('DisconnectCause') or kind).strip()}); "
        result = await command(client, dev, inventory, secrets,
                               f"<Command><Dial><Number>{_xml_text(number)}</Number></Dial></Command>")  # fmt: skip
    except (DeviceError, SecretError) as exc:
        return False, f"{dropped}cannot dial {number}: {str(exc).removeprefix(dev.id + ': ')}"
    if result.get("status") != "OK":
        return False, f"{dropped}dial {number} failed: {(result.findtext('Reason') or '').strip()}"
    return True, f"{dropped}joined {number} (dialled)" if dropped else f"joined {number} (dialled)"


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


STATUS_CHECKS = ("registration", "camera", "microphones", "display", "diagnostics", "call_state", "standby")
_NON_CRITICAL = frozenset({"diagnostics", "call_state", "standby"})


def status_unknown(reason: str, cause: str | None) -> list[Check]:
    return [
        Check(n, Status.UNKNOWN, reason, critical=n not in _NON_CRITICAL, cause=cause) for n in STATUS_CHECKS
    ]


def _texts(root: ET.Element, path: str) -> list[str]:
    return [(e.text or "").strip() for e in root.iterfind(path)]


@dataclass(frozen=True, slots=True)
class CallTarget:
    """Which conference a codec's call should belong to: a call's ``RemoteNumber`` (the URI the codec dialled,
    ``<conference>@<MCU address or id>``, ``sip:`` optional) names the conference it is in."""

    conference: str
    mcu_hosts: frozenset[str]  # the MCU's address and id
    conferences: frozenset[str]  # every conference id netops knows

    def owner(self, remote: str) -> str | None:
        """The conference ``remote`` dials, or None when it is not one of netops' conference URIs."""
        user, at, host = remote.strip().removeprefix("sip:").partition("@")
        if at and host in self.mcu_hosts and user in self.conferences:
            return user
        return None


def status_checks(
    root: ET.Element, th: Thresholds, *, in_conference: bool, call: CallTarget | None = None
) -> list[Check]:
    """Registration, peripherals, diagnostics, call and standby from a codec's status document. With
    ``call`` (during a conference), a call whose remote number is another conference's URI is that
    conference's call, not this one's (overlapping conferences sharing a room): WARN, and never counted
    as joined."""
    out: list[Check] = []
    sip, h323 = _texts(root, "SIP/Registration/Status"), _texts(root, "H323/Gatekeeper/Status")
    states = sip or h323
    if not states:
        out.append(Check("registration", Status.UNKNOWN, "no SIP or H.323 registration in the status"))
    elif all(s.lower() == "registered" for s in states):
        out.append(Check("registration", Status.OK, "registered", states[0]))
    else:
        why = next((r for r in _texts(root, "SIP/Registration/Reason") if r), "")
        out.append(Check("registration", Status.FAIL, f"codec unregistered ({states[0]}{', ' + why if why else ''})",
                         states[0]))  # fmt: skip
    cams = _texts(root, "Cameras/Camera/Connected")
    off = [str(i) for i, c in enumerate(cams, 1) if c.lower() != "true"]
    if not cams:
        out.append(
            Check("camera", Status.FAIL, "camera disconnected (no camera in the status)", 0.0, "cameras")
        )
    elif off:
        out.append(Check("camera", Status.FAIL, f"camera disconnected (camera {', '.join(off)})",
                         float(len(cams) - len(off)), "cameras"))  # fmt: skip
    else:
        out.append(
            Check("camera", Status.OK, f"{len(cams)} camera(s) connected", float(len(cams)), "cameras")
        )
    mics = _texts(root, "Audio/Input/Connectors/Microphone/ConnectionStatus")
    on = sum(m.lower() == "connected" for m in mics)
    status = Status.OK if on >= th.min_microphones else Status.FAIL
    out.append(Check("microphones", status, f"{on} microphone(s) connected", float(on), "microphones"))
    outs = _texts(root, "Video/Output/Connector/Connected")
    shown = sum(o.lower() == "true" for o in outs)
    status = Status.OK if shown else Status.FAIL
    out.append(Check("display", status, "display connected" if shown else "no display connected",
                     float(shown), "displays"))  # fmt: skip
    fails, warns = [], []
    for msg in root.iterfind("Diagnostics/Message"):
        kind, level = msg.findtext("Type", "").strip(), msg.findtext("Level", "").strip().lower()
        if kind in COVERED_DIAGNOSTICS:
            continue
        text = f"{kind}: {msg.findtext('Description', '').strip()}"
        if level in ("critical", "error"):
            fails.append(text)
        elif level == "warning":
            warns.append(text)
    if fails or warns:
        status = Status.FAIL if fails else Status.WARN
        out.append(Check("diagnostics", status, "; ".join(fails + warns), float(len(fails) + len(warns)),
                         "messages", critical=False))  # fmt: skip
    else:
        out.append(Check("diagnostics", Status.OK, "no diagnostics alerts", 0.0, "messages", critical=False))
    calls = int(root.findtext("SystemUnit/State/NumberOfActiveCalls", "0").strip() or 0)
    remotes = [r.strip() for r in _texts(root, "Call/RemoteNumber") if r.strip()]
    others = [
        (r, owner)
        for r in remotes
        if call is not None and (owner := call.owner(r)) is not None and owner != call.conference
    ]
    if calls and not in_conference:
        out.append(Check("call_state", Status.WARN, f"busy: {calls} call(s) up before the conference",
                         float(calls), "calls", critical=False))  # fmt: skip
    elif calls and others and call is not None:
        remote, owner = others[0]
        out.append(Check("call_state", Status.WARN,
                         f"in conference {owner}'s call ({remote}), not in {call.conference}",
                         float(calls), "calls", critical=False))  # fmt: skip
    else:
        out.append(
            Check("call_state", Status.OK, f"{calls} active call(s)", float(calls), "calls", critical=False)
        )
    standby = root.findtext("Standby/State", "").strip()
    if standby and standby.lower() != "off":
        out.append(Check("standby", Status.WARN, f"codec in standby ({standby})", standby, critical=False))
    else:
        out.append(Check("standby", Status.OK, "awake", standby or None, critical=False))
    return out


async def codec_checks(
    client: httpx.AsyncClient,
    dev: Device,
    inventory: Inventory,
    secrets: SecretStore,
    th: Thresholds,
    *,
    in_conference: bool,
    call: CallTarget | None = None,
) -> tuple[list[Check], ProbeResult]:
    """Everything measured at the codec: the burst, SIP and the status document, at the same time."""
    burst, sip, doc = await asyncio.gather(
        probe(dev, th),
        sip_check(dev, th),
        _status(client, dev, inventory, secrets),
        return_exceptions=False,
    )
    path, result = burst
    silent = result.received == 0
    checks = [*path, sip]
    if isinstance(doc, ET.Element):
        checks.append(Check("status_api", Status.OK, "status API answered, credentials accepted"))
        checks.extend(status_checks(doc, th, in_conference=in_conference, call=call))
    elif silent:
        checks.append(Check("status_api", Status.UNKNOWN, doc, cause="reachable"))
        checks.extend(status_unknown("codec not reachable", "reachable"))
    else:
        checks.append(Check("status_api", Status.FAIL, doc))
        checks.extend(status_unknown("status API failed", "status_api"))
    if silent and sip.status is Status.FAIL:
        checks[checks.index(sip)] = Check(
            sip.name, Status.UNKNOWN, sip.reason, None, "ms", network=True, cause="reachable"
        )
    return checks, result


async def _status(
    client: httpx.AsyncClient, dev: Device, inventory: Inventory, secrets: SecretStore
) -> ET.Element | str:
    """The document, or why there is none (a reason text)."""
    try:
        return await fetch_status(client, dev, inventory, secrets)
    except AuthenticationFailed:
        return "status API refused the credentials (401)"
    except SecretError as exc:
        return f"cannot read the codec's credential: {exc}"
    except DeviceError as exc:
        return str(exc).removeprefix(f"{dev.id}: ")
