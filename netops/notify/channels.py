"""One delivery attempt per channel kind: the request each receiver expects and how to read its answer.

Where it sits: under ``netops.notify.deliver`` (which retries, records and routes); over httpx and the SMTP
sender (``netops.runbooks.mail``). An attempt returns a short summary of the answer or raises
``DeliveryError`` with ``transient`` (another attempt may help: a 5xx or 429, a network error, a robot's
``errcode`` other than the known permanent ones) or not (another 4xx, a refused signature or key).

The formats, as the receivers document them (sources in docs/notify.md):
- ``webhook``: ``POST`` of a JSON object (``run``, ``runbook``, ``title``, ``step``, ``severity``, ``prefecture``,
  ``site``, ``message``); any 2xx is delivered.
- ``dingtalk`` (custom robot, ``https://oapi.dingtalk.com/robot/send?access_token=...``):
  ``{"msgtype": "markdown", "markdown": {"title", "text"}}`` or ``{"msgtype": "text", "text": {"content"}}``;
  signing adds ``&timestamp=<ms>&sign=<urlencode(base64(HmacSHA256(key=secret, "<ms>\\n<secret>")))>``; the
  answer is ``{"errcode": 0, "errmsg": "ok"}`` (310000: keywords / signature / IP refused: permanent).
- ``wecom`` (企业微信 group robot, ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``):
  ``{"msgtype": "text", "text": {"content"}}`` (at most 2048 bytes) or ``{"msgtype": "markdown",
  "markdown": {"content"}}`` (at most 4096 bytes); answer ``{"errcode": 0, "errmsg": "ok"}`` (93000: invalid
  webhook URL: permanent; 45009: rate limited: retried).
- ``email``: one message through the configured SMTP server (4xx replies retried, 5xx not).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from netops.errors import NetopsError
from netops.notify.mail import MailError, SmtpMailer, header_value

# httpx logs every request's URL at INFO, and a robot's URL holds its access_token/key (and the signature):
# kept at WARNING wherever this module is used (``quiet_http_logs`` again after a logging set-up)
HTTP_LOGGERS = ("httpx", "httpcore")


def quiet_http_logs() -> None:
    """httpx and httpcore log at WARNING at most: their INFO/DEBUG lines quote request URLs (secrets)."""
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


quiet_http_logs()

# answers that no retry can change (see the module docstring)
PERMANENT_ERRCODES = {"dingtalk": {310000}, "wecom": {93000}}
WECOM_LIMITS = {"text": 2048, "markdown": 4096}  # bytes of content
MESSAGE_LIMIT = 4000  # characters of a message in any body


class DeliveryError(NetopsError):
    """One attempt that did not deliver; ``transient``: another attempt may."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class Notice:
    """What is told: one ``notify`` step of one run, rendered and masked."""

    run: str
    runbook: str
    title: str
    step: str
    severity: str
    message: str
    site: str | None = None
    prefecture: str | None = None

    @property
    def place(self) -> str:
        if self.site and self.prefecture and self.site != self.prefecture:
            return f"{self.site} ({self.prefecture})"
        return self.site or self.prefecture or "region"

    def footer(self) -> str:
        return f"runbook {self.runbook}, run {self.run}, step {self.step}; {self.place}"


def webhook_body(notice: Notice) -> dict[str, Any]:
    return {"run": notice.run, "runbook": notice.runbook, "title": notice.title, "step": notice.step,
            "severity": notice.severity, "prefecture": notice.prefecture, "site": notice.site,
            "message": notice.message[:MESSAGE_LIMIT]}  # fmt: skip


def dingtalk_body(notice: Notice, fmt: str) -> dict[str, Any]:
    head = f"[{notice.severity}] {notice.title}"
    message = notice.message[:MESSAGE_LIMIT]
    if fmt == "text":
        return {"msgtype": "text", "text": {"content": f"{head}\n{message}\n{notice.footer()}"}}
    text = f"#### {head}\n\n{message}\n\n> {notice.footer()}"
    return {"msgtype": "markdown", "markdown": {"title": head[:64], "text": text}}


def wecom_body(notice: Notice, fmt: str) -> dict[str, Any]:
    head = f"[{notice.severity}] {notice.title}"
    message = notice.message[:MESSAGE_LIMIT]
    if fmt == "text":
        content = clip_bytes(f"{head}\n{message}\n{notice.footer()}", WECOM_LIMITS["text"])
        return {"msgtype": "text", "text": {"content": content}}
    colour = "warning" if notice.severity in ("critical", "major") else "info"
    content = f'**<font color="{colour}">{head}</font>**\n{message}\n> <font color="comment">{notice.footer()}</font>'
    return {"msgtype": "markdown", "markdown": {"content": clip_bytes(content, WECOM_LIMITS["markdown"])}}


def clip_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, on a character boundary, marked with an ellipsis."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", errors="ignore") + "…"


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """DingTalk's signature: base64 of HmacSHA256 (key: the secret) over ``"<timestamp>\\n<secret>"``."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={stamp}&sign={quote(dingtalk_sign(stamp, secret), safe='')}"


async def post(kind: str, url: str, body: dict[str, Any], timeout_s: float) -> str:
    """POST ``body``; the summary of a delivered answer, else ``DeliveryError`` (the URL is never in it)."""
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.post(url, json=body)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"no answer ({exc.__class__.__name__})", transient=True) from exc
    status = response.status_code
    if status >= 500 or status == 429:
        raise DeliveryError(f"HTTP {status}", transient=True)
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}", transient=False)
    if kind == "webhook":
        return f"HTTP {status}"
    try:
        answer = response.json()
        code = int(answer.get("errcode", -1))
    except (ValueError, AttributeError, TypeError):
        raise DeliveryError(f"HTTP {status} without a robot answer (JSON errcode)", transient=True) from None
    if code == 0:
        return f"HTTP {status}, errcode 0"
    errmsg = " ".join(str(answer.get("errmsg", "")).split())[:160]
    raise DeliveryError(
        f"errcode {code}{': ' + errmsg if errmsg else ''}", transient=code not in PERMANENT_ERRCODES[kind]
    )


async def mail(mailer: Any, to: list[str], notice: Notice) -> str:
    """One message through ``mailer`` (an ``SmtpMailer``, or any ``Mailer`` the engine was given)."""
    subject = header_value(f"[netops] {notice.title} ({notice.severity})")  # a title may hold a line break
    body = f"{notice.message}\n\n-- \n{notice.footer()}; severity {notice.severity}\n"
    try:
        if isinstance(mailer, SmtpMailer):
            return await mailer.submit(to, subject, body)
        await mailer.send(to, subject, body)
    except MailError as exc:
        raise DeliveryError(str(exc), transient=exc.transient) from exc
    except NetopsError as exc:
        raise DeliveryError(str(exc), transient=True) from exc
    return f"sent to {len(to)}"


__all__ = [
    "HTTP_LOGGERS",
    "DeliveryError",
    "Notice",
    "clip_bytes",
    "dingtalk_body",
    "dingtalk_sign",
    "mail",
    "post",
    "quiet_http_logs",
    "signed_url",
    "webhook_body",
    "wecom_body",
]  # fmt: skip
