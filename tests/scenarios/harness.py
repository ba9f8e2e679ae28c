"""Runs one scenario (tests/scenarios/README.md): the lab and the real ``netops serve`` for its region, the
timeline applied step by step, every checkpoint polled through the API until it holds or a number of poll
cycles has passed without it holding."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from netops.lab.testing import (
    SUBNETS,
    LabProcess,
    ServiceProcess,
    free_port,
    lab_process,
    service_process,
    wait_s,
    write_inventory,
    write_secrets,
)
from tests.scenarios.alerts import alert_names, firing_alerts
from tests.scenarios.whatif import Topology, impact, load_topology

HERE = Path(__file__).parent
REPO = HERE.parents[1]
CASES = HERE / "cases"
NETOPS = [sys.executable, "-m", "netops"]
SMALL_TEMPLATE = HERE / "regions" / "small.yaml.tmpl"

# The network alerts a scenario's `alerts:` list is compared against (exactly); the service's own alerts
# (poller stale, incidents open, runbooks, ...) are left out.
NETWORK_ALERTS = [
    "NetopsDeviceDown",
    "NetopsPrefectureUplinksDown",
    "NetopsCountyUnreachable",
    "NetopsPrefectureUplinkDown",
    "NetopsSiteOnBackup",
    "NetopsPrimaryLinkDown",
    "NetopsDeviceFlapping",
    "NetopsUpsOnBattery",
    "NetopsUpsBatteryLow",
]


# libfaketime (Debian `libfaketime`, scripts/install-system-deps.sh): the multi-threaded variant, since the
# service runs threads (SQLite and SNMP work in asyncio.to_thread, uvicorn)
LIBFAKETIME_GLOBS = ("lib/*/faketime/libfaketimeMT.so.1", "lib/faketime/libfaketimeMT.so.1")


def libfaketime() -> str:
    """The libfaketime preload library; its absence fails the scenario (CI installs it), never skips it."""
    for prefix in (Path("/usr"), Path("/usr/local")):
        for pattern in LIBFAKETIME_GLOBS:
            found = sorted(prefix.glob(pattern))
            if found:
                return str(found[0])
    raise ScenarioFailed(
        "libfaketime is not installed (Debian package libfaketime; scripts/install-system-deps.sh installs it)"
    )


def stepped_clock_env(clock_file: Path) -> dict[str, str]:
    """The environment of a process whose wall clock ``write_clock_offset`` steps while it runs: libfaketime
    reads the offset from ``clock_file`` at every call (FAKETIME_NO_CACHE); CLOCK_MONOTONIC stays real
    (FAKETIME_DONT_FAKE_MONOTONIC), as when NTP steps a clock."""
    preload = " ".join(p for p in (libfaketime(), os.environ.get("LD_PRELOAD", "")) if p)
    return {
        "LD_PRELOAD": preload,
        "FAKETIME_TIMESTAMP_FILE": str(clock_file),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        # libfaketime turns its "monotonic fix" on by itself on this glibc; with CLOCK_MONOTONIC not faked it has
        # nothing to fix, and it slows every thread hand-off (asyncio.to_thread: 20-200x measured), which made
        # the service's 1 s poll cycles overrun (s01 with the preload at offset 0: 77 s instead of 22 s)
        "FAKETIME_FORCE_MONOTONIC_FIX": "0",
    }


def write_clock_offset(clock_file: Path, offset_s: float) -> None:
    """The wall-clock offset (seconds from the real clock) in one rename: libfaketime never reads half a file."""
    tmp = clock_file.with_suffix(".tmp")
    tmp.write_text(f"{offset_s:+.0f}\n", encoding="ascii")
    tmp.replace(clock_file)


def forget_faketime_state(pid: int) -> None:
    """libfaketime shares its state with child processes through POSIX shared memory named after the first
    process's pid and leaves it behind when a Python process exits; a stale one makes a later process with the
    same pid fail to start (libfaketime's README, "Cleaning up shared memory"). Call after ``pid`` ended."""
    for leftover in (f"faketime_shm_{pid}", f"sem.faketime_sem_{pid}"):
        (Path("/dev/shm") / leftover).unlink(missing_ok=True)


def uses_service_clock(case: dict[str, Any]) -> bool:
    return any(isinstance(st, dict) and "service-clock-step" in st for st in case.get("steps") or [])


def check_cycles() -> int:
    """How many full poll cycles a checkpoint may take to hold (``NETOPS_SCENARIO_CYCLES``, default 10)."""
    return int(os.environ.get("NETOPS_SCENARIO_CYCLES", "10"))


def load_case(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.setdefault("name", path.stem)
    return data


def case_paths() -> list[Path]:
    return sorted(CASES.glob("*.yaml"))


class ScenarioFailed(AssertionError):
    pass


# ---------------------------------------------------------------------------------------------- observing


@dataclass
class Observation:
    incidents: list[dict[str, Any]]
    status: dict[str, Any]
    metrics: str
    cycle_stamps: dict[str, float]
    runs: list[dict[str, Any]] | None = None
    health: dict[str, dict[str, Any]] = field(default_factory=dict)

    def open_incidents(self) -> list[dict[str, Any]]:
        return [i for i in self.incidents if i.get("state") == "open"]


def incident_kind(inc: dict[str, Any]) -> str:
    kind = inc.get("kind")
    if isinstance(kind, str) and kind:
        return kind
    return str(inc.get("key", "")).split(":", 1)[0]


def incident_cause(inc: dict[str, Any]) -> list[str]:
    cause = inc.get("cause")
    if isinstance(cause, str):
        return [cause]
    if isinstance(cause, list) and cause:
        return sorted(str(c) for c in cause)
    return sorted([*(inc.get("root_devices") or []), *(inc.get("root_links") or [])])


def incident_extent(inc: dict[str, Any], peak: bool = False) -> dict[str, list[str]]:
    """Sites, devices (without the cause's own devices) and rooms an incident lists as cut off; ``peak``
    prefers a separate peak extent where the API gives one."""
    src: dict[str, Any] = inc
    if peak and isinstance(inc.get("peak"), dict):
        src = inc["peak"]
    cause = set(incident_cause(inc))
    return {
        "sites": sorted(src.get("affected_sites") or []),
        "devices": sorted(set(src.get("affected_devices") or []) - cause),
        "rooms": sorted(src.get("affected_rooms") or []),
    }


def describe(inc: dict[str, Any]) -> str:
    ext = incident_extent(inc)
    return (
        f"#{inc.get('id')} {inc.get('state')} {incident_kind(inc)} cause={incident_cause(inc)} "
        f"sites={ext['sites']} devices={ext['devices']} rooms={ext['rooms']} ack={inc.get('acknowledged_by')}"
    )


_METRIC = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metric_samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    out: list[tuple[dict[str, str], float]] = []
    for line in text.splitlines():
        m = _METRIC.match(line)
        if m and m.group(1) == name:
            out.append((dict(_LABEL.findall(m.group(3) or "")), float(m.group(4))))
    return out


# ---------------------------------------------------------------------------------------------- running


class Runner:
    def __init__(self, case: dict[str, Any], tmp: Path) -> None:
        self.case = case
        self.tmp = tmp
        self.labels: dict[str, int] = {}
        self.marks: dict[str, int] = {}
        self.run_marks: dict[str, int] = {}
        self.peaks: dict[int, dict[str, set[str]]] = {}
        self.started_mono = time.monotonic()  # before the service starts: no true duration can be longer
        # per incident id, monotonic times seen by the harness (``holddown_kept``): the last observation while
        # it was open and not recovering, the first one that showed it resolved
        self.last_not_recovering: dict[int, float] = {}
        self.first_resolved: dict[int, float] = {}
        self.log_marks: dict[str, tuple[Path, int]] = {}
        self.faults: dict[str, int] = {}
        self.cycles: dict[str, int] = {}
        self.last_stamps: dict[str, float] = {}
        self.counters: dict[tuple[str, str, str], float] = {}
        self.trace: list[str] = []
        self.service: ServiceProcess | None = None
        self._service_cm: contextlib.AbstractContextManager[ServiceProcess] | None = None
        self.token = ""
        self.lab: LabProcess | None = None
        self.region = str(case.get("region", "small"))
        self.inventory = self._inventory()
        self.topo: Topology = load_topology(self.inventory)
        self.secrets = write_secrets(tmp / "secrets.yaml", {})
        self.lab_secrets: dict[str, str] | None = None  # the file as the lab wrote it (``edit_secrets``)
        self.state = tmp / "service"
        self.env_extra: dict[str, str] = {str(k): str(v) for k, v in (case.get("service_env") or {}).items()}
        # the service's own wall clock (``service-clock-step``): libfaketime reads the offset from this file at
        # every call (FAKETIME_NO_CACHE), CLOCK_MONOTONIC stays real (FAKETIME_DONT_FAKE_MONOTONIC): a step of
        # the wall clock as NTP makes it, while the process runs
        self.clock_file: Path | None = tmp / "service-clock.rc" if uses_service_clock(case) else None
        self.clock_offset = 0.0
        if self.clock_file is not None:
            self._write_clock_offset()

    # -- setup

    def _inventory(self) -> Path:
        if self.region == "shipped":
            return REPO / "inventory"
        if self.region == "small":
            return write_inventory(self.tmp / "inventory", SMALL_TEMPLATE, {"net": next(SUBNETS)})
        raise ValueError(f"unknown region {self.region!r}")

    def poll_env(self) -> dict[str, str]:
        fast = "1" if self.region == "small" else "2"
        return {
            "NETOPS_SECRETS_FILE": str(self.secrets),
            "NETOPS_MODE": "lab",
            "NETOPS_POLL_FAST_S": fast,
            "NETOPS_POLL_NORMAL_S": fast,
            "NETOPS_POLL_THRESHOLD": "2",
            "NETOPS_PLAYBOOKS": str(REPO / "playbooks"),
            "NETOPS_LOG_LEVEL": "info",
        }

    def start_service(self) -> None:
        port = free_port()
        n = len([p for p in self.tmp.glob("service-*.log")])
        args = [
            "serve",
            "--inventory",
            str(self.inventory),
            "--state-dir",
            str(self.state),
            "--port",
            str(port),
        ]
        env = {**self.poll_env(), **self.env_extra, **self.clock_env()}
        cm = service_process(args, self.tmp / f"service-{n}.log", port, env=env, cwd=self.tmp)
        self.service = cm.__enter__()
        self._service_cm = cm
        state = str(self.state)
        if not self.token:
            proc = subprocess.run(
                [
                    *NETOPS,
                    "token",
                    "create",
                    "--name",
                    "scenarios",
                    "--role",
                    "viewer",
                    "--json",
                    "--state-dir",
                    state,
                ],
                capture_output=True,
                text=True,
                env={**os.environ, **self.poll_env(), **self.env_extra},  # the CLI's clock is not faked
                cwd=self.tmp,
                timeout=120,
                check=False,
            )
            assert proc.returncode == 0, proc.stdout + proc.stderr
            self.token = json.loads(proc.stdout)["token"]
        self.last_stamps = {}

    def stop_service(self) -> None:
        pid = self.service.proc.pid if self.service is not None else None
        if self._service_cm is not None:
            self._service_cm.__exit__(None, None, None)
        self._service_cm = None
        self.service = None
        if pid is not None and self.clock_file is not None:
            forget_faketime_state(pid)

    # -- the service's wall clock

    def clock_env(self) -> dict[str, str]:
        return {} if self.clock_file is None else stepped_clock_env(self.clock_file)

    def _write_clock_offset(self) -> None:
        assert self.clock_file is not None
        write_clock_offset(self.clock_file, self.clock_offset)

    def step_service_clock(self, spec: Any) -> None:
        """``service-clock-step: N`` (or ``{seconds: N}``): the service's wall clock jumps by N s (negative:
        back), on top of earlier steps; a restart keeps the offset (the host's clock stays where it is)."""
        assert self.clock_file is not None
        self.clock_offset += float(spec["seconds"] if isinstance(spec, dict) else spec)
        self._write_clock_offset()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        with lab_process(self.inventory, self.secrets, self.tmp / "lab") as lab:
            self.lab = lab
            try:
                self.start_service()
                self.wait_cycles(2)
                yield
            finally:
                self.stop_service()

    # -- API

    def get(self, path: str) -> Any:
        assert self.service is not None
        headers = {"Authorization": f"Bearer {self.token}"}
        resp = httpx.get(self.service.base_url + path, headers=headers, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def observe(self, runs: bool = False, health: list[str] | None = None) -> Observation:
        assert self.service is not None
        metrics = httpx.get(self.service.base_url + "/metrics", timeout=30).text
        stamps = {
            labels["poll_job"]: value
            for labels, value in metric_samples_safe(metrics, "netops_poll_cycle_last_timestamp_seconds")
        }
        for job, stamp in stamps.items():
            if job in self.last_stamps and stamp != self.last_stamps[job]:
                self.cycles[job] = self.cycles.get(job, 0) + 1
            self.cycles.setdefault(job, 0)
        self.last_stamps = stamps
        obs = Observation(
            incidents=self.get("/incidents?state=all&limit=1000"),
            status=self.get("/status"),
            metrics=metrics,
            cycle_stamps=stamps,
        )
        now_mono = time.monotonic()
        for inc in obs.incidents:
            if inc.get("state") == "open" and inc.get("recovering_since") is None:
                self.last_not_recovering[int(inc["id"])] = now_mono
            elif inc.get("state") == "resolved":
                self.first_resolved.setdefault(int(inc["id"]), now_mono)
        for inc in obs.open_incidents():
            peak = self.peaks.setdefault(int(inc["id"]), {"sites": set(), "devices": set(), "rooms": set()})
            for k, v in incident_extent(inc).items():
                peak[k] |= set(v)
        if runs:
            obs.runs = self.get("/runs")
        for dev in health or []:
            obs.health[dev] = self.get(f"/devices/{dev}/health")
        return obs

    def cycle_count(self) -> int:
        """Full poll cycles seen so far: the fewest cycles any poll job has completed."""
        if not {"poll-uplinks", "poll-access"} <= set(self.cycles):
            return 0
        return min(self.cycles.values())

    # -- the timeline

    def run(self) -> None:
        with self.running():
            for i, step in enumerate(self.case["steps"]):
                self.trace.append(f"step {i}: {json.dumps(step, ensure_ascii=False)}")
                self.step(i, step)

    def step(self, i: int, step: dict[str, Any]) -> None:
        if "expect" in step:
            self.checkpoint(i, step["expect"])
        elif "fault" in step:
            self.add_fault(step["fault"])
        elif "clear" in step:
            self.clear_fault(str(step["clear"]))
        elif "restart" in step:
            opts = step["restart"] or {}
            self.stop_service()
            if "env" in opts:
                self.env_extra = {str(k): str(v) for k, v in (opts["env"] or {}).items()}
            self.start_service()
        elif "ack" in step:
            self.ack(str(step["ack"]))
        elif "mark" in step:
            obs = self.observe(runs=True)
            self.marks[str(step["mark"])] = max((int(inc["id"]) for inc in obs.incidents), default=0)
            self.run_marks[str(step["mark"])] = len(obs.runs or [])
            assert self.service is not None
            self.log_marks[str(step["mark"])] = (self.service.log, self.service.log.stat().st_size)
        elif "cycles" in step:
            self.wait_cycles(int(step["cycles"]))
        elif "hold" in step:
            self.hold(i, step["hold"])
        elif "service-clock-step" in step:
            self.step_service_clock(step["service-clock-step"])
        elif "clock-step" in step:
            self.clock_step(step["clock-step"])
        elif "secrets" in step:
            self.edit_secrets(step["secrets"] or {})
        else:
            raise ValueError(f"step {i}: unknown step {step}")

    def add_fault(self, spec: dict[str, Any]) -> None:
        assert self.lab is not None
        body = {"kind": spec["kind"], "target": spec["target"], "params": spec.get("params") or {}}
        resp = httpx.post(self.lab.control_url + "/faults", json=body, timeout=30)
        assert resp.status_code in (200, 201), resp.text
        self.faults[str(spec.get("as", spec["target"]))] = int(resp.json()["id"])

    def clock_step(self, spec: Any) -> None:
        """The lab devices' clocks jump (``netops.lab.runner.step_clocks``): ``clock-step: N`` or
        ``{seconds: N}``; negative is backwards. The service's own clock is not stepped (see README)."""
        assert self.lab is not None
        seconds = float(spec["seconds"] if isinstance(spec, dict) else spec)
        resp = httpx.post(self.lab.control_url + "/clock-step", json={"seconds": seconds}, timeout=30)
        assert resp.status_code == 200, resp.text

    def edit_secrets(self, values: dict[str, Any]) -> None:
        """Rewrite the secrets file the service reads (the running lab keeps the values it started with):
        ``secrets: {name: value}`` sets a secret, ``{name: null}`` puts back the value the lab started with."""
        current = {str(k): str(v) for k, v in (yaml.safe_load(self.secrets.read_text()) or {}).items()}
        if self.lab_secrets is None:
            self.lab_secrets = dict(current)
        for name, value in values.items():
            current[str(name)] = self.lab_secrets[str(name)] if value is None else str(value)
        write_secrets(self.secrets, current)

    def clear_fault(self, name: str) -> None:
        assert self.lab is not None
        if name == "all":
            resp = httpx.delete(self.lab.control_url + "/faults", timeout=30)
            self.faults.clear()
        else:
            resp = httpx.delete(f"{self.lab.control_url}/faults/{self.faults.pop(name)}", timeout=30)
        assert resp.status_code in (200, 204), resp.text

    def ack(self, label: str) -> None:
        env = {**os.environ, **self.poll_env(), **self.env_extra}
        proc = subprocess.run(
            [*NETOPS, "ack", str(self.labels[label]), "--note", "scenario", "--state-dir", str(self.state)],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.tmp,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def wait_cycles(self, n: int) -> None:
        self.observe()
        start = self.cycle_count()
        deadline = time.monotonic() + wait_s()
        while self.cycle_count() < start + n:
            if time.monotonic() > deadline:
                raise ScenarioFailed(f"no {n} poll cycles within the deadline (is the poller running?)")
            time.sleep(0.2)
            self.observe()

    def checkpoint(self, i: int, expect: dict[str, Any]) -> None:
        """Poll until ``expect`` holds; fail when it has not after ``check_cycles()`` full poll cycles (or
        the lab kit's deadline, when the poller stops cycling)."""
        needs_runs = "runs" in expect or "new_runs_since" in expect
        health = sorted({*(expect.get("rates_within_speed") or []), *(expect.get("reboots_at_least") or {})})
        self.observe()
        start = self.cycle_count()
        deadline = time.monotonic() + wait_s()
        problems: list[str] = []
        while True:
            obs = self.observe(runs=needs_runs, health=health)
            problems = self.evaluate(expect, obs, final=False)
            if not problems:
                problems = self.evaluate(expect, obs, final=True)
                if not problems:
                    self.trace.append(f"  held after {self.cycle_count() - start} cycles")
                    return
            if self.cycle_count() - start >= check_cycles() or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        lines = [f"checkpoint at step {i} did not hold within {check_cycles()} poll cycles:"]
        lines += [f"  - {p}" for p in problems]
        lines += ["open/recent incidents:"] + [f"  {describe(inc)}" for inc in obs.incidents[:12]]
        lines += ["timeline so far:"] + [f"  {t}" for t in self.trace]
        raise ScenarioFailed("\n".join(lines))

    def hold(self, i: int, spec: dict[str, Any]) -> None:
        """For ``cycles`` full poll cycles, every observation must satisfy ``expect``."""
        n = int(spec["cycles"])
        expect = spec.get("expect") or {}
        health = sorted({*(expect.get("rates_within_speed") or []), *(expect.get("reboots_at_least") or {})})
        self.observe()
        start = self.cycle_count()
        deadline = time.monotonic() + wait_s()
        while self.cycle_count() < start + n:
            obs = self.observe(runs="runs" in expect or "new_runs_since" in expect, health=health)
            problems = self.evaluate(expect, obs, final=False)
            if problems:
                lines = [f"hold at step {i} broken after {self.cycle_count() - start} of {n} cycles:"]
                lines += [f"  - {p}" for p in problems]
                lines += ["incidents:"] + [f"  {describe(inc)}" for inc in obs.incidents[:12]]
                lines += ["timeline so far:"] + [f"  {t}" for t in self.trace]
                raise ScenarioFailed("\n".join(lines))
            if time.monotonic() > deadline:
                raise ScenarioFailed(f"hold at step {i}: the poller did not complete {n} cycles")
            time.sleep(0.2)
        self.trace.append(f"  held for {n} cycles")

    # -- expectations

    def expected_extent(
        self, spec: Any, cause: list[str], inc: dict[str, Any] | None = None
    ) -> dict[str, list[str]] | None:
        if spec == "any":
            return None
        if spec == "peak":
            seen = self.peaks.get(int(inc["id"])) if inc else None
            if not seen:
                raise ValueError("extent: peak for an incident never seen open")
            return {k: sorted(v) for k, v in seen.items()}
        if spec is None or spec == "what_if":
            failed = cause
        elif spec == "none":
            return {"sites": [], "devices": [], "rooms": []}
        elif isinstance(spec, dict) and "what_if" in spec:
            failed = list(spec["what_if"])
        elif isinstance(spec, dict):
            return {k: sorted(spec.get(k) or []) for k in ("sites", "devices", "rooms")}
        else:
            raise ValueError(f"bad extent {spec!r}")
        imp = impact(self.topo, failed, active_only=True).as_dict()
        return {"sites": imp["sites"], "devices": imp["devices"], "rooms": imp["rooms"]}

    def failed_devices(self, spec: Any, cause: list[str]) -> set[str]:
        """The devices a what-if extent counts as failed (an incident may list them as cut off or not)."""
        failed = list(spec["what_if"]) if isinstance(spec, dict) and "what_if" in spec else cause
        return set(impact(self.topo, failed).failed_devices)

    def match(self, spec: dict[str, Any], inc: dict[str, Any], peak: bool = False) -> str | None:
        """None if ``inc`` matches ``spec``, else why not."""
        kind = spec.get("kind")
        if kind is not None:
            kinds = kind if isinstance(kind, list) else [kind]
            if incident_kind(inc) not in kinds:
                return f"kind {incident_kind(inc)} not in {kinds}"
        causes: list[list[str]] = []
        if "cause" in spec:
            causes = [sorted(spec["cause"])]
        elif "cause_any_of" in spec:
            causes = [sorted(c) for c in spec["cause_any_of"]]
        got_cause = incident_cause(inc)
        if causes and got_cause not in causes:
            return f"cause {got_cause} not in {causes}"
        label = spec.get("label")
        if label is not None and label in self.labels and self.labels[label] != inc.get("id"):
            return f"id {inc.get('id')} is not #{self.labels[label]} ({label})"
        if "extent" not in spec and not causes:
            want = None
        else:
            want = self.expected_extent(spec.get("extent"), got_cause if causes else [], inc)
        if want is not None:
            got = incident_extent(inc, peak=peak)
            failed = self.failed_devices(spec.get("extent"), got_cause)
            got["devices"] = [d for d in got["devices"] if d not in failed]
            if got != want:
                return f"extent {got} != expected {want}"
        if "acknowledged" in spec and bool(inc.get("acknowledged_by")) != bool(spec["acknowledged"]):
            return f"acknowledged_by={inc.get('acknowledged_by')!r}"
        if "reason" in spec:
            text = json.dumps(inc, ensure_ascii=False).lower()
            if str(spec["reason"]).lower() not in text:
                return f"reason {spec['reason']!r} not in the incident"
        return None

    def match_exact(self, specs: list[dict[str, Any]], incs: list[dict[str, Any]], what: str) -> list[str]:
        if len(specs) != len(incs):
            return [
                f"{what}: expected {len(specs)}, got {len(incs)}: " + "; ".join(describe(i) for i in incs)
            ]
        assignment = self._assign(specs, incs)
        if assignment is None:
            why = []
            for spec in specs:
                reasons = [self.match(spec, inc) for inc in incs]
                why.append(f"{spec} -> " + " | ".join(str(r) for r in reasons))
            return [f"{what}: no matching: " + "; ".join(why)]
        return []

    def _assign(self, specs: list[dict[str, Any]], incs: list[dict[str, Any]]) -> list[int] | None:
        def rec(k: int, used: set[int]) -> list[int] | None:
            if k == len(specs):
                return []
            for j, inc in enumerate(incs):
                if j not in used and self.match(specs[k], inc) is None:
                    rest = rec(k + 1, used | {j})
                    if rest is not None:
                        return [j, *rest]
            return None

        return rec(0, set())

    def bind(self, specs: list[dict[str, Any]], incs: list[dict[str, Any]]) -> None:
        assignment = self._assign(specs, incs)
        if assignment is None:
            return
        for spec, j in zip(specs, assignment, strict=True):
            if spec.get("label") is not None:
                self.labels.setdefault(str(spec["label"]), int(incs[j]["id"]))

    def evaluate(self, expect: dict[str, Any], obs: Observation, final: bool) -> list[str]:
        """Problems with ``obs`` against ``expect``; the costly checks (promtool) only when ``final``."""
        problems: list[str] = []
        open_ = obs.open_incidents()
        by_id = {int(inc["id"]): inc for inc in obs.incidents}
        for key in ("incidents", "outages", "include"):
            if key not in expect:
                continue
            specs = list(expect[key] or [])
            pool = open_
            if key == "outages":
                pool = [i for i in open_ if any(incident_extent(i).values()) or i.get("affected_devices")]
            if key == "include":
                for spec in specs:
                    if not any(self.match(spec, inc) is None for inc in pool):
                        problems.append(f"no open incident matches {spec}")
            else:
                problems += self.match_exact(specs, pool, f"open {key}")
            if not problems:
                if key == "include":
                    for spec in specs:
                        for inc in pool:
                            if self.match(spec, inc) is None and spec.get("label") is not None:
                                self.labels.setdefault(str(spec["label"]), int(inc["id"]))
                                break
                else:
                    self.bind(specs, pool)
        for label in expect.get("still_open") or []:
            found = by_id.get(self.labels.get(label, -1))
            if found is None or found.get("state") != "open":
                problems.append(f"incident {label} is not open: {found and describe(found)}")
        for spec in expect.get("resolved") or []:
            found = by_id.get(self.labels.get(spec["label"], -1))
            if found is None or found.get("state") != "resolved":
                problems.append(f"incident {spec['label']} is not resolved: {found and describe(found)}")
            else:
                why = self.match({k: v for k, v in spec.items() if k != "label"}, found, peak=True)
                if why:
                    problems.append(f"resolved incident {spec['label']}: {why}")
        for label in expect.get("recovering") or []:
            found = by_id.get(self.labels.get(label, -1))
            if found is None or found.get("state") != "open" or found.get("recovering_since") is None:
                problems.append(f"incident {label} is not open and recovering: {found and describe(found)}")
        problems += self.check_durations(expect, by_id)
        spec_h = expect.get("holddown_kept")
        if spec_h:
            problems += self.check_holddown(str(spec_h["label"]), float(spec_h["seconds"]))
        spec_l = expect.get("log_since")
        if spec_l:
            problems += self.check_log(str(spec_l["mark"]), list(spec_l.get("lacks") or []))
        if "total_extent" in expect:
            want = self.expected_extent(expect["total_extent"], [])
            got: dict[str, set[str]] = {"sites": set(), "devices": set(), "rooms": set()}
            causes: set[str] = set()
            for inc in open_:
                causes |= set(incident_cause(inc))
                for k, v in incident_extent(inc).items():
                    got[k] |= set(v)
            got["devices"] -= causes
            got_sorted = {k: sorted(v) for k, v in got.items()}
            if got_sorted != want:
                problems.append(f"open incidents together cut off {got_sorted}, expected {want}")
        if "opened_since" in expect:
            spec = expect["opened_since"]
            mark = self.marks[str(spec["mark"])]
            new = [inc for inc in obs.incidents if int(inc["id"]) > mark]
            problems += self.match_exact(
                list(spec.get("incidents") or []), new, f"incidents opened since {mark}"
            )
        status = expect.get("status") or {}
        for part in ("devices", "sites"):
            for ident, want_status in (status.get(part) or {}).items():
                got_status = (obs.status.get(part) or {}).get(ident)
                wants = want_status if isinstance(want_status, list) else [want_status]
                if got_status not in wants:
                    problems.append(f"status of {part[:-1]} {ident} is {got_status}, expected {want_status}")
        if "down_links" in expect:
            got_links = sorted(obs.status.get("down_links") or [])
            if got_links != sorted(expect["down_links"] or []):
                problems.append(f"down_links {got_links} != {sorted(expect['down_links'] or [])}")
        if "on_backup" in expect:
            spec_b = expect["on_backup"]
            if isinstance(spec_b, dict):
                want_b = impact(self.topo, spec_b["what_if"], active_only=True).as_dict()["on_backup"]
            else:
                want_b = sorted(spec_b or [])
            raw = obs.status.get("on_backup") or []
            active = self.topo.active_sites()
            got_b = sorted(
                i for i in (x["id"] if isinstance(x, dict) else str(x) for x in raw) if i in active
            )
            if got_b != want_b:
                problems.append(f"on_backup {got_b} != {want_b}")
        for link, want_up in (expect.get("link_up") or {}).items():
            vals = [
                v for lab, v in metric_samples_safe(obs.metrics, "netops_link_up") if lab.get("link") == link
            ]
            if vals != [float(want_up)]:
                problems.append(f"netops_link_up{{link={link}}} = {vals}, expected {want_up}")
        if "flapping" in expect:
            got_f = sorted(
                x["id"] if isinstance(x, dict) else str(x) for x in obs.status.get("flapping") or []
            )
            if got_f != sorted(expect["flapping"] or []):
                problems.append(f"flapping {got_f} != {sorted(expect['flapping'] or [])}")
        if "runs" in expect and obs.runs is not None:
            want_runs = list(expect["runs"] or [])
            got_runs = [(r.get("runbook") or r.get("runbook_id"), r.get("params") or {}) for r in obs.runs]
            ok = len(want_runs) == len(got_runs) and all(
                any(
                    rb == w["runbook"] and all(params.get(k) == v for k, v in (w.get("params") or {}).items())
                    for rb, params in got_runs
                )
                for w in want_runs
            )
            if not ok:
                problems.append(f"runbook runs {got_runs} != expected {want_runs}")
        if "new_runs_since" in expect and obs.runs is not None:
            before = self.run_marks[str(expect["new_runs_since"])]
            if len(obs.runs) != before:
                problems.append(f"runbook runs started since mark: {obs.runs[: len(obs.runs) - before]}")
        for link in expect.get("link_not_up") or []:
            vals = [
                v for lab, v in metric_samples_safe(obs.metrics, "netops_link_up") if lab.get("link") == link
            ]
            if 1.0 in vals:
                problems.append(f"netops_link_up{{link={link}}} is 1 while it is not known to be up")
        for dev, least in (expect.get("reboots_at_least") or {}).items():
            got_r = obs.health.get(dev, {}).get("reboots")
            if got_r is None or int(got_r) < int(least):
                problems.append(f"{dev} reboots={got_r}, expected at least {least}")
        problems += self.check_rates(expect, obs)
        problems += self.check_counters(expect, obs)
        if final and "alerts" in expect and not problems:
            problems += self.check_alerts(list(expect["alerts"] or []), obs)
        return problems

    def check_durations(self, expect: dict[str, Any], by_id: dict[int, dict[str, Any]]) -> list[str]:
        """``durations_sane: [label]``: the incident's duration (resolved, else last seen, minus opened) is
        not negative and not longer than the harness has been running (a true duration cannot be)."""
        problems: list[str] = []
        for label in expect.get("durations_sane") or []:
            inc = by_id.get(self.labels.get(label, -1))
            if inc is None:
                problems.append(f"incident {label} not found")
                continue
            end = inc.get("resolved_at") if inc.get("resolved_at") is not None else inc.get("last_seen_at")
            if end is None or inc.get("opened_at") is None:
                problems.append(f"incident {label} has no opened_at/last_seen_at: {inc}")
                continue
            duration = float(end) - float(inc["opened_at"])
            bound = time.monotonic() - self.started_mono
            if not 0 <= duration <= bound:
                problems.append(
                    f"incident {label} lasted {duration:.1f} s by its own times (opened_at {inc['opened_at']}, "
                    f"end {end}): outside 0..{bound:.1f} s, the time this scenario has run"
                )
        return problems

    def check_holddown(self, label: str, seconds: float) -> list[str]:
        """``holddown_kept: {label, seconds}``: the incident resolved, and not before ``seconds`` of real time
        had passed since the last observation that showed it open and not recovering (the hold-down started
        after that observation and ended before the first one that showed it resolved, so this bracket is
        never shorter than the hold-down the service kept)."""
        ident = self.labels.get(label, -1)
        if ident not in self.first_resolved:
            return [f"incident {label} is not resolved yet"]
        if ident not in self.last_not_recovering:
            return [f"incident {label} was never seen open and not recovering"]
        kept = self.first_resolved[ident] - self.last_not_recovering[ident]
        if kept < seconds:
            return [
                f"incident {label} resolved at most {kept:.1f} s after its cause went, hold-down {seconds} s"
            ]
        return []

    def check_log(self, mark: str, lacks: list[str]) -> list[str]:
        """``log_since: {mark, lacks: [text]}``: the service's log since the mark has none of these texts."""
        log, offset = self.log_marks[mark]
        with log.open("rb") as fh:
            fh.seek(offset)
            text = fh.read().decode("utf-8", "replace")
        return [
            f"service log since mark {mark!r}: {line.strip()[:300]}"
            for line in text.splitlines()
            if any(t in line for t in lacks)
        ][:5]

    def check_rates(self, expect: dict[str, Any], obs: Observation) -> list[str]:
        problems: list[str] = []
        for dev in expect.get("rates_within_speed") or []:
            for itf in obs.health.get(dev, {}).get("interfaces") or []:
                speed = float(itf.get("speed_bps") or 0)
                for key in ("in_bps", "out_bps"):
                    rate = itf.get(key)
                    if speed and rate is not None and float(rate) > speed:
                        problems.append(
                            f"{dev} {itf.get('name')} {key}={rate:.0f} above its speed {speed:.0f}"
                        )
        return problems

    def check_counters(self, expect: dict[str, Any], obs: Observation) -> list[str]:
        """Exported interface byte counters never go back (for the devices listed in ``counters_monotonic``)."""
        devices = set(expect.get("counters_monotonic") or [])
        problems: list[str] = []
        if not devices:
            return problems
        for name in ("netops_interface_receive_bytes_total", "netops_interface_transmit_bytes_total"):
            for labels, value in metric_samples_safe(obs.metrics, name):
                dev = labels.get("device", "")
                if dev not in devices:
                    continue
                key = (name, dev, labels.get("interface", ""))
                before = self.counters.get(key)
                if before is not None and value < before:
                    problems.append(f"{name}{{{dev} {key[2]}}} went back from {before} to {value}")
                self.counters[key] = value
        return problems

    def check_alerts(self, want: list[dict[str, Any]], obs: Observation) -> list[str]:
        names = [n for n in NETWORK_ALERTS if n in alert_names()]
        got = firing_alerts(obs.metrics, names)
        unmatched = list(got)
        missing = []
        for spec in want:
            hit = next(
                (a for a in unmatched if all(a.get(k) == str(v) for k, v in spec.items())),
                None,
            )
            if hit is None:
                missing.append(spec)
            else:
                unmatched.remove(hit)
        if missing or unmatched:
            brief = [{k: a[k] for k in ("alertname", "device", "site", "link") if k in a} for a in unmatched]
            return [f"alerts: missing {missing}, unexpected {brief}"]
        return []


def metric_samples_safe(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    try:
        return metric_samples(text, name)
    except ValueError:
        return []


def run_case(case: dict[str, Any], tmp: Path) -> None:
    Runner(case, tmp).run()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def every_what_if(case: dict[str, Any]) -> list[list[str]]:
    """Every failure set a case's expectations compute a what-if for (the CLI cross-check uses them)."""
    found: list[list[str]] = []

    def walk(node: Any, cause: list[str] | None = None) -> None:
        if isinstance(node, dict):
            c = node.get("cause")
            here = list(c) if isinstance(c, list) else cause
            if "cause_any_of" in node:
                for alt in node["cause_any_of"]:
                    found.append(list(alt))
            if isinstance(node.get("what_if"), list):
                found.append(list(node["what_if"]))
            if "extent" in node and (node["extent"] in (None, "what_if")) and here:
                found.append(here)
            if "cause" in node and "extent" not in node and here:
                found.append(here)
            for v in node.values():
                walk(v, here)
        elif isinstance(node, list):
            for v in node:
                walk(v, cause)

    walk(case.get("steps"))
    uniq: list[list[str]] = []
    for f in found:
        if sorted(f) not in uniq:
            uniq.append(sorted(f))
    return uniq


Check = Callable[[], bool]
