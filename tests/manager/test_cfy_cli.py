"""The real `cfy` 7.0.5 CLI against the embedded manager.

Every test drives the official CLI (installed from PyPI into its own virtual
environment by the session fixture) as a subprocess against a manager process on a
loopback port, and asserts on what the CLI prints and on its exit code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cfy_cli import (
    EVENT_LINE,
    Cfy,
    CfyResult,
    event_lines,
    parse_table,
    wait_until,
)
from tests.conftest import admin_client
from tests.manager_process import DEMO_DEPLOYMENTS, PASSWORDS, ManagerProcess

pytestmark = pytest.mark.slow

DEFAULT_DEPLOYMENTS = set(DEMO_DEPLOYMENTS)
EU_DEPLOYMENTS = {"web-eu", "db-eu"}
END_STATES = {"terminated", "failed", "cancelled"}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


# -- fixtures --------------------------------------------------------------------------


@pytest.fixture
def cfy(cfy_executable: Path, tmp_path: Path) -> Cfy:
    """The CLI with a fresh, empty CFY_WORKDIR/HOME/TMPDIR: no profile yet."""
    return Cfy(cfy_executable, tmp_path / "cfy-home")


@pytest.fixture
def api(manager: ManagerProcess) -> Iterator[httpx.Client]:
    with admin_client(manager) as client:
        yield client


def use_profile(
    cfy: Cfy,
    manager: ManagerProcess,
    user: str = "admin",
    tenant: str = "default_tenant",
) -> CfyResult:
    result = cfy(
        "profiles",
        "use",
        "127.0.0.1",
        "-u",
        user,
        "-p",
        PASSWORDS[user],
        "-t",
        tenant,
        "--rest-port",
        str(manager.port),
    )
    assert result.returncode == 0, str(result)
    return result


@pytest.fixture
def admin_cfy(cfy: Cfy, manager: ManagerProcess) -> Cfy:
    """An admin profile on this test's own manager (for tests that run workflows)."""
    use_profile(cfy, manager)
    return cfy


@pytest.fixture
def shared_cfy(cfy: Cfy, module_manager: ManagerProcess) -> Cfy:
    """An admin profile on the module's manager, for tests that only read."""
    use_profile(cfy, module_manager)
    return cfy


@pytest.fixture
def shared_api(module_manager: ManagerProcess) -> Iterator[httpx.Client]:
    with admin_client(module_manager) as client:
        yield client


# -- helpers -----------------------------------------------------------------------------


def execution(api: httpx.Client, exec_id: str) -> dict[str, Any]:
    response = api.get(f"/executions/{exec_id}")
    assert response.status_code == 200, response.text
    return response.json()


def executions_of(api: httpx.Client, deployment: str) -> list[dict[str, Any]]:
    response = api.get(
        "/executions",
        params={"deployment_id": deployment, "_include_system_workflows": "true"},
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def start_blocker(api: httpx.Client) -> str:
    """Start analytics' long `reindex` (about 10 s at speed 50) and wait until it runs."""
    response = api.post(
        "/executions", json={"deployment_id": "analytics", "workflow_id": "reindex"}
    )
    assert response.status_code == 201, response.text
    exec_id = response.json()["id"]
    wait_until(lambda: execution(api, exec_id)["status"] == "started", "the blocker to start", 30)
    return exec_id


def wait_for_end(api: httpx.Client, exec_id: str, timeout: float = 60) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        ex = execution(api, exec_id)
        return ex if ex["status"] in END_STATES else None

    return wait_until(ended, f"execution {exec_id} to end", timeout)


def events_hint(result: CfyResult) -> str:
    """The execution id from the final `* Run 'cfy events list <id>'` line."""
    match = re.fullmatch(
        rf"\* Run 'cfy events list ({UUID})' to retrieve the execution's events/logs",
        result.lines[-1],
    )
    assert match, str(result)
    return match.group(1)


def event_messages(result: CfyResult) -> list[str]:
    """The message part of each event line (after the `[node.op]` prefix, if any)."""
    return [m["message"] for m in map(EVENT_LINE.match, result.lines) if m]


def shown_parameters(result: CfyResult) -> dict[str, str]:
    """The `Execution Parameters:` section of `cfy executions get`: one tab-indented
    `name: value` line per parameter, values padded to a column."""
    lines = result.lines[result.lines.index("Execution Parameters:") + 1 :]
    assert all(line.startswith("\t") for line in lines if line), str(result)
    pairs = [line.strip().split(":", 1) for line in lines if line]
    return {name: value.strip() for name, value in pairs}


def get_row(cfy: Cfy, exec_id: str) -> dict[str, str]:
    result = cfy("executions", "get", exec_id)
    assert result.returncode == 0, str(result)
    assert result.lines[0] == f"Retrieving execution {exec_id}", str(result)
    rows = parse_table(result.lines)
    assert len(rows) == 1 and rows[0]["id"] == exec_id, str(result)
    return rows[0]


def cancel_lines(verb: str, exec_id: str) -> list[str]:
    return [
        f"{verb} execution {exec_id}",
        f"A cancel request for execution {exec_id} has been sent. To track the execution's "
        "status, use:",
        f"cfy executions get {exec_id}",
    ]


def assert_profile_created(result: CfyResult, port: int) -> None:
    assert result.lines == [
        "Initializing local profile ...",
        "Initialization completed successfully",
        f"Attempting to connect to 127.0.0.1 through port {port}, using http (SSL mode: False)...",
        f"Using manager 127.0.0.1 with port {port}",
        "Initializing profile 127.0.0.1...",
        "Initialization completed successfully",
    ], str(result)


# -- profiles, version, status -------------------------------------------------------------


def test_version_without_profile(cfy: Cfy) -> None:
    result = cfy("--version")
    assert result.returncode == 0, str(result)
    assert result.stdout.strip() == "Cloudify CLI 7.0.5", str(result)


def test_profiles_use_with_basic_auth(cfy: Cfy, module_manager: ManagerProcess) -> None:
    result = use_profile(cfy, module_manager)
    assert_profile_created(result, module_manager.port)
    context = json.loads((cfy.profiles_dir / "127.0.0.1" / "context.json").read_text())
    assert context["manager_username"] == "admin"
    assert context["manager_password"] == PASSWORDS["admin"]
    assert context["manager_tenant"] == "default_tenant"
    assert context["manager_token"] is None
    assert context["rest_port"] == module_manager.port
    assert context["rest_protocol"] == "http"
    # one manager, broker and db node on the same host: an "all-in-one" manager
    assert context["cluster"] == {}
    assert context["provider_context"] == {"cloudify": {"cloudify_agent": {}}}


def test_version_with_profile(shared_cfy: Cfy) -> None:
    result = shared_cfy("--version")
    assert result.returncode == 0, str(result)
    assert result.lines == [
        "Community edition",
        "",
        "Cloudify CLI 7.0.5",
        "Cloudify Manager 7.0.4 [ip=127.0.0.1]",
        "",
    ], str(result)


def test_status(shared_cfy: Cfy) -> None:
    result = shared_cfy("status")
    assert result.returncode == 0, str(result)
    assert result.lines[0] == "Retrieving manager services status... [ip=127.0.0.1]", str(result)
    assert "REST service at manager 127.0.0.1 is not responding!" not in result.stdout
    services = {row["service"]: row["status"] for row in parse_table(result.lines)}
    assert services, str(result)
    assert set(services.values()) == {"Active"}, str(result)
    assert {"Manager Rest-Service", "PostgreSQL", "RabbitMQ"} <= set(services), str(result)


def test_profiles_use_with_token(cfy: Cfy, manager: ManagerProcess, api: httpx.Client) -> None:
    created = api.post("/tokens", json={"description": "cfy CLI test"})
    assert created.status_code == 200, created.text
    token = created.json()["value"]
    token_id = created.json()["id"]
    assert token.startswith(f"ctok-{token_id}-")
    assert api.get(f"/tokens/{token_id}").json()["last_used"] is None

    result = cfy(
        "profiles", "use", "127.0.0.1", "-T", token, "-t", "default_tenant",
        "--rest-port", str(manager.port),
    )  # fmt: skip
    assert result.returncode == 0, str(result)
    assert_profile_created(result, manager.port)
    context = json.loads((cfy.profiles_dir / "127.0.0.1" / "context.json").read_text())
    assert context["manager_token"] == token
    assert context["manager_username"] is None
    assert context["manager_password"] is None

    listing = cfy("deployments", "list")
    assert listing.returncode == 0, str(listing)
    assert {row["id"] for row in parse_table(listing.lines)} == DEFAULT_DEPLOYMENTS, str(listing)
    # the manager saw the token (the profile has no password to fall back on)
    assert api.get(f"/tokens/{token_id}").json()["last_used"] is not None

    # a revoked token: every request is refused
    assert api.delete(f"/tokens/{token_id}").status_code == 204
    refused = cfy("deployments", "list")
    assert refused.returncode == 1, str(refused)
    assert refused.lines == [
        "Listing all deployments...",
        "An error occurred on the server: 401: User unauthorized: Unauthorized",
    ], str(refused)


def test_profiles_use_with_wrong_password_is_401(cfy: Cfy, module_manager: ManagerProcess) -> None:
    result = cfy(
        "profiles", "use", "127.0.0.1", "-u", "admin", "-p", "not-the-password",
        "-t", "default_tenant", "--rest-port", str(module_manager.port),
    )  # fmt: skip
    assert result.returncode == 1, str(result)
    assert result.lines[-2:] == [
        "Can't use manager 127.0.0.1",
        "401: User unauthorized: Authentication failed for <User username=`admin`>. "
        "Wrong credentials or locked account.",
    ], str(result)
    assert not (cfy.profiles_dir / "127.0.0.1").exists(), "a profile was created anyway"


# -- listings --------------------------------------------------------------------------


def test_deployments_list(shared_cfy: Cfy) -> None:
    result = shared_cfy("deployments", "list")
    assert result.returncode == 0, str(result)
    assert result.lines[0] == "Listing all deployments...", str(result)
    rows = parse_table(result.lines)
    assert {row["id"] for row in rows} == DEFAULT_DEPLOYMENTS, str(result)
    assert result.lines[-1] == f"Showing {len(rows)} of {len(rows)} deployments", str(result)
    by_id = {row["id"]: row for row in rows}
    assert by_id["web-prod"]["blueprint_id"] == "webapp"
    assert by_id["web-prod"]["display_name"] == "Web shop (production)"
    assert by_id["web-prod"]["labels"] == '"env:prod,region:eu-west,team:web"'
    assert by_id["web-prod"]["site_name"] == "eu-west"
    assert by_id["web-prod"]["tenant_name"] == "default_tenant"
    assert by_id["web-prod"]["installation_status"] == "active"
    assert by_id["db-replica"]["installation_status"] == "inactive"
    assert re.fullmatch(
        r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}", by_id["db-main"]["created_at"]
    )

    other = shared_cfy("deployments", "list", "-t", "team-eu")
    assert other.returncode == 0, str(other)
    assert {row["id"] for row in parse_table(other.lines)} == EU_DEPLOYMENTS, str(other)


def test_deployments_list_by_blueprint(shared_cfy: Cfy) -> None:
    result = shared_cfy("deployments", "list", "-b", "database")
    assert result.returncode == 0, str(result)
    assert result.lines[0] == "Listing deployments for blueprint database...", str(result)
    rows = parse_table(result.lines)
    assert sorted(row["id"] for row in rows) == ["db-main", "db-replica"], str(result)
    assert {row["blueprint_id"] for row in rows} == {"database"}
    assert result.lines[-1] == "Showing 2 of 2 deployments", str(result)

    none = shared_cfy("deployments", "list", "-b", "no-such-blueprint")
    assert none.returncode == 0, str(none)
    assert parse_table(none.lines) == []
    assert none.lines[-1] == "Showing 0 of 0 deployments", str(none)


def test_workflows_list(shared_cfy: Cfy) -> None:
    result = shared_cfy("workflows", "list", "-d", "web-prod")
    assert result.returncode == 0, str(result)
    assert result.lines[0] == "Listing workflows for deployment web-prod...", str(result)
    rows = parse_table(result.lines)
    names = [row["name"] for row in rows]
    assert names == sorted(names), str(result)
    # web-prod is installed: `install` and `start` are unavailable and hidden
    assert {"rolling_restart", "rotate_certificates", "uninstall", "restart", "heal"} <= set(
        names
    ), str(result)
    assert "install" not in names and "start" not in names, str(result)
    assert {(row["blueprint_id"], row["deployment_id"]) for row in rows} == {("webapp", "web-prod")}
    assert result.lines[-1] == "2 unavailable workflows hidden (use --all to show)", str(result)

    everything = shared_cfy("workflows", "list", "-d", "web-prod", "--all")
    assert everything.returncode == 0, str(everything)
    available = {row["name"]: row["is_available"] for row in parse_table(everything.lines)}
    assert available["install"] == "False" and available["start"] == "False", str(everything)
    assert available["rolling_restart"] == "True", str(everything)

    missing = shared_cfy("workflows", "list", "-d", "no-such-deployment")
    assert missing.returncode == 1, str(missing)
    assert missing.lines[-1] == (
        "An error occurred on the server: 404: Requested `Deployment` with ID "
        "`no-such-deployment` was not found"
    ), str(missing)


def test_executions_list_for_deployment(shared_cfy: Cfy, shared_api: httpx.Client) -> None:
    result = shared_cfy("executions", "list", "-d", "web-prod")
    assert result.returncode == 0, str(result)
    assert result.lines[0] == "Listing executions for deployment web-prod...", str(result)
    rows = parse_table(result.lines)
    assert [(row["workflow_id"], row["status"]) for row in rows] == [
        ("create_deployment_environment", "completed"),
        ("install", "completed"),
        ("rolling_restart", "completed"),
    ], str(result)
    assert {row["deployment_id"] for row in rows} == {"web-prod"}
    assert [row["id"] for row in rows] == [e["id"] for e in executions_of(shared_api, "web-prod")]
    assert result.lines[-1] == "Showing 3 of 3 executions", str(result)


def test_executions_list_with_system_workflows(shared_cfy: Cfy, shared_api: httpx.Client) -> None:
    result = shared_cfy("executions", "list", "--include-system-workflows")
    assert result.returncode == 0, str(result)
    assert result.lines[0] == "Listing all executions...", str(result)
    rows = parse_table(result.lines)
    # Blueprint uploads are executions without a deployment, as on a real manager.
    assert {row["deployment_id"] for row in rows} == DEFAULT_DEPLOYMENTS | {""}, str(result)
    uploads = [row for row in rows if row["deployment_id"] == ""]
    assert {row["workflow_id"] for row in uploads} == {"upload_blueprint"}, str(result)
    assert len(uploads) == 3, str(result)
    assert {row["tenant_name"] for row in rows} == {"default_tenant"}
    backups = [row for row in rows if row["workflow_id"] == "backup"]
    assert [(row["deployment_id"], row["status"]) for row in backups] == [("db-main", "failed")]
    expected = shared_api.get("/executions", params={"_include_system_workflows": "true"}).json()
    assert [row["id"] for row in rows] == [e["id"] for e in expected["items"]]
    total = expected["metadata"]["pagination"]["total"]
    assert result.lines[-1] == f"Showing {total} of {total} executions", str(result)


def test_executions_get(shared_cfy: Cfy, shared_api: httpx.Client) -> None:
    (backup,) = [e for e in executions_of(shared_api, "db-main") if e["workflow_id"] == "backup"]
    result = shared_cfy("executions", "get", backup["id"])
    assert result.returncode == 0, str(result)
    assert result.lines[0] == f"Retrieving execution {backup['id']}", str(result)
    (row,) = parse_table(result.lines)
    assert [row[k] for k in ("id", "workflow_id", "status", "deployment_id", "blueprint_id")] == [
        backup["id"],
        "backup",
        "failed",
        "db-main",
        "database",
    ], str(result)
    assert row["is_dry_run"] == "False" and row["created_by"] == "admin", str(result)
    assert row["error"].startswith("Traceback (most recent call last):"), str(result)
    assert "cloudify.exceptions.NonRecoverableError: pg_dump:" in row["error"], str(result)
    assert shown_parameters(result) == {
        "destination": "s3://backups/nightly",
        "compress": "True",
        "tables": "[]",
    }, str(result)

    missing = shared_cfy("executions", "get", "no-such-execution")
    assert missing.returncode == 1, str(missing)
    assert missing.lines[-1] == "Execution no-such-execution not found", str(missing)


# -- executions start --------------------------------------------------------------------


def test_executions_start_waits_and_prints_events(admin_cfy: Cfy, api: httpx.Client) -> None:
    result = admin_cfy("executions", "start", "install", "-d", "db-replica")
    assert result.returncode == 0, str(result)
    lines = result.lines
    assert (
        lines[0] == "Executing workflow `install` on deployment `db-replica` [timeout=900 seconds]"
    )
    assert lines[-2] == "Finished executing workflow install on deployment db-replica", str(result)
    exec_id = events_hint(result)
    events = lines[1:-2]
    assert events and all(EVENT_LINE.match(line) for line in events), str(result)
    parsed = [m for m in map(EVENT_LINE.match, events) if m]
    assert {m["deployment"] for m in parsed} == {"db-replica"}
    messages = [m["message"] for m in parsed]
    assert messages[0] == "Starting 'install' workflow execution", str(result)
    assert messages[1].startswith("INFO: Workflow parameters: "), str(result)
    assert messages[-1] == "'install' workflow execution succeeded", str(result)
    # every node instance goes through create, configure and start, VM first
    instances = [m["where"] for m in parsed if m["message"] == "Creating node instance"]
    assert len(instances) == 2 and instances[0].startswith("db_vm_"), str(result)
    assert instances[1].startswith("postgres_"), str(result)
    for instance in instances:
        for op in ("create", "configure", "start"):
            where = [m["message"] for m in parsed if m["where"] == f"{instance}.{op}"]
            assert where[0].startswith("Sending task '"), str(result)
            assert where[-1].startswith("Task succeeded '"), str(result)
    # printed once each, in order: the CLI's paging over /events saw every event once
    listing = admin_cfy("events", "list", exec_id)
    assert listing.returncode == 0, str(listing)
    assert event_lines(listing.lines) == events, str(listing)

    assert execution(api, exec_id)["status"] == "terminated"
    row = get_row(admin_cfy, exec_id)
    assert (row["workflow_id"], row["status"], row["deployment_id"]) == (
        "install",
        "completed",
        "db-replica",
    )
    deps = parse_table(admin_cfy("deployments", "list").lines)
    assert {d["id"]: d["installation_status"] for d in deps}["db-replica"] == "active"


def test_executions_start_failing_workflow(admin_cfy: Cfy, api: httpx.Client) -> None:
    result = admin_cfy("executions", "start", "backup", "-d", "db-main")
    assert result.returncode == 1, str(result)
    lines = result.lines
    assert lines[0] == "Executing workflow `backup` on deployment `db-main` [timeout=900 seconds]"
    exec_id = events_hint(result)
    failure = 'pg_dump: error: connection to server at "10.0.4.12", port 5432 failed: FATAL: '
    failure += 'role "backup" does not exist'
    failed_task = [i for i, line in enumerate(lines) if re.search(r"Task failed '", line)]
    assert len(failed_task) == 1, str(result)
    # the CLI prints the error cause's traceback after a task_failed event
    assert lines[failed_task[0] + 1] == "Traceback (most recent call last):", str(result)
    assert f"cloudify.exceptions.NonRecoverableError: {failure}" in lines, str(result)
    assert any(
        line.endswith(f"CFY <db-main> 'backup' workflow execution failed: {failure}")
        for line in event_lines(lines)
    ), str(result)
    assert any(line.endswith(f"ERROR: {failure}") for line in event_lines(lines)), str(result)
    verdict = lines.index(
        "Execution of workflow backup for deployment db-main failed. "
        "[error=Traceback (most recent call last):"
    )
    assert verdict > failed_task[0], str(result)
    assert lines[-2] == "]", str(result)
    assert f"cloudify.exceptions.NonRecoverableError: {failure}" in lines[verdict:], str(result)
    assert not any(line.startswith("Finished executing workflow") for line in lines), str(result)

    ex = execution(api, exec_id)
    assert ex["status"] == "failed" and failure in ex["error"]
    assert get_row(admin_cfy, exec_id)["status"] == "failed"


def test_executions_start_with_json_parameters(admin_cfy: Cfy, api: httpx.Client) -> None:
    result = admin_cfy(
        "executions", "start", "rolling_restart", "-d", "web-staging",
        "-p", '{"batch_size": 2, "drain_timeout": 5}',
    )  # fmt: skip
    assert result.returncode == 0, str(result)
    exec_id = events_hint(result)
    assert 'INFO: Workflow parameters: {"batch_size": 2, "drain_timeout": 5}' in event_messages(
        result
    ), str(result)
    assert execution(api, exec_id)["parameters"] == {"batch_size": 2, "drain_timeout": 5}
    get = admin_cfy("executions", "get", exec_id)
    assert shown_parameters(get) == {"batch_size": "2", "drain_timeout": "5"}, str(get)


def test_executions_start_with_key_value_parameters(admin_cfy: Cfy, api: httpx.Client) -> None:
    # `a=1;b=two` is sent as strings; declared integers are converted by the manager
    typed = admin_cfy(
        "executions", "start", "rolling_restart", "-d", "web-staging",
        "-p", "batch_size=3;drain_timeout=7",
    )  # fmt: skip
    assert typed.returncode == 0, str(typed)
    assert execution(api, events_hint(typed))["parameters"] == {
        "batch_size": 3,
        "drain_timeout": 7,
    }

    undeclared = admin_cfy(
        "executions", "start", "rolling_restart", "-d", "web-staging", "-p", "a=1;b=two"
    )
    assert undeclared.returncode == 1, str(undeclared)
    assert undeclared.lines == [
        "Executing workflow `rolling_restart` on deployment `web-staging` [timeout=900 seconds]",
        'An error occurred on the server: 400: Workflow "rolling_restart" does not have the '
        "following parameters declared: a,b. Remove these parameters or use the flag for "
        "allowing custom parameters",
    ], str(undeclared)

    custom = admin_cfy(
        "executions", "start", "rolling_restart", "-d", "web-staging",
        "-p", "a=1;b=two", "--allow-custom-parameters",
    )  # fmt: skip
    assert custom.returncode == 0, str(custom)
    exec_id = events_hint(custom)
    assert execution(api, exec_id)["parameters"] == {
        "a": "1",
        "b": "two",
        "batch_size": 1,
        "drain_timeout": 30,
    }
    messages = event_messages(custom)
    assert (
        'INFO: Workflow parameters: {"a": "1", "b": "two", "batch_size": 1, "drain_timeout": 30}'
        in messages
    ), str(custom)


def test_executions_start_conflicts_with_a_running_execution(
    admin_cfy: Cfy, api: httpx.Client
) -> None:
    blocker = start_blocker(api)
    before = len(executions_of(api, "analytics"))
    result = admin_cfy("executions", "start", "check_status", "-d", "analytics")
    assert result.returncode == 1, str(result)
    assert len(result.lines) == 2, str(result)
    assert result.lines[0] == (
        "Executing workflow `check_status` on deployment `analytics` [timeout=900 seconds]"
    )
    error = result.lines[1]
    assert error.startswith(
        "An error occurred on the server: 400: The following executions are currently "
        "running for this deployment: "
    ), str(result)
    assert blocker in error, str(result)
    assert error.endswith(
        'To execute this workflow anyway, pass "force=true" as a query parameter to this request'
    ), str(result)
    assert len(executions_of(api, "analytics")) == before, "the refused execution was stored"
    assert execution(api, blocker)["status"] == "started"


def test_executions_start_force_runs_alongside(admin_cfy: Cfy, api: httpx.Client) -> None:
    blocker = start_blocker(api)
    result = admin_cfy("executions", "start", "check_status", "-d", "analytics", "--force")
    assert result.returncode == 0, str(result)
    assert result.lines[-2] == "Finished executing workflow check_status on deployment analytics"
    messages = event_messages(result)
    assert messages[0] == "Starting 'check_status' workflow execution", str(result)
    assert messages[-1] == "'check_status' workflow execution succeeded", str(result)
    assert execution(api, events_hint(result))["status"] == "terminated"
    assert execution(api, blocker)["status"] == "started", "--force disturbed the blocker"


def test_executions_start_queue(admin_cfy: Cfy, api: httpx.Client) -> None:
    blocker = start_blocker(api)
    result = admin_cfy("executions", "start", "check_status", "-d", "analytics", "--queue")
    assert result.returncode == 0, str(result)
    assert result.lines == [
        "Executing workflow `check_status` on deployment `analytics` [timeout=900 seconds]",
        "Execution is being queued. It will automatically start when possible.",
    ], str(result)

    listing = admin_cfy("executions", "list", "-d", "analytics")
    rows = {row["id"]: row for row in parse_table(listing.lines)}
    assert rows[blocker]["status"] == "started", str(listing)
    (queued,) = [r["id"] for r in rows.values() if r["workflow_id"] == "check_status"]
    assert rows[queued]["status"] == "queued", str(listing)
    assert rows[queued]["started_at"] == "", str(listing)

    # nobody starts it: it runs by itself once the blocker has ended
    done_blocker = wait_for_end(api, blocker, 90)
    assert done_blocker["status"] == "terminated"
    done = wait_for_end(api, queued, 30)
    assert done["status"] == "terminated", done
    assert done["started_at"] >= done_blocker["ended_at"], (done, done_blocker)
    assert get_row(admin_cfy, queued)["status"] == "completed"
    events = admin_cfy("events", "list", queued)
    messages = event_messages(events)
    assert "Starting 'check_status' workflow execution" in messages, str(events)
    assert messages[-1] == "'check_status' workflow execution succeeded", str(events)


def test_executions_start_queue_on_idle_deployment_runs_now(admin_cfy: Cfy) -> None:
    result = admin_cfy("executions", "start", "check_status", "-d", "web-prod", "--queue")
    assert result.returncode == 0, str(result)
    assert "Execution is being queued" not in result.stdout
    assert result.lines[-2] == "Finished executing workflow check_status on deployment web-prod"
    assert get_row(admin_cfy, events_hint(result))["status"] == "completed"


def test_executions_start_timeout_leaves_it_running(admin_cfy: Cfy, api: httpx.Client) -> None:
    result = admin_cfy("executions", "start", "reindex", "-d", "analytics", "--timeout", "2")
    assert result.returncode == 1, str(result)
    assert (
        "Timed out waiting for workflow 'reindex' of deployment 'analytics' to end. The "
        "execution may still be running properly; however, the command-line utility was "
        "instructed to wait up to 2 seconds for its completion." in result.lines
    ), str(result)
    match = re.search(rf"\* Run 'cfy executions cancel ({UUID})'", result.stdout)
    assert match, str(result)
    assert execution(api, match.group(1))["status"] == "started"


# -- cancel, events, permissions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "verb"),
    [((), "Cancelling"), (("--force",), "Force-cancelling"), (("--kill",), "Killing")],
    ids=["cancel", "force", "kill"],
)
def test_executions_cancel(
    admin_cfy: Cfy, api: httpx.Client, flags: tuple[str, ...], verb: str
) -> None:
    blocker = start_blocker(api)
    result = admin_cfy("executions", "cancel", blocker, *flags)
    assert result.returncode == 0, str(result)
    assert result.lines == cancel_lines(verb, blocker), str(result)

    ended = wait_for_end(api, blocker, 30)
    assert ended["status"] == "cancelled", ended
    assert ended["finished_operations"] < ended["total_operations"], ended
    row = get_row(admin_cfy, blocker)
    assert row["status"] == "cancelled" and row["ended_at"], row
    events = admin_cfy("events", "list", blocker)
    assert event_lines(events.lines)[-1].endswith(
        "CFY <analytics> 'reindex' workflow execution cancelled"
    ), str(events)

    again = admin_cfy("executions", "cancel", blocker)
    assert again.returncode == 1, str(again)
    assert again.lines == [
        f"Cancelling execution {blocker}",
        f"An error occurred on the server: 400: Can't cancel execution {blocker} because "
        "it's in status cancelled",
    ], str(again)


def test_events_list(shared_cfy: Cfy, shared_api: httpx.Client) -> None:
    (install,) = [e for e in executions_of(shared_api, "web-prod") if e["workflow_id"] == "install"]
    exec_id = install["id"]
    result = shared_cfy("events", "list", exec_id)
    assert result.returncode == 0, str(result)
    assert result.lines[0] == f"Listing events for execution id {exec_id} [include_logs=True]"
    events = event_lines(result.lines)
    assert len(events) == len(result.lines) - 4, str(result)  # header, blank, 2 footers
    assert events[0].endswith("CFY <web-prod> Starting 'install' workflow execution"), str(result)
    assert events[-1].endswith("CFY <web-prod> 'install' workflow execution succeeded"), str(result)
    assert any(" LOG <web-prod> [" in line and "INFO: " in line for line in events), str(result)
    stamps = [line[:23] for line in events]
    assert stamps == sorted(stamps), str(result)
    total = shared_api.get(
        "/events",
        params={"execution_id": exec_id, "type": ["cloudify_event", "cloudify_log"]},
    ).json()["metadata"]["pagination"]["total"]
    assert total == len(events)
    assert result.lines[-3:] == [
        "",
        f"Showing {total} of {total} events",
        "Debug messages are only shown when you use very verbose mode (-vv)",
    ], str(result)

    deprecated = shared_cfy("events", "list", "-e", exec_id)
    assert deprecated.returncode == 0, str(deprecated)
    assert deprecated.lines[0] == (
        "Providing the execution ID as an option (using '-e') is now deprecated. Please "
        "provide the execution ID as a positional argument."
    ), str(deprecated)
    assert deprecated.lines[1:] == result.lines, str(deprecated)

    no_logs = shared_cfy("events", "list", exec_id, "--no-logs")
    assert no_logs.returncode == 0, str(no_logs)
    assert event_lines(no_logs.lines) == [line for line in events if "  CFY <" in line]


def test_viewer_cannot_start_or_cancel(
    cfy: Cfy, manager: ManagerProcess, api: httpx.Client
) -> None:
    use_profile(cfy, manager, user="viewer")
    listing = cfy("deployments", "list")
    assert listing.returncode == 0, str(listing)
    assert {row["id"] for row in parse_table(listing.lines)} == DEFAULT_DEPLOYMENTS

    before = len(executions_of(api, "db-replica"))
    result = cfy("executions", "start", "install", "-d", "db-replica")
    assert result.returncode == 1, str(result)
    assert result.lines == [
        "Executing workflow `install` on deployment `db-replica` [timeout=900 seconds]",
        "An error occurred on the server: 403: User `viewer` is not permitted to perform the "
        "action execution_start in the tenant `default_tenant`",
    ], str(result)
    assert len(executions_of(api, "db-replica")) == before

    blocker = start_blocker(api)
    cancel = cfy("executions", "cancel", blocker)
    assert cancel.returncode == 1, str(cancel)
    assert cancel.lines == [
        f"Cancelling execution {blocker}",
        "An error occurred on the server: 403: User `viewer` is not permitted to perform the "
        "action execution_cancel in the tenant `default_tenant`",
    ], str(cancel)
    assert execution(api, blocker)["status"] == "started"


# -- failed logins and lock-out (--lock-after) -------------------------------------------

LOGIN_FAILED = (
    "401: User unauthorized: Authentication failed for <User username=`operator`>. "
    "Wrong credentials or locked account"
)


@pytest.fixture
def locking_manager(tmp_path: Path) -> Iterator[ManagerProcess]:
    """One wrong password is let go, the second locks the account for ten minutes."""
    proc = ManagerProcess(
        data=tmp_path / "locking", extra_args=["--lock-after", "1", "--lock-period", "10"]
    ).start()
    try:
        yield proc
    finally:
        proc.stop()


def test_a_locked_account_refuses_the_cli_token_until_the_right_password(
    cfy: Cfy, cfy_executable: Path, tmp_path: Path, locking_manager: ManagerProcess
) -> None:
    port = str(locking_manager.port)
    created = httpx.post(
        f"{locking_manager.api}/tokens",
        json={"description": "lock-out test"},
        auth=("operator", PASSWORDS["operator"]),
        headers={"Content-Type": "application/json"},
    )
    assert created.status_code == 200, created.text
    by_token = Cfy(cfy_executable, tmp_path / "token-home")
    result = by_token(
        "profiles", "use", "127.0.0.1", "-T", created.json()["value"],
        "-t", "default_tenant", "--rest-port", port,
    )  # fmt: skip
    assert result.returncode == 0, str(result)
    listing = ["Listing all deployments..."]
    # A profile whose password goes wrong later. Made first: its right password would
    # start the count again.
    by_password = Cfy(cfy_executable, tmp_path / "password-home")
    use_profile(by_password, locking_manager, user="operator")
    reset = by_password(
        "profiles", "set", "-p", "not-the-password", "--skip-credentials-validation"
    )
    assert reset.returncode == 0, str(reset)

    # First failure: `cfy profiles use` with a wrong password (one request, one count).
    wrong = cfy(
        "profiles", "use", "127.0.0.1", "-u", "operator", "-p", "not-the-password",
        "-t", "default_tenant", "--rest-port", port,
    )  # fmt: skip
    assert wrong.returncode == 1, str(wrong)
    assert wrong.lines[-2:] == ["Can't use manager 127.0.0.1", LOGIN_FAILED + "."], str(wrong)
    assert by_token("deployments", "list").returncode == 0, "one failure must not lock"

    # Second failure: the profile with the wrong password; now the account is locked.
    refused = by_password("deployments", "list")
    assert refused.returncode == 1, str(refused)
    assert refused.lines == [*listing, f"An error occurred on the server: {LOGIN_FAILED}"]

    locked = by_token("deployments", "list")
    assert locked.returncode == 1, str(locked)
    assert locked.lines == [*listing, f"An error occurred on the server: {LOGIN_FAILED}"]
    # `cfy status` says so but exits 0, as against a real manager.
    status = by_token("status")
    assert status.returncode == 0, str(status)
    assert status.lines[-1] == "Failed to query manager service status: User is unauthorized"

    # A real 7.0.4 accepts the right password even while locked, and that unlocks.
    fixed = by_password("profiles", "set", "-p", PASSWORDS["operator"])
    assert fixed.returncode == 0, str(fixed)
    assert by_password("deployments", "list").returncode == 0
    again = by_token("deployments", "list")
    assert again.returncode == 0, str(again)
    assert {row["id"] for row in parse_table(again.lines)} == DEFAULT_DEPLOYMENTS


# -- nodes, node instances, outputs, capabilities -------------------------------------------


def test_node_instances_list_and_get(shared_cfy: Cfy) -> None:
    result = shared_cfy("node-instances", "list", "-d", "web-canary")
    assert result.returncode == 0, str(result)
    rows = parse_table(result.lines)
    assert {row["node_id"]: row["state"] for row in rows} == {
        "vm": "started",
        "nginx": "started",
        "app": "creating",
    }
    vm = next(row for row in rows if row["node_id"] == "vm")
    assert {row["host_id"] for row in rows} == {vm["id"]}
    assert result.lines[-1] == "Showing 3 of 3 node-instances"
    got = shared_cfy("node-instances", "get", vm["id"])
    assert got.returncode == 0, str(got)
    assert parse_table(got.lines)[0]["id"] == vm["id"]
    assert "Instance runtime properties:" in got.lines, str(got)
    assert any(re.fullmatch(r"\tip:\s+10\.0\.\d+\.\d+", line) for line in got.lines), str(got)
    missing = shared_cfy("node-instances", "get", "nope_000000")
    assert missing.returncode == 1
    assert missing.lines[-1] == "Node instance nope_000000 not found"  # the CLI's words for a 404


def test_nodes_list(shared_cfy: Cfy) -> None:
    result = shared_cfy("nodes", "list", "-d", "web-canary")
    assert result.returncode == 0, str(result)
    rows = parse_table(result.lines)
    assert [(row["id"], row["host_id"], row["number_of_instances"]) for row in rows] == [
        ("vm", "vm", "1"),
        ("nginx", "vm", "1"),
        ("app", "vm", "1"),
    ]
    assert rows[0]["type"] == "cloudify.nodes.Compute"


def test_deployment_outputs_and_capabilities(shared_cfy: Cfy) -> None:
    outputs = shared_cfy("deployments", "outputs", "web-canary")
    assert outputs.returncode == 0, str(outputs)
    assert ' - "endpoint":' in outputs.lines
    assert any(
        re.fullmatch(r"\s+Value: http://10\.0\.\d+\.\d+:8080", line) for line in outputs.lines
    )
    capabilities = shared_cfy("deployments", "capabilities", "db-main")
    assert capabilities.returncode == 0, str(capabilities)
    assert ' - "port":' in capabilities.lines and "     Value: 5432" in capabilities.lines


def test_executions_resume_of_a_failed_install(admin_cfy: Cfy, api: httpx.Client) -> None:
    """`cfy executions resume` on the demo's half-installed web-canary: the failed
    operation runs again, the install ends, every node instance is started."""
    (failed,) = [e for e in executions_of(api, "web-canary") if e["workflow_id"] == "install"]
    assert failed["status"] == "failed", failed
    exec_id = failed["id"]
    result = admin_cfy("executions", "resume", exec_id)
    assert result.returncode == 0, str(result)
    assert result.lines == [
        f"Resuming execution {exec_id}",
        f"A resume request for execution {exec_id} has been sent. To track the execution's "
        "status, use:",
        f"cfy executions get {exec_id}",
    ], str(result)
    ended = wait_for_end(api, exec_id, 60)
    assert ended["status"] == "terminated", ended
    instances = api.get("/node-instances", params={"deployment_id": "web-canary"}).json()
    assert {i["state"] for i in instances["items"]} == {"started"}
    again = admin_cfy("executions", "resume", exec_id)
    assert again.returncode == 1, str(again)
    assert again.lines[-1] == (
        f"An error occurred on the server: 409: Cannot resume execution: `{exec_id}` "
        "in state: `terminated`"
    ), str(again)
