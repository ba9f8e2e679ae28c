"""The API contract (issue 17 item 4) against a real uvicorn: ``/openapi.json`` has short operation ids, the bearer
security scheme, a typed response for every route and RFC 9457 problem details for every error status; a walk
calls every operation (with a token, without one, with an unknown id) and checks each answer's status, media
type and body against what the description documents for it; schemathesis then generates requests for every
operation (a few examples each, with an admin token) and finds no 5xx and no answer outside the contract."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI

from netops.api.app import create_app
from netops.api.devicework import DeviceWork
from netops.auth.tokens import Role, create_token
from netops.runbooks.service import RunbookService
from netops.runtime import Runtime
from netops.settings import Settings
from tests.conftest import TESTS, served_app

AM_SECRET = "contract-webhook-s3cret"
FUZZ_EXAMPLES = 6  # per operation (the coverage phase too, run by hand: 1,327 cases, no failure)
STATUSES = {401, 403, 404, 409, 413, 422, 429, 500, 503}
CONFERENCE = {
    "id": "contract-conf",
    "title": "契约",
    "start": "2030-01-01T10:00:00+08:00",
    "rooms": ["kashgar-vc"],
}
BODIES: dict[tuple[str, str], Any] = {
    ("post", "/incidents/{incident_id}/acknowledge"): {"note": "on it"},
    ("post", "/conferences"): CONFERENCE,
    ("put", "/conferences/{conf_id}"): {**CONFERENCE, "title": "契约 2"},
    ("post", "/changes"): {"devices": ["kashgar-ce1"], "reason": "contract walk"},
    ("post", "/changes/plan"): {"devices": ["kashgar-ce1"]},
    ("post", "/runbooks/{ident}/plan"): {"params": {}},
    ("post", "/runbooks/{ident}/runs"): {"params": {}},
    ("post", "/runs/{run_id}/approve"): {"decision": "approved"},
    ("post", "/runs/{run_id}/resume"): {},
    ("post", "/alerts/alertmanager"): {"version": "4", "status": "firing", "alerts": []},
}


@dataclass
class Api:
    url: str
    app: FastAPI
    rt: Runtime
    token: str
    run_id: str

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("contract")
    mp = pytest.MonkeyPatch()
    mp.setenv("NETOPS_SECRET_ALERTMANAGER_WEBHOOK", AM_SECRET)
    settings_ = Settings(inventory=TESTS / "inventory" / "base", state_dir=tmp / "state", poll_enabled=False)
    rt = Runtime.start(settings_)
    app = create_app(settings_, rt)
    svc = RunbookService.from_runtime(rt, TESTS / "api" / "playbooks", poll_s=0.05)
    app.state.runbooks = svc
    app.state.device_work = DeviceWork(slots=4, queue_s=1, timeout_s=20)
    token = create_token(rt.store, "contract", Role.ADMIN)[1]
    try:
        with served_app(app) as url:
            started = httpx.post(
                f"{url}/runbooks/duty-check/runs", json={}, headers={"Authorization": f"Bearer {token}"}
            )
            assert started.status_code == 202, started.text
            yield Api(url, app, rt, token, started.json()["id"])
    finally:
        for run in list(svc.tasks):
            svc.engine.cancel(run, actor="test")
        mp.undo()


def spec_of(api: Api) -> dict[str, Any]:
    answer = httpx.get(f"{api.url}/openapi.json")
    assert answer.status_code == 200
    spec: dict[str, Any] = answer.json()
    return spec


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    order = {"get": 0, "post": 1, "put": 2, "delete": 3}
    ops = [(p, m, op) for p, item in spec["paths"].items() for m, op in item.items()]
    return sorted(ops, key=lambda o: (order.get(o[1], 9), o[0]))


def fill(api: Api, template: str, unknown: bool = False) -> str:
    values = {
        "site_id": "kashgar", "device_id": "kashgar-ce1", "link_id": next(iter(api.rt.inventory.links)),
        "room_id": "kashgar-vc", "conf_id": str(CONFERENCE["id"]), "run_id": api.run_id, "ident": "duty-check",
        "change_id": "no-such-change", "version_id": "1", "incident_id": "1",
    }  # fmt: skip
    path = template
    for name, value in values.items():
        path = path.replace(
            "{" + name + "}", "nope-404" if unknown and name not in ("version_id", "incident_id") else value
        )
    return path


def check_answer(spec: dict[str, Any], path: str, method: str, answer: httpx.Response) -> None:
    """The answer's status is documented for the operation; its media type and body match the documentation."""
    responses = spec["paths"][path][method]["responses"]
    status = str(answer.status_code)
    assert status in responses, (
        f"{method.upper()} {path}: {status} not documented ({sorted(responses)}): {answer.text[:300]}"
    )
    content = responses[status].get("content")
    if not content or answer.status_code == 204:
        return
    media = answer.headers["content-type"].split(";")[0]
    assert media in content, f"{method.upper()} {path} {status}: {media} not in {list(content)}"
    schema = content[media].get("schema")
    if not schema or not media.endswith("json"):
        return
    validator = jsonschema_rs.validator_for({**schema, "components": spec["components"]})
    errors = [e.message for e in validator.iter_errors(answer.json())]
    assert not errors, f"{method.upper()} {path} {status}: {errors[:3]}"


def test_the_description_is_a_contract(api: Api) -> None:
    spec = spec_of(api)
    ids = [op["operationId"] for _p, _m, op in operations(spec)]
    assert len(ids) == len(set(ids)) and len(ids) >= 45
    assert all((len(i) <= 24 and "_" in i) or i.isalpha() for i in ids), (
        ids
    )  # list_sites, not list_sites_sites_get
    bearer = spec["components"]["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "error"} <= set(problem["required"])
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, method, op in operations(spec):
        where = f"{method.upper()} {path}"
        if path in ("/healthz", "/metrics"):
            assert op["security"] == [], where
        else:
            assert op["security"] in ([{"bearer": []}], [{"alertmanager": []}]), where
            assert {"401", "422" if path != "/alerts/alertmanager" else "400", "500", "503"} <= set(
                op["responses"]
            )
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (where, status)
                assert response["content"]["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }
            elif status != "204":  # one media type, or several for a route such as /reports (json, csv, ...)
                for media, content in response["content"].items():
                    schema = content["schema"]
                    assert schema not in ({}, {"type": "object"}), (where, status, media, schema)  # typed
                    if media == "application/json":
                        target = schema.get("items", schema)
                        assert "$ref" in target, (where, status, schema)


def test_every_operation_answers_as_documented(api: Api) -> None:
    spec = spec_of(api)
    seen: dict[int, int] = {}
    with httpx.Client(base_url=api.url, timeout=60) as client:
        for path, method, _op in operations(spec):
            headers = (
                {"Authorization": f"Bearer {AM_SECRET}"} if path == "/alerts/alertmanager" else api.auth()
            )
            params = {"failed": "kashgar-ce1"} if path == "/inventory/impact" else None
            body = BODIES.get((method, path))
            kinds = [("token", headers, fill(api, path))]
            if path not in ("/healthz", "/metrics"):
                kinds.append(("no token", {}, fill(api, path)))
            if "{" in path:
                kinds.append(("unknown id", headers, fill(api, path, unknown=True)))
            for _kind, head, url in kinds:
                answer = client.request(method.upper(), url, headers=head, params=params, json=body)
                check_answer(spec, path, method, answer)
                seen[answer.status_code] = seen.get(answer.status_code, 0) + 1
    assert 500 not in seen
    assert {200, 201, 202, 204, 401, 404} <= set(seen), seen  # the walk reached every kind of answer
    assert {409, 422} & set(seen), seen


FUZZ_CONFIG = """
headers = {{ Authorization = "Bearer {token}" }}

[parameters]
"path.site_id" = "kashgar"
"path.device_id" = "kashgar-ce1"
"path.room_id" = "kashgar-vc"
"path.conf_id" = "{conference}"
"path.run_id" = "{run}"
"path.ident" = "duty-check"
"query.failed" = ["kashgar-ce1"]

[[operations]]
include-path = "/alerts/alertmanager"
headers = {{ Authorization = "Bearer {webhook}" }}
"""


def test_fuzz_finds_no_server_error(api: Api, tmp_path: Path) -> None:
    """schemathesis (its CLI, a separate process) over every operation with an admin token and real ids: a fixed
    small number of examples per operation, deterministic generation, so the run is bounded and repeatable."""
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        FUZZ_CONFIG.format(token=api.token, conference=CONFERENCE["id"], run=api.run_id, webhook=AM_SECRET)
    )
    httpx.post(f"{api.url}/conferences", json=CONFERENCE, headers=api.auth())  # 201, or 409 after the walk
    log = tmp_path / "schemathesis.log"
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config), "run",
        f"{api.url}/openapi.json",
        "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_schema_conformance",
        "--max-examples", str(FUZZ_EXAMPLES), "--generation-deterministic",
        "--phases", "examples,fuzzing", "--continue-on-failure", "--request-timeout", "60", "--no-color",
    ]  # fmt: skip
    with log.open("w") as out:
        done = subprocess.run(  # in tmp_path: schemathesis keeps a cache folder in its working directory
            command, stdout=out, stderr=subprocess.STDOUT, timeout=600, check=False, cwd=tmp_path
        )
    text = log.read_text()
    assert done.returncode == 0, text[-6000:]
    assert "Authentication failed" not in text, text[-3000:]
