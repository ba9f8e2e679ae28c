"""The read-only command grammar: what a ``command`` step or a ``cli`` check may send to a device, per platform.

A command is ONE line: a verb the platform defines as read-only, then arguments made of plain tokens, then
optionally output filters (``| include ...``). Anything else is refused: a control character (a newline in a
rendered parameter would send a second command), a verb outside the list, a redirection (Comware's
``display ... > file``), an IOS ``| redirect``/``| tee``/``| append`` pipe (they write files), an argument-less
``ping`` (IOS asks questions), characters outside the token set (``?`` asks for help, ``;``, quotes, ``#``).

``catalog.py`` checks the verb of every command as written (arguments may be templates); ``steps.py`` checks
every rendered line in full against the grammar of the device's platform, just before it is sent.
"""

from __future__ import annotations

import re
import unicodedata

# the verbs each platform's read-only commands start with (full words, as the playbooks write them)
VERBS: dict[str, frozenset[str]] = {
    "huawei_vrp8": frozenset({"display", "ping", "tracert", "dir"}),
    "huawei_vrp5": frozenset({"display", "ping", "tracert", "dir"}),
    "h3c_comware7": frozenset({"display", "ping", "tracert", "dir"}),
    "cisco_ios": frozenset({"show", "ping", "traceroute", "dir"}),
}
ANY_VERB = frozenset().union(*VERBS.values())
NEEDS_ARGUMENT = frozenset({"ping", "tracert", "traceroute"})
# output filters every platform's pipe offers that only filter what is shown
FILTERS = frozenset({"include", "exclude", "begin", "section", "count", "no-more"})
TOKEN = re.compile(r"[A-Za-z0-9_.,:/@*+=()\[\]^$-]+")
# categories no command, parameter or input may hold: controls (Cc: \n \r \t \x00 \x1b \x7f \x85 ...),
# format characters (Cf: bidi overrides, zero-width), line/paragraph separators, surrogates
_FORBIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def control_characters(text: str) -> list[str]:
    """The control/format/separator characters in ``text``, as ``U+000A`` strings (empty: none)."""
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in _FORBIDDEN]


def verbs_for(platform: str | None) -> frozenset[str]:
    """The read-only verbs of ``platform``; every platform's for ``None``/``default``."""
    return VERBS.get(platform or "", ANY_VERB)


def first_word_problem(template: str, platform: str | None) -> str | None:
    """At load time: the command template's first word must be a literal read-only verb."""
    bad = control_characters(template)
    if bad:
        return f"{template!r} holds control characters ({', '.join(bad)})"
    verb = template.split(maxsplit=1)[0].lower() if template.strip() else ""
    allowed = verbs_for(platform)
    if verb not in allowed:
        return f"{template!r} is not read-only: it must start with one of {', '.join(sorted(allowed))}"
    return None


def command_problem(command: str, platform: str | None) -> str | None:
    """Why ``command`` (rendered, about to be sent to a ``platform`` device) is refused, or ``None``."""
    bad = control_characters(command)
    if bad:
        return f"holds control characters ({', '.join(bad)}): one command per line, nothing else"
    segments = command.split("|")
    words = segments[0].split()
    if not words:
        return "is empty"
    verb = words[0].lower()
    allowed = verbs_for(platform)
    if verb not in allowed:
        return f"is not read-only on {platform or 'any platform'}: it must start with {', '.join(sorted(allowed))}"
    if verb in NEEDS_ARGUMENT and len(words) == 1:
        return f"'{verb}' needs a destination (without one the device asks questions)"
    for word in words[1:]:
        if not TOKEN.fullmatch(word):
            return f"argument {word!r} has characters a read-only command does not take"
    for segment in segments[1:]:
        parts = segment.split()
        if not parts or parts[0].lower() not in FILTERS:
            return f"pipe '|{segment}' is not an output filter ({', '.join(sorted(FILTERS))})"
        for word in parts[1:]:
            if not TOKEN.fullmatch(word):
                return f"filter argument {word!r} has characters a read-only command does not take"
    return None
