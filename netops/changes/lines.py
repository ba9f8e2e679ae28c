"""A change given as configuration lines to merge into a device's running configuration (runbooks, by hand).

Part of ``netops.changes``, beside the template flow (render -> diff -> push): here the intended configuration
is the running one with the lines merged in (``LinesSource``, a ``push.ChangeSource``), so the same diff, lock,
confirmed commit, post-checks, confirm-or-revert and records apply (``push.Pusher``, ``records``). The lines
are written as the templates are (blocks indented one space per level); ``undo X`` / ``no X`` removes ``X``
(and every ``X ...``) from its block, a line of a replacing key (``description``, ``ip address``) replaces its
sibling, any other line is added.

- ``diff_lines``: the dry run: reads the running configuration and diffs; no lock, nothing written.
- ``push_lines``: one device, one recorded change (``netops config changes`` lists it).
- ``rollback_lines``: undo one recorded change of one device by pushing its inverse (itself recorded), which
  works after a restart too; a change whose diff holds a masked secret cannot be inverted from the record.

The conference freeze is not applied here (runbooks push in emergencies, after a person approved).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from netops.changes import records
from netops.changes.apply import record_result
from netops.changes.diff import MASK, ConfigDiff, compare, mask, unavailable
from netops.changes.push import Pusher, PushOptions, PushResult
from netops.changes.records import ChangeState, DeviceOutcome
from netops.changes.render import RenderedConfig
from netops.changes.service import known_secrets
from netops.drivers.cli import CliSession, Timeouts, register_secrets
from netops.drivers.platforms import driver_for
from netops.drivers.platforms.syntax import Node, Syntax, syntax_for
from netops.drivers.snmp.source import SnmpSource
from netops.errors import ConflictError, DeviceError
from netops.inventory.models import Device, Inventory
from netops.secrets import SecretStore
from netops.store.db import Store

log = logging.getLogger(__name__)

LINES_TEMPLATE = "(lines)"  # the ``template`` of a lines change in its RenderedConfig and record
DONE_OUTCOMES = frozenset({DeviceOutcome.CONFIRMED, DeviceOutcome.UNCHANGED})


# -- the merge --------------------------------------------------------------------------------------------
def _twin(syntax: Syntax, siblings: list[Node], line: str) -> Node | None:
    """The sibling ``line`` corresponds to: the same line, else the same replacing key."""
    for node in siblings:
        if node.line == line:
            return node
    key = syntax.key(line)
    if key != line:
        for node in siblings:
            if syntax.key(node.line) == key:
                return node
    return None


def _merge(syntax: Syntax, target: Node, change: Node) -> None:
    prefix = syntax.negate + " "
    for node in change.children:
        if node.line.startswith(prefix):
            what = syntax.canonical(node.line[len(prefix) :])  # ``undo interface Tun1`` names it in full
            target.children = [
                c for c in target.children if c.line != what and not c.line.startswith(what + " ")
            ]
            continue
        twin = _twin(syntax, target.children, node.line)
        if twin is None:
            twin = Node(node.line)
            target.children.append(twin)
        twin.line = node.line
        _merge(syntax, twin, node)


def merge_lines(syntax: Syntax, running: str, lines: Iterable[str]) -> str:
    """The running configuration with ``lines`` merged in, as text (one space per block level)."""
    tree = syntax.parse(running)
    _merge(syntax, tree, syntax.parse("\n".join(lines)))
    return "\n".join(tree.lines()) + "\n"


@dataclass(frozen=True, slots=True)
class LinesSource:
    """A ``ChangeSource``: the intended configuration is the running one with ``lines`` merged in."""

    lines: tuple[str, ...]
    secrets: frozenset[str] = frozenset()  # values to mask wherever the lines or the diff are shown

    def intended(self, device: Device, running: str) -> RenderedConfig:
        text = merge_lines(syntax_for(device.platform), running, self.lines)
        digest = hashlib.sha256("\n".join(self.lines).encode()).hexdigest()
        return RenderedConfig(device.id, text, LINES_TEMPLATE, {LINES_TEMPLATE: digest}, self.secrets)


def inverse_lines(syntax: Syntax, diff_text: str) -> list[str]:
    """The lines that undo a recorded diff (``ConfigDiff.text()``): added lines negated, removed ones restored.

    Lines inside an added block are not negated one by one (negating the block removes them); lines inside
    a removed block are restored with it. Raises ``ConflictError`` when the diff shows a masked secret.
    """
    if MASK in diff_text:
        raise ConflictError(
            "the change touched a line holding a secret (masked in its record): roll it back by hand"
        )
    out: list[str] = []
    path: list[tuple[str, str]] = []  # (sign, line) per depth of the current position
    emitted: list[str] = []  # the block headers written last, per depth
    for raw in diff_text.splitlines():
        if len(raw) < 3 or raw.startswith("#"):
            continue
        sign, body = raw[0], raw[2:]
        depth = len(body) - len(body.lstrip(" "))
        line = body.strip()
        del path[depth:]
        parents = [s for s, _ in path]
        path.append((sign, line))
        if sign not in "+-":
            continue
        if sign == "+" and "+" in parents:
            continue  # inside an added block: negating the block removes it
        headers = [ln for _, ln in path[:-1]]
        common = 0
        while common < min(len(headers), len(emitted)) and headers[common] == emitted[common]:
            common += 1
        out.extend(" " * d + headers[d] for d in range(common, len(headers)))
        out.append(" " * depth + (syntax.negation(line) if sign == "+" else line))
        emitted = [*headers, line]
    return out


# -- dry run --------------------------------------------------------------------------------------------
def diff_lines(
    inventory: Inventory,
    secrets: SecretStore,
    device_id: str,
    lines: Iterable[str],
    extra_secrets: Iterable[str] = (),
    timeouts: Timeouts | None = None,
) -> ConfigDiff:
    """What merging ``lines`` would change on the device (blocking): no lock, no record, no device change.
    A device that cannot be read gives ``available=False``."""
    device = inventory.device(device_id)
    hidden = known_secrets(inventory, secrets) | frozenset(extra_secrets)
    register_secrets(hidden)
    source = LinesSource(tuple(lines), hidden)
    try:
        with CliSession.open(device, inventory, secrets, timeouts) as s:
            running = driver_for(device.platform).running(s)
    except DeviceError as exc:
        return unavailable(device_id, f"running configuration not read: {exc}", hidden)
    return compare(device, running, source.intended(device, running))


# -- push one device, recorded ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LinesChange:
    device: str
    lines: tuple[str, ...]
    user: str
    reason: str
    secrets: frozenset[str] = frozenset()  # values to mask besides the inventory's secrets
    options: PushOptions = field(default_factory=PushOptions)
    undoes: str | None = None  # the change these lines roll back: marked before this one is finished


async def push_lines(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    change: LinesChange,
    snmp: SnmpSource | None = None,
    change_id: str | None = None,
) -> tuple[str, PushResult]:
    """Merge the lines into one device under a confirmed commit with post-checks; record it as a change.
    Returns the change id and the device's result (``confirmed``, ``unchanged``, ``reverted``, ...)."""
    change_id = change_id or records.new_change_id()
    inventory.device(change.device)  # NotFoundError before anything is recorded
    wave = {"index": 1, "name": "lines", "devices": [change.device], "failure_budget": 0, "concurrency": 1}
    plan = [{**wave, "state": "running"}]
    records.create_change(store, change_id, change.user, change.reason, False, plan, inventory.directory)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="netops-lines") as pool:
        pusher = Pusher(inventory, secrets, store, pool, snmp, change.options)
        hidden = pusher.known_secrets | change.secrets
        register_secrets(change.secrets)
        result = await pusher.push(change.device, change_id, LinesSource(change.lines, hidden))
    if change.secrets and result.detail:
        result.detail = mask(result.detail, change.secrets)
    record_result(store, change_id, 1, result, hidden)
    if change.undoes is not None and result.outcome in DONE_OUTCOMES:
        records.mark_rolled_back(store, change.undoes, change.device, f"undone by {change_id}")
    plan[0]["state"] = "done"
    records.finish_change(store, change_id, ChangeState.DONE, plan, {result.outcome: 1})
    return change_id, result


async def rollback_lines(
    inventory: Inventory,
    secrets: SecretStore,
    store: Store,
    change_id: str,
    device_id: str,
    *,
    user: str,
    options: PushOptions | None = None,
    snmp: SnmpSource | None = None,
) -> tuple[str | None, PushResult]:
    """Undo ``change_id`` on ``device_id`` by pushing the inverse of its recorded diff (a new change).

    Returns the new change's id (None when there was nothing to undo) and its result; on success the old
    record is marked rolled back. A diff that touched a secret line (masked in the record) is undone by
    pushing the journal's snapshot instead (``netops.changes.rollback``: secrets re-rendered from the store).
    Raises ``ConflictError`` when the record cannot be undone.
    """
    entry = next(
        (d for d in records.get_change(store, change_id)["devices"] if d["device"] == device_id), None
    )
    if entry is None:
        raise ConflictError(f"change {change_id} did not touch device {device_id!r}")
    if entry["outcome"] != DeviceOutcome.CONFIRMED:
        return None, PushResult(
            device_id,
            DeviceOutcome(entry["outcome"]),
            f"change {change_id} is {entry['outcome']}: nothing to undo",
        )
    device = inventory.device(device_id)
    if MASK in (entry["diff"] or ""):  # a secret line: back to the journal's snapshot, secrets re-rendered
        from netops.changes.rollback import rollback_change

        run = await rollback_change(
            inventory, secrets, store, change_id, user=user, devices=[device_id], options=options, snmp=snmp
        )
        result = run.results[device_id]
        log.info("%s: rollback of %s: %s (%s)", device_id, change_id, result.outcome, run.change_id)
        return run.change_id, result
    lines = inverse_lines(syntax_for(device.platform), entry["diff"] or "")
    if not lines:
        return None, PushResult(device_id, DeviceOutcome.UNCHANGED, "the recorded diff is empty")
    change = LinesChange(
        device_id,
        tuple(lines),
        user,
        f"rollback of {change_id}",
        options=options or PushOptions(),
        undoes=change_id,
    )
    new_id, result = await push_lines(inventory, secrets, store, change, snmp)
    log.info("%s: rollback of %s: %s (%s)", device_id, change_id, result.outcome, new_id)
    return new_id, result
