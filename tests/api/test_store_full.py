"""A store that cannot be written (issue 18 item 6): the SQLite database on a small tmpfs that is then filled to
the last byte, or remounted read-only. Disk full: reads with a token keep answering (the token's
``last_used_at`` write fails, counted), ``/healthz`` says ``degraded`` with the store not writable,
``/metrics`` counts the failed writes, a write answers 503 ``store_unavailable``, and everything is back once
the disk has room again. Read-only (the connections closed first, else the kernel refuses the remount): SQLite
in WAL mode cannot even open the database to read, so reads are 503 problem details too, never 500, and
``/healthz`` says so.

The tmpfs lives in a mount namespace of this test's thread (``unshare(CLONE_NEWNS)``; threads started after it,
uvicorn's included, share it); no other process sees it."""

from __future__ import annotations

import ctypes
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from netops.api.app import create_app
from netops.auth.tokens import Role, create_token
from netops.lab.testing import wait_until
from netops.runtime import Runtime
from netops.settings import Settings
from tests.conftest import TESTS, served_app

CLONE_NEWNS = 0x00020000


def private_mounts() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        pytest.skip(f"no mount namespace here: {os.strerror(ctypes.get_errno())}")
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    private_mounts()
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    block = b"\0" * (256 * 1024)
    with filler.open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(block)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    with filler.open("ab", buffering=0) as fh:  # the last bytes, block by block
        for size in (4096, 512, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError:
                pass
    return filler


@pytest.mark.parametrize("fault", ["disk full", "read-only"])
def test_reads_go_on_and_healthz_says_the_store_is_not_writable(small_disk: Path, fault: str) -> None:
    settings = Settings(
        inventory=TESTS / "inventory" / "base", state_dir=small_disk / "state", poll_enabled=False
    )
    rt = Runtime.start(settings)
    app = create_app(settings, rt)
    app.state.store_health.probe_every_s = 0  # every /healthz probes (the default caches a few seconds)
    token = create_token(rt.store, "noc", Role.ENGINEER)[1]  # never used: its first use writes last_used_at
    with served_app(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        assert client.get("/healthz").json()["store"]["writable"] is True
        if fault == "disk full":
            filler = fill(small_disk)
        else:
            rt.store.engine.dispose()  # no file open for writing, else the kernel refuses the remount (busy)
            subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
        for path in ("/status", "/devices", "/incidents", "/conferences", "/changes"):
            answer = client.get(path)
            if fault == "disk full":
                assert answer.status_code == 200, (path, answer.status_code, answer.text)
            else:  # SQLite in WAL mode cannot open a database on a read-only file system, even to read it
                assert answer.status_code in (200, 503), (path, answer.status_code, answer.text)
                assert answer.status_code == 200 or answer.json()["error"] == "store_unavailable"
        health = client.get("/healthz")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "degraded" and body["store"]["writable"] is False, body
        assert body["store"]["error"]
        if fault == "disk full":  # the token's first use: a write that failed, counted
            assert body["store"]["write_failures"] >= 1
            metrics = client.get("/metrics").text
            assert "netops_store_write_failures_total" in metrics
            assert "netops_store_write_failures_total 0.0" not in metrics
        conference = {"id": "full", "title": "t", "start": "2026-12-01T10:00:00+08:00", "rooms": "all"}
        write = client.post("/conferences", json=conference)
        assert write.status_code == 503, write.text  # the write itself cannot succeed: store unavailable
        assert write.headers["content-type"].startswith("application/problem+json")
        if fault == "disk full":
            assert client.get("/status").status_code == 200  # and reads still go on
        if fault == "disk full":
            filler.unlink()
        else:
            subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
        wait_until("the store writable again", lambda: client.get("/healthz").json()["status"] == "ok")
        assert client.post("/conferences", json=conference).status_code == 201
