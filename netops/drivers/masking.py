"""Secrets in configuration text: mask known values and the arguments that platforms keep secrets in.

Part of ``netops.drivers``. ``mask`` is used on every diff, command list, record and API answer;
``SecretLogFilter`` is installed on netmiko's logger (``netops.drivers.cli``), whose debug output echoes
every line written to a device, so that a secret typed into a router never reaches a log.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "******"
_SECRET_PATTERNS = (
    re.compile(r"(\bcommunity (?:read |write )?(?:cipher |simple )?)(\S+)", re.I),
    re.compile(r"(\bsnmp-server community )(\S+)", re.I),
    re.compile(r"(\bpassword (?:\d+ |cipher |simple |irreversible-cipher )?)(\S+)", re.I),
    re.compile(r"(\bsecret (?:\d+ )?)(\S+)", re.I),
    re.compile(r"(\b(?:authentication|privacy|auth|priv)[- ]key (?:cipher |simple )?)(\S+)", re.I),
    re.compile(r"(\bkey (?:\d+ )?(?:cipher |simple )?)(\S+)", re.I),
)


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with known secret values and secret-looking arguments replaced by ``******``."""
    for value in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(value, MASK)
    for pat in _SECRET_PATTERNS:
        text = pat.sub(lambda m: m.group(1) + MASK, text)
    return text


class SecretLogFilter(logging.Filter):
    """Masks registered secret values (and secret-looking arguments) in every record it sees."""

    def __init__(self) -> None:
        super().__init__()
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def register(self, values: Iterable[str]) -> None:
        with self._lock:
            self._values.update(v for v in values if v)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        with self._lock:
            values = list(self._values)
        masked = mask(message, values)
        if masked != message:
            record.msg, record.args = masked, None
        return True


# netmiko logs every line written to a device at debug level: mask secrets there (values registered by
# whoever types them: ``CliSession.open`` its password, the change engine the template secrets). Here, not in
# ``drivers.cli``, so that registering a secret does not import netmiko.
LOG_FILTER = SecretLogFilter()
for _name in ("netmiko", "paramiko"):
    logging.getLogger(_name).addFilter(LOG_FILTER)


def register_secrets(values: Iterable[str]) -> None:
    """Values to mask in netmiko's log records from now on (secrets about to be typed into devices)."""
    LOG_FILTER.register(values)
