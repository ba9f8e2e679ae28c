"""The real service (``python -m netops serve`` at its default log level) with notifications: a broken
notify.yaml is logged at start with file and line and counted in /metrics, and a notify step then records a
failed delivery; once the file is fixed, a signed DingTalk robot is delivered to and the service's log holds
no token, signature or URL (httpx's request lines are silenced); deliveries are counted by result."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx

from netops.lab.testing import service_process, wait_until, write_secrets
from tests.conftest import REPO, free_port, run_netops
from tests.notify.notify_testlib import PATHS, receiver
from tests.runbooks.rb_testlib import SECRETS as LAB_SECRETS
from tests.runbooks.rb_testlib import write_inventory

HERE = Path(__file__).parent
TOKEN = "d1ng-l0g-t0ken-7731"
SIGN = "SECl0g-s1gning-secret-0042"
BROKEN = "channels:\n  - {id: noc, kind: pigeon}\n"
FIXED = "channels:\n  - {id: noc, kind: dingtalk, sign: true}\nroutes:\n  - {channels: [noc]}\n"


def metric(base: str, name: str, labels: str = "") -> float:
    text = httpx.get(f"{base}/metrics", timeout=30).text  # the service answers; a loaded machine takes time
    found = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_service_says_notify_yaml_is_broken_counts_deliveries_and_logs_no_secret(tmp_path: Path) -> None:
    directory, _n = write_inventory(tmp_path / "inventory")
    (directory / "notify.yaml").write_text(BROKEN, encoding="utf-8")
    state = tmp_path / "state"
    log = tmp_path / "serve.log"
    port = free_port()
    with receiver() as rx:
        url = f"{rx.base}{PATHS['dingtalk']}?access_token={TOKEN}"
        secrets = write_secrets(
            tmp_path / "secrets.yaml", {**LAB_SECRETS, "notify-webhook-noc": url, "notify-sign-noc": SIGN}
        )
        env = {**os.environ, "NETOPS_SECRETS_FILE": str(secrets), "NETOPS_PLAYBOOKS": str(HERE / "playbooks"),
               "NETOPS_POLL_ENABLED": "false", "NETOPS_STATE_DIR": str(state)}  # fmt: skip
        env.pop("NETOPS_DATABASE_URL", None)
        env.pop("NETOPS_LOG_LEVEL", None)  # the default level: info
        args = ["serve", "--inventory", str(directory), "--port", str(port), "--state-dir", str(state)]
        with service_process(args, log, port, env=env, cwd=REPO) as svc:
            base = svc.base_url
            wait_until("the start-up error", lambda: "ERROR netops.cli.serve: notify.yaml in" in svc.output())
            assert "notify.yaml:2: channels[0].kind: Input should be" in svc.output()
            assert metric(base, "netops_notify_config_problems") == 1
            made = run_netops("token", "create", "--name", "duty", "--role", "operator", "--json", env=env)
            assert made.returncode == 0, made.stderr
            headers = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}

            def run(runbook: str) -> dict[str, Any]:
                started = httpx.post(f"{base}/runbooks/{runbook}/runs", json={"params": {"site": "hami"}},
                                     headers=headers, timeout=30)  # fmt: skip
                assert started.status_code == 202, started.text
                run_id = started.json()["id"]

                def final() -> dict[str, Any] | None:
                    body: dict[str, Any] = httpx.get(
                        f"{base}/runs/{run_id}", headers=headers, timeout=30
                    ).json()
                    return body if body["state"] in ("succeeded", "failed", "cancelled") else None

                done: dict[str, Any] = wait_until("the run to end", final, every=0.1)
                return done

            broken = run("tell")
            assert broken["state"] == "succeeded"  # not required: recorded, the run goes on
            uplink = next(s for s in broken["steps"] if s["step"] == "uplink")
            (failed,) = [d for d in uplink["output"]["deliveries"] if d["channel"] == "notify.yaml"]
            assert failed["detail"].startswith(
                "delivery failed: notify.yaml invalid: notify.yaml:2: channels[0]"
            )
            assert (
                metric(base, "netops_notify_deliveries_total", '{channel="-",kind="config",result="failed"}')
                == 2
            )

            (directory / "notify.yaml").write_text(FIXED, encoding="utf-8")  # read again: it changed
            assert run("tell")["state"] == "succeeded"
            assert metric(base, "netops_notify_config_problems") == 0
            delivered = '{channel="noc",kind="dingtalk",result="delivered"}'
            assert metric(base, "netops_notify_deliveries_total", delivered) == 2  # both steps are routed
            assert len(rx.at("dingtalk")) == 2 and {r.query["access_token"] for r in rx.at("dingtalk")} == {
                TOKEN
            }
            signatures = {r.query["sign"] for r in rx.at("dingtalk")}
        text = log.read_text(encoding="utf-8")
    assert "INFO" in text  # the default level: info lines are written
    for secret in [TOKEN, SIGN, url, "access_token", *signatures]:
        assert secret not in text
