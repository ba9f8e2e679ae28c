"""A throwaway Nautobot server holding a netops region, for the importer's tests.

    nautobot_server(inv, work) ─┬─ PostgreSQL (tests/pgserver.py) and redis-server on 127.0.0.1, free ports
                                ├─ nautobot_load.py in Nautobot's venv: schema from the models, the region
                                │  through the ORM, a superuser and its API token
                                └─ ``nautobot-server runserver`` on 127.0.0.1; yields (url, token)

Nautobot lives in its own venv (``NETOPS_NAUTOBOT_VENV``, default ``.venv/nautobot``, created by
``scripts/install-nautobot.sh`` from ``make test``): its pinned Django stack would conflict with netops'. The
test talks to it only over HTTP, the way a user's importer would.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from netops.inventory.models import Inventory
from netops.lab.testing import free_port, stop, wait_until

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def nautobot_venv() -> Path:
    return Path(os.environ.get("NETOPS_NAUTOBOT_VENV", REPO / ".venv" / "nautobot"))


def region_dump(inv: Inventory, directory: Path) -> dict[str, Any]:
    """What ``nautobot_load.py`` creates in Nautobot: the resolved sites, devices and links of ``inv``, and the
    netops-only sections (SNMP profiles, credentials, services) as written in the inventory's files."""
    raw: dict[str, list[Any]] = {"snmp_profiles": [], "credentials": [], "services": []}
    for f in sorted(directory.rglob("*.yaml")):
        if f.relative_to(directory).parts[0] in ("templates", "conferences"):
            continue
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for section, items in raw.items():
            items.extend(data.get(section) or [])
    var_sets = Counter(json.dumps(dict(d.vars), sort_keys=True) for d in inv.devices.values())
    common = json.loads(var_sets.most_common(1)[0][0]) if var_sets else {}

    def contact(c: Any) -> dict[str, Any]:
        return {
            k: v for k, v in (("name", c.name), ("phone", c.phone), ("role", c.role), ("email", c.email)) if v
        }

    return {
        **raw,
        "common_vars": common,
        "sites": [
            {
                "id": s.id,
                "name": s.name,
                "name_en": s.name_en,
                "tier": str(s.tier),
                "parent": s.parent,
                "status": str(s.status),
                "target_date": s.target_date.isoformat() if s.target_date else None,
                "contacts": [contact(c) for c in s.contacts],
                "rooms": [
                    {
                        "id": r.id,
                        "name": r.name,
                        "codec": r.codec,
                        "call_rate_kbps": r.call_rate_kbps,
                        **({"contact": contact(r.contact)} if r.contact else {}),
                    }
                    for r in inv.rooms_at(s.id)
                ],
            }
            for s in inv.sites.values()
        ],
        "devices": [
            {
                "id": d.id,
                "site": d.site,
                "platform": str(d.platform),
                "vendor": d.platform.vendor,
                "netmiko_device_type": d.platform.netmiko_device_type,
                "role": str(d.role),
                "address": str(d.address),
                "snmp_profile": d.snmp_profile,
                "credential": d.credential,
                "ssh_port": d.ssh_port,
                "snmp_port": d.snmp_port,
                "http_port": d.http_port,
                "sip_port": d.sip_port,
                "probe_port": d.probe_port,
                "status": str(d.status),
                "target_date": d.target_date.isoformat() if d.target_date else None,
                "model": d.model,
                "ups": d.ups,
                "local_vars": {k: v for k, v in d.vars.items() if common.get(k) != v},
                "interfaces": [
                    {
                        "name": i.name,
                        "kind": str(i.kind),
                        "description": i.description,
                        "speed_mbps": i.speed_mbps,
                        "address": i.address,
                    }
                    for i in d.interfaces
                ],
            }
            for d in inv.devices.values()
        ],
        "links": [
            {
                "a": {"device": link.a.device, "interface": link.a.interface},
                "b": {"device": link.b.device, "interface": link.b.interface},
                "kind": str(link.kind),
                "carrier": link.carrier,
                "circuit": link.circuit,
                "bandwidth_mbps": link.bandwidth_mbps,
                "medium": link.medium,
            }
            for link in inv.links.values()
        ],
    }


def _popen(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )


@contextmanager
def nautobot_server(inv: Inventory, directory: Path, work: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Nautobot serving the region ``inv`` (read from ``directory``); yields (base URL, API token, timings)."""
    from tests.pgserver import postgres_server

    venv = nautobot_venv()
    python, server = venv / "bin" / "python", venv / "bin" / "nautobot-server"
    assert server.exists(), (
        f"Nautobot is not installed in {venv}: run scripts/install-nautobot.sh (make test does)"
    )
    redis = shutil.which("redis-server") or "/usr/bin/redis-server"
    assert Path(redis).exists(), "redis-server is missing: apt-get install redis-server"
    work.mkdir(parents=True, exist_ok=True)
    region_file = work / "region.json"
    region_file.write_text(json.dumps(region_dump(inv, directory), ensure_ascii=False), encoding="utf-8")
    token = secrets.token_hex(20)
    t0 = time.monotonic()
    with ExitStack() as stack:
        pg_url = stack.enter_context(postgres_server())
        redis_port = free_port()
        redis_proc = _popen(
            [redis, "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
            work / "redis.log",
            dict(os.environ),
        )
        stack.callback(stop, redis_proc)
        env = {
            **os.environ,
            "NAUTOBOT_SECRET_KEY": secrets.token_urlsafe(40),
            "NAUTOBOT_DB_NAME": "postgres",
            "NAUTOBOT_DB_USER": "postgres",
            "NAUTOBOT_DB_PORT": pg_url.rsplit(":", 1)[1].split("/", 1)[0],
            "NAUTOBOT_REDIS_PORT": str(redis_port),
            "NAUTOBOT_ROOT": str(work / "nautobot-root"),
            "NAUTOBOT_CONFIG": str(HERE / "nautobot_config.py"),
            "PYTHONUNBUFFERED": "1",
        }
        wait_until("redis-server", lambda: _answers(redis_proc, redis_port))
        t_servers = time.monotonic()
        load = subprocess.run(
            [str(python), str(HERE / "nautobot_load.py"), env["NAUTOBOT_CONFIG"], str(region_file), token],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        (work / "load.log").write_text(load.stdout + load.stderr, encoding="utf-8")
        assert load.returncode == 0, f"loading the region into Nautobot failed:\n{load.stderr[-3000:]}"
        timings: dict[str, Any] = json.loads(load.stdout.strip().splitlines()[-1])
        t_loaded = time.monotonic()
        port = free_port()
        proc = _popen(
            [str(server), "--config", env["NAUTOBOT_CONFIG"], "runserver", "--noreload", f"127.0.0.1:{port}"],
            work / "runserver.log",
            env,
        )
        stack.callback(stop, proc)
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(
                    f"nautobot-server exited with {proc.returncode}: "
                    + (work / "runserver.log").read_text(errors="replace")[-2000:]
                )
            r = httpx.get(f"{url}/api/", headers={"Authorization": f"Token {token}"}, timeout=10)
            return r.status_code == 200

        wait_until("Nautobot's REST API", ready, every=0.3)
        timings["postgres_redis_s"] = round(t_servers - t0, 1)
        timings["loader_process_s"] = round(t_loaded - t_servers, 1)
        timings["runserver_s"] = round(time.monotonic() - t_loaded, 1)
        yield url, token, timings


def _answers(proc: subprocess.Popen[bytes], port: int) -> bool:
    import socket

    if proc.poll() is not None:
        raise AssertionError(f"redis-server exited with {proc.returncode}")
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")
