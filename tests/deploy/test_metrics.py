"""``/metrics`` of the real app served by uvicorn: the process's own series (``process_*``, ``python_info``)
and the HTTP request metrics by route template and status (``netops/http_metrics.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from netops.api.app import create_app
from netops.auth.tokens import Role, create_token
from netops.runtime import Runtime
from netops.settings import Settings
from tests.conftest import served_app


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str, str]]:
    base = Path(__file__).parent.parent / "inventory" / "base"
    settings = Settings(
        inventory=base, state_dir=tmp_path_factory.mktemp("metrics") / "state", poll_enabled=False
    )
    rt = Runtime.start(settings)
    app = create_app(settings, rt)
    token = create_token(rt.store, "scraper", Role.VIEWER)[1]
    device = sorted(rt.inventory.devices)[0]
    with served_app(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client, token, device


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_process_metrics(served: tuple[httpx.Client, str, str]) -> None:
    client, _, _ = served
    samples = _samples(client.get("/metrics").text)
    names = {name for name, _ in samples}
    assert samples[("process_resident_memory_bytes", ())] > 0
    assert samples[("process_start_time_seconds", ())] > 0
    assert samples[("process_open_fds", ())] > 0
    assert "process_cpu_seconds_total" in names
    assert any(name == "python_info" for name in names)
    assert any(name == "netops_build_info" for name in names)


def test_requests_counted_by_route_template_and_status(served: tuple[httpx.Client, str, str]) -> None:
    client, token, device = served
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/devices/{device}", headers=auth).status_code == 200
    assert client.get("/devices/no-such-device", headers=auth).status_code == 404
    assert client.get(f"/devices/{device}").status_code == 401
    assert client.get("/no/such/page-7731").status_code == 404
    text = client.get("/metrics").text
    samples = _samples(text)

    def count(route: str, status: str) -> float:
        labels = (("method", "GET"), ("route", route), ("status", status))
        return samples.get(("netops_http_requests_total", labels), 0.0)

    assert count("/devices/{device_id}", "200") == 1
    assert count("/devices/{device_id}", "404") == 1
    assert count("/devices/{device_id}", "401") == 1
    assert count("unmatched", "404") >= 1
    timed = (("method", "GET"), ("route", "/devices/{device_id}"))
    assert samples[("netops_http_request_duration_seconds_count", timed)] == 3
    assert samples[("netops_http_request_duration_seconds_sum", timed)] > 0
    # bounded labels: no raw path, no device id, no token
    assert "page-7731" not in text and "no-such-device" not in text and token not in text
    assert f'route="/devices/{device}"' not in text
