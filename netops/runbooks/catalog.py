"""Load and validate a folder of runbooks (``playbooks/*.yaml``) into a ``Catalog``; every problem at once.

Pass 1 is the shape (``schema.py`` through pydantic); each error is placed on its line with the line-aware
reader of the inventory (``read_yaml``/``line_at``). Pass 2 checks what the shape cannot: unique ids, ``goto``
targets, template and expression syntax, the parameters and steps that templates name, parameter types
(enum values, regex patterns), read-only commands, trigger parameters, and runbooks that call unknown ones.
Problems are ``Problem(file, line, field, message)``, the same type the inventory uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from netops.errors import NotFoundError, Problem
from netops.errors import RunbookError as RunbookError
from netops.inventory.yamlsource import LineDict, LineList, line_at, read_yaml
from netops.runbooks import expr
from netops.runbooks.readonly import first_word_problem
from netops.runbooks.schema import (
    PLATFORM_KEYS,
    AlertTriggerSpec,
    CheckStep,
    CommandStep,
    ConfigPushStep,
    EventTriggerSpec,
    GoalSpec,
    ManualConfirmStep,
    RunbookSpec,
    RunbookStep,
    WaitUntilStep,
)


@dataclass(frozen=True, slots=True)
class Runbook:
    spec: RunbookSpec
    file: str
    text: str  # the YAML as written, for `show`

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(slots=True)
class Catalog:
    directory: Path | None
    runbooks: dict[str, Runbook] = field(default_factory=dict)

    def get(self, ident: str) -> Runbook:
        try:
            return self.runbooks[ident]
        except KeyError:
            raise NotFoundError("runbook", ident, sorted(self.runbooks)) from None


def _explain(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key (see docs/runbooks.md for the keys allowed here)"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        return (
            f"unknown step kind {err['input'].get('kind')!r}; expected one of {err['ctx']['expected_tags']}"
        )
    if kind == "union_tag_not_found":
        return (
            "a step needs 'kind' (check, command, config_push, wait_until, manual_confirm, notify, runbook)"
        )
    msg = str(err["msg"]).removeprefix("Value error, ")
    found = err.get("input")
    if isinstance(found, (str, int, float, bool)):
        return f"{msg}; found {found!r}"
    return msg


def _clean_loc(raw: Any, loc: tuple[Any, ...]) -> list[Any]:
    """Drop the union tags pydantic puts in error locations (``steps.0.check.device`` -> ``steps.0.device``)."""
    out: list[Any] = []
    node = raw
    skipped = False
    for part in loc:
        if isinstance(node, LineDict) and isinstance(part, str):
            prev_item = bool(out) and isinstance(out[-1], int)
            is_tag = part == node.get("kind") or (out[:1] == ["triggers"] and len(out) == 2)
            if (
                not skipped
                and prev_item
                and is_tag
                and part in ("alert", "event", "manual", str(node.get("kind")))
            ):
                skipped = True
                continue  # a union tag, not a key
            out.append(part)
            node = node.get(part)
        elif isinstance(node, LineList) and isinstance(part, int):
            out.append(part)
            node = node[part] if 0 <= part < len(node) else None
        else:
            out.append(part)
            node = None
    return out


def _shape(raw: Any, file: str, problems: list[Problem]) -> RunbookSpec | None:
    if not isinstance(raw, LineDict):
        problems.append(Problem(file, 1, "", f"expected a mapping (a runbook), found {type(raw).__name__}"))
        return None
    try:
        return RunbookSpec.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = _clean_loc(raw, tuple(err["loc"]))
            where = ".".join(str(p) for p in loc)
            problems.append(Problem(file, line_at(raw, loc, raw.line), where, _explain(err)))
        return None


def _texts(step: Any) -> list[tuple[str, str, bool]]:
    """(field, text, is_expression) of every template/expression in a step."""
    out: list[tuple[str, str, bool]] = []
    if step.when:
        out.append(("when", step.when, True))
    for name in ("device", "message", "template", "prompt"):
        value = getattr(step, name, None)
        if isinstance(value, str):
            out.append((name, value, False))
    if isinstance(step, CheckStep):
        out.append(("expect", step.expect, True))
        if step.command:
            out.append(("command", step.command, False))
        if step.interface:
            out.append(("interface", step.interface, False))
    if isinstance(step, WaitUntilStep):
        out += [("until.device", step.until.device, False), ("until.expect", step.until.expect, True)]
        if step.until.command:
            out.append(("until.command", step.until.command, False))
        if step.until.interface:
            out.append(("until.interface", step.until.interface, False))
    if isinstance(step, CommandStep):
        lists = step.commands if isinstance(step.commands, dict) else {"": step.commands}
        for key, cmds in lists.items():
            out += [(f"commands.{key}.{i}" if key else f"commands.{i}", c, False) for i, c in enumerate(cmds)]
    if isinstance(step, RunbookStep):
        out += [(f"params.{k}", v, False) for k, v in step.params.items()]
    return out


def _check(spec: RunbookSpec, raw: LineDict, file: str, problems: list[Problem]) -> None:
    def add(loc: list[Any], fld: str, message: str) -> None:
        problems.append(Problem(file, line_at(raw, loc, raw.line), fld, message))

    param_names = {p.name for p in spec.parameters}
    for i, p in enumerate(spec.parameters):
        if p.type == "enum" and not p.values:
            add(["parameters", i], f"parameters.{i}.values", f"enum parameter {p.name!r} needs 'values'")
        if p.type == "regex":
            if not p.pattern:
                add(
                    ["parameters", i],
                    f"parameters.{i}.pattern",
                    f"regex parameter {p.name!r} needs 'pattern'",
                )
            else:
                try:
                    re.compile(p.pattern)
                except re.error as exc:
                    add(["parameters", i, "pattern"], f"parameters.{i}.pattern", f"invalid regex: {exc}")
        if p.type == "secret" and p.default is not None:
            add(["parameters", i, "default"], f"parameters.{i}.default", "a secret parameter has no default")
    seen: dict[str, int] = {}
    for i, p in enumerate(spec.parameters):
        if p.name in seen:
            add(["parameters", i, "name"], f"parameters.{i}.name", f"duplicate parameter {p.name!r}")
        seen[p.name] = i

    sections = [("steps", spec.steps), ("finally", spec.finally_)]
    ids: dict[str, str] = {}
    order: list[str] = []
    for section, steps in sections:
        for i, step in enumerate(steps):
            if step.id in ids:
                add(
                    [section, i, "id"],
                    f"{section}.{i}.id",
                    f"duplicate step id {step.id!r} (first in {ids[step.id]})",
                )
            ids.setdefault(step.id, f"{section}.{i}")
            order.append(step.id)
    main_ids = {s.id for s in spec.steps}
    for section, steps in sections:
        for i, step in enumerate(steps):
            base = [section, i]
            targets = [("on_failure", step.on_failure), ("on_resolve", step.on_resolve)]
            if isinstance(step, ManualConfirmStep):
                targets.append(("on_timeout", step.on_timeout))
            for fld, value in targets:
                if value.startswith("goto:") and value[5:] not in main_ids:
                    add([*base, fld], f"{section}.{i}.{fld}", f"goto names unknown step {value[5:]!r}")
            if section == "finally" and step.on_failure.startswith("goto:"):
                add([*base, "on_failure"], f"{section}.{i}.on_failure", "no goto in the finally section")
            if isinstance(step, ConfigPushStep) and step.freeze_override:
                why = _override_problem(spec, step)
                if why:
                    add([*base, "freeze_override"], f"{section}.{i}.freeze_override", why)
            for fld, text, is_expr in _texts(step):
                top = fld.split(".")[0]
                loc = [*base, top]
                err = expr.syntax_error(text, expression=is_expr)
                if err:
                    add(loc, f"{section}.{i}.{fld}", f"template syntax error: {err}")
                    continue
                params_used, steps_used = expr.names_used(text, expression=is_expr)
                for name in sorted(params_used - param_names):
                    add(loc, f"{section}.{i}.{fld}", f"names unknown parameter {name!r}")
                for name in sorted(steps_used):
                    sid = name.replace("_", "-")
                    if sid not in ids:
                        add(loc, f"{section}.{i}.{fld}", f"names unknown step {name!r}")
            if isinstance(step, CommandStep):
                lists = step.commands if isinstance(step.commands, dict) else {"": step.commands}
                for key, cmds in lists.items():
                    if key and key not in PLATFORM_KEYS:
                        add([*base, "commands", key], f"{section}.{i}.commands.{key}", "unknown platform")
                    for cmd in cmds:
                        why = first_word_problem(cmd, key or None)
                        if why:
                            add(
                                [*base, "commands"],
                                f"{section}.{i}.commands",
                                f"{why}; use config_push to change a device",
                            )
            probes = (
                [step]
                if isinstance(step, CheckStep)
                else [step.until]
                if isinstance(step, WaitUntilStep)
                else []
            )
            for probe in probes:
                why = first_word_problem(probe.command, None) if probe.command else None
                if why:
                    add([*base], f"{section}.{i}.command", why)

    for i, trig in enumerate(spec.triggers):
        if isinstance(trig, (AlertTriggerSpec, EventTriggerSpec)):
            for name, text in trig.params.items():
                loc = ["triggers", i, "params", name]
                if name not in param_names:
                    add(loc, f"triggers.{i}.params.{name}", f"sets unknown parameter {name!r}")
                err = expr.syntax_error(text, expression=False)
                if err:
                    add(loc, f"triggers.{i}.params.{name}", f"template syntax error: {err}")
            missing = [
                p.name
                for p in spec.parameters
                if p.required and p.default is None and p.name not in trig.params and p.type != "secret"
            ]
            if missing:
                add(
                    ["triggers", i],
                    f"triggers.{i}.params",
                    f"does not set required parameter(s) {', '.join(missing)}",
                )
            for key, value in trig.matchers.items():
                if value.startswith("~"):
                    try:
                        re.compile(value[1:])
                    except re.error as exc:
                        add(
                            ["triggers", i, "matchers", key],
                            f"triggers.{i}.matchers.{key}",
                            f"invalid regex: {exc}",
                        )
    _check_goal(spec, raw, add, param_names, ids)
    if spec.concurrency:
        err = expr.syntax_error(spec.concurrency, expression=True)
        if err:
            add(["concurrency"], "concurrency", f"expression syntax error: {err}")


def _override_problem(spec: RunbookSpec, step: ConfigPushStep) -> str | None:
    """A push's ``freeze_override`` names an earlier manual_confirm step with the input ``freeze_override``."""
    earlier = []
    for s in spec.steps:
        if s.id == step.id:
            break
        earlier.append(s)
    named = next((s for s in earlier if s.id == step.freeze_override), None)
    if not isinstance(named, ManualConfirmStep):
        return f"names {step.freeze_override!r}, which is not an earlier manual_confirm step"
    if not any(i.name == "freeze_override" for i in named.inputs):
        return f"step {named.id!r} has no input 'freeze_override' (the reason to push during a conference)"
    if any(i.name == "freeze_override" and i.required for i in named.inputs):
        return f"the input 'freeze_override' of {named.id!r} must be optional (an override is a choice)"
    return None


def _check_goal(
    spec: RunbookSpec, raw: LineDict, add: Any, param_names: set[str], ids: dict[str, str]
) -> None:
    """Every runbook declares its goal: a check over netops' state, or ``{none: reason}``."""
    if spec.goal is None:
        add(["id"], "goal", "missing: declare the goal (a check: title, via, device, expect) or "
                            "'goal: {none: <why there is nothing to check>}'")  # fmt: skip
        return
    if not isinstance(spec.goal, GoalSpec):
        return
    texts = [("device", spec.goal.device, False), ("expect", spec.goal.expect, True)]
    texts += [
        (f, v, False) for f, v in (("command", spec.goal.command), ("interface", spec.goal.interface)) if v
    ]
    for fld, text, is_expr in texts:
        err = expr.syntax_error(text, expression=is_expr)
        if err:
            add(["goal", fld], f"goal.{fld}", f"template syntax error: {err}")
            continue
        params_used, steps_used = expr.names_used(text, expression=is_expr)
        for name in sorted(params_used - param_names):
            add(["goal", fld], f"goal.{fld}", f"names unknown parameter {name!r}")
        for name in sorted(steps_used):
            if name.replace("_", "-") not in ids:
                add(["goal", fld], f"goal.{fld}", f"names unknown step {name!r}")
    if spec.goal.command:
        why = first_word_problem(spec.goal.command, None)
        if why:
            add(["goal", "command"], "goal.command", why)


def load_catalog(directory: str | Path) -> Catalog:
    """Read every ``*.yaml`` under ``directory``. Raises ``RunbookError`` with every problem found."""
    root = Path(directory)
    problems: list[Problem] = []
    catalog = Catalog(root)
    if not root.is_dir():
        raise RunbookError([Problem(str(root), None, "", "not a folder of runbooks")])
    specs: list[tuple[RunbookSpec, LineDict, str]] = []
    for path in sorted(root.rglob("*.yaml")):
        display = path.relative_to(root).as_posix()
        raw, found = read_yaml(path, display)
        problems += found
        if raw is None and not found:
            problems.append(Problem(display, 1, "", "empty file"))
            continue
        if raw is None:
            continue
        spec = _shape(raw, display, problems)
        if spec is None:
            continue
        _check(spec, raw, display, problems)
        if spec.id in catalog.runbooks:
            problems.append(
                Problem(
                    display,
                    raw.line_of("id"),
                    "id",
                    f"duplicate runbook id {spec.id!r} (first in {catalog.runbooks[spec.id].file})",
                )
            )
            continue
        catalog.runbooks[spec.id] = Runbook(spec, display, path.read_text(encoding="utf-8"))
        specs.append((spec, raw, display))
    for spec, raw, display in specs:
        for section, steps in (("steps", spec.steps), ("finally", spec.finally_)):
            for i, step in enumerate(steps):
                if isinstance(step, RunbookStep) and step.runbook not in catalog.runbooks:
                    problems.append(
                        Problem(
                            display,
                            line_at(raw, [section, i, "runbook"], raw.line),
                            f"{section}.{i}.runbook",
                            f"calls unknown runbook {step.runbook!r}",
                        )
                    )
                elif isinstance(step, RunbookStep) and step.runbook == spec.id:
                    problems.append(
                        Problem(
                            display,
                            line_at(raw, [section, i, "runbook"], raw.line),
                            f"{section}.{i}.runbook",
                            "a runbook cannot call itself",
                        )
                    )
    if problems:
        raise RunbookError(problems)
    return catalog
