"""Typed runbook parameters and approval inputs: text in (CLI ``k=v``, API JSON, alert labels), values out.

``coerce`` checks every parameter against its ``ParamSpec`` (int, bool, enum, regex, a site/device/link/room
the inventory has, secret) and reports all mistakes in one ``ParamError``. Secret values are returned apart,
so that callers store only their names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from netops.errors import NotFoundError
from netops.errors import ParamError as ParamError
from netops.inventory.models import Inventory
from netops.runbooks.schema import InputSpec, ParamSpec

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _one(spec: ParamSpec | InputSpec, raw: Any, inventory: Inventory | None) -> Any:
    kind = spec.type
    if kind == "int":
        if isinstance(raw, bool):
            raise ValueError(f"expected an integer, found {raw!r}")
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"expected an integer, found {raw!r}") from None
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError(f"expected true or false, found {raw!r}")
    text = str(raw)
    if kind == "enum" and text not in (spec.values or []):
        raise ValueError(f"expected one of {', '.join(spec.values or [])}, found {text!r}")
    if kind == "regex" and not re.fullmatch(spec.pattern or "", text):
        raise ValueError(f"expected a value matching {spec.pattern!r}, found {text!r}")
    if kind in ("site", "device", "link", "room") and inventory is not None:
        try:
            getattr(inventory, kind)(text)
        except NotFoundError as exc:
            raise ValueError(str(exc)) from None
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
            secret[spec.name] = str(raw)
            continue
        try:
            plain[spec.name] = _one(spec, raw, inventory)
        except ValueError as exc:
            problems.append(f"parameter {spec.name!r}: {exc}")
    if problems:
        raise ParamError(problems)
    return plain, secret


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
