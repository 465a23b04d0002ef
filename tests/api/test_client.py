"""`tui.api.ManagerClient` against a real embedded manager on a loopback port.

Nothing of ours is mocked. Reads run against one manager per module; anything that
starts, cancels or resumes gets a fresh manager of its own. Transport failures are
produced by real sockets: a bound port nobody listens on, and tiny local servers
(127.0.0.1 only, stopped at the end of each test) that never answer or answer with
something that is not the contract.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import admin_client
from tests.local_server import LocalServer, closed_port, http_answer
from tests.manager_process import DEMO_CREATION_ORDER, DEMO_DEPLOYMENTS, PASSWORDS, ManagerProcess
from tests.wire import RecordingTransport
from tui.api import (
    BadParameters,
    BadResponse,
    ConnectionRefused,
    Deployment,
    Event,
    Execution,
    Forbidden,
    IllegalAction,
    ManagerClient,
    ManagerError,
    NotFound,
    ParameterSpec,
    RequestTimeout,
    RunningExecutionConflict,
    Timeouts,
    TransportError,
    Unauthorized,
    Unavailable,
    Workflow,
)

T = TypeVar("T")

DEFAULT_DEPLOYMENTS = DEMO_DEPLOYMENTS
# The demo seed creates them in this order.
CREATION_ORDER = DEMO_CREATION_ORDER
END_STATES = {"terminated", "failed", "cancelled"}


# -- helpers -------------------------------------------------------------------------------


def connect(manager: ManagerProcess, user: str = "admin", **options: Any) -> ManagerClient:
    return ManagerClient(manager.url, username=user, password=PASSWORDS[user], **options)


async def until(
    probe: Callable[[], Awaitable[T]], *, what: str, timeout: float = 30.0, interval: float = 0.05
) -> T:
    """Await `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


async def reaches(client: ManagerClient, exec_id: str, statuses: set[str]) -> Execution:
    async def probe() -> Execution | None:
        execution = await client.get_execution(exec_id)
        return execution if execution.status in statuses else None

    return await until(probe, what=f"execution {exec_id} in {sorted(statuses)}")


@pytest.fixture
async def admin(manager: ManagerProcess) -> AsyncIterator[ManagerClient]:
    """An admin client on this test's own manager."""
    async with connect(manager) as client:
        yield client


@pytest.fixture
async def shared(module_manager: ManagerProcess) -> AsyncIterator[ManagerClient]:
    """An admin client on the module's manager: only reads and refused requests."""
    async with connect(module_manager) as client:
        yield client


@pytest.fixture(scope="module")
def seeded(module_manager: ManagerProcess) -> dict[str, dict[str, Any]]:
    """Seeded executions of the module's manager, read with plain HTTP."""
    with admin_client(module_manager) as http:
        items = http.get("/executions", params={"_size": 1000}).json()["items"]
    by_key = {(e["deployment_id"], e["workflow_id"]): e for e in items}
    return {
        "restart": by_key[("web-prod", "rolling_restart")],
        "install": by_key[("web-prod", "install")],
        "backup": by_key[("db-main", "backup")],
    }


# -- reading -------------------------------------------------------------------------------


async def test_version(shared: ManagerClient, module_manager: ManagerProcess) -> None:
    info = await shared.version()
    with admin_client(module_manager) as http:
        raw = http.get(module_manager.url + "/api/version").json()
    assert info.version == raw["version"] == "7.0.4"
    assert info.edition == raw["edition"]


async def test_list_deployments_with_the_default_fields(shared: ManagerClient) -> None:
    page = await shared.list_deployments()
    assert [d.id for d in page.items] == DEFAULT_DEPLOYMENTS
    assert (page.total, page.size, page.offset) == (len(DEFAULT_DEPLOYMENTS), 1000, 0)
    prod = next(d for d in page.items if d.id == "web-prod")
    assert prod.display_name == "Web shop (production)"
    assert prod.blueprint_id == "webapp"
    assert prod.tenant_name == "default_tenant"
    assert prod.latest_execution_workflow_id == "rolling_restart"
    assert prod.latest_execution_status == "completed"
    assert prod.installation_status == "active"
    assert prod.created_at and prod.created_at.endswith("Z")
    replica = next(d for d in page.items if d.id == "db-replica")
    assert replica.installation_status == "inactive"
    # The list asks only for the summary fields: no workflows, no inputs.
    assert "workflows" not in prod.raw and "inputs" not in prod.raw
    assert prod.workflows == ()


async def test_list_deployments_include_projects_the_fields(shared: ManagerClient) -> None:
    page = await shared.list_deployments(include=("id", "blueprint_id"))
    assert [d.id for d in page.items] == DEFAULT_DEPLOYMENTS
    for deployment in page.items:
        assert set(deployment.raw) == {"id", "blueprint_id"}
        assert deployment.display_name == deployment.id  # absent: falls back to the id
        assert deployment.installation_status == ""
    assert {d.blueprint_id for d in page.items} == {"webapp", "database", "analytics"}


async def test_list_deployments_get_data_renders_the_workflows(tmp_path: Path) -> None:
    # The current master renders a list's `workflows` only with `_get_data=true`.
    proc = ManagerProcess(data=tmp_path / "manager", emulate="7.1").start()
    try:
        async with connect(proc) as client:
            include = ("id", "workflows")
            bare = await client.list_deployments(ids=["web-prod"], include=include)
            assert [w.name for w in bare.items[0].workflows] == []
            full = await client.list_deployments(ids=["web-prod"], include=include, get_data=True)
            names = [w.name for w in full.items[0].workflows]
            assert "rolling_restart" in names and "install" in names
    finally:
        proc.stop()


async def test_list_deployments_search_is_a_case_insensitive_substring(
    shared: ManagerClient,
) -> None:
    web = await shared.list_deployments(search="web")
    assert [d.id for d in web.items] == ["web-canary", "web-prod", "web-staging"]
    assert web.total == 3
    assert [d.id for d in (await shared.list_deployments(search="DB-")).items] == [
        "db-main",
        "db-replica",
    ]
    nothing = await shared.list_deployments(search="no-such-thing")
    assert nothing.items == () and nothing.total == 0


async def test_list_deployments_sort(shared: ManagerClient) -> None:
    backwards = await shared.list_deployments(sort=("-id",))
    assert [d.id for d in backwards.items] == DEFAULT_DEPLOYMENTS[::-1]
    by_age = await shared.list_deployments(sort=("created_at",))
    assert [d.id for d in by_age.items] == CREATION_ORDER
    newest_first = await shared.list_deployments(sort=("-created_at",))
    assert [d.id for d in newest_first.items] == CREATION_ORDER[::-1]


async def test_list_deployments_paging_totals(shared: ManagerClient) -> None:
    seen: list[str] = []
    total = len(DEFAULT_DEPLOYMENTS)
    for offset in (0, 4):  # the second page is a short one
        page = await shared.list_deployments(size=4, offset=offset)
        assert (page.total, page.size, page.offset) == (total, 4, offset)
        assert len(page.items) == min(4, total - offset)
        seen += [d.id for d in page.items]
    assert seen == DEFAULT_DEPLOYMENTS
    beyond = await shared.list_deployments(size=2, offset=10)
    assert beyond.items == () and beyond.total == len(DEFAULT_DEPLOYMENTS)


def spec(workflow: Workflow, name: str) -> ParameterSpec:
    return next(p for p in workflow.parameters if p.name == name)


async def test_get_deployment_has_workflows_with_parameter_specs(shared: ManagerClient) -> None:
    analytics = await shared.get_deployment("analytics")
    assert analytics.display_name == "Analytics workers"
    workflows = {w.name: w for w in analytics.workflows}
    assert {"install", "uninstall", "reindex", "archive_old_data"} <= set(workflows)

    reindex = workflows["reindex"]
    assert [p.name for p in reindex.parameters] == ["full", "shards", "priority"]
    full = spec(reindex, "full")
    assert (full.type, full.default, full.mandatory) == ("boolean", False, False)
    assert full.description == "Rebuild from scratch instead of incrementally."
    assert spec(reindex, "shards").default == []
    priority = spec(reindex, "priority")
    assert priority.default == "normal"
    assert priority.description is None
    assert priority.constraints == ({"valid_values": ["low", "normal", "high"]},)
    assert reindex.plugin == "demo_plugin"
    assert reindex.is_available and reindex.unavailable_reason == ""

    web = await shared.get_deployment("web-prod")
    certs = next(w for w in web.workflows if w.name == "rotate_certificates")
    common_name = spec(certs, "common_name")
    assert common_name.mandatory and not common_name.has_default
    assert common_name.type == "string"
    assert common_name.description == (
        "The certificate's common name, for example shop.example.com."
    )
    validity = spec(certs, "validity_days")
    assert (validity.type, validity.default, validity.mandatory) == ("integer", 90, False)
    # `required: false` without a default is optional, as on the real manager.
    heal = next(w for w in web.workflows if w.name == "heal")
    node_instance = spec(heal, "node_instance_id")
    assert node_instance.required is False and not node_instance.mandatory


async def test_get_deployment_workflow_availability(shared: ManagerClient) -> None:
    analytics = {w.name: w for w in (await shared.get_deployment("analytics")).workflows}
    archive = analytics["archive_old_data"]
    assert not archive.is_available
    assert archive.unavailable_reason == "disabled in the blueprint"
    assert archive.parameters == ()
    # Installed: install is unavailable, uninstall available.
    assert not analytics["install"].is_available
    assert analytics["install"].unavailable_reason == "deployment is installed"
    assert analytics["uninstall"].is_available

    # Never installed: the other way round.
    replica = {w.name: w for w in (await shared.get_deployment("db-replica")).workflows}
    assert replica["install"].is_available
    assert not replica["uninstall"].is_available
    assert replica["uninstall"].unavailable_reason == "deployment is not installed"
    assert replica["backup"].is_available


async def test_list_executions_of_a_deployment_newest_first(
    shared: ManagerClient, seeded: dict[str, dict[str, Any]]
) -> None:
    page = await shared.list_executions(deployment_id="web-prod")
    assert [e.workflow_id for e in page.items] == [
        "rolling_restart",
        "install",
        "create_deployment_environment",
    ]
    assert {e.deployment_id for e in page.items} == {"web-prod"}
    assert page.total == 3
    stamps = [e.created_at or "" for e in page.items]
    assert stamps == sorted(stamps, reverse=True)
    assert page.items[0].id == seeded["restart"]["id"]
    assert all(e.status == "terminated" and e.is_ended for e in page.items)

    everything = await shared.list_executions()
    stamps = [e.created_at or "" for e in everything.items]
    assert stamps == sorted(stamps, reverse=True)
    # Blueprint uploads are executions without a deployment, as on a real manager.
    assert {e.deployment_id for e in everything.items} == {*DEFAULT_DEPLOYMENTS, ""}
    assert (await shared.list_executions(deployment_id="no-such")).items == ()


async def test_list_executions_status_filter_and_paging(shared: ManagerClient) -> None:
    failed = await shared.list_executions(statuses=("failed",))
    assert failed.items and {e.status for e in failed.items} == {"failed"}
    assert ("db-main", "backup") in {(e.deployment_id, e.workflow_id) for e in failed.items}
    both = await shared.list_executions(statuses=("failed", "terminated"))
    everything = await shared.list_executions()
    assert both.total == everything.total  # the seed has nothing else
    none = await shared.list_executions(statuses=("queued",))
    assert none.items == () and none.total == 0

    first = await shared.list_executions(size=2)
    second = await shared.list_executions(size=2, offset=2)
    assert (first.total, first.size, first.offset) == (everything.total, 2, 0)
    assert second.offset == 2
    assert [e.id for e in first.items + second.items] == [e.id for e in everything.items[:4]]


async def test_get_execution(shared: ManagerClient, seeded: dict[str, dict[str, Any]]) -> None:
    raw = seeded["restart"]
    execution = await shared.get_execution(raw["id"])
    assert execution.id == raw["id"]
    assert execution.workflow_id == "rolling_restart"
    assert execution.deployment_id == "web-prod"
    assert execution.blueprint_id == "webapp"
    assert execution.status == "terminated" and execution.is_ended
    assert execution.parameters == {"batch_size": 2, "drain_timeout": 30}
    assert execution.created_by == "admin"
    assert execution.total_operations == execution.finished_operations > 0
    assert execution.error == "" and not execution.is_dry_run

    backup = await shared.get_execution(seeded["backup"]["id"])
    assert backup.status == "failed"
    assert "pg_dump" in backup.error_summary
    assert "\n" not in backup.error_summary


async def test_list_events_pages_with_offset(
    shared: ManagerClient, seeded: dict[str, dict[str, Any]]
) -> None:
    exec_id = seeded["install"]["id"]
    full = await shared.list_events(exec_id, size=1000)
    assert full.total == len(full.items) > 10
    assert full.items[0].event_type == "workflow_started"
    assert full.items[-1].event_type == "workflow_succeeded"
    assert {e.execution_id for e in full.items} == {exec_id}
    assert {e.type for e in full.items} == {"cloudify_event", "cloudify_log"}
    stamps = [e.timestamp or "" for e in full.items]
    assert stamps == sorted(stamps)

    pages = []
    offset = 0
    while True:
        page = await shared.list_events(exec_id, offset=offset, size=4)
        assert (page.total, page.size, page.offset) == (full.total, 4, offset)
        pages += page.items
        offset += len(page.items)
        if len(page.items) < 4:
            break
    assert [e.key for e in pages] == [e.key for e in full.items]
    assert len({e.key for e in pages}) == len(pages)

    events_only = await shared.list_events(exec_id, size=1000, include_logs=False)
    assert {e.type for e in events_only.items} == {"cloudify_event"}
    assert 0 < events_only.total < full.total
    assert [e.key for e in events_only.items] == [
        e.key for e in full.items if e.type == "cloudify_event"
    ]


async def test_tenant_header_selects_the_tenant(module_manager: ManagerProcess) -> None:
    async with connect(module_manager, tenant="team-eu") as eu:
        page = await eu.list_deployments()
        assert [d.id for d in page.items] == ["db-eu", "web-eu"]
        assert {d.tenant_name for d in page.items} == {"team-eu"}
        assert [d.id for d in (await eu.list_deployments(search="web")).items] == ["web-eu"]
        with pytest.raises(NotFound):
            await eu.get_deployment("web-prod")
        installs = await eu.list_executions(deployment_id="web-prod")
        assert installs.items == ()
        assert (await eu.get_deployment("web-eu")).tenant_name == "team-eu"


async def test_token_auth(module_manager: ManagerProcess) -> None:
    async with httpx.AsyncClient(base_url=module_manager.api) as http:
        answer = await http.post(
            "/tokens",
            auth=("admin", PASSWORDS["admin"]),
            headers={"Content-Type": "application/json"},
            json={"description": "tests/api token"},
        )
    assert answer.status_code == 200, answer.text
    token = answer.json()["value"]
    assert token.startswith("ctok-")
    transport = RecordingTransport()
    async with ManagerClient(module_manager.url, token=token, transport=transport) as client:
        assert (await client.version()).version == "7.0.4"
        page = await client.list_deployments()
    assert [d.id for d in page.items] == DEFAULT_DEPLOYMENTS
    for request in transport.requests:
        assert request.headers["Authentication-Token"] == token
        assert "Authorization" not in request.headers


async def test_content_type_is_exactly_application_json(manager: ManagerProcess) -> None:
    transport = RecordingTransport()
    async with connect(manager, transport=transport) as client:
        await client.version()
        await client.list_deployments()
        await client.get_deployment("web-prod")
        await client.list_executions(deployment_id="web-prod")
        started = await client.start_execution("web-prod", "rolling_restart", {"batch_size": 2})
        await client.list_events(started.id)
        await client.get_execution(started.id)
        cancelled = await client.cancel_execution(started.id)
        await reaches(client, started.id, {"cancelled"})
        resumed = await client.resume_execution(started.id)
        await reaches(client, started.id, END_STATES)
    # The manager answers 415 to anything but exactly `application/json`.
    assert cancelled.status == "cancelling" and resumed.status == "pending"
    assert len(transport.requests) >= 10
    for request in transport.requests:
        assert request.headers.get_list("Content-Type") == ["application/json"], request
        assert request.headers["Tenant"] == "default_tenant"
        assert request.headers["Authorization"].startswith("Basic ")
    posts = [r for r in transport.requests if r.method == "POST"]
    assert len(posts) == 3
    assert json.loads(posts[0].content) == {
        "deployment_id": "web-prod",
        "workflow_id": "rolling_restart",
        "parameters": {"batch_size": 2},
        "allow_custom_parameters": False,
        "force": False,
        "dry_run": False,
        "queue": False,
    }
    assert json.loads(posts[1].content) == {"action": "cancel"}
    assert json.loads(posts[2].content) == {"action": "resume"}


async def test_ids_are_quoted_into_one_path_segment(shared: ManagerClient) -> None:
    for odd in ("a?b=c", "x#y", "web prod", "ü"):
        with pytest.raises(NotFound) as info:
            await shared.get_deployment(odd)
        assert info.value.message == f"Requested `Deployment` with ID `{odd}` was not found"
    # A slash never walks to another resource.
    for odd in ("web-prod/../db-main", "../executions"):
        with pytest.raises(NotFound):
            await shared.get_deployment(odd)


# -- starting, cancelling, resuming --------------------------------------------------------


async def test_start_execution_answers_pending_and_runs(admin: ManagerClient) -> None:
    started = await admin.start_execution("web-prod", "rolling_restart", {"batch_size": 2})
    assert started.status == "pending"
    assert (started.workflow_id, started.deployment_id) == ("rolling_restart", "web-prod")
    # The manager fills in the declared defaults.
    assert started.parameters == {"batch_size": 2, "drain_timeout": 30}
    assert started.created_by == "admin" and not started.is_dry_run
    newest = await admin.list_executions(deployment_id="web-prod", size=1)
    assert newest.items[0].id == started.id
    done = await reaches(admin, started.id, END_STATES)
    assert done.status == "terminated"
    assert done.ended_at and done.started_at
    assert done.finished_operations == done.total_operations > 0


async def test_start_dry_run(admin: ManagerClient) -> None:
    dry = await admin.start_execution("db-replica", "install", dry_run=True)
    assert dry.status == "pending" and dry.is_dry_run
    done = await reaches(admin, dry.id, END_STATES)
    assert done.status == "terminated" and done.is_dry_run
    messages = [e.message for e in (await admin.list_events(dry.id)).items]
    assert "Dry run: operations are not executed" in messages
    # Nothing was installed.
    replica = await admin.get_deployment("db-replica")
    assert replica.installation_status == "inactive"


async def test_conflict_names_the_blocker_then_queue_and_force(admin: ManagerClient) -> None:
    blocker = await admin.start_execution("analytics", "reindex")
    assert blocker.status == "pending"
    before = (await admin.list_executions(deployment_id="analytics")).total

    with pytest.raises(RunningExecutionConflict) as info:
        await admin.start_execution("analytics", "reindex", {"full": True})
    conflict = info.value
    assert conflict.blocking_ids == [blocker.id]
    assert conflict.status_code == 400
    assert conflict.error_code == "existing_running_execution_error"
    assert conflict.message.startswith(
        "The following executions are currently running for this deployment: "
    )
    assert str(conflict) == conflict.message
    assert (await admin.list_executions(deployment_id="analytics")).total == before

    queued = await admin.start_execution("analytics", "check_status", queue=True)
    assert queued.status == "queued"
    waiting = await admin.list_executions(deployment_id="analytics", statuses=("queued",))
    assert [e.id for e in waiting.items] == [queued.id]

    # The queued one counts as running too.
    with pytest.raises(RunningExecutionConflict) as info:
        await admin.start_execution("analytics", "check_status")
    assert set(info.value.blocking_ids) == {blocker.id, queued.id}

    forced = await admin.start_execution("analytics", "check_status", force=True)
    assert forced.status == "pending"
    assert (await reaches(admin, forced.id, END_STATES)).status == "terminated"
    assert (await admin.get_execution(queued.id)).status == "queued"

    await admin.cancel_execution(blocker.id, "kill")
    await reaches(admin, blocker.id, {"cancelled"})
    dequeued = await reaches(admin, queued.id, END_STATES)
    assert dequeued.status == "terminated"


async def test_cancel_force_cancel_kill_and_resume(admin: ManagerClient) -> None:
    run = await admin.start_execution("analytics", "reindex")
    await reaches(admin, run.id, {"started"})

    cancelling = await admin.cancel_execution(run.id)
    assert cancelling.id == run.id and cancelling.status == "cancelling"
    await reaches(admin, run.id, {"cancelled"})
    with pytest.raises(IllegalAction) as info:
        await admin.cancel_execution(run.id)
    refused = info.value
    assert (refused.status_code, refused.error_code) == (400, "illegal_action_error")
    assert refused.message == f"Can't cancel execution {run.id} because it's in status cancelled"

    resumed = await admin.resume_execution(run.id)
    assert resumed.status == "pending"
    assert resumed.raw.get("resume") is True
    assert resumed.ended_at is None
    await reaches(admin, run.id, {"started"})
    with pytest.raises(IllegalAction) as info:
        await admin.resume_execution(run.id, force=True)
    assert (info.value.status_code, info.value.error_code) == (409, "conflict_error")
    assert info.value.message == f"Cannot force-resume execution: `{run.id}` in state: `started`"

    forced = await admin.cancel_execution(run.id, "force-cancel")
    assert forced.status == "force_cancelling"
    await reaches(admin, run.id, {"cancelled"})

    force_resumed = await admin.resume_execution(run.id, force=True)
    assert force_resumed.status == "pending"
    killed = await admin.cancel_execution(run.id, "kill")
    assert killed.status == "kill_cancelling"
    assert (await reaches(admin, run.id, END_STATES)).status == "cancelled"

    # Kill is accepted even on an ended execution.
    again = await admin.cancel_execution(run.id, "kill")
    assert again.status == "kill_cancelling"
    await reaches(admin, run.id, {"cancelled"})

    with pytest.raises(ValueError):
        await admin.cancel_execution(run.id, "requeue")


async def test_resume_a_failed_execution(admin: ManagerClient) -> None:
    failed = (await admin.list_executions(deployment_id="db-main", statuses=("failed",))).items
    assert [e.workflow_id for e in failed] == ["backup"]
    resumed = await admin.resume_execution(failed[0].id)
    assert resumed.id == failed[0].id and resumed.status == "pending"
    # The demo backup fails at the same step again.
    again = await reaches(admin, resumed.id, END_STATES)
    assert again.status == "failed"


async def test_events_of_a_running_execution_tail_with_offset(admin: ManagerClient) -> None:
    run = await admin.start_execution("web-staging", "check_status")
    tailed: list[Event] = []
    while True:
        ended = (await admin.get_execution(run.id)).is_ended
        while True:
            page = await admin.list_events(run.id, offset=len(tailed), size=3)
            tailed += page.items
            if len(page.items) < 3:
                break
        if ended:
            break
        await asyncio.sleep(0.02)
    full = await admin.list_events(run.id, size=1000)
    assert [e.key for e in tailed] == [e.key for e in full.items]
    assert tailed[-1].event_type == "workflow_succeeded"


# -- errors the manager answers ------------------------------------------------------------

Call = Callable[[ManagerClient, dict[str, dict[str, Any]]], Awaitable[Any]]


def _restart_id(s: dict[str, dict[str, Any]]) -> str:
    return str(s["restart"]["id"])


ERROR_CASES: list[tuple[str, dict[str, Any], Call, type[ManagerError], int, str, str]] = [
    (
        "unknown execution",
        {},
        lambda c, s: c.get_execution("nope"),
        NotFound,
        404,
        "not_found_error",
        "Requested `Execution` with ID `nope` was not found",
    ),
    (
        "unknown deployment",
        {},
        lambda c, s: c.get_deployment("nope"),
        NotFound,
        404,
        "not_found_error",
        "Requested `Deployment` with ID `nope` was not found",
    ),
    (
        "start on an unknown deployment",
        {},
        lambda c, s: c.start_execution("nope", "install"),
        NotFound,
        404,
        "not_found_error",
        "Requested `Deployment` with ID `nope` was not found",
    ),
    (
        "cancel an unknown execution",
        {},
        lambda c, s: c.cancel_execution("nope"),
        NotFound,
        404,
        "not_found_error",
        "Requested `Execution` ['nope'] was not found",
    ),
    (
        "cancel an ended execution",
        {},
        lambda c, s: c.cancel_execution(_restart_id(s)),
        IllegalAction,
        400,
        "illegal_action_error",
        "Can't cancel execution {restart} because it's in status terminated",
    ),
    (
        "force-cancel an ended execution",
        {},
        lambda c, s: c.cancel_execution(_restart_id(s), "force-cancel"),
        IllegalAction,
        400,
        "illegal_action_error",
        "Can't force-cancel execution {restart} because it's in status terminated",
    ),
    (
        "resume a terminated execution",
        {},
        lambda c, s: c.resume_execution(_restart_id(s)),
        IllegalAction,
        409,
        "conflict_error",
        "Cannot resume execution: `{restart}` in state: `terminated`",
    ),
    (
        "unknown parameter",
        {},
        lambda c, s: c.start_execution("web-prod", "rolling_restart", {"zzz": 1}),
        BadParameters,
        400,
        "illegal_execution_parameters_error",
        'Workflow "rolling_restart" does not have the following parameters declared: zzz. '
        "Remove these parameters or use the flag for allowing custom parameters",
    ),
    (
        "wrong parameter type",
        {},
        lambda c, s: c.start_execution("web-prod", "rolling_restart", {"batch_size": "two"}),
        BadParameters,
        400,
        "illegal_execution_parameters_error",
        'Parameter "batch_size" must be of type integer',
    ),
    (
        "missing mandatory parameter",
        {},
        lambda c, s: c.start_execution("web-prod", "rotate_certificates"),
        BadParameters,
        400,
        "illegal_execution_parameters_error",
        'Workflow "rotate_certificates" must be provided with the following parameters '
        "to execute: common_name",
    ),
    (
        "nonexistent workflow",
        {},
        lambda c, s: c.start_execution("web-prod", "nope"),
        BadParameters,
        400,
        "nonexistent_workflow_error",
        "Workflow nope does not exist in the deployment web-prod",
    ),
    (
        "unknown include field",
        {},
        # Raw: list_deployments drops a refused field and asks again (test_fields.py).
        lambda c, s: c.request("GET", "/api/v3.1/deployments", params=[("_include", "id,nosuch")]),
        BadParameters,
        400,
        "no_such_include_field_error",
        "Include keys '['nosuch']' do not exist. Allowed keys are: *",
    ),
    (
        "wrong password",
        {"password": "not-the-password"},
        lambda c, s: c.list_deployments(),
        Unauthorized,
        401,
        "unauthorized_error",
        "User unauthorized: Authentication failed for <User username=`admin`>. "
        "Wrong credentials or locked account",
    ),
    (
        "malformed token",
        {"username": None, "password": None, "token": "not-a-token"},
        lambda c, s: c.version(),
        Unauthorized,
        401,
        "unauthorized_error",
        "User unauthorized: Invalid token structure",
    ),
    (
        "unknown token",
        {"username": None, "password": None, "token": "ctok-abcdefghij-" + "x" * 40},
        lambda c, s: c.version(),
        Unauthorized,
        401,
        "unauthorized_error",
        "User unauthorized: Unauthorized",
    ),
    (
        "no credentials",
        {"username": None, "password": None},
        lambda c, s: c.version(),
        Unauthorized,
        401,
        "unauthorized_error",
        "User unauthorized: No authentication info provided",
    ),
    (
        "viewer starts",
        {"username": "viewer", "password": PASSWORDS["viewer"]},
        lambda c, s: c.start_execution("web-prod", "check_status"),
        Forbidden,
        403,
        "forbidden_error",
        "User `viewer` is not permitted to perform the action execution_start "
        "in the tenant `default_tenant`",
    ),
    (
        "viewer cancels",
        {"username": "viewer", "password": PASSWORDS["viewer"]},
        lambda c, s: c.cancel_execution(_restart_id(s)),
        Forbidden,
        403,
        "forbidden_error",
        "User `viewer` is not permitted to perform the action execution_cancel "
        "in the tenant `default_tenant`",
    ),
    (
        "operator on team-eu",
        {"username": "operator", "password": PASSWORDS["operator"], "tenant": "team-eu"},
        lambda c, s: c.list_deployments(),
        Forbidden,
        403,
        "forbidden_error",
        "Authorization failed: Tried to authenticate with invalid tenant name: team-eu",
    ),
    (
        "no tenant",
        {"tenant": ""},
        lambda c, s: c.list_deployments(),
        Forbidden,
        403,
        "forbidden_error",
        "Authorization failed: tenant not provided",
    ),
]


def execution_count(manager: ManagerProcess) -> int:
    with admin_client(manager) as http:
        answer = http.get("/executions", params={"_size": 0, "_include_system_workflows": True})
    return int(answer.json()["metadata"]["pagination"]["total"])


@pytest.mark.parametrize(
    ("options", "call", "cls", "status", "code", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in ERROR_CASES],
)
async def test_manager_errors_map_to_classes(
    module_manager: ManagerProcess,
    seeded: dict[str, dict[str, Any]],
    options: dict[str, Any],
    call: Call,
    cls: type[ManagerError],
    status: int,
    code: str,
    message: str,
) -> None:
    settings_ = {"username": "admin", "password": PASSWORDS["admin"], **options}
    before = execution_count(module_manager)
    async with ManagerClient(module_manager.url, **settings_) as client:
        with pytest.raises(ManagerError) as info:
            await call(client, seeded)
    error = info.value
    assert type(error) is cls
    assert not isinstance(error, TransportError)
    assert (error.status_code, error.error_code) == (status, code)
    expected = message.format(restart=seeded["restart"]["id"])
    if expected.endswith("*"):
        assert error.message.startswith(expected[:-1])
    else:
        assert error.message == expected
    assert str(error) == error.message
    # A refused request leaves nothing behind.
    assert execution_count(module_manager) == before


async def test_unavailable_workflow_is_bad_parameters(admin: ManagerClient) -> None:
    with pytest.raises(BadParameters) as info:
        await admin.start_execution("analytics", "archive_old_data")
    assert info.value.error_code == "unavailable_workflow_error"
    assert info.value.message == "Workflow not available: archive_old_data"


async def test_unknown_route_is_not_found_with_a_message(shared: ManagerClient) -> None:
    with pytest.raises(NotFound) as info:
        await shared.request("GET", "/api/v3.1/no-such-endpoint")
    assert info.value.status_code == 404
    assert info.value.message.startswith("404 Not Found: The requested URL was not found")


# -- transport failures --------------------------------------------------------------------


async def test_connection_refused() -> None:
    with closed_port() as port:
        async with ManagerClient(f"http://127.0.0.1:{port}", username="a", password="b") as c:
            with pytest.raises(ConnectionRefused) as info:
                await c.list_deployments()
    assert isinstance(info.value, TransportError)
    assert not isinstance(info.value, ManagerError)
    assert f"127.0.0.1:{port}" in info.value.message


async def test_request_timeout_on_a_server_that_never_answers() -> None:
    async with (
        LocalServer(answer=None) as server,
        ManagerClient(
            server.url, username="admin", password="pw", timeouts=Timeouts(read=0.2)
        ) as client,
    ):
        started = time.monotonic()
        with pytest.raises(RequestTimeout) as info:
            await client.start_execution("web-prod", "install")
        elapsed = time.monotonic() - started
    assert 0.15 < elapsed < 5
    assert isinstance(info.value, TransportError)
    assert not isinstance(info.value, ManagerError)
    assert server.requests and server.requests[0].startswith(b"POST /api/v3.1/executions ")


HTML = b"<html><head><title>Welcome</title></head><body>It works!</body></html>"


@pytest.mark.parametrize(
    ("answer", "call"),
    [
        pytest.param(
            http_answer("200 OK", HTML, "text/html"),
            lambda c: c.list_deployments(),
            id="html-list",
        ),
        pytest.param(
            http_answer("200 OK", HTML, "text/html"),
            lambda c: c.version(),
            id="html-version",
        ),
        pytest.param(
            http_answer("200 OK", b'{"items": [{"id": "web-prod", "blueprint_id": '),
            lambda c: c.list_deployments(),
            id="truncated-json",
        ),
        pytest.param(
            http_answer("201 Created", b'{"id": "e1", "status": "pen'),
            lambda c: c.start_execution("web-prod", "install"),
            id="truncated-json-start",
        ),
        pytest.param(
            http_answer("200 OK", b'{"deployments": [], "metadata": {}}'),
            lambda c: c.list_deployments(),
            id="list-without-items",
        ),
        pytest.param(
            http_answer("200 OK", b'{"items": {"id": "x"}}'),
            lambda c: c.list_executions(),
            id="items-not-a-list",
        ),
        pytest.param(
            http_answer("200 OK", b"[1, 2, 3]"),
            lambda c: c.list_events("e1"),
            id="list-is-an-array",
        ),
        pytest.param(
            http_answer("200 OK", b'{"display_name": "no id"}'),
            lambda c: c.get_deployment("web-prod"),
            id="deployment-without-id",
        ),
        pytest.param(
            http_answer("200 OK", b"null"),
            lambda c: c.get_execution("e1"),
            id="execution-null",
        ),
        pytest.param(
            http_answer("200 OK", b"\xff\xfe\x00garbage", "application/json"),
            lambda c: c.get_execution("e1"),
            id="not-utf8",
        ),
    ],
)
async def test_bad_responses(
    answer: bytes, call: Callable[[ManagerClient], Awaitable[Any]]
) -> None:
    async with (
        LocalServer(answer) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        with pytest.raises(BadResponse) as info:
            await call(client)
    assert isinstance(info.value, TransportError)
    assert not isinstance(info.value, ManagerError)
    assert info.value.message


async def test_list_tolerates_junk_items_and_metadata() -> None:
    body = json.dumps(
        {
            "items": [{"id": "a"}, None, 3, {"no": "id"}, {"id": "b", "workflows": "?"}],
            "metadata": {"pagination": {"total": "lots", "size": None}},
        }
    ).encode()
    async with (
        LocalServer(http_answer("200 OK", body)) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        page = await client.list_deployments()
    assert [d.id for d in page.items] == ["a", "b"]
    assert (page.total, page.size, page.offset) == (2, 2, 0)


async def test_connection_dropped_mid_answer_is_a_transport_error() -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
    async with (
        LocalServer(cut) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        with pytest.raises(TransportError) as info:
            await client.list_deployments()
    assert not isinstance(info.value, ManagerError)


BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@pytest.mark.parametrize(
    ("answer", "cls", "status", "code", "message"),
    [
        pytest.param(
            http_answer("502 Bad Gateway", BAD_GATEWAY, "text/html"),
            Unavailable,
            502,
            None,
            "HTTP 502: <html>",
            id="502-html",
        ),
        pytest.param(
            http_answer("503 Service Unavailable", b""),
            Unavailable,
            503,
            None,
            "HTTP 503",
            id="503-empty",
        ),
        pytest.param(
            http_answer(
                "503 Service Unavailable",
                json.dumps(
                    {
                        "message": "Your request was rejected since Cloudify manager is "
                        "currently in maintenance mode",
                        "error_code": "maintenance_mode_active",
                        "server_traceback": "Traceback ...",
                    }
                ).encode(),
            ),
            Unavailable,
            503,
            "maintenance_mode_active",
            "Your request was rejected since Cloudify manager is currently in maintenance mode",
            id="maintenance",
        ),
        pytest.param(
            http_answer(
                "500 Internal Server Error",
                b'{"message": "Internal error occurred in manager REST server - '
                b'TypeError: x", "error_code": "internal_server_error", '
                b'"server_traceback": "Traceback (most recent call last): ..."}',
            ),
            Unavailable,
            500,
            "internal_server_error",
            "Internal error occurred in manager REST server - TypeError: x",
            id="internal-error",
        ),
        pytest.param(
            http_answer(
                "404 NOT FOUND", b"<!doctype html><title>404 Not Found</title>", "text/html"
            ),
            NotFound,
            404,
            None,
            "HTTP 404: <!doctype html>",
            id="404-html",
        ),
        pytest.param(
            http_answer("400 BAD REQUEST", b'{"message": null, "error_code": 7}'),
            ManagerError,
            400,
            None,
            "HTTP 400",
            id="400-junk-json",
        ),
        pytest.param(
            http_answer("418 I'm a teapot", b'{"message": "short and stout"}'),
            ManagerError,
            418,
            None,
            "short and stout",
            id="418-unknown-code",
        ),
    ],
)
async def test_error_pages_map_to_manager_errors(
    answer: bytes, cls: type[ManagerError], status: int, code: str | None, message: str
) -> None:
    async with (
        LocalServer(answer) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        with pytest.raises(ManagerError) as info:
            await client.list_deployments()
    error = info.value
    assert type(error) is cls
    assert (error.status_code, error.error_code) == (status, code)
    assert error.message.startswith(message)
    assert len(error.message) < 300
    if code in ("maintenance_mode_active", "internal_server_error"):
        assert error.server_traceback and error.server_traceback.startswith("Traceback")


# -- models tolerate junk ------------------------------------------------------------------

JUNK = [
    None,
    3,
    "text",
    [],
    [{"id": "x"}],
    {},
    {"id": None},
    {"id": ""},
    {"id": 5},
    {"id": ["x"]},
]


@pytest.mark.parametrize("data", JUNK, ids=repr)
def test_objects_without_an_id_are_none(data: Any) -> None:
    assert Deployment.from_json(data) is None
    assert Execution.from_json(data) is None
    assert Workflow.from_json(data) is None


def test_workflow_without_a_name_is_none() -> None:
    for data in (None, {}, {"name": None}, {"name": ""}, {"name": 3}, {"parameters": {}}):
        assert Workflow.from_json(data) is None
    assert Event.from_json(None) is None and Event.from_json({}) is None


def test_wrongly_typed_fields_become_empty_values() -> None:
    deployment = Deployment.from_json(
        {
            "id": "d",
            "display_name": None,
            "blueprint_id": 7,
            "tenant_name": ["t"],
            "created_at": 12,
            "latest_execution": {"id": "x"},
            "deployment_status": True,
            "workflows": [None, 3, {"name": None}, {"name": "ok", "parameters": [1, 2]}],
            "unknown_field": {"deep": [1, 2]},
        }
    )
    assert deployment is not None
    assert deployment.display_name == "d"
    assert deployment.blueprint_id == "7"
    assert deployment.tenant_name == ""
    assert deployment.created_at is None and deployment.latest_execution is None
    assert deployment.deployment_status == ""
    assert [w.name for w in deployment.workflows] == ["ok"]
    assert deployment.workflows[0].parameters == ()
    assert deployment.raw["unknown_field"] == {"deep": [1, 2]}
    with pytest.raises(FrozenInstanceError):
        deployment.id = "other"  # type: ignore[misc]

    execution = Execution.from_json(
        {
            "id": "e",
            "status": None,
            "error": None,
            "total_operations": "12",
            "finished_operations": -3,
            "is_dry_run": "TRUE",
            "parameters": ["not", "a", "dict"],
            "ended_at": 0,
            "extra": object(),
        }
    )
    assert execution is not None
    assert execution.status == "" and execution.error == "" and execution.error_summary == ""
    assert (execution.total_operations, execution.finished_operations) == (12, 0)
    assert execution.is_dry_run is True
    assert execution.parameters == {} and execution.ended_at is None
    assert not execution.is_ended and not execution.is_unfinished
    with pytest.raises(FrozenInstanceError):
        execution.status = "terminated"  # type: ignore[misc]

    for weird in ("--5", "²", "1e3", "", " ", "0x10", "9" * 5000, "-", "+-1"):
        parsed = Execution.from_json({"id": "e", "total_operations": weird})
        assert parsed is not None and parsed.total_operations >= 0

    event = Event.from_json(
        {
            "_storage_id": "x",
            "type": 5,
            "reported_timestamp": None,
            "timestamp": "2026-01-01T00:00:00.000Z",
            "message": None,
            "error_causes": [None, {"message": "m"}, "s"],
        }
    )
    assert event is not None
    assert event.storage_id == -1 and event.type == "5" and event.message == ""
    assert event.timestamp == "2026-01-01T00:00:00.000Z"
    assert event.error_causes == ({"message": "m"},)

    workflow = Workflow.from_json(
        {
            "name": "w",
            "is_available": "false",
            "availability_rules": "nope",
            "parameters": {
                "a": None,
                "b": {"type": 3, "default": None, "required": "no", "constraints": "x"},
                7: {"description": ["x"]},
            },
        }
    )
    assert workflow is not None
    assert workflow.is_available is False
    assert workflow.unavailable_reason == "not available in the current state"
    assert [p.name for p in workflow.parameters] == ["a", "b", "7"]
    a, b, seven = workflow.parameters
    assert a.mandatory and a.type is None
    assert b.has_default and b.default is None and not b.mandatory
    assert b.type is None and b.required is None and b.constraints == ()
    assert seven.description is None


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=8,
)
FIELDS = [
    "id",
    "name",
    "display_name",
    "blueprint_id",
    "workflows",
    "parameters",
    "status",
    "error",
    "total_operations",
    "finished_operations",
    "is_dry_run",
    "is_available",
    "availability_rules",
    "_storage_id",
    "error_causes",
    "message",
    "reported_timestamp",
    "created_at",
    "latest_execution",
]
OBJECTS = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=8),
    JSONISH,
    max_size=10,
)


@settings(max_examples=150, deadline=None)
@given(OBJECTS, st.lists(OBJECTS, max_size=3))
def test_models_never_raise_on_arbitrary_json(data: dict[str, Any], workflows: list[Any]) -> None:
    with_workflows = {**data, "workflows": workflows}
    for parse in (Deployment.from_json, Execution.from_json, Event.from_json):
        for value in (data, with_workflows):
            parsed = parse(value)
            if parsed is not None:
                repr(parsed)
    workflow = Workflow.from_json({**data, "name": "w", "parameters": data})
    assert workflow is not None
    assert isinstance(workflow.unavailable_reason, str)
    for parameter in workflow.parameters:
        assert isinstance(parameter.mandatory, bool)
    execution = Execution.from_json({**data, "id": "e"})
    assert execution is not None
    assert execution.total_operations >= 0 and execution.finished_operations >= 0
    assert isinstance(execution.error_summary, str)
