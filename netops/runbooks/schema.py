"""The shape of a runbook YAML file (``playbooks/*.yaml``), exactly as written, validated by pydantic.

Every key is declared (``extra="forbid"``). Steps are a union discriminated by ``kind``. Text fields named
``device``, ``command(s)``, ``message``, ``template``, ``prompt`` and trigger ``params`` are Jinja templates
(a notify step's ``webhook`` is not: it names a target the service is configured with); ``when``, ``expect``
and ``concurrency`` are expressions; both are checked for syntax and for the
parameters and steps they name by ``catalog.py``, which also gives every problem its file and line.
See docs/runbooks.md for the format with examples.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag, model_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=63)]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*$", max_length=63)]
Seconds = Annotated[float, Field(gt=0, le=7 * 86400)]
OnFailure = Annotated[str, StringConstraints(pattern=r"^(abort|continue|rollback|goto:[a-z0-9][a-z0-9-]*)$")]
OnTimeout = Annotated[str, StringConstraints(pattern=r"^(abort|continue|goto:[a-z0-9][a-z0-9-]*)$")]
# what the resolution of the alert (or event) that started the run does while the run is at this step
OnResolve = Annotated[str, StringConstraints(pattern=r"^(cancel|continue|goto:[a-z0-9][a-z0-9-]*)$")]

ParamType = Literal[
    "string", "int", "bool", "enum", "regex", "site", "device", "link", "room", "interface", "ip", "secret"
]
PARAM_TYPES: tuple[str, ...] = get_args(ParamType)
INVENTORY_TYPES = ("site", "device", "link", "room")
PLATFORM_KEYS = ("default", "huawei_vrp8", "huawei_vrp5", "h3c_comware7", "cisco_ios")
# a notify step's webhook: the name of a target configured in the service (secret ``notify-webhook-<name>``)
NOTIFY_TARGET = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParamSpec(Spec):
    name: Name
    type: ParamType
    description: str | None = None
    required: bool = True
    default: str | int | bool | None = None
    values: list[str] | None = None  # enum
    pattern: str | None = None  # regex
    min: int | None = None  # int: the smallest value accepted
    max: int | None = None  # int: the largest value accepted
    tier: Literal["region", "prefecture", "county", "department"] | None = None  # site: the tier it must have


class AlertTriggerSpec(Spec):
    """An Alertmanager alert: its ``alertname``, label matchers (``value`` exact, ``~regex`` a full match)."""

    alert: str
    matchers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)  # templates over labels / annotations


class EventTriggerSpec(Spec):
    """An internal event from ``netops.events`` (``incident.opened``, ``incident.resolved``, ``vc.room.red``)."""

    event: Literal["incident.opened", "incident.resolved", "vc.room.red"]
    matchers: dict[str, str] = Field(default_factory=dict)  # over subject and the event's data
    params: dict[str, str] = Field(default_factory=dict)  # templates over subject / data


class ManualTriggerSpec(Spec):
    manual: Literal[True]


def _trigger_kind(value: Any) -> str | None:
    for key in ("alert", "event", "manual"):
        if (isinstance(value, dict) and key in value) or (
            isinstance(value, BaseModel) and hasattr(value, key)
        ):
            return key
    return None


Trigger = Annotated[
    Annotated[AlertTriggerSpec, Tag("alert")]
    | Annotated[EventTriggerSpec, Tag("event")]
    | Annotated[ManualTriggerSpec, Tag("manual")],
    Discriminator(
        _trigger_kind,
        custom_error_type="trigger_kind",
        custom_error_message="a trigger needs one of the keys 'alert', 'event' or 'manual'",
    ),
]


class StepBase(Spec):
    id: Slug
    title: str | None = None
    when: str | None = None
    timeout: Seconds = 60.0
    retries: Annotated[int, Field(ge=0, le=20)] = 0
    retry_delay: Annotated[float, Field(ge=0, le=3600)] = 1.0
    on_failure: OnFailure = "abort"
    on_resolve: OnResolve = "cancel"


Via = Literal["snmp", "cli", "probe", "sip", "status", "precheck", "rate"]


class Probe(Spec):
    """What a ``check`` reads; ``expect`` is an expression over ``result`` (and params, steps, inventory).

    ``precheck``: a fresh precheck round of the room whose codec is ``device`` (colour, failing checks);
    ``rate``: the traffic of ``interface`` on ``device`` measured over two SNMP reads (bits per second)."""

    via: Via
    device: str
    command: str | None = None  # via cli
    interface: str | None = None  # via rate
    expect: str

    @model_validator(mode="after")
    def _cli_needs_command(self) -> Probe:
        if self.via == "cli" and not self.command:
            raise ValueError("a cli check needs 'command' (a show/display command)")
        if self.via != "cli" and self.command:
            raise ValueError(f"'command' is only for via: cli, not via: {self.via}")
        if (self.via == "rate") != bool(self.interface):
            raise ValueError("'interface' is needed by via: rate and only there")
        return self


class GoalSpec(Probe):
    """The runbook's goal: a check over netops' own state that must hold when the steps end, else the run
    ends ``unmet`` (failed or escalated) with the reason. Checked again every ``interval`` s for ``within`` s."""

    title: str
    within: Annotated[float, Field(ge=0, le=86400)] = 0.0
    interval: Annotated[float, Field(gt=0, le=3600)] = 5.0
    unmet: Literal["failed", "escalated"] = "failed"


class NoGoal(Spec):
    """``goal: {none: reason}``: the runbook has no condition to check (the reason says why)."""

    none: Annotated[str, StringConstraints(min_length=10, max_length=500)]


def _goal_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "none" if "none" in value else "check"
    return "none" if isinstance(value, NoGoal) else "check"


Goal = Annotated[
    Annotated[GoalSpec, Tag("check")] | Annotated[NoGoal, Tag("none")], Discriminator(_goal_kind)
]


class CheckStep(StepBase, Probe):
    kind: Literal["check"]


class CommandStep(StepBase):
    kind: Literal["command"]
    device: str
    commands: list[str] | dict[str, list[str]]  # one list, or per platform (``default`` for the others)


class ConfigPushStep(StepBase):
    kind: Literal["config_push"]
    device: str
    template: str  # the configuration lines (a Jinja template)
    confirm: Seconds = 300.0  # the device reverts by itself unless the change is confirmed within this
    # the manual_confirm step whose approval may override the conference freeze: its input
    # ``freeze_override`` (a reason) given = push to a frozen device (recorded); absent = refused when frozen
    freeze_override: Slug | None = None


class WaitUntilStep(StepBase):
    kind: Literal["wait_until"]
    until: Probe
    interval: Annotated[float, Field(gt=0, le=3600)] = 10.0
    timeout: Seconds = 600.0


class InputSpec(Spec):
    name: Name
    type: Literal["string", "int", "regex", "enum", "interface", "ip"] = "string"
    pattern: str | None = None
    values: list[str] | None = None
    required: bool = True


class ManualConfirmStep(StepBase):
    kind: Literal["manual_confirm"]
    prompt: str
    role: Literal["operator", "engineer", "admin"] = "operator"
    inputs: list[InputSpec] = Field(default_factory=list)
    timeout: Seconds = 3600.0
    on_timeout: OnTimeout = "abort"


class NotifyStep(StepBase):
    """Tell people: ``message`` goes to the channels named here (``webhook``, ``channels``: channels of
    ``notify.yaml``, never URLs), to the channels its routes choose (by severity, prefecture, runbook) and to
    ``email`` addresses; see docs/notify.md. A failed delivery is recorded; it fails the step only when
    ``required`` (then ``on_failure`` decides)."""

    kind: Literal["notify"]
    message: str
    webhook: str | None = None  # a channel's name (never a URL, never a template); kept for older runbooks
    channels: list[str] = Field(default_factory=list)  # more channel names
    email: list[str] | None = None  # through notify.yaml's smtp server (or the engine's mail sender)
    severity: Literal["critical", "major", "minor", "warning", "info"] | None = None  # default: the runbook's
    required: bool = False  # True: the step fails unless every channel delivered (and there was one)

    @model_validator(mode="after")
    def _targets_are_names(self) -> NotifyStep:
        for name in [self.webhook, *self.channels] if self.webhook is not None else self.channels:
            if not NOTIFY_TARGET.match(name):
                raise ValueError(
                    f"webhook names a notification target configured in the service (a slug such as 'noc', "
                    f"a channel of notify.yaml whose URL is the secret notify-webhook-<name>), not a URL or a "
                    f"template; found {name!r}"
                )
        return self


CodecAction = Literal["standby-deactivate", "sip-reregister", "systemunit-boot", "dial-conference"]
CODEC_ACTIONS: tuple[str, ...] = get_args(CodecAction)


class CodecCommandStep(StepBase):
    """Make a codec act through its xAPI (``POST /putxml`` with the codec's credential from the secret store;
    ``netops/runbooks/codec.py``): ``standby-deactivate`` (xCommand Standby Deactivate: wake it),
    ``sip-reregister`` (re-apply its SIP proxy, xConfiguration SIP Proxy 1 Address: it registers again),
    ``systemunit-boot`` (xCommand SystemUnit Boot: restart; the step ends when the codec answers again),
    ``dial-conference`` (xCommand Dial Number: the running conference of the codec's room, as the live rounds
    dial it)."""

    kind: Literal["codec_command"]
    device: str
    command: CodecAction
    timeout: Seconds = 300.0  # a restart: until the codec answers again


class RunbookStep(StepBase):
    kind: Literal["runbook"]
    runbook: Slug
    params: dict[str, str] = Field(default_factory=dict)
    timeout: Seconds = 3600.0


Step = Annotated[
    CheckStep
    | CommandStep
    | ConfigPushStep
    | WaitUntilStep
    | ManualConfirmStep
    | NotifyStep
    | RunbookStep
    | CodecCommandStep,
    Field(discriminator="kind"),
]


class RunbookSpec(Spec):
    id: Slug
    title: str
    severity: Literal["critical", "major", "minor", "warning", "info"]
    plan_section: str  # the section of the emergency plan this runbook implements
    description: str | None = None
    approval: Literal["none", "start"] = "none"  # start: triggered runs are proposed until approved
    concurrency: str | None = None  # an expression; one active run per value
    goal: Goal | None = None  # required by the catalog (``goal: {none: reason}`` when there is none)
    triggers: list[Trigger] = Field(default_factory=list)
    parameters: list[ParamSpec] = Field(default_factory=list)
    steps: Annotated[list[Step], Field(min_length=1)]
    finally_: list[Step] = Field(default_factory=list, alias="finally")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def all_steps(self) -> list[Any]:
        return [*self.steps, *self.finally_]
