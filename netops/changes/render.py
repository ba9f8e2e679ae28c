"""Render a device's intended configuration from the Jinja2 templates in ``inventory/templates/``.

First step of the change flow (render -> diff -> push). The template of a device is the first file found
of ``{platform}/{role}.j2`` and ``{platform}/default.j2``; templates may include shared parts (``huawei/``).
Variables: ``device``, ``site``, ``inventory``, ``vars`` (the device's vars, inherited region -> prefecture
-> county -> device by the loader), ``interfaces``, ``snmp`` (the device's SNMP profile); functions
``secret(name)`` and ``snmp_community()`` read the secret store; filters ``ip``, ``mask``, ``network``,
``wildcard``, ``prefixlen`` take ``10.1.2.1/30``-style addresses.

Undefined variables are errors (``StrictUndefined``) that name the template, its line and the device.
Every secret value used is returned with the text so that diffs, records and logs can mask it, and the
templates read are hashed (``RenderedConfig.templates``: path -> sha256) for the change record.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Interface
from pathlib import Path
from typing import Any

import jinja2

from netops.drivers.masking import register_secrets
from netops.errors import SecretError
from netops.errors import TemplateError as TemplateError
from netops.inventory.models import Device, Inventory, SecretRef
from netops.secrets import SecretStore

log = logging.getLogger(__name__)

TEMPLATES_DIR = "templates"


@dataclass(frozen=True, slots=True)
class RenderedConfig:
    device: str
    text: str
    template: str  # the top template, relative to the templates folder
    templates: dict[str, str]  # every template read -> sha256 of its content
    secrets: frozenset[str]  # secret values that appear in ``text`` (mask them wherever text is shown)
    names: dict[str, str] = field(default_factory=dict)  # secret value -> its name in the secret store

    @property
    def digest(self) -> str:
        """One hash over the templates used (name and content hash), for the change record."""
        h = hashlib.sha256()
        for name in sorted(self.templates):
            h.update(f"{name}={self.templates[name]}\n".encode())
        return h.hexdigest()[:16]


class _HashingLoader(jinja2.FileSystemLoader):
    """A file loader that remembers the content hash of every template it reads."""

    def __init__(self, root: Path) -> None:
        super().__init__(str(root))
        self.hashes: dict[str, str] = {}

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        self.hashes[template] = hashlib.sha256(source.encode()).hexdigest()
        return source, filename, uptodate


class _RecordingEnvironment(jinja2.Environment):
    """One environment per ``Renderer`` (templates compiled once for every device); ``used`` collects the
    templates one render loads, cached or not (the top template, includes, imports)."""

    def __init__(self, loader: _HashingLoader) -> None:
        super().__init__(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,  # configuration text, not HTML
        )
        self.hashing = loader
        self._local = threading.local()  # renders may run in several threads at once

    @property
    def used(self) -> dict[str, str]:
        used: dict[str, str] | None = getattr(self._local, "used", None)
        if used is None:
            used = self._local.used = {}
        return used

    def start_render(self) -> None:
        self._local.used = {}

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        template = super()._load_template(name, globals)
        self.used[name] = self.hashing.hashes.get(name, "")
        return template


def _itf(value: str) -> IPv4Interface:
    try:
        return IPv4Interface(value)
    except ValueError as exc:
        raise TemplateError(f"{value!r} is not an IPv4 address/prefix") from exc


FILTERS: dict[str, Callable[[str], str | int]] = {
    "ip": lambda v: str(_itf(v).ip),
    "mask": lambda v: str(_itf(v).netmask),
    "network": lambda v: str(_itf(v).network.network_address),
    "wildcard": lambda v: str(_itf(v).network.hostmask),
    "prefixlen": lambda v: _itf(v).network.prefixlen,
}


class Renderer:
    """Renders devices of one inventory with the templates of ``<inventory>/templates`` (or ``root``)."""

    def __init__(self, inventory: Inventory, secrets: SecretStore, root: Path | None = None) -> None:
        self.inventory = inventory
        self.secrets = secrets
        self.root = root or Path(inventory.directory) / TEMPLATES_DIR
        if not self.root.is_dir():
            raise TemplateError(f"no templates folder {self.root}")
        self._env = _RecordingEnvironment(_HashingLoader(self.root))
        self._env.filters.update(FILTERS)

    def template_for(self, device: Device) -> str:
        candidates = [
            f"{device.platform.value}/{device.role.value}.j2",
            f"{device.platform.value}/default.j2",
        ]
        for name in candidates:
            if (self.root / name).is_file():
                return name
        raise TemplateError(f"{device.id}: no template for it (looked for {', '.join(candidates)})")

    def render(self, device_id: str) -> RenderedConfig:
        device = self.inventory.device(device_id)
        name = self.template_for(device)
        env = self._env
        env.start_render()
        used: set[str] = set()
        names: dict[str, str] = {}

        def secret(ref: str) -> str:
            value = self.secrets.get(SecretRef(ref))
            used.add(value)
            names[value] = ref
            register_secrets([value])  # it will be typed into a device: keep it out of netmiko's logs
            return value

        def snmp_community() -> str:
            profile = self.inventory.snmp_profiles.get(device.snmp_profile or "")
            if profile is None or profile.community is None:
                raise TemplateError(f"{device.id}: its SNMP profile has no community")
            return secret(profile.community.name)

        site = self.inventory.sites[device.site]
        context: dict[str, Any] = {
            "device": device,
            "site": site,
            "inventory": self.inventory,
            "vars": dict(device.vars),
            "interfaces": device.interfaces,
            "snmp": self.inventory.snmp_profiles.get(device.snmp_profile or ""),
            "secret": secret,
            "snmp_community": snmp_community,
        }
        try:
            text = env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"{exc.name or name}:{exc.lineno}: {device.id}: {exc.message}") from exc
        except jinja2.UndefinedError as exc:
            where = _template_line(exc, name)
            raise TemplateError(f"{where}: {device.id}: undefined variable: {exc.message}") from exc
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"{name}: {device.id}: included template {exc.name!r} not found") from exc
        except SecretError as exc:
            raise TemplateError(f"{name}: {device.id}: {exc}") from exc
        lines = [ln.rstrip() for ln in text.splitlines()]
        clean = "\n".join(ln for ln in lines if ln.strip()) + "\n"
        log.debug("%s: rendered %s (%d lines)", device.id, name, clean.count("\n"))
        return RenderedConfig(device.id, clean, name, dict(env.used), frozenset(used), names)


def _template_line(exc: BaseException, fallback: str) -> str:
    """``template.j2:LINE`` of the innermost template frame of a Jinja2 error."""
    where = fallback
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            where = f"{Path(frame.filename).parent.name}/{Path(frame.filename).name}:{frame.lineno}"
    return where
