"""Typed runbook parameters and approval inputs: text in (CLI ``k=v``, API JSON, alert labels), values out.

``coerce`` checks every parameter against its ``ParamSpec`` (int, bool, enum, regex, a site/device/link/room
the inventory has, an interface name, an IP address, secret) and reports all mistakes in one ``ParamError``.
Secret values are returned apart, so that callers store only their names.

Values end up in commands and configuration lines, so no text value (secrets included) may hold a control
character, a format character or a line separator (``readonly.control_characters``): a newline would be a
second command. Text is at most ``MAX_TEXT`` characters; integers fit in 64 bits. Refusals never echo a
refused value whole (it may be long, or a secret).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any

from netops.errors import NotFoundError
from netops.errors import ParamError as ParamError
from netops.inventory.models import Inventory
from netops.runbooks.readonly import control_characters
from netops.runbooks.schema import InputSpec, ParamSpec

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
MAX_TEXT = 512  # characters of one text value
INT_RANGE = (-(2**63), 2**63 - 1)
# an interface as the platforms name it: GigabitEthernet0/0/1, GE0/0/1.100, Eth-Trunk1, Vlanif100, 100GE1/0/1,
# Serial1/0:0, LoopBack0, Ten-GigabitEthernet1/0/49 (no spaces: one token in a command)
INTERFACE = re.compile(r"[A-Za-z0-9][A-Za-z-]{0,39}?\d+(?:[/:.]\d+){0,4}")
DEVICE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")  # inventory ids are lowercase slugs


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(str(raw))} characters)"


def _text(raw: Any) -> str:
    if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):
        raise ValueError(f"expected text, found {type(raw).__name__}")
    text = str(raw)
    bad = control_characters(text)
    if bad:
        raise ValueError(f"control characters are not allowed ({', '.join(sorted(set(bad)))})")
    if len(text) > MAX_TEXT:
        raise ValueError(f"at most {MAX_TEXT} characters, found {len(text)}")
    return text


def _one(spec: ParamSpec | InputSpec, raw: Any, inventory: Inventory | None) -> Any:
    kind = spec.type
    if kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise ValueError(f"expected an integer, found {_shown(raw)}")
        try:
            number = int(raw)
        except ValueError:
            raise ValueError(f"expected an integer, found {_shown(raw)}") from None
        if not INT_RANGE[0] <= number <= INT_RANGE[1]:
            raise ValueError("expected an integer that fits in 64 bits")
        low, high = getattr(spec, "min", None), getattr(spec, "max", None)
        if (low is not None and number < low) or (high is not None and number > high):
            raise ValueError(f"expected an integer from {low if low is not None else '...'} to "
                             f"{high if high is not None else '...'}, found {number}")  # fmt: skip
        return number
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError(f"expected true or false, found {_shown(raw)}")
    text = _text(raw)
    if kind == "enum" and text not in (spec.values or []):
        raise ValueError(f"expected one of {', '.join(spec.values or [])}, found {_shown(text)}")
    if kind == "regex" and not re.fullmatch(spec.pattern or "", text):
        raise ValueError(f"expected a value matching {spec.pattern!r}, found {_shown(text)}")
    if kind == "interface" and not INTERFACE.fullmatch(text):
        raise ValueError(f"expected an interface name such as GigabitEthernet0/0/1, found {_shown(text)}")
    if kind == "ip":
        return _ip(text)
    if kind == "device" and not DEVICE.fullmatch(text):
        raise ValueError(f"expected a device id (a lowercase slug), found {_shown(text)}")
    if kind in ("site", "device", "link", "room") and inventory is not None:
        try:
            found = getattr(inventory, kind)(text)
        except NotFoundError as exc:
            raise ValueError(str(exc)) from None
        tier = getattr(spec, "tier", None)
        if kind == "site" and tier is not None and str(found.tier) != tier:
            raise ValueError(f"expected a {tier} site, found {_shown(text)} (a {found.tier} site)")
    return text


def coerce(
    specs: Sequence[ParamSpec | InputSpec], given: Mapping[str, Any], inventory: Inventory | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """(plain values, secret values) for ``given``; raises ``ParamError`` listing every problem."""
    problems: list[str] = []
    plain: dict[str, Any] = {}
    secret: dict[str, str] = {}
    known = {s.name for s in specs}
    for name in given:
        if name not in known:
            problems.append(f"unknown parameter {name!r} (known: {', '.join(sorted(known)) or 'none'})")
    for spec in specs:
        default = getattr(spec, "default", None)
        if spec.name not in given or given[spec.name] in (None, ""):
            if default is not None:
                plain[spec.name] = default
            elif spec.required:
                problems.append(f"parameter {spec.name!r} ({spec.type}) is required")
            else:
                plain[spec.name] = None
            continue
        raw = given[spec.name]
        if spec.type == "secret":
            try:
                secret[spec.name] = _text(raw)
            except ValueError as exc:  # the value itself is never shown
                problems.append(f"parameter {spec.name!r}: {exc}")
            continue
        try:
            plain[spec.name] = _one(spec, raw, inventory)
        except ValueError as exc:
            problems.append(f"parameter {spec.name!r}: {exc}")
    if problems:
        raise ParamError(problems)
    return plain, secret


def _ip(text: str) -> str:
    """An IPv4 or IPv6 address, written canonically; no IPv6 zone (``%eth0``: free text)."""
    try:
        if "%" not in text:
            return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    raise ValueError(f"expected an IPv4 or IPv6 address, found {_shown(text)}")


def parse_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """``["site=kashgar", "ticket=CT-1"]`` -> dict; a pair without ``=`` raises ``ParamError``."""
    out: dict[str, str] = {}
    bad = [p for p in pairs if "=" not in p]
    if bad:
        raise ParamError([f"expected name=value, found {p!r}" for p in bad])
    for pair in pairs:
        key, _, value = pair.partition("=")
        out[key.strip()] = value
    return out
