"""Deliver one notice: to the channels a step names and the channels the routes of ``notify.yaml`` choose,
each with bounded retries, every attempt and the result told to ``record`` (the run's transcript).

Where it sits: called by the ``notify`` step of the runbook engine (``netops.runbooks.steps``); uses
``config`` (what to send where), ``channels`` (one attempt per kind) and the secret store. Nothing raises for a
delivery: each channel ends as an ``Outcome`` (``sent`` or not, with the reason); the caller decides what a
failure means for its step (``required``).

Retries: ``attempts`` per channel (default 3), waiting ``backoff`` s before the second attempt and twice as
long before each next one (at most 30 s), never past ``deadline`` (the step's own timeout): a delivery never
turns its step into a timeout. Secrets (URLs with their tokens, signing secrets, the SMTP password) are read
per delivery, so a rotated secret is used at once, and are masked (``<channel>``) in every recorded text.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from netops.errors import InventoryError, NotFoundError, SecretError
from netops.inventory.models import Inventory, SecretRef
from netops.notify import channels as ch
from netops.notify.config import (
    EMPTY,
    SMTP_PASSWORD,
    ChannelSpec,
    NotifyConfig,
    current,
    sign_secret,
    url_secret,
)
from netops.notify.mail import SmtpMailer
from netops.secrets import SecretStore

MAX_DELAY_S = 30.0
CONFIG_CHANNEL = "notify.yaml"  # the outcome of a step whose notify.yaml is invalid
# deliveries since the process started, by (channel, kind, result: delivered, failed, unrouted); read by
# ``netops.notify.metrics`` (netops_notify_deliveries_total). Channel ids are bounded by notify.yaml's size.
DELIVERIES: Counter[tuple[str, str, str]] = Counter()
MIN_ATTEMPT_S = 0.2  # an attempt with less time than this before the deadline is not started
MAIL_CHANNEL = "email"  # the name of a step's own ``email:`` addresses in outcomes and the transcript
Record = Callable[[str], None]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Outcome:
    channel: str
    kind: str
    sent: bool
    attempts: int
    detail: str  # "delivered (HTTP 200, errcode 0)", "not sent: ...", "delivery failed: ..."

    def as_dict(self) -> dict[str, Any]:
        return {"channel": self.channel, "kind": self.kind, "sent": self.sent, "attempts": self.attempts,
                "detail": self.detail}  # fmt: skip


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    problem: str | None = None  # notify.yaml could not be used (the routes did not apply)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.sent]

    def of(self, channel: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.channel == channel), None)


def place(
    inventory: Inventory, params: Mapping[str, Any], types: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """(site, prefecture) of a run, from its first parameter naming a site, device, room or link."""
    for name, kind in types.items():
        value = params.get(name)
        if not isinstance(value, str):
            continue
        try:
            if kind == "site":
                site = value
            elif kind == "device":
                site = inventory.device(value).site
            elif kind == "room":
                site = inventory.room(value).site
            elif kind == "link":
                site = inventory.device(inventory.link(value).a.device).site
            else:
                continue
            return site, inventory.site(site).prefecture
        except NotFoundError:
            continue
    return None, None


async def notify(
    inventory: Inventory,
    secrets: SecretStore,
    notice: ch.Notice,
    *,
    named: list[str],
    emails: list[str] | None = None,
    mailer: Any = None,
    record: Record,
    sleep: Sleep = asyncio.sleep,
    deadline: float | None = None,
) -> Report:
    """Deliver ``notice`` to the ``named`` channels, the routed ones and, if given, the ``emails`` addresses."""
    report = Report()
    broken: Outcome | None = None
    try:  # in a worker thread: reading the file never holds the event loop (it is bounded, too)
        config = await asyncio.to_thread(current, inventory.directory, inventory)
    except InventoryError as exc:  # the named channels still go out; the routes cannot be known
        first = exc.problems[0] if exc.problems else "?"
        report.problem = f"notify.yaml not used, it has {len(exc.problems)} problem(s): {first}"
        record(report.problem)
        detail = f"delivery failed: notify.yaml invalid: {first}"
        broken = Outcome(CONFIG_CHANNEL, "config", False, 0, detail)
        record(f"notify {CONFIG_CHANNEL}: {detail}")
        DELIVERIES["-", "config", "failed"] += 1
        config = EMPTY
    routed = config.routed(notice.severity, notice.prefecture, notice.runbook)
    targets = [*dict.fromkeys([*named, *routed])]
    if routed:
        record(f"routes for severity {notice.severity}, prefecture {notice.prefecture or '-'}, runbook "
               f"{notice.runbook}: {', '.join(routed)}")  # fmt: skip
    known = config.channels
    jobs = [
        _deliver(
            known.get(name) or ChannelSpec(id=name, kind="webhook"),
            notice,
            secrets,
            config,
            None,
            record,
            sleep,
            deadline,
        )
        for name in targets
    ]
    if emails:
        spec = ChannelSpec(id=MAIL_CHANNEL, kind="email", to=emails)
        jobs.append(_deliver(spec, notice, secrets, config, mailer, record, sleep, deadline))
    if not jobs:
        record("no channel: the step names none and no route of notify.yaml matches")
        if broken is None:
            DELIVERIES["-", "-", "unrouted"] += 1
    report.outcomes = list(await asyncio.gather(*jobs))
    if broken is not None:
        report.outcomes.append(broken)
    return report


class _Masked:
    """Replaces a channel's secret values (its URL, the URL's query values, signing secret, password)."""

    def __init__(self, channel: str) -> None:
        self.label = f"<{channel}>"
        self.values: list[str] = []

    def add(self, value: str | None, *, url: bool = False) -> None:
        if not value:
            return
        self.values.append(value)
        if url:
            try:
                query = urlsplit(value).query
            except ValueError:  # not a URL urllib can read: mask everything after '?' and each value
                query = value.partition("?")[2].partition("#")[0]
            self.values.extend(v for v in re.split(r"[&=;]", query) if len(v) >= 4)
            self.values.extend(v for _k, v in parse_qsl(query) if len(v) >= 4)
            self.values.append(query)
        self.values = sorted({v for v in self.values if v}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self.values:
            text = text.replace(value, self.label)
        return text


async def _deliver(
    spec: ChannelSpec,
    notice: ch.Notice,
    secrets: SecretStore,
    config: NotifyConfig,
    mailer: Any,
    record: Record,
    sleep: Sleep,
    deadline: float | None,
) -> Outcome:
    mask = _Masked(spec.id)
    head = f"notify {spec.id} ({spec.kind})"

    def done(sent: bool, attempts: int, detail: str) -> Outcome:
        detail = mask(detail)
        record(f"{head}: {detail}")
        DELIVERIES[spec.id, spec.kind, "delivered" if sent else "failed"] += 1
        return Outcome(spec.id, spec.kind, sent, attempts, detail)

    try:
        send = _sender(spec, notice, secrets, config, mailer, mask)
    except _NotConfigured as exc:
        return done(False, 0, f"not sent: {exc}")
    except Exception as exc:  # noqa: BLE001 - whatever one channel does, the others and the run go on
        return done(False, 0, f"not sent: {_unexpected(exc)}")
    try:
        return await _attempts(spec, send, record, head, mask, done, sleep, deadline)
    except Exception as exc:  # noqa: BLE001 - a bug or an odd secret ends this delivery, never the run
        return done(False, 1, f"delivery failed: {_unexpected(exc)} (not retried)")


def _unexpected(exc: BaseException) -> str:
    """An exception nothing expected, said without its text (it may quote a URL; the text is masked anyway)."""
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return _unexpected(exc.exceptions[0])
    return f"unexpected error ({exc.__class__.__name__})"  # its text may quote a secret (a character of it)


async def _attempts(
    spec: ChannelSpec,
    send: Callable[[float], Awaitable[str]],
    record: Record,
    head: str,
    mask: _Masked,
    done: Callable[[bool, int, str], Outcome],
    sleep: Sleep,
    deadline: float | None,
) -> Outcome:
    delay = spec.backoff
    for attempt in range(1, spec.attempts + 1):
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left < MIN_ATTEMPT_S:
            return done(False, attempt - 1, "delivery failed: no time left within the step's timeout")
        try:
            summary = await send(spec.timeout if left is None else min(spec.timeout, left))
        except ch.DeliveryError as exc:
            reason = mask(str(exc))
            if not exc.transient:
                return done(False, attempt, f"delivery failed: {reason} (not retried: another attempt "
                                            "cannot change this answer)")  # fmt: skip
            if attempt == spec.attempts:
                return done(False, attempt, f"delivery failed after {attempt} attempts: {reason}")
            wait = min(delay, MAX_DELAY_S)
            if deadline is not None and time.monotonic() + wait + MIN_ATTEMPT_S > deadline:
                return done(False, attempt, f"delivery failed: {reason}; no time left within the step's "
                                            "timeout for another attempt")  # fmt: skip
            record(f"{head}: attempt {attempt}/{spec.attempts}: {reason}; again in {wait:g} s")
            await sleep(wait)
            delay *= 2
            continue
        return done(True, attempt, f"delivered ({mask(summary)}), attempt {attempt}/{spec.attempts}")
    return done(False, spec.attempts, "delivery failed")  # not reached: the loop returns


class _NotConfigured(Exception):
    """A channel whose secrets or server are missing: nothing was tried."""


def _secret(secrets: SecretStore, ref: SecretRef) -> str:
    try:
        if not secrets.has(ref):
            raise _NotConfigured(f"the secret {ref.name} is not set")
        return secrets.get(ref)
    except SecretError as exc:
        raise _NotConfigured(f"the secret {ref.name} cannot be read ({exc.__class__.__name__})") from None


def _sender(
    spec: ChannelSpec,
    notice: ch.Notice,
    secrets: SecretStore,
    config: NotifyConfig,
    mailer: Any,
    mask: _Masked,
) -> Callable[[float], Awaitable[str]]:
    """The attempt function of a channel, with its secrets read (``_NotConfigured`` when one is missing)."""
    if spec.kind == "email":
        assert spec.to is not None
        to = spec.to
        if mailer is None:
            smtp = config.spec.smtp
            if smtp is None:
                raise _NotConfigured("no mail sender configured")  # notify.yaml has no smtp section
            password = _secret(secrets, SMTP_PASSWORD) if smtp.username else None
            mask.add(password)
            mailer = SmtpMailer(smtp.host, smtp.port, smtp.sender, smtp.starttls, smtp.username, password,
                                smtp.timeout)  # fmt: skip
        chosen = mailer

        async def send_mail(timeout_s: float) -> str:
            # each SMTP operation waits at most the channel's timeout (and never past the step's deadline)
            limited = (
                replace(chosen, timeout_s=min(chosen.timeout_s, timeout_s))
                if isinstance(chosen, SmtpMailer)
                else chosen
            )
            return await ch.mail(limited, to, notice)

        return send_mail
    ref = url_secret(spec.id)
    if not secrets.has(ref):
        raise _NotConfigured(f"no URL configured ({ref.name})")
    url = _secret(secrets, ref)
    mask.add(url, url=True)
    if not url.startswith(("http://", "https://")):
        raise _NotConfigured(f"the secret {ref.name} is not an http(s) URL")
    try:
        parts = urlsplit(url)
        if not parts.hostname or parts.port == 0:
            raise ValueError("no host")
    except ValueError:  # a bracket left open, a port out of range, no host
        raise _NotConfigured(f"the secret {ref.name} is not a valid http(s) URL (host or port)") from None
    sign = _secret(secrets, sign_secret(spec.id)) if spec.sign else None
    mask.add(sign)
    if spec.kind == "dingtalk":
        body = ch.dingtalk_body(notice, spec.format or "markdown")
    elif spec.kind == "wecom":
        body = ch.wecom_body(notice, spec.format or "markdown")
    else:
        body = ch.webhook_body(notice)

    async def send_http(timeout_s: float) -> str:
        target = ch.signed_url(url, sign) if sign else url  # a fresh timestamp for every attempt
        return await ch.post(spec.kind, target, body, timeout_s)

    return send_http


__all__ = ["CONFIG_CHANNEL", "DELIVERIES", "MAIL_CHANNEL", "Outcome", "Report", "notify", "place"]
