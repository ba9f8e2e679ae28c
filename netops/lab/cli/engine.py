"""The shared CLI engine of the lab: mode stack, command dispatch, configuration lines, questions, errors.

Part of ``netops.lab.cli``: ``server.py`` feeds each typed line to ``Session.handle`` and writes back the
text it returns plus ``Session.prompt()``. Everything platform-specific (prompts, grammar of configuration
lines, exec/display commands, error wording, transaction commands) lives in a ``Dialect`` (``vrp8.py``,
``vrp5.py``, ``comware7.py``, ``ios.py``); this module only knows the shape common to all of them:

- ``frames[0]`` is the exec view (``<name>`` / ``name#``), ``frames[1]`` the system/config view (the root of
  the configuration tree), deeper frames are blocks (``interface X``, ``ospf 1``, ``area 0``);
- a configuration line is checked against the grammar of the innermost view first, then of the enclosing
  views (a line valid only in an outer view leaves the inner ones, as VRP and IOS do);
- accepted lines become ``Edit``s that the dialect stages (VRP8 candidate) or applies (the others).

Output is returned with ``\\n`` line ends; the server turns them into ``\\r\\n``.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from netops.inventory.models import Inventory
from netops.lab.cli.config import ConfigNode, Edit, Keys
from netops.lab.cli.facts import InterfaceNames
from netops.lab.cli.store import DeviceConfig
from netops.lab.state import DeviceState, LabWorld

GENERIC = "generic"  # a block whose inner lines are not modelled: any line is accepted there
_INTERFACE_NAME = re.compile(r"\d*[A-Za-z][A-Za-z-]*\s*\d")  # a type and a number: GE0/0/1, 100GE1/0/1, NULL0


@dataclass(slots=True)
class CliSettings:
    """Knobs shared by every session of one lab run (mutable while the lab runs)."""

    minute_seconds: float = 60.0  # lab speed-up: how long a "minute" of a revert timer lasts


@dataclass(frozen=True, slots=True)
class Rule:
    """A configuration line the device accepts in a view: ``keyword`` then arguments matching ``args``."""

    keyword: str
    args: str = ""  # regex, full match on the rest of the line ("" = no arguments)
    opens: str | None = None  # the view of the block this line opens
    canon: Callable[[str], str] | None = None  # rewrite before storing (interface names)


@dataclass(frozen=True, slots=True)
class Command:
    """An exec-style command (display, save, commit, navigation) valid in ``modes``.

    ``words`` may be abbreviated by the user (``dis cur`` for ``display current-configuration``); what
    follows them must match ``args``; the handler gets the session and that rest.
    """

    words: tuple[str, ...]
    handler: Callable[[Session, str], str]
    modes: str = "exec"  # "exec" (frames[0]), "priv" (IOS ``name#`` only), "config" (any config view), "any"
    args: str = ""

    def match(self, words: list[str]) -> tuple[int, str | None]:
        """(number of leading words matched, the rest when the whole command matched else None)."""
        n = 0
        for spec, word in zip(self.words, words, strict=False):
            if not spec.startswith(word.lower()):
                break
            n += 1
        if n < len(self.words):
            return n, None
        rest = " ".join(words[n:])
        if re.fullmatch(self.args, rest) is None:
            return n, None
        return n, rest


@dataclass(slots=True)
class Frame:
    view: str  # "exec", "system", or a block view: "interface", "ospf", "area", GENERIC, ...
    key: str | None = None  # the key of the block line in the configuration tree
    line: str = ""  # the block line as stored


@dataclass(slots=True)
class Question:
    """The device asked something ([Y/N], a password); the next line typed is the answer."""

    answer: Callable[[str], str]
    echo: bool = True


class Dialect(ABC):
    """What a platform adds to the engine. Subclasses fill the class attributes and override hooks."""

    name = "?"
    undo_word = "undo"
    hostname_word = "sysname"
    ctrl_z_line = "return"  # what Ctrl+Z does in a configuration view
    key_patterns: tuple[str, ...] = ()
    grammar: dict[str, list[Rule]] = {}  # noqa: RUF012  (class-level tables, never mutated)
    commands: list[Command] = []  # noqa: RUF012
    indent = 1
    names: InterfaceNames  # the platform's canonical interface names

    def __init__(self) -> None:
        self.keys = Keys(self.key_patterns)

    # prompts and texts ---------------------------------------------------------------------------------
    @abstractmethod
    def prompt(self, session: Session) -> str: ...

    def banner(self, session: Session) -> str:
        return ""

    @abstractmethod
    def unrecognized(self, prompt: str, line: str, pos: int) -> str: ...

    def incomplete(self, prompt: str, line: str, pos: int) -> str:
        return self.unrecognized(prompt, line, pos)

    @abstractmethod
    def rejected(self, line: str) -> str: ...

    def wrong_value(self, prompt: str, line: str, pos: int, bad_mask: tuple[str, int] | None) -> str:
        """A value the device refuses (``255.255.255.256``, a non-contiguous mask), in the platform's words."""
        return self.unrecognized(prompt, line, pos)

    # configuration -------------------------------------------------------------------------------------
    @abstractmethod
    def initial_config(self, state: DeviceState, inventory: Inventory) -> ConfigNode: ...

    @abstractmethod
    def render(self, tree: ConfigNode, session: Session) -> str: ...

    def initial_frames(self, session: Session) -> list[Frame]:
        return [Frame("exec")]

    def stage(self, session: Session, edit: Edit) -> None:
        """Apply a configuration edit at once (VRP8 overrides: keep it as candidate)."""
        session.store.apply([edit], session.user)


def address_problem(body: str) -> tuple[int, tuple[str, int] | None] | None:
    """``ip address A M``: (position of the bad word, (address, mask) when only the mask is non-contiguous);
    None when the values are valid (or the line is something else)."""
    words = body.split()
    if words[:2] != ["ip", "address"] or len(words) < 4:
        return None
    offsets = word_offsets(body)
    try:
        ip = IPv4Address(words[2])
    except ValueError:
        return offsets[2], None
    if words[3].isdigit() and "." not in words[3]:  # VRP takes a mask length
        return None if 0 <= int(words[3]) <= 32 else (offsets[3], None)
    try:
        mask = int(IPv4Address(words[3]))
    except ValueError:
        return offsets[3], None
    host = ~mask & 0xFFFFFFFF
    if host & (host + 1):
        return offsets[3], (str(ip), mask)
    return None


def caret(prompt: str, pos: int) -> str:
    return " " * (len(prompt) + pos) + "^"


def word_offsets(line: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\S+", line)]


_PIPE = re.compile(r"^(.*?)\s+\|\s+(include|exclude|begin|i|e|b|inc|exc|beg)\s+(.+)$")


def pipe_filter(output: str, how: str, pattern: str) -> str:
    lines = output.splitlines()
    try:
        rx = re.compile(pattern)
    except re.error:
        rx = re.compile(re.escape(pattern))
    if how.startswith("i"):
        lines = [ln for ln in lines if rx.search(ln)]
    elif how.startswith("e"):
        lines = [ln for ln in lines if not rx.search(ln)]
    else:
        for i, ln in enumerate(lines):
            if rx.search(ln):
                lines = lines[i:]
                break
        else:
            lines = []
    return "\n".join(lines) + ("\n" if lines else "")


@dataclass(slots=True)
class Session:
    """One interactive CLI session on one simulated device."""

    dialect: Dialect
    state: DeviceState
    store: DeviceConfig
    settings: CliSettings
    user: str
    inventory: Inventory
    frames: list[Frame] = field(default_factory=list)
    candidate: list[Edit] = field(default_factory=list)  # VRP8 uncommitted edits of this session
    question: Question | None = None
    closed: bool = False
    privileged: bool = True  # IOS: at ``name#`` (False: ``name>``)
    world: LabWorld | None = None  # the whole lab (neighbours, routes, ARP); None in unit tests of the engine

    def __post_init__(self) -> None:
        if not self.frames:
            self.frames = self.dialect.initial_frames(self)

    @property
    def name(self) -> str:
        """The name in the prompt: the running ``sysname``/``hostname`` (the device id until changed)."""
        word = self.dialect.hostname_word + " "
        for node in self.store.running.children:
            if node.line.startswith(word):
                return node.line[len(word) :].strip()
        return self.state.device.id

    @property
    def in_config(self) -> bool:
        return len(self.frames) > 1

    def prompt(self) -> str:
        return self.dialect.prompt(self)

    def ask(self, text: str, answer: Callable[[str], str], echo: bool = True) -> str:
        """Return ``text`` as output and take the next line as the answer (no prompt is printed)."""
        self.question = Question(answer, echo)
        return text

    # the entry point ---------------------------------------------------------------------------------
    def handle(self, raw: str) -> str:
        """Process one typed line; returns the output (the server adds the prompt unless a question waits)."""
        if self.question is not None:
            question, self.question = self.question, None
            return question.answer(raw.strip())
        line = raw.strip()
        if not line:
            return ""
        prompt = self.prompt()
        m = _PIPE.match(line)
        if m and not self.in_config_line(m.group(1)):
            out = self.dispatch(m.group(1), prompt)
            return pipe_filter(out, m.group(2), m.group(3))
        return self.dispatch(line, prompt)

    def in_config_line(self, line: str) -> bool:
        return self.in_config and not line.split()[0].lower().startswith(("dis", "sh", "do"))

    def dispatch(self, line: str, prompt: str) -> str:
        words = line.split()
        modes = ("config", "any") if self.in_config else ("exec", "any", "priv" if self.privileged else "-")
        best = 0
        for cmd in self.dialect.commands:
            if cmd.modes not in modes:
                continue
            n, rest = cmd.match(words)
            if rest is not None:
                return cmd.handler(self, rest)
            best = max(best, n)
        if self.in_config:
            return self.config_line(line, prompt)
        offsets = word_offsets(line)
        if best >= len(offsets):
            return self.dialect.incomplete(prompt, line, len(line))
        return self.dialect.unrecognized(prompt, line, offsets[best])

    # configuration lines -----------------------------------------------------------------------------
    def config_line(self, line: str, prompt: str) -> str:
        for rx in self.state.rejected_lines:
            try:
                hit = re.search(rx, line) is not None
            except re.error:  # a fault given as plain text rather than a regex
                hit = rx in line
            if hit:
                return self.dialect.rejected(line)
        undo = line.split()[0] == self.dialect.undo_word
        body = line.split(None, 1)[1] if undo and len(line.split()) > 1 else line
        if undo and body == line:
            return self.dialect.incomplete(prompt, line, len(line))
        offset = len(line) - len(body)
        chosen: tuple[int, Rule | None] | None = None
        generic_at: int | None = None
        error: tuple[str, int] | None = None
        for idx in range(len(self.frames) - 1, 0, -1):
            view = self.frames[idx].view
            if view == GENERIC:
                generic_at = idx if generic_at is None else generic_at
                continue
            rule, failure = self._match(view, body, undo)
            if rule is not None:
                chosen = (idx, rule)
                break
            if error is None or (failure is not None and failure[1] > error[1]):
                error = failure
        if chosen is None and generic_at is not None:
            chosen = (generic_at, None)
        if chosen is None:
            kind, pos = error or ("unrecognized", 0)
            if kind == "incomplete":
                return self.dialect.incomplete(prompt, line, offset + pos)
            return self.dialect.unrecognized(prompt, line, offset + pos)
        idx, rule = chosen
        if not undo:
            problem = address_problem(body)
            if problem is not None:
                return self.dialect.wrong_value(prompt, line, offset + problem[0], problem[1])
            if (
                rule is not None
                and rule.opens == "interface"
                and not _INTERFACE_NAME.match(body.split(None, 1)[1])
            ):
                # ``interface None``: no interface type and number; the platform refuses it at the name
                return self.dialect.wrong_value(prompt, line, offset + len(rule.keyword) + 1, None)
        del self.frames[idx + 1 :]
        stored = rule.canon(body) if rule is not None and rule.canon is not None else body
        path = tuple(f.key for f in self.frames[2:] if f.key is not None)
        self.dialect.stage(self, Edit(path, stored, remove=undo))
        if rule is not None and rule.opens is not None and not undo:
            self.frames.append(Frame(rule.opens, self.dialect.keys.key(stored), stored))
        return ""

    def _match(self, view: str, body: str, undo: bool) -> tuple[Rule | None, tuple[str, int] | None]:
        failure: tuple[str, int] | None = None
        for rule in self.dialect.grammar.get(view, []):
            kw = rule.keyword
            if body != kw and not body.startswith(kw + " "):
                continue
            rest = body[len(kw) :].strip()
            if undo or re.fullmatch(rule.args, rest):
                return rule, None
            pos = len(kw) + 1
            cand = ("incomplete", len(body)) if not rest else ("unrecognized", pos)
            if failure is None or cand[1] > failure[1]:
                failure = cand
        return None, failure or ("unrecognized", 0)

    # helpers for dialects ----------------------------------------------------------------------------
    def current_block(self) -> ConfigNode:
        """The configuration node of the innermost view (the candidate view on VRP8)."""
        tree = self.view_tree()
        path = [f.key for f in self.frames[2:] if f.key is not None]
        node = self.dialect.keys.block(tree, path)
        return node if node is not None else ConfigNode("")

    def view_tree(self) -> ConfigNode:
        if self.candidate:
            return self.dialect.keys.apply_all(self.store.running, self.candidate)
        return self.store.running

    def to_exec(self) -> None:
        del self.frames[1:]

    def pop(self) -> None:
        """One view up; from the exec view the session ends."""
        if len(self.frames) > 1:
            self.frames.pop()
        else:
            self.closed = True
