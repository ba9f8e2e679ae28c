"""Benchmark: one Alertmanager notification with N alerts (default 1,000) against a running netops app, and
``/healthz`` latency while the alerts are acted on; then a 50 MB chunked body without a token and the RSS it
costs. The app runs under a real uvicorn in a thread of this process (RSS read from /proc/self/status), with
the test base inventory and one playbook that every alert triggers (one run per site; the other alerts of a
site are refused by its concurrency key, as a flood of duplicates is).

Reported: time to the 202, time until every alert was acted on, /healthz latency (median, p99, max) and count
during that window, RSS growth for the 50 MB body and the status it got.

Usage: .venv/bin/python bench/alert_flood.py [--alerts 1000]
Everything binds and sends on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench.benchreport import machine
from netops.api.app import create_app
from netops.lab.testing import private_network, wait_until
from netops.runbooks.service import RunbookService
from netops.runtime import Runtime
from netops.settings import Settings
from tests.api.test_bounded_input import PLAYBOOK, chunks_of, flood, raw_post, rss_kib
from tests.conftest import TESTS, served_app

SECRET = "bench-am-secret"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    args = parser.parse_args()
    private_network()
    os.environ["NETOPS_SECRET_ALERTMANAGER_WEBHOOK"] = SECRET
    tmp = Path(tempfile.mkdtemp())
    (tmp / "playbooks").mkdir()
    (tmp / "playbooks" / "site-note.yaml").write_text(PLAYBOOK, encoding="utf-8")
    settings = Settings(inventory=TESTS / "inventory" / "base", state_dir=tmp / "state", poll_enabled=False)
    rt = Runtime.start(settings)
    app = create_app(settings, rt)
    app.state.runbooks = RunbookService.from_runtime(rt, tmp / "playbooks", poll_s=0.05)
    latencies: list[float] = []
    stop = threading.Event()
    with served_app(app) as url:

        def probe() -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                while not stop.is_set():
                    t = time.perf_counter()
                    assert client.get("/healthz").status_code == 200
                    latencies.append(time.perf_counter() - t)

        prober = threading.Thread(target=probe)
        prober.start()
        time.sleep(0.2)
        before = len(latencies)
        t0 = time.perf_counter()
        answer = httpx.post(f"{url}/alerts/alertmanager", json=flood(args.alerts), timeout=60,
                            headers={"Authorization": f"Bearer {SECRET}"})  # fmt: skip
        accepted = time.perf_counter() - t0
        number = answer.json()["notification"]
        wait_until("the alerts acted on", lambda: app.state.alert_inbox.results.get(number), every=0.01)
        acted = time.perf_counter() - t0
        stop.set()
        prober.join()
        during = sorted(latencies[before:])
        rss = rss_kib()
        status, _, sent = raw_post(
            url, "/conferences", {"Content-Type": "application/json"}, chunks_of(50 << 20)
        )
        grown = rss_kib() - rss
        for run in list(app.state.runbooks.tasks):
            app.state.runbooks.engine.cancel(run, actor="bench")
        wait_until("runs stopped", lambda: not app.state.runbooks.tasks)
    p99 = during[int(len(during) * 0.99) - 1] if during else float("nan")
    print(f"machine: {machine()}")
    print(f"{args.alerts} alerts: 202 after {accepted * 1000:.1f} ms, all acted on after {acted:.2f} s")
    print(f"/healthz during: {len(during)} requests, median {statistics.median(during) * 1000:.1f} ms, "
          f"p99 {p99 * 1000:.1f} ms, max {during[-1] * 1000:.1f} ms")  # fmt: skip
    print(f"50 MB chunked body, no token: {status} after {sent >> 10} KiB sent; RSS grew {grown} KiB")
    rt.close()


if __name__ == "__main__":
    main()
