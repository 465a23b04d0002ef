"""The embedded manager's own defences, beyond tests/manager/test_http_api.py (which
covers /ok without auth, tenant isolation of reads, a viewer refused start and cancel,
bad JSON and a 2 MB body with Content-Length) and test_durability.py (kill -9 during a
burst of starts: database intact, every acknowledged execution present):

- it binds 127.0.0.1 unless told otherwise, and warns for a non-loopback address;
- every route but /api/v3.1/ok refuses a request without credentials, or with wrong ones;
- a user of one tenant can neither act on nor start in another's;
- a viewer can do nothing that mutates, whatever the action or method;
- the body limit holds without Content-Length (chunked) and on every body endpoint.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.hardening.figures import count
from tests.manager_process import PASSWORDS, ManagerProcess
from tui.manager.app import routes
from tui.manager.server import is_loopback

V = "/api/v3.1"


def auth(user: str = "admin", tenant: str | None = "default_tenant") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{PASSWORDS[user]}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
    if tenant:
        headers["Tenant"] = tenant
    return headers


def test_default_bind_is_loopback(module_manager: ManagerProcess) -> None:
    assert module_manager.url.startswith("http://127.0.0.1:")
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.10", "example.com"]))


def test_a_non_loopback_address_is_served_with_a_warning(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "tui.manager", "--host", "0.0.0.0", "--port", "0"),
            *("--seed", "none", "--data", str(tmp_path / "d")),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on http://0.0.0.0:" in line, line
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert "warning: binding to 0.0.0.0, which is not a loopback address" in err, err


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "some-id", path)


def every_route() -> Iterator[tuple[str, str]]:
    for route in routes():
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                yield method, concrete(route.path)


def test_every_route_but_ok_needs_credentials(module_manager: ManagerProcess) -> None:
    checked = 0
    wrong = {"Authorization": "Basic " + "YWRtaW46bm9wZQ==", "Tenant": "default_tenant"}
    bad_token = {"Authentication-Token": "ctok-AAAAAAAAAA-" + "B" * 40}
    for method, path in every_route():
        for headers in ({}, wrong, bad_token):
            response = httpx.request(
                method,
                module_manager.url + path,
                headers={**headers, "Content-Type": "application/json"},
                content=b"{}" if method in ("POST", "PUT", "PATCH", "DELETE") else None,
            )
            if path == f"{V}/ok":
                assert response.status_code == 200, (method, path)
            else:
                assert response.status_code == 401, (method, path, headers, response.text)
                assert response.json()["error_code"] == "unauthorized_error"
            checked += 1
    assert checked > 60
    count("manager: unauthenticated requests refused", checked - 3)


@pytest.fixture(scope="module")
def eu_execution(module_manager: ManagerProcess) -> str:
    items = httpx.get(
        module_manager.api + "/executions",
        params={"deployment_id": "web-eu"},
        headers=auth(tenant="team-eu"),
    ).json()["items"]
    return items[0]["id"]


def test_no_acting_across_tenants(module_manager: ManagerProcess, eu_execution: str) -> None:
    api = module_manager.api
    default = auth()  # admin, in default_tenant
    refused = [
        httpx.post(
            api + "/executions",
            headers=default,
            json={"deployment_id": "web-eu", "workflow_id": "check_status"},
        ),
        httpx.post(api + f"/executions/{eu_execution}", headers=default, json={"action": "kill"}),
        httpx.patch(
            api + f"/executions/{eu_execution}", headers=default, json={"status": "failed"}
        ),
        httpx.get(api + f"/executions/{eu_execution}/should-start", headers=default),
        httpx.delete(api + "/deployments/web-eu", headers=default),
    ]
    for response in refused:
        assert response.status_code == 404, response.text
        assert response.json()["error_code"] == "not_found_error"
    events = httpx.get(api + "/events", params={"execution_id": eu_execution}, headers=default)
    assert events.json()["items"] == []
    # The operator belongs to default_tenant only: team-eu is refused outright.
    for method, path, body in (
        ("POST", "/executions", {"deployment_id": "web-eu", "workflow_id": "check_status"}),
        ("POST", f"/executions/{eu_execution}", {"action": "cancel"}),
        ("GET", "/executions", None),
        ("GET", "/events", None),
    ):
        response = httpx.request(
            method, api + path, headers=auth("operator", tenant="team-eu"), json=body
        )
        assert response.status_code == 403, (method, path, response.text)
    # Nothing changed over there.
    status = httpx.get(api + f"/executions/{eu_execution}", headers=auth(tenant="team-eu"))
    assert status.json()["status"] == "terminated"
    count("manager: cross-tenant actions refused", len(refused) + 4)


def test_a_viewer_can_do_nothing_that_mutates(module_manager: ManagerProcess) -> None:
    api = module_manager.api
    viewer = auth("viewer")
    some = httpx.get(api + "/executions", headers=viewer).json()["items"][0]["id"]
    attempts = [
        ("POST", f"/executions/{some}", {"action": action})
        for action in ("cancel", "force-cancel", "kill", "resume", "force-resume", "requeue")
    ] + [
        ("POST", "/executions", {"deployment_id": "web-prod", "workflow_id": "install"}),
        ("PATCH", f"/executions/{some}", {"status": "failed"}),
        ("DELETE", "/executions", {"keep_last": 1}),
        ("PUT", "/deployments/new-one", {"blueprint_id": "webapp"}),
        ("DELETE", "/deployments/web-prod", None),
        ("POST", "/events", {"events": [], "logs": []}),
    ]
    for method, path, body in attempts:
        response = httpx.request(method, api + path, headers=viewer, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error_code"] == "forbidden_error"
    count("manager: viewer mutations refused", len(attempts))


def test_the_body_limit_holds_without_content_length(module_manager: ManagerProcess) -> None:
    api = module_manager.api

    def chunks() -> Iterator[bytes]:
        yield b'{"deployment_id": "'
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MB in all, announced by no Content-Length
        yield b'"}'

    started = time.monotonic()
    for method, path in (
        ("POST", "/executions"),
        ("POST", "/executions/some-id"),
        ("PUT", "/deployments/big"),
        ("PATCH", "/executions/some-id"),
    ):
        response = httpx.request(method, api + path, headers=auth(), content=chunks())
        assert response.status_code == 413, (method, path, response.text[:200])
        assert response.json()["error_code"] == "payload_too_large_error"
    assert time.monotonic() - started < 30
    count("manager: oversized bodies refused", 4)
