"""What a page says and in which language: the ``lang`` attribute of ``<html>`` and the script of its text.

Used by the centre's checks (``centre.py``): the Uyghur portal must be served in Uyghur (``lang="ug"`` and
text in Arabic script), the Chinese one in Chinese (Han), the English one in English (Latin letters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LANG = re.compile(r"<html[^>]*\blang\s*=\s*[\"']?([A-Za-z-]+)", re.IGNORECASE)
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)
SCRIPT_OF = {"zh": "han", "ug": "arabic", "en": "latin"}


def script(text: str) -> str:
    """The dominant script of ``text``'s letters: ``han``, ``arabic``, ``latin`` or ``none``."""
    counts = {"han": 0, "arabic": 0, "latin": 0}
    for ch in text:
        o = ord(ch)
        if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF:
            counts["han"] += 1
        elif 0x0600 <= o <= 0x06FF or 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF:
            counts["arabic"] += 1
        elif ch.isascii() and ch.isalpha():
            counts["latin"] += 1
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else "none"


@dataclass(frozen=True, slots=True)
class Language:
    lang: str | None  # the <html lang> attribute, lowercased
    script: str  # the dominant script of the visible text


def language_of(html: str) -> Language:
    found = _LANG.search(html)
    visible = _TAGS.sub(" ", html)
    return Language(found.group(1).lower() if found else None, script(visible))


def language_problem(expected: str, html: str) -> str | None:
    """None when ``html`` is in ``expected`` (zh/ug/en), else the reason, e.g.
    ``wrong-language: expected ug (arabic), found lang=zh-cn, script han``."""
    found = language_of(html)
    lang_ok = found.lang is not None and found.lang.split("-")[0] == expected
    script_ok = found.script == SCRIPT_OF[expected]
    if lang_ok and script_ok:
        return None
    return (
        f"wrong-language: expected {expected} ({SCRIPT_OF[expected]}), "
        f"found lang={found.lang or 'none'}, script {found.script}"
    )
