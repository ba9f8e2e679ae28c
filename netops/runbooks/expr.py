"""Sandboxed Jinja2 for runbooks: templates (``{{ params.site }}-ce1``) and expressions (``result.ok``).

One ``SandboxedEnvironment`` with ``StrictUndefined`` (a misspelt name fails the step instead of rendering
empty); no file loader, so a template cannot include anything. ``names_used`` walks a template's syntax tree
for the ``params.X`` and ``steps.Y`` it reads, so the catalog can reject names that do not exist before a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.sandbox import SandboxedEnvironment

from netops.errors import ExpressionError as ExpressionError

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render a template; plain text without ``{{``/``{%`` comes back unchanged."""
    if "{{" not in template and "{%" not in template:
        return template
    try:
        return _ENV.from_string(template).render(**context)
    except TemplateError as exc:
        raise ExpressionError(f"cannot render {template!r}: {exc}") from exc


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """The value of an expression such as ``result.cpu_ratio < 0.8``."""
    try:
        return _ENV.compile_expression(expression, undefined_to_none=False)(**context)
    except TemplateError as exc:
        raise ExpressionError(f"cannot evaluate {expression!r}: {exc}") from exc
    except (TypeError, ValueError, KeyError, AttributeError, ZeroDivisionError) as exc:
        raise ExpressionError(f"cannot evaluate {expression!r}: {exc.__class__.__name__}: {exc}") from exc


def syntax_error(text: str, *, expression: bool) -> str | None:
    """None if ``text`` parses, else the parser's message."""
    try:
        if expression:
            _ENV.compile_expression(text)
        else:
            _ENV.parse(text)
    except TemplateError as exc:
        return str(exc)
    return None


def names_used(text: str, *, expression: bool) -> tuple[set[str], set[str]]:
    """The parameter names (``params.X``) and step ids (``steps.Y`` / ``steps['y-z']``) ``text`` reads."""
    source = f"{{{{ {text} }}}}" if expression else text
    try:
        tree = _ENV.parse(source)
    except TemplateError:
        return set(), set()
    params: set[str] = set()
    steps: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        key: Any = None
        if isinstance(node, nodes.Getattr):
            base, key = node.node, node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            base, key = node.node, node.arg.value
        else:
            continue
        if not isinstance(base, nodes.Name):
            continue
        if base.name == "params" and isinstance(key, str):
            params.add(key)
        elif base.name == "steps" and isinstance(key, str):
            steps.add(key)
    return params, steps
