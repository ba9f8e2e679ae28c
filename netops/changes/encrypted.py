"""Secrets a device shows encrypted: compared by their place, not their value.

Real devices never show a secret as it was typed. VRP shows ``snmp-agent community read cipher <plain>`` as
``snmp-agent community read cipher %^%#...%^%#`` and ``local-user x password irreversible-cipher <plain>`` as
``... irreversible-cipher $1a$...$``; Comware 7 shows ``... community read simple <plain>`` as
``... community read cipher $c$3$...``; IOS shows ``username x password <plain>`` as ``... password 7 <hex>``
(with ``service password-encryption``) and ``secret <plain>`` as ``secret 9 $9$...``. Compared as text, every
such line would differ for ever: each diff would show it, each push would send it again, drift would never be
zero and a journal could not tell an old configuration from a new one.

``reconcile`` puts, in the running text, the intended line in place of a running line that holds an encrypted
value where the intended line holds the plain one, when the two lines are the same once the secret argument
and its form keyword (``cipher``/``simple``/``irreversible-cipher``/type digit) are left out. Those lines are
reported as *unverified*: the device cannot say whether the value is the intended one. A secret that changed
(rotation) is therefore not seen by a diff; what proves a value works is using it: the poller's SNMP verdict
(a wrong community or key makes the device ``unmanaged``, docs/polling.md) and the CLI login for passwords.
"""

from __future__ import annotations

import re

from netops.drivers.masking import MASK, mask

# values as devices show them encrypted or hashed (never as typed)
_ENCRYPTED_VALUE = re.compile(
    r"^(?:%\^%#\S*%\^%#|%@%@\S*%@%@|%\$%\$\S*%\$%\$"  # VRP cipher forms
    r"|\$c\$\d\$\S+"  # Comware 7
    r"|\$\d[a-z]?\$\S+)$"  # VRP irreversible-cipher ($1a$...), IOS type 8/9 ($8$, $9$), MD5 type 5 ($1$)
)
_TYPED = re.compile(r"\b(password|secret|key) ([5789]) (\S+)")  # IOS: the type digit says it is encrypted
_FORM = re.compile(r"\b(?:cipher|simple|irreversible-cipher|[0-9]) (?=" + re.escape(MASK) + ")")


def shape(line: str) -> str:
    """A configuration line with its secret argument and the argument's form left out."""
    return _FORM.sub("", mask(line.strip()))


def encrypted(line: str) -> bool:
    """Does the line show a secret as the device stores it (encrypted or hashed), not as typed?"""
    if mask(line) == line:
        return False
    if _TYPED.search(line):
        return True
    return any(_ENCRYPTED_VALUE.match(token) for token in line.split())


def reconcile(running: str, intended: str) -> tuple[str, list[str]]:
    """``running`` with each encrypted secret line replaced by the intended line of the same shape; and those
    intended lines, masked (the unverified ones)."""
    wanted: dict[str, str] = {}
    present = {ln.strip() for ln in running.splitlines()}
    for line in intended.splitlines():
        text = line.strip()
        if text and mask(text) != text and not encrypted(text) and text not in present:
            wanted.setdefault(shape(text), text)
    if not wanted:
        return running, []
    out: list[str] = []
    unverified: list[str] = []
    for line in running.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        text = body.strip()
        plain = wanted.get(shape(text)) if text and encrypted(text) else None
        if plain is None:
            out.append(line)
            continue
        indent = body[: len(body) - len(body.lstrip())]
        out.append(indent + plain + line[len(body) :])
        unverified.append(mask(plain))
    return "".join(out), unverified
