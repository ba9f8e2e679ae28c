"""Push the intended configuration to one device: lock, diff, confirmed commit, post-checks, confirm or revert.

Part of ``netops.changes``; ``apply.py`` runs it per device of a wave. netmiko steps run in a bounded thread
pool (``ThreadPoolExecutor``), SNMP polls on the event loop. The flow of one device:

1. take the device's lock (a second change of the same device is refused, naming the holder);
2. render, log in, read the running configuration, diff (nothing to do: ``unchanged``);
3. read the baseline (interfaces, OSPF neighbours over SSH; error counters over SNMP): a baseline that
   cannot be read stops the push before any change (``failed``, nothing changed);
4. apply the remediation under a confirmed commit (a refused line: the driver cleans up -> ``rejected``);
5. post-checks from the centre (new SSH login, SNMP, uplinks, neighbours, errors);
6. all pass: confirm and save -> ``confirmed``; else revert now -> ``reverted`` with the failed checks
   (if the revert itself cannot be sent, the device's own timer reverts it, and the record says so).

Every text that leaves this module (details, diffs, commands, logs) is masked.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from netops.changes import checks as chk
from netops.changes import journal
from netops.changes.diff import ConfigDiff, compare, mask
from netops.changes.records import DeviceOutcome, DevicePhase, acquire_lock, holds_lock, release_lock
from netops.changes.render import RenderedConfig, Renderer, TemplateError
from netops.drivers.cli import CliSession, Timeouts, register_secrets
from netops.drivers.platforms import Pending, driver_for
from netops.drivers.snmp.source import SnmpSource
from netops.errors import CommandRejected, DeviceError, NetopsError
from netops.inventory.models import Device, Inventory, Platform
from netops.secrets import SecretStore, referenced_secrets
from netops.store.db import Store

log = logging.getLogger(__name__)
T = TypeVar("T")


class _TransportNoise(logging.Filter):
    """paramiko logs a session that dies before its banner ("Error reading SSH protocol banner") as ERROR
    records with the traceback; the push records the failure itself: those records go to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return record.levelno >= logging.getLogger(record.name).getEffectiveLevel()


logging.getLogger("paramiko.transport").addFilter(_TransportNoise())
LOCK_BROKEN = "its lock was broken by a forced unlock (netops config unlock --force)"


class LockBroken(DeviceError):
    """The device's lock was taken from this change: it stops before touching the device again."""


FAILED_OUTCOMES = frozenset(
    {
        DeviceOutcome.REVERTED,
        DeviceOutcome.REJECTED,
        DeviceOutcome.FAILED,
        DeviceOutcome.UNKNOWN,
        DeviceOutcome.HALF,
    }
)
# a device in one of these may run (part of) the change: a wave over its budget rolls it back
MAYBE_CHANGED = frozenset({DeviceOutcome.CONFIRMED, DeviceOutcome.UNKNOWN, DeviceOutcome.HALF})


@dataclass(frozen=True, slots=True)
class PushOptions:
    confirm_s: float = 300.0  # the device reverts by itself this long after the change unless confirmed
    minute_s: float = 60.0  # how long a device "minute" lasts (revert timers in minutes; the lab: less)
    save: bool = True  # save the configuration after confirming
    post_checks: bool = True
    timeouts: Timeouts = field(default_factory=Timeouts)


class ChangeSource(Protocol):
    """Where a push's intended configuration comes from, given the running one just read (the templates,
    or the running configuration with lines merged in: ``netops.changes.lines``)."""

    def intended(self, device: Device, running: str) -> RenderedConfig: ...


@dataclass(frozen=True, slots=True)
class Rendered:
    """A configuration rendered before the device is read (the templates'): the running one is ignored."""

    config: RenderedConfig

    def intended(self, device: Device, running: str) -> RenderedConfig:
        return self.config


@dataclass(slots=True, init=False)
class PushResult:
    device: str
    outcome: DeviceOutcome
    detail: str | None
    diff: ConfigDiff | None
    checks: list[chk.Check]
    pending: Pending | None
    started_at: float
    duration_s: float

    def __init__(
        self,
        device: str,
        outcome: DeviceOutcome | str,  # a value string is checked: ``DeviceOutcome("typo")`` raises
        detail: str | None = None,
        diff: ConfigDiff | None = None,
        checks: list[chk.Check] | None = None,
        pending: Pending | None = None,
        started_at: float | None = None,
        duration_s: float = 0.0,
    ) -> None:
        self.device, self.outcome, self.detail, self.diff = device, DeviceOutcome(outcome), detail, diff
        self.checks = checks if checks is not None else []
        self.pending = pending
        self.started_at = time.time() if started_at is None else started_at
        self.duration_s = duration_s

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES


class Pusher:
    """Pushes devices of one inventory; share one per change (it holds the thread pool and SNMP source)."""

    def __init__(
        self,
        inventory: Inventory,
        secrets: SecretStore,
        store: Store,
        pool: ThreadPoolExecutor,
        snmp: SnmpSource | None = None,
        options: PushOptions | None = None,
        renderer: Renderer | None = None,
    ) -> None:
        self.inventory = inventory
        self.secrets = secrets
        self.store = store
        self.pool = pool
        self.snmp = snmp
        self.options = options or PushOptions()
        self._renderer = renderer
        self.known_secrets = frozenset(
            secrets.get(ref) for ref in referenced_secrets(inventory) if secrets.has(ref)
        )
        register_secrets(self.known_secrets)
        self.names = journal.secret_names(inventory, secrets)  # secret value -> name (journal placeholders)
        self.sources: dict[str, ChangeSource] = {}  # per device, instead of the templates (rollbacks)

    @property
    def renderer(self) -> Renderer:
        """Built on first use: a push of lines (``ChangeSource``) needs no templates folder."""
        if self._renderer is None:
            self._renderer = Renderer(self.inventory, self.secrets)
        return self._renderer

    def masked(self, text: str) -> str:
        return mask(text, self.known_secrets)

    async def _thread(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn)

    async def _snmp_view(self, device_id: str, view: chk.View) -> None:
        if self.snmp is not None:
            device = self.inventory.device(device_id)
            chk.add_snmp(view, await self.snmp.poll(device), device.platform)

    # -- one device ------------------------------------------------------------------------------------
    async def push(
        self, device_id: str, change_id: str, source: ChangeSource | None = None, wave: int = 1
    ) -> PushResult:
        """Push ``source``'s intended configuration (default: the device's templates) under ``change_id``.

        Each phase is written to the journal before it is entered (``netops.changes.journal``)."""
        result = PushResult(device_id, DeviceOutcome.FAILED)
        t0 = time.monotonic()
        holder = await self._thread(lambda: acquire_lock(self.store, device_id, change_id))
        if holder is not None:
            result.outcome, result.detail = DeviceOutcome.REFUSED, f"device is locked by change {holder}"
            return result
        sessions: list[CliSession] = []
        step = _Step(change_id, device_id, wave)
        source = source or self.sources.get(device_id)
        try:
            await self._enter(step, DevicePhase.LOCKED)
            await self._push(step, result, sessions, source)
        except TemplateError as exc:
            result.outcome, result.detail = DeviceOutcome.FAILED, self.masked(str(exc))
        except CommandRejected as exc:
            result.outcome, result.detail = (
                DeviceOutcome.REJECTED,
                self.masked(f"{exc}; nothing stays changed"),
            )
        except LockBroken as exc:
            result.outcome, result.detail = DeviceOutcome.FAILED, self.masked(str(exc))
            if result.pending is not None:
                result.detail += "; may run part of this change: not touched again, read it by hand"
                result.pending = None  # never rolled back under another change's lock
            await self._thread(
                lambda: journal.enter(self.store, change_id, device_id, wave, DevicePhase.DONE)
            )
        except DeviceError as exc:
            result.outcome, result.detail = DeviceOutcome.FAILED, self.masked(str(exc))
        except Exception as exc:  # a failed device never stops the others (a library bug, a surprise)
            log.exception("%s: push failed unexpectedly", device_id)
            result.outcome = DeviceOutcome.FAILED
            result.detail = self.masked(f"internal error: {exc.__class__.__name__}: {exc}")
        finally:
            for session in sessions:
                await self._thread(session.close)
            await self._thread(lambda: release_lock(self.store, device_id, change_id))
            result.duration_s = round(time.monotonic() - t0, 3)
        log.info("%s: %s%s", device_id, result.outcome, f" ({result.detail})" if result.detail else "")
        return result

    async def _enter(self, step: _Step, phase: DevicePhase, **columns: object) -> None:
        if phase is not DevicePhase.LOCKED and not await self._thread(
            lambda: holds_lock(self.store, step.device, step.change_id)
        ):
            raise LockBroken(
                step.device, f"{LOCK_BROKEN}: stopped before {phase} (the device is not touched again)"
            )
        step.phase = phase
        await self._thread(
            lambda: journal.enter(self.store, step.change_id, step.device, step.wave, phase, **columns)
        )

    def marks(self, before: str, rendered: RenderedConfig | None) -> journal.Marks:
        names = {**self.names, **(rendered.names if rendered is not None else {})}
        masked = self.known_secrets | (rendered.secrets if rendered is not None else frozenset())
        intended = journal.seal(rendered.text, names, masked) if rendered is not None else None
        return journal.Marks(journal.seal(before, names, masked), intended, names, masked)

    async def _push(
        self, step: _Step, result: PushResult, sessions: list[CliSession], source: ChangeSource | None
    ) -> None:
        device_id = step.device
        device = self.inventory.device(device_id)
        driver = driver_for(device.platform)
        intended = source or Rendered(self.renderer.render(device_id))  # a template error: before any login
        opts = self.options

        def prepare() -> tuple[CliSession, str, RenderedConfig, ConfigDiff, chk.View]:
            s = CliSession.open(device, self.inventory, self.secrets, opts.timeouts)
            try:
                running = driver.running(s)
                rendered = intended.intended(device, running)
                diff = compare(device, running, rendered)
                view = chk.View()
                if not diff.empty and opts.post_checks:
                    view = chk.cli_view(driver, driver.interfaces(s), driver.ospf_neighbours(s))
                return s, running, rendered, diff, view
            except BaseException:
                s.close()
                raise

        session, running, rendered, diff, before = await self._thread(prepare)
        sessions.append(session)
        result.diff = diff
        if diff.empty:
            result.outcome = DeviceOutcome.UNCHANGED
            return
        if opts.post_checks:
            await self._snmp_view(device_id, before)
            if before.snmp_error is not None:  # no baseline: the error check could only fail after the change
                raise DeviceError(
                    device_id, f"baseline: SNMP does not answer ({before.snmp_error}); nothing changed"
                )
        marks = self.marks(running, rendered)
        step.marks = marks
        # what a restart needs, written before the first line is typed
        pending = Pending(device_id, running, diff.commands, device.platform is not Platform.HUAWEI_VRP5, 0.0)
        result.pending = pending
        step.before = before
        await self._enter(
            step,
            DevicePhase.APPLYING,
            snapshot=marks.before,
            intended=marks.intended,
            pending=journal.pending_record(pending),
        )
        step.applied_at = time.monotonic()
        try:
            pending = await self._thread(
                lambda: driver.begin(
                    session, diff.commands, diff.masked_commands(), running, opts.confirm_s, opts.minute_s
                )
            )
        except CommandRejected:
            await self._enter(step, DevicePhase.DONE)  # the driver cleaned up on the live session
            raise
        except DeviceError as exc:  # the session died mid-apply: settle from a fresh one
            await self._settle(step, result, False, f"session lost while applying ({exc})")
            return
        result.pending = pending
        await self._enter(step, DevicePhase.CHECKING, pending=journal.pending_record(pending))
        if opts.post_checks:
            after = await self._after_view(device_id)
            result.checks = chk.evaluate(device, driver, before, after, self.snmp is not None)
        bad = [c for c in result.checks if not c.ok]
        if not bad:
            await self._enter(step, DevicePhase.CONFIRMING)
            try:
                left = await self._thread(lambda: self._confirm(session, pending, rendered))
            except CommandRejected as exc:  # the device refused the confirm (or the save): undo
                await self._settle(step, result, False, f"confirm refused ({exc})")
                return
            except DeviceError as exc:  # the answer was lost: did the confirm arrive? read the device
                await self._settle(step, result, True, f"answer to the confirm lost ({exc})")
                return
            if left:
                result.outcome = DeviceOutcome.FAILED
                result.detail = self.masked(
                    f"confirmed, but {left} line(s) still differ from the intended configuration "
                    f"(did the device revert before the confirm? revert timer {pending.revert_after_s:.0f} s)"
                )
            else:
                result.outcome = DeviceOutcome.CONFIRMED
            return
        why = "; ".join(c.detail for c in bad)
        await self._enter(step, DevicePhase.REVERTING)
        try:
            await self._thread(lambda: driver.abort(session, pending))
            result.outcome, result.detail = (
                DeviceOutcome.REVERTED,
                self.masked(f"post-check failed: {why}; reverted"),
            )
        except NetopsError as exc:
            await self._settle(step, result, False, f"post-check failed: {why}; revert not sent ({exc})")

    async def _settle(self, step: _Step, result: PushResult, finish: bool, why: str) -> None:
        """After a lost answer: read the device from a fresh session, finish (confirm) or undo as ``finish``
        says, and record what it runs: ``confirmed``, ``reverted``, ``half``, or ``unknown`` (not read)."""
        pending, marks = result.pending, step.marks
        assert pending is not None and marks is not None
        device = self.inventory.device(step.device)
        driver = driver_for(device.platform)

        def run() -> journal.Landing:
            with CliSession.open(device, self.inventory, self.secrets, self.options.timeouts) as s:
                if finish:
                    landing = journal.finish(driver, s, pending, marks, self.options.save)
                    if landing is not journal.Landing.HALF:
                        return landing
                return journal.restore(driver, s, pending, marks)

        try:
            landing = await self._thread(run)
        except DeviceError as exc:
            if not finish and pending.auto_revert and step.applied_at is not None:
                # cut off by its own change? the post-checks say what fails; its trial timer reverts it
                await self._record_checks(step, result)
                if await self._reverted_by_timer(step, result, why, exc):
                    return
            step.keep = True
            if not pending.auto_revert and step.phase is DevicePhase.APPLYING:  # VRP5: lines apply at once
                result.outcome = DeviceOutcome.HALF
                result.detail = self.masked(
                    f"{why}; may run part of the change (no commit model) and not read ({exc}): "
                    "converged back at the next contact"
                )
                return
            result.outcome = DeviceOutcome.UNKNOWN
            result.detail = self.masked(f"{why}; device not read ({exc}): read at the next contact")
            return
        if landing is journal.Landing.NEW:
            result.outcome, result.detail = (
                DeviceOutcome.CONFIRMED,
                self.masked(f"{why}; read back: NEW, confirmed"),
            )
        elif landing is journal.Landing.OLD:
            result.outcome = DeviceOutcome.REVERTED
            timer = self._trial_s(pending)
            by_timer = (
                f" (its trial timer of {timer:.0f} s had run out)"
                if not finish
                and pending.auto_revert
                and step.applied_at is not None
                and time.monotonic() - step.applied_at >= timer
                else ""
            )
            result.detail = self.masked(
                f"{why}; read back: runs the configuration from before the change{by_timer}"
            )
        else:
            result.outcome = DeviceOutcome.HALF
            result.detail = self.masked(
                f"{why}; read back: HALF (neither old nor new), converged at the next contact"
            )
            step.keep = True

    async def _record_checks(self, step: _Step, result: PushResult) -> None:
        """The post-checks of a device that stopped answering during its change (kept in the record)."""
        if not self.options.post_checks or result.checks or step.before is None:
            return
        device = self.inventory.device(step.device)
        after = await self._after_view(step.device)
        result.checks = chk.evaluate(
            device, driver_for(device.platform), step.before, after, self.snmp is not None
        )

    def _trial_s(self, pending: Pending) -> float:
        """The device's trial timer (seconds): the driver's, else the longest the options may have set."""
        opts = self.options
        return pending.revert_after_s or max(
            opts.confirm_s, math.ceil(opts.confirm_s / opts.minute_s) * opts.minute_s
        )

    async def _reverted_by_timer(self, step: _Step, result: PushResult, why: str, exc: DeviceError) -> bool:
        """Wait out the device's trial timer (the change was never confirmed), then read it back: True when
        it runs the configuration from before the change (``reverted``, by its timer)."""
        pending, marks = result.pending, step.marks
        assert pending is not None and marks is not None and step.applied_at is not None
        opts = self.options
        timer = self._trial_s(pending)
        grace = min(10.0, max(1.0, timer / 4))
        await asyncio.sleep(max(0.0, step.applied_at + timer + grace - time.monotonic()))
        device = self.inventory.device(step.device)
        driver = driver_for(device.platform)

        def read() -> journal.Landing:
            with CliSession.open(device, self.inventory, self.secrets, opts.timeouts) as s:
                return journal.read_landing(driver, s, marks)

        try:
            landing = await self._thread(read)
        except DeviceError:
            return False
        if landing is not journal.Landing.OLD:
            return False
        bad = "; ".join(c.detail for c in result.checks if not c.ok)
        result.outcome = DeviceOutcome.REVERTED
        result.detail = self.masked(
            f"{why}; no answer ({exc}){f'; post-check failed: {bad}' if bad else ''}; "
            f"the device reverted by its trial timer ({timer:.0f} s, never confirmed): read back, runs the "
            "configuration from before the change"
        )
        return True

    def _confirm(self, session: CliSession, pending: Pending, rendered: RenderedConfig) -> int:
        """Confirm and save; then read the running configuration again: how many lines still differ."""
        driver = driver_for(session.device.platform)
        driver.confirm(session, pending)
        if self.options.save:
            driver.save(session)
        return compare(session.device, driver.running(session), rendered).lines

    async def _after_view(self, device_id: str) -> chk.View:
        device = self.inventory.device(device_id)
        driver = driver_for(device.platform)
        view = chk.View()

        def over_ssh() -> None:
            try:
                s = CliSession.open(device, self.inventory, self.secrets, self.options.timeouts)
            except DeviceError as exc:
                view.ssh_error = self.masked(str(exc))
                return
            with s:  # a display that cannot be read fails its check (fail closed), not the login
                chk.read_cli(view, driver, s, self.masked)

        await asyncio.gather(self._thread(over_ssh), self._snmp_view(device_id, view))
        return view

    # -- undo a device that may have changed (a wave over its failure budget) ----------------------------
    async def rollback(self, result: PushResult, change_id: str | None = None, wave: int = 1) -> str:
        """Undo ``result``'s change on its device; returns what was done (raises ``DeviceError``)."""
        pending = result.pending
        if pending is None:
            return "nothing to roll back"
        owner = change_id or f"rollback:{result.device}"
        holder = await self._thread(lambda: acquire_lock(self.store, result.device, owner))
        if holder is not None and holder != owner:
            raise DeviceError(result.device, f"not rolled back: the device is locked by change {holder}")
        try:
            return await self._rollback(result, pending, change_id, wave)
        finally:
            await self._thread(lambda: release_lock(self.store, result.device, owner))

    async def _rollback(self, result: PushResult, pending: Pending, change_id: str | None, wave: int) -> str:
        if change_id is not None:
            await self._enter(_Step(change_id, result.device, wave), DevicePhase.ROLLING_BACK)
        device = self.inventory.device(result.device)
        driver = driver_for(device.platform)
        marks = self.marks(pending.before, None)

        def run() -> journal.Landing:
            with CliSession.open(device, self.inventory, self.secrets, self.options.timeouts) as s:
                landing = journal.restore(driver, s, pending, marks)
                if landing is journal.Landing.OLD and self.options.save:
                    driver.save(s)
                return landing

        landing = await self._thread(run)
        if landing is not journal.Landing.OLD:
            raise DeviceError(
                result.device, f"after the rollback it runs {landing} (not the configuration before)"
            )
        return "rolled back to the configuration before the change"


@dataclass(slots=True)
class _Step:
    """Where one device's push stands (the journal's phase) and what its configurations look like."""

    change_id: str
    device: str
    wave: int
    phase: DevicePhase = DevicePhase.LOCKED
    marks: journal.Marks | None = None
    before: chk.View | None = None  # the baseline (post-checks compare with it)
    applied_at: float | None = None  # monotonic: when the apply started (the trial timer runs from it)
    keep: bool = False  # the outcome is open (unknown, half): keep the phase for the next contact
