"""``notify.yaml`` in the inventory folder: the notification channels and the routes to them.

Where it sits: read by ``netops.notify.deliver`` when a runbook's ``notify`` step runs (again whenever the file
changes), and checked with the whole folder by ``netops.changes.template_checks.validate_inventory``
(``netops inventory validate``; ``check_notify``: every problem with file and line).
The inventory loader skips the file (``netops.inventory.loader.SKIPPED_FILES``).

```yaml
smtp: {host: mail.gov.example, port: 25, sender: netops@gov.example, starttls: false, username: netops}
channels:
  - {id: noc, kind: webhook}                       # URL: the secret notify-webhook-noc
  - {id: noc-dingtalk, kind: dingtalk, sign: true} # notify-webhook-noc-dingtalk (token), notify-sign-noc-dingtalk
  - {id: kashgar-wecom, kind: wecom, format: text} # URL with key: notify-webhook-kashgar-wecom
  - {id: duty-mail, kind: email, to: [noc-duty@gov.example]}   # SMTP password (with username): notify-smtp-password
routes:
  - {severity: [critical, major], prefecture: [kashgar], channels: [kashgar-wecom, duty-mail]}
  - {channels: [noc-dingtalk]}                     # no match keys: every notification
```
URLs, keys, robot signing secrets and passwords are never in the file: they are netops secrets (named by the
channel's id), so a value that looks like a URL, or a key such as ``url``/``password``, is refused with the name
of the secret to use instead.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from netops.errors import InventoryError, Problem
from netops.inventory.models import Inventory, SecretRef, Tier
from netops.inventory.yamlsource import LineDict, LineList, line_at, read_yaml

FILE = "notify.yaml"
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
Address = Annotated[str, StringConstraints(pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+$", max_length=254)]
Severity = Literal["critical", "major", "minor", "warning", "info"]
ChannelKind = Literal["webhook", "email", "dingtalk", "wecom"]
# keys people write for what belongs in the secret store
_SECRET_KEYS = {"url", "webhook", "key", "token", "access_token", "secret", "password", "sign_secret"}
_URL = re.compile(
    r"[a-z][a-z0-9+.-]*://", re.IGNORECASE
)  # http://, smtp://, ...: a URL (maybe with a password)
_LABEL = r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}"
_HOST = re.compile(rf"^(?:{_LABEL}(?:\.{_LABEL})*\.?|\[?[0-9A-Fa-f:.]+\]?)$")
# bounds: the file is read by the service while it runs, so a hostile or mistaken file must stay cheap
MAX_BYTES = 1_000_000
MAX_VALUES = 20_000  # values (scalars, lists, mappings) once aliases are expanded ("billion laughs")
MAX_CHANNELS = 200
MAX_ROUTES = 200


def url_secret(channel: str) -> SecretRef:
    """The secret holding an HTTP channel's URL (with the robot's access_token or key in it)."""
    return SecretRef(f"notify-webhook-{channel}")


def sign_secret(channel: str) -> SecretRef:
    """A DingTalk channel's signing secret (``SEC...``), when the channel has ``sign: true``."""
    return SecretRef(f"notify-sign-{channel}")


SMTP_PASSWORD = SecretRef("notify-smtp-password")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SmtpSpec(_Spec):
    """The mail server of ``email`` channels (and of ``notify`` steps with ``email:`` addresses)."""

    host: Annotated[str, StringConstraints(min_length=1, max_length=253)]  # a host name or address, no URL
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    sender: Address = "netops@localhost"
    starttls: bool = False
    username: str | None = None  # with a username, the password is the secret notify-smtp-password
    timeout: Annotated[float, Field(gt=0, le=120)] = 10.0

    @model_validator(mode="after")
    def _plain_host(self) -> SmtpSpec:
        if not _HOST.match(self.host):
            raise ValueError("'host' is a host name or an IP address (no URL, user or password)")
        return self


class ChannelSpec(_Spec):
    id: Slug
    kind: ChannelKind
    format: Literal["text", "markdown"] | None = None  # dingtalk, wecom (default markdown)
    sign: bool = False  # dingtalk: sign each request with the secret notify-sign-<id>
    to: list[Address] | None = None  # email
    # defaults: a dead receiver holds a step at most 5 + 1 + 5 + 2 + 5 = 18 s (docs/notify.md)
    attempts: Annotated[int, Field(ge=1, le=10)] = 3
    backoff: Annotated[float, Field(ge=0, le=60)] = 1.0  # s before the 2nd attempt, doubled each time
    timeout: Annotated[float, Field(gt=0, le=60)] = 5.0  # s per attempt

    @model_validator(mode="after")
    def _fits_kind(self) -> ChannelSpec:
        if self.kind == "email" and not self.to:
            raise ValueError("an email channel needs 'to' (a list of addresses)")
        if self.kind != "email" and self.to is not None:
            raise ValueError(f"'to' is only for kind email, not {self.kind}")
        if self.sign and self.kind != "dingtalk":
            raise ValueError(f"'sign' is only for kind dingtalk, not {self.kind}")
        if self.format is not None and self.kind not in ("dingtalk", "wecom"):
            raise ValueError(f"'format' is only for kinds dingtalk and wecom, not {self.kind}")
        return self


class RouteSpec(_Spec):
    """Notifications matching every key given (a missing key matches anything) go to ``channels``."""

    severity: Annotated[list[Severity], Field(min_length=1)] | None = None
    # prefecture site ids; a run's prefecture comes from its parameters
    prefecture: Annotated[list[Slug], Field(min_length=1)] | None = None
    runbook: Annotated[list[Slug], Field(min_length=1)] | None = None
    channels: Annotated[list[Slug], Field(min_length=1)]


class NotifySpec(_Spec):
    smtp: SmtpSpec | None = None
    channels: Annotated[list[ChannelSpec], Field(max_length=MAX_CHANNELS)] = Field(default_factory=list)
    routes: Annotated[list[RouteSpec], Field(max_length=MAX_ROUTES)] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """A valid ``notify.yaml`` (empty when the file does not exist)."""

    spec: NotifySpec
    source: str | None = None  # the file it came from

    @property
    def channels(self) -> dict[str, ChannelSpec]:
        return {c.id: c for c in self.spec.channels}

    def routed(self, severity: str, prefecture: str | None, runbook: str) -> list[str]:
        """The channels of every route that matches, in the order the routes name them, each once."""
        found: list[str] = []
        for route in self.spec.routes:
            if (
                (route.severity is None or severity in route.severity)
                and (route.prefecture is None or prefecture in route.prefecture)
                and (route.runbook is None or runbook in route.runbook)
            ):
                found.extend(c for c in route.channels if c not in found)
        return found


EMPTY = NotifyConfig(NotifySpec())


def load_notify(inventory_dir: str | Path, inventory: Inventory | None = None) -> NotifyConfig:
    """``<inventory>/notify.yaml``; ``InventoryError`` with every problem; no file: no channels, no routes."""
    path = Path(inventory_dir) / FILE
    if not path.is_file():
        return EMPTY
    spec, problems = _read(path, inventory)
    if problems or spec is None:
        raise InventoryError(problems or [Problem(FILE, None, "", "not a notification configuration")])
    return NotifyConfig(spec, str(path))


def check_notify(inventory_dir: Path, inventory: Inventory | None) -> list[Problem]:
    """A folder check (``netops.inventory.folder.FolderCheck``): the problems of ``notify.yaml``, if any."""
    path = Path(inventory_dir) / FILE
    return _read(path, inventory)[1] if path.is_file() else []


class _Cache:
    """The configuration of one folder, read again when the file changes (mtime, size, inode) or the
    inventory does (its digest: a route's prefecture may appear or go)."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[tuple[object, ...] | None, NotifyConfig | InventoryError]] = {}

    def get(self, inventory_dir: str | Path, inventory: Inventory | None) -> NotifyConfig:
        path = Path(inventory_dir) / FILE
        try:
            st = path.stat()
            sig: tuple[object, ...] | None = (
                st.st_mtime_ns,
                st.st_size,
                st.st_ino,
                inventory and inventory.digest,
            )
        except OSError:
            sig = None
        key = str(path.resolve())
        hit = self.entries.get(key)
        if hit is None or hit[0] != sig:
            try:
                value: NotifyConfig | InventoryError = load_notify(inventory_dir, inventory)
            except InventoryError as exc:
                value = exc
            self.entries[key] = hit = (sig, value)
        if isinstance(hit[1], InventoryError):
            raise hit[1]
        return hit[1]


_CACHE = _Cache()


def current(inventory_dir: str | Path, inventory: Inventory | None = None) -> NotifyConfig:
    """The configuration in force: ``notify.yaml`` as it is now (parsed once per change of the file)."""
    return _CACHE.get(inventory_dir, inventory)


# -- reading with lines -------------------------------------------------------------------------------


def _read(path: Path, inventory: Inventory | None) -> tuple[NotifySpec | None, list[Problem]]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, [Problem(FILE, None, "", f"cannot read: {exc.strerror}")]
    if size > MAX_BYTES:
        return None, [Problem(FILE, None, "", f"{size} bytes: notify.yaml is at most {MAX_BYTES} bytes")]
    data, problems = read_yaml(path, FILE)
    if problems:
        return None, problems
    if data is None:
        return NotifySpec(), []
    if not isinstance(data, LineDict):
        return None, [Problem(FILE, 1, "", "expected a mapping with smtp, channels, routes")]
    too_big = _expanded_too_big(data)
    if too_big is not None:  # checked before anything walks the tree: aliases can multiply it
        return None, [too_big]
    problems.extend(_urls(data, ""))
    problems.extend(_secret_keys(data))
    problems.extend(_references(data, inventory))
    try:
        spec = NotifySpec.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = err["loc"]
            if err["type"] == "extra_forbidden" and str(loc[-1]) in _SECRET_KEYS:
                continue  # reported by _secret_keys with the secret to use
            problems.append(Problem(FILE, line_at(data, loc, data.line), _field(loc), _explain(err)))
        return None, sorted(problems, key=lambda p: p.line or 0)
    return (None if problems else spec), sorted(problems, key=lambda p: p.line or 0)


def _expanded_too_big(data: Any) -> Problem | None:
    """A problem when the file's values, with every alias expanded, are more than ``MAX_VALUES`` (a shared
    node is counted each time it is used, computed once per node: linear in the file)."""
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, dict):
            n = 1 + sum(size(v) for v in node.values())
        elif isinstance(node, list):
            n = 1 + sum(size(v) for v in node)
        else:
            n = 1
        sizes[id(node)] = n
        return n

    if size(data) <= MAX_VALUES:
        return None
    node: Any = data  # the deepest container that is too big: where the aliases multiply
    line = getattr(data, "line", None)
    while True:
        children = list(node.values() if isinstance(node, dict) else node)
        heavy = [i for i, v in enumerate(children) if isinstance(v, (dict, list)) and size(v) > MAX_VALUES]
        if not heavy:
            break
        line = _line(node, list(node)[heavy[0]] if isinstance(node, dict) else heavy[0]) or line
        node = children[heavy[0]]
    return Problem(FILE, line, "", f"more than {MAX_VALUES} values once its aliases (*name) are expanded: "
                                   "notify.yaml is small; write the values out")  # fmt: skip


def _field(loc: Any) -> str:
    """A pydantic location as the inventory's problems write it: ``channels[2].kind``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "":
            out += f".{part}" if out else str(part)
    return out


def _explain(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key (see docs/notify.md for the keys allowed here)"
    if kind == "missing":
        return "required key is missing"
    found = err.get("input")
    shown = _shown(found)
    if kind == "string_pattern_mismatch":
        what = "an address (name@domain)" if "to" in err["loc"] or "sender" in err["loc"] else (
            "a lowercase slug (a-z, 0-9, '-')")  # fmt: skip
        return f"expected {what}, found {shown}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if isinstance(found, (str, int, float, bool)):
        return f"{msg}; found {shown}"
    return msg


def _shown(value: Any) -> str:
    """A refused value as a message quotes it; never a URL or anything that looks like a credential."""
    if isinstance(value, str) and (_URL.search(value) or ("@" in value and ":" in value) or "?" in value):
        return "a URL (not shown: it may hold a token or a password)"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _walk(node: Any, where: str) -> Iterator[tuple[Any, str, Any, int | str]]:
    """(container, path, value, key) for every value below ``node``."""
    if isinstance(node, LineDict):
        for k, v in node.items():
            path = f"{where}.{k}" if where else str(k)
            yield node, path, v, k
            yield from _walk(v, path)
    elif isinstance(node, LineList):
        for i, v in enumerate(node):
            path = f"{where}[{i}]"
            yield node, path, v, i
            yield from _walk(v, path)


def _line(container: Any, key: int | str) -> int | None:
    if isinstance(container, LineDict) and isinstance(key, str):
        return container.line_of(key)
    if isinstance(container, LineList) and isinstance(key, int):
        return container.line_of(key)
    return None


def _urls(data: LineDict, where: str) -> list[Problem]:
    return [
        Problem(
            FILE,
            _line(c, k),
            path,
            "a URL in notify.yaml: URLs (with their tokens and keys) are "
            "secrets; put it in the secret notify-webhook-<channel id>",
        )
        for c, path, v, k in _walk(data, where)
        if isinstance(v, str) and _URL.search(v) and k not in _SECRET_KEYS  # those: _secret_keys
    ]


def _secret_keys(data: LineDict) -> list[Problem]:
    problems = []
    for c, path, _v, k in _walk(data, ""):
        if isinstance(k, str) and k in _SECRET_KEYS:
            channel = c.get("id") if isinstance(c, LineDict) else None
            name = "<channel id>" if not isinstance(channel, str) else channel
            which = {
                "password": SMTP_PASSWORD.name,
                "sign_secret": f"notify-sign-{name} (with sign: true)",
                "secret": f"notify-sign-{name} (with sign: true)",
            }.get(k, f"notify-webhook-{name} (the whole URL)")
            problems.append(
                Problem(FILE, _line(c, k), path, f"'{k}' is never in notify.yaml: it is the secret {which}")
            )
    return problems


def _references(data: LineDict, inventory: Inventory | None) -> list[Problem]:
    """Channel and prefecture references, read from the file as written (also when other keys are wrong, so
    every problem of a route is reported at once)."""
    problems: list[Problem] = []
    raw_channels = data.get("channels")
    seen: dict[str, int] = {}
    has_smtp = isinstance(data.get("smtp"), LineDict)
    for i, ch in enumerate(raw_channels if isinstance(raw_channels, LineList) else LineList()):
        if not isinstance(ch, LineDict) or not isinstance(ch.get("id"), str):
            continue
        line = raw_channels.line_of(i) if isinstance(raw_channels, LineList) else None
        cid = ch["id"]
        if cid in seen:
            problems.append(Problem(FILE, line, f"channels[{i}].id", f"duplicate channel {_shown(cid)}"))
        seen.setdefault(cid, i)
        if ch.get("kind") == "email" and not has_smtp:
            problems.append(
                Problem(FILE, line, f"channels[{i}]", "an email channel needs the 'smtp' section")
            )
    raw_routes = data.get("routes")
    for i, raw in enumerate(raw_routes if isinstance(raw_routes, LineList) else ()):
        if not isinstance(raw, LineDict):
            continue
        names = raw.get("channels")
        for name in names if isinstance(names, LineList) else ():
            if isinstance(name, str) and name not in seen and not _URL.search(name):
                known = ", ".join(sorted(seen)) or "none"
                problems.append(
                    Problem(
                        FILE,
                        _key_line(raw, "channels", raw.line),
                        f"routes[{i}].channels",
                        f"unknown channel {_shown(name)} (channels: {known})",
                    )
                )
        prefectures = raw.get("prefecture")
        if inventory is None or not isinstance(prefectures, LineList):
            continue
        for name in prefectures:
            if not isinstance(name, str) or _URL.search(name):
                continue
            site = inventory.sites.get(name)
            if site is None or site.tier != Tier.PREFECTURE:
                what = "no such site" if site is None else f"a {site.tier} site"
                problems.append(
                    Problem(
                        FILE,
                        _key_line(raw, "prefecture", raw.line),
                        f"routes[{i}].prefecture",
                        f"{_shown(name)} is not a prefecture of the inventory ({what})",
                    )
                )
    return problems


def problems_now(inventory: Inventory, runbooks: Collection[str] | None = None) -> list[str]:
    """What is wrong with the folder's ``notify.yaml`` as it is now (``file:line: ...``), routes naming a
    runbook missing from ``runbooks`` included; empty when it is fine or absent. For the service's start."""
    try:
        config = current(inventory.directory, inventory)
    except InventoryError as exc:
        return [str(p) for p in exc.problems]
    return unknown_runbooks(config, set(runbooks)) if runbooks is not None else []


def unknown_runbooks(config: NotifyConfig, known: set[str]) -> list[str]:
    """Problems of routes naming a runbook that is not in the catalog (``known``: its ids)."""
    out: list[str] = []
    for i, route in enumerate(config.spec.routes):
        out.extend(f"{FILE}: routes[{i}].runbook: unknown runbook {name!r}" for name in route.runbook or ()
                   if name not in known)  # fmt: skip
    return out


def _key_line(raw: Any, key: str, default: int | None) -> int | None:
    return raw.line_of(key) if isinstance(raw, LineDict) else default


__all__ = [
    "EMPTY", "FILE", "SMTP_PASSWORD", "ChannelSpec", "NotifyConfig", "NotifySpec", "RouteSpec", "SmtpSpec",
    "check_notify", "current", "load_notify", "problems_now", "sign_secret", "unknown_runbooks", "url_secret",
]  # fmt: skip
