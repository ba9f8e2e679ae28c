"""Real processes for the exporters tests, all on loopback with short intervals: the lab, ``netops serve``
polling it (with the playbook ``prefecture-uplink-down`` and the Alertmanager webhook's secret), Debian's
Prometheus scraping netops, Debian's Alertmanager, and a local stand-in for the receivers it delivers to."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from netops.exporters import write_prometheus_targets
from netops.inventory.loader import load_inventory
from netops.lab.testing import wait_until
from tests.conftest import REPO, free_port, run_netops
from tests.exporters import material

INVENTORY = Path(__file__).parent / "inventory"
POLL_S = "2"
# The playbooks netops runs in these tests (a copy of the shipped files: the others name devices the small
# test region does not have).
PLAYBOOKS = ("prefecture-uplink-down.yaml",)
# what the shipped alertmanager.yml says about netops: where it listens, where the webhook secret's file is
SHIPPED_NETOPS_PORT = 8600
SHIPPED_CREDENTIALS_FILE = "/etc/prometheus/netops-webhook.secret"
# a request to a server that answers (netops, its lab, Prometheus, Alertmanager): on a loaded machine an answer
# can take seconds, and a request made outside a wait_for fails the test when it times out
HTTP_TIMEOUT_S = 30.0


def wait_for(what: str, check: Callable[[], Any], timeout: float | None = None, every: float = 0.25) -> Any:
    """Call ``check`` until it returns something truthy (the lab kit's one deadline unless ``timeout``)."""
    return wait_until(what, check, timeout=timeout, every=every)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def scrape(url: str) -> list[Sample]:
    """Every sample of netops' /metrics (open to Prometheus without a token)."""
    text = httpx.get(f"{url}/metrics", timeout=HTTP_TIMEOUT_S).text
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


SUFFIXES = {
    "counter": ("_total",),
    "summary": ("", "_count", "_sum"),
    "histogram": ("_bucket", "_count", "_sum"),
}


def served_names(url: str) -> set[str]:
    """Every metric name netops' /metrics declares (HELP/TYPE), with or without samples yet (e.g. a room's
    readiness before any conference was checked), and every sample name."""
    text = httpx.get(f"{url}/metrics", timeout=HTTP_TIMEOUT_S).text
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + s for s in SUFFIXES.get(family.type, ("",)))
        names.update(s.name for s in family.samples)
    return names


def devices_up(url: str) -> int:
    return sum(
        1
        for s in scrape(url)
        if s.name == "netops_device_status" and s.labels["status"] == "up" and s.value == 1
    )


@dataclass(frozen=True)
class Netops:
    url: str  # netops serve, e.g. http://127.0.0.1:PORT
    control: str  # the lab's control API
    address: str  # host:port, the scrape target
    webhook_secret: str  # the secret `alertmanager-webhook` POST /alerts/alertmanager wants
    token: str  # an API token, role viewer

    def get(self, path: str, **params: str) -> Any:
        res = httpx.get(
            f"{self.url}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=HTTP_TIMEOUT_S,
        )
        assert res.status_code == 200, res.text
        return res.json()


@pytest.fixture(scope="module")
def netops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Netops]:
    """The lab on 127.75.x and ``netops serve`` polling it every 2 s, all devices up; netops runs the
    playbooks in ``PLAYBOOKS`` and takes Alertmanager's webhook with a fresh secret; a viewer token."""
    tmp = tmp_path_factory.mktemp("netops")
    env = {"NETOPS_SECRETS_FILE": str(tmp / "secrets.yaml"), "NETOPS_STATE_DIR": str(tmp / "lab")}
    (tmp / "playbooks").mkdir()
    for name in PLAYBOOKS:
        shutil.copy(REPO / "playbooks" / name, tmp / "playbooks" / name)
    webhook_secret = secrets.token_urlsafe(24)
    token = run_netops(
        *("token", "create", "--name", "exporters-e2e", "--role", "viewer", "--json"),
        *("--state-dir", str(tmp / "state")),
    )
    assert token.returncode == 0, token.stdout + token.stderr
    control_port, port = free_port(), netops_port()
    res = run_netops(
        "lab", "up", "--detach", "--inventory", str(INVENTORY), "--control-port", str(control_port), env=env
    )
    assert res.returncode == 0, res.stdout + res.stderr
    log = (tmp / "serve.log").open("wb")
    serve = subprocess.Popen(
        [
            *(sys.executable, "-m", "netops", "serve", "--inventory", str(INVENTORY), "--port", str(port)),
            *("--state-dir", str(tmp / "state"), "--log-level", "warning"),
        ],
        cwd=REPO,
        env={
            **os.environ,
            **env,
            "NETOPS_POLL_FAST_S": POLL_S,
            "NETOPS_POLL_NORMAL_S": POLL_S,
            "NETOPS_PLAYBOOKS": str(tmp / "playbooks"),
            "NETOPS_SECRET_ALERTMANAGER_WEBHOOK": webhook_secret,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def all_up() -> bool:
            assert serve.poll() is None, (tmp / "serve.log").read_text()
            return devices_up(url) == 5

        wait_for("netops to see the 5 lab devices up", all_up)
        yield Netops(
            url,
            f"http://127.0.0.1:{control_port}",
            f"127.0.0.1:{port}",
            webhook_secret,
            json.loads(token.stdout)["token"],
        )
    finally:
        stop(serve)
        log.close()
        down = run_netops("lab", "down", env=env)
        assert down.returncode == 0, down.stderr


def netops_port() -> int:
    """The port the shipped Alertmanager config names (8600) when it is free here (each test process has a
    network namespace of its own), else any free port."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", SHIPPED_NETOPS_PORT))
        except OSError:
            return free_port()
    return SHIPPED_NETOPS_PORT


def fast_prometheus_config(directory: Path, target: str, alertmanager: str) -> Path:
    """The shipped config and rules in ``directory``, with 1 s intervals and every ``for`` divided by 10,
    netops at ``target`` and the Alertmanager at ``alertmanager`` (host:port)."""
    config = yaml.safe_load((material.PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": [alertmanager]}]
    (directory / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (directory / "rules").mkdir()
    for path in material.RULE_FILES:
        rules = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in rules["groups"]:
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = f"{_seconds(rule['for']) // 10}s"
        (directory / "rules" / path.name).write_text(yaml.safe_dump(rules), encoding="utf-8")
    host, _, port = target.rpartition(":")
    write_prometheus_targets(load_inventory(INVENTORY), directory / "targets", f"{host}:{port}")
    return directory / "prometheus.yml"


def _seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return int(duration[:-1]) * units[duration[-1]]


@dataclass(frozen=True)
class Prometheus:
    url: str

    def query(self, expr: str) -> list[dict[str, Any]]:
        body = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=HTTP_TIMEOUT_S).json()
        assert body["status"] == "success", (expr, body)
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def alerts(self, state: str = "firing") -> list[dict[str, str]]:
        body = httpx.get(f"{self.url}/api/v1/alerts", timeout=HTTP_TIMEOUT_S).json()
        return [a["labels"] for a in body["data"]["alerts"] if a["state"] == state]


@dataclass
class Webhook:
    """A stand-in for the receivers Alertmanager posts to, on 127.0.0.1: it records every notification by
    path (``/netops``, ``/chat``, ``/mail``), so a test sees what each receiver got."""

    url: str
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def alerts(self, path: str, status: str = "firing") -> list[dict[str, str]]:
        return [
            {**a["labels"], **a["annotations"]}
            for p, body in list(self.received)
            if p == path
            for a in body["alerts"]
            if a["status"] == status
        ]


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    hook = Webhook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            hook.received.append((self.path, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def local_alertmanager_config(directory: Path, webhook: str, netops: Netops | None = None) -> Path:
    """The shipped Alertmanager config with every receiver sent to the local ``webhook`` (mail becomes a
    webhook too: nothing leaves 127.0.0.1) and 1 s group timings. With ``netops``, the netops receiver also
    posts to netops' own webhook with its webhook config exactly as shipped, only the secret's file
    (``credentials_file``) in this folder instead of /etc/prometheus (and the URL's port, if 8600 was taken)."""
    config = yaml.safe_load(material.ALERTMANAGER.read_text(encoding="utf-8"))
    for key in [k for k in config["global"] if k.startswith("smtp_")]:
        del config["global"][key]
    for receiver in config["receivers"]:
        name = receiver["name"].split("-")[-1]  # netops, chat, mail
        shipped = receiver.get("webhook_configs", [])
        receiver.pop("email_configs", None)
        receiver["webhook_configs"] = [{"url": f"{webhook}/{name}", "send_resolved": True}]
        if name == "netops" and netops is not None:
            secret = directory / "netops-webhook.secret"
            secret.write_text(netops.webhook_secret, encoding="utf-8")
            secret.chmod(0o600)
            (own,) = shipped
            assert own["http_config"]["authorization"]["credentials_file"] == SHIPPED_CREDENTIALS_FILE
            own["http_config"]["authorization"]["credentials_file"] = str(secret)
            if netops.address != f"127.0.0.1:{SHIPPED_NETOPS_PORT}":
                own["url"] = f"{netops.url}/alerts/alertmanager"
            receiver["webhook_configs"].append(own)
    # group_wait 2 s, not 0: with 0 the dispatcher may notify a county's alert before the inhibitor has seen
    # its prefecture's alert posted in the same request (test_prefecture_alert_inhibits_its_counties_only
    # failed once under load); the shipped config waits 30 s
    for route in [config["route"], *config["route"]["routes"]]:
        route.update(group_wait="2s", group_interval="1s")
    (directory / "alertmanager.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return directory / "alertmanager.yml"


@dataclass(frozen=True)
class Alertmanager:
    url: str
    address: str

    def alerts(self) -> list[dict[str, Any]]:
        body: list[dict[str, Any]] = httpx.get(f"{self.url}/api/v2/alerts", timeout=HTTP_TIMEOUT_S).json()
        return body


def run_alertmanager(tmp: Path, config: Path) -> Iterator[Alertmanager]:
    """Debian's prometheus-alertmanager on a free 127.0.0.1 port with ``config``, clustering off."""
    exe = shutil.which("prometheus-alertmanager")
    assert exe, "prometheus-alertmanager is not installed (Debian package prometheus-alertmanager)"
    port = free_port()
    log = (tmp / "alertmanager.log").open("wb")
    proc = subprocess.Popen(
        [
            *(exe, f"--config.file={config}", f"--storage.path={tmp / 'data'}"),
            *(f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"),
        ],
        cwd=tmp,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    am = Alertmanager(f"http://127.0.0.1:{port}", f"127.0.0.1:{port}")
    try:

        def ready() -> bool:
            assert proc.poll() is None, (tmp / "alertmanager.log").read_text()
            return httpx.get(f"{am.url}/-/ready", timeout=2).status_code == 200

        wait_for("Alertmanager to be ready", ready)
        yield am
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def alertmanager(webhook: Webhook, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alertmanager]:
    """Alertmanager delivering to ``webhook`` only."""
    tmp = tmp_path_factory.mktemp("alertmanager")
    yield from run_alertmanager(tmp, local_alertmanager_config(tmp, webhook.url))


@pytest.fixture(scope="module")
def netops_alertmanager(
    netops: Netops, webhook: Webhook, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Alertmanager]:
    """Alertmanager delivering to ``webhook`` and, for the netops receiver, to netops' own webhook too."""
    tmp = tmp_path_factory.mktemp("alertmanager")
    yield from run_alertmanager(tmp, local_alertmanager_config(tmp, webhook.url, netops))


@pytest.fixture(scope="module")
def prometheus(
    netops: Netops, netops_alertmanager: Alertmanager, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Prometheus]:
    """Debian's prometheus on a free 127.0.0.1 port, scraping ``netops`` with the shipped rules and sending
    alerts to ``netops_alertmanager``."""
    exe = shutil.which("prometheus")
    assert exe, "prometheus is not installed (Debian package prometheus)"
    tmp = tmp_path_factory.mktemp("prometheus")
    config = fast_prometheus_config(tmp, netops.address, netops_alertmanager.address)
    port = free_port()
    log = (tmp / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            *(exe, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'data'}"),
            *(f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"),
        ],
        cwd=tmp,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    prom = Prometheus(f"http://127.0.0.1:{port}")
    try:

        def scraped() -> bool:
            assert proc.poll() is None, (tmp / "prometheus.log").read_text()
            if httpx.get(f"{prom.url}/-/ready", timeout=2).status_code != 200:
                return False
            return len(prom.query("netops_device_up == 1")) == 5

        wait_for("Prometheus to scrape the 5 devices up from netops", scraped)
        yield prom
    finally:
        stop(proc)
        log.close()
