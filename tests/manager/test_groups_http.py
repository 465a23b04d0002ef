"""Deployment groups and execution groups over plain HTTP: fields, membership rules,
validation errors, queueing under a group's `concurrency`, the group's status as its
members end, group cancel of running and queued members, `_group_id` on executions and
deployments, and the group's own events, as a real 7.0.4 manager answers them (probed
on a running one).

The demo seed's `default_tenant` has six deployments; `check_status` is available on
all but db-replica (whose instances are not started); `rolling_restart` is declared only
by the webapp blueprint (web-prod, web-staging, web-canary).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import admin_client
from tests.manager.test_http_api import assert_error
from tests.manager_process import ManagerProcess
from tui.manager.store import Store

DEFAULT = ["web-prod", "web-staging", "db-main", "db-replica", "analytics", "web-canary"]
RUNNABLE = [d for d in DEFAULT if d != "db-replica"]
GROUP_KEYS = [
    "created_at",
    "id",
    "visibility",
    "description",
    "default_inputs",
    "creation_counter",
    "default_blueprint_id",
    "tenant_name",
    "created_by",
    "resource_availability",
    "private_resource",
    "deployment_ids",
    "labels",
]
EXEC_GROUP_KEYS = [
    "created_at",
    "id",
    "visibility",
    "workflow_id",
    "concurrency",
    "deployment_group_id",
    "tenant_name",
    "created_by",
    "resource_availability",
    "private_resource",
    "execution_ids",
    "status",
]
ENDED = ("terminated", "failed", "cancelled")
ACTIVE = ("pending", "started", "cancelling", "force_cancelling", "kill_cancelling")


@pytest.fixture
def http(manager: ManagerProcess) -> Iterator[httpx.Client]:
    with admin_client(manager) as client:
        yield client


@pytest.fixture
def crawling(tmp_path: Path) -> Iterator[httpx.Client]:
    """A manager 20 times slower than real life: a new execution stays `pending` for
    seconds, so what is queued stays queued while the test looks."""
    proc = ManagerProcess(data=tmp_path / "crawling", speed=0.05).start()
    try:
        with admin_client(proc) as client:
            yield client
    finally:
        proc.stop()


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def put_group(http: httpx.Client, group_id: str, **body: Any) -> dict[str, Any]:
    return ok(http.put(f"/deployment-groups/{group_id}", json=body))


def members(http: httpx.Client, group_id: str) -> list[dict[str, Any]]:
    params = {"_group_id": group_id, "_include": "id,deployment_id,status,ended_at,error"}
    return ok(http.get("/executions", params=params))["items"]


def wait_for(probe: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


# -- deployment groups -------------------------------------------------------------------


def test_put_get_list_a_deployment_group(http: httpx.Client) -> None:
    group = put_group(
        http,
        "prod",
        deployment_ids=["db-main", "web-prod"],
        description="production",
        labels=[{"tier": "gold"}],
        blueprint_id="webapp",
        default_inputs={"replicas": 2},
    )
    assert list(group) == GROUP_KEYS
    assert group["deployment_ids"] == ["web-prod", "db-main"]  # in creation order
    assert group["default_blueprint_id"] == "webapp"
    assert group["default_inputs"] == {"replicas": 2}
    assert group["visibility"] == group["resource_availability"] == "tenant"
    assert [(lb["key"], lb["value"], lb["created_by"]) for lb in group["labels"]] == [
        ("tier", "gold", "admin")
    ]
    assert ok(http.get("/deployment-groups/prod")) == group
    one = ok(http.get("/deployment-groups/prod", params={"_include": "id,labels"}))
    assert one == {"id": "prod", "labels": group["labels"]}
    listed = ok(http.get("/deployment-groups", params={"_include": "id,deployment_ids"}))
    assert listed["items"] == [{"id": "prod", "deployment_ids": ["web-prod", "db-main"]}]
    assert listed["metadata"] == {
        "pagination": {"total": 1, "size": 1000, "offset": 0},
        "filtered": None,
    }
    dep = ok(http.get("/deployments/db-main", params={"_include": "id,deployment_groups"}))
    assert dep == {"id": "db-main", "deployment_groups": ["prod"]}
    found = ok(http.get("/deployments", params={"_group_id": "prod", "_include": "id"}))
    assert [d["id"] for d in found["items"]] == ["web-prod", "db-main"]
    none = ok(http.get("/deployments", params={"_group_id": "nope", "_include": "id"}))
    assert none["items"] == []
    params = {"deployment_group_id": ["prod", "nope"], "_include": "id", "_sort": "-id"}
    found = ok(http.get("/deployments", params=params))
    assert [d["id"] for d in found["items"]] == ["web-prod", "db-main"]
    params = {"_include": "id", "_sort": "deployment_group_id"}
    found = ok(http.get("/deployments", params=params))
    assert [d["id"] for d in found["items"]][-2:] == ["web-prod", "db-main"]  # nulls first


def test_group_labels_reach_members_as_the_real_manager_adds_them(http: httpx.Client) -> None:
    """A new group's labels do not reach the members the same request gives it; a
    later label change does, and a deployment added later gets the group's labels."""

    def labels_of(dep: str) -> set[tuple[str, str]]:
        body = ok(http.get(f"/deployments/{dep}", params={"_include": "labels"}))
        return {(lb["key"], lb["value"]) for lb in body["labels"]}

    put_group(http, "g", deployment_ids=["analytics"], labels=[{"grp": "one"}])
    assert ("grp", "one") not in labels_of("analytics")
    put_group(http, "g", labels=[{"grp": "two"}])
    assert ("grp", "two") in labels_of("analytics")
    ok(http.patch("/deployment-groups/g", json={"add": {"deployment_ids": ["web-canary"]}}))
    assert ("grp", "two") in labels_of("web-canary")
    put_group(http, "g", labels=[])
    assert ("grp", "two") not in labels_of("analytics")
    assert ("grp", "two") not in labels_of("web-canary")


def test_membership_by_ids_filters_and_rules(http: httpx.Client) -> None:
    rule = {"key": "env", "values": ["prod"], "operator": "any_of", "type": "label"}
    assert put_group(http, "g", filter_id="prod-eu")["deployment_ids"] == [
        "web-prod",
        "db-main",
        "db-replica",
    ]
    # deployment_ids replaces the members, filter_rules (alone) adds to them
    assert put_group(http, "g", deployment_ids=["analytics"])["deployment_ids"] == ["analytics"]
    group = put_group(http, "g", filter_rules=[rule])
    assert group["deployment_ids"] == ["web-prod", "db-main", "db-replica", "analytics"]
    body = {"remove": {"filter_rules": [rule], "deployment_ids": ["analytics"]}}
    assert ok(http.patch("/deployment-groups/g", json=body))["deployment_ids"] == []
    body = {"add": {"deployments_from_group": "g", "deployment_ids": ["web-staging"]}}
    assert ok(http.patch("/deployment-groups/g", json=body))["deployment_ids"] == ["web-staging"]
    put_group(http, "h", deployments_from_group="g")
    assert ok(http.get("/deployment-groups/h"))["deployment_ids"] == ["web-staging"]


def test_an_older_data_directory_gains_group_events(tmp_path: Path) -> None:
    """Events of a data directory from before execution groups get the column."""
    path = tmp_path / "manager.sqlite3"
    store = Store(path)
    store.execute("DROP INDEX events_by_group")
    store.execute("ALTER TABLE events DROP COLUMN execution_group_id")
    store.close()
    store = Store(path)
    columns = {row["name"] for row in store.all("PRAGMA table_info(events)")}
    store.close()
    assert "execution_group_id" in columns


def test_deployment_group_errors(http: httpx.Client) -> None:
    missing = http.put("/deployment-groups/g", json={"deployment_ids": ["nope"]})
    assert_error(missing, 404, "not_found_error", "Requested `Deployment` with ID `nope` was")
    # the refused request created nothing
    gone = http.get("/deployment-groups/g")
    assert_error(gone, 404, "not_found_error", "Requested `DeploymentGroup` with ID `g` was")
    assert_error(
        http.get("/deployment-groups", params={"_sort": "nosuch"}),
        400,
        "bad_parameters_error",
        "Sort keys '['nosuch']' do not exist. Allowed keys are: ['created_at', 'id', "
        "'visibility', 'description', 'default_inputs', 'creation_counter', "
        "'default_blueprint_id', 'tenant_name', 'created_by', 'resource_availability', "
        "'private_resource']",
    )
    assert_error(
        http.get("/deployment-groups", params={"_include": "nosuch"}),
        400,
        "no_such_include_field_error",
        "'private_resource', 'deployment_ids', 'labels']",
    )
    assert_error(
        http.put("/deployment-groups/g", json={"visibility": "bogus"}),
        409,
        "storage_error",
        'invalid input value for enum visibility_states: "bogus"',
    )
    assert_error(
        http.put("/deployment-groups/g", json={"filter_id": "nosuch"}),
        404,
        "not_found_error",
        "Requested `DeploymentsFilter` with ID `nosuch` was not found",
    )
    assert_error(
        http.put("/deployment-groups/g", json={"labels": "x"}),
        400,
        "bad_parameters_error",
        "Labels must be a list of 1-entry dictionaries",
    )
    assert_error(http.get("/deployment-groups/g"), 404, "not_found_error")
    assert_error(
        http.patch("/deployment-groups/nope", json={"add": {"deployment_ids": ["web-prod"]}}),
        404,
        "not_found_error",
        "Requested `DeploymentGroup` with ID `nope` was not found",
    )


def test_delete_a_group_keeps_its_deployments(http: httpx.Client) -> None:
    """Its execution groups go with it (with their events), their executions stay."""
    put_group(http, "g", deployment_ids=["web-prod"])
    body = {"deployment_group_id": "g", "workflow_id": "check_status", "concurrency": 0}
    started = ok(http.post("/execution-groups", json=body))
    refused = http.delete("/deployment-groups/g", params={"delete_deployments": "true"})
    assert_error(refused, 400, "bad_parameters_error", "not supported by this manager")
    assert http.delete("/deployment-groups/g").status_code == 204
    assert_error(http.get("/deployment-groups/g"), 404, "not_found_error")
    dep = ok(http.get("/deployments/web-prod", params={"_include": "deployment_groups"}))
    assert dep == {"deployment_groups": []}
    assert_error(http.get(f"/execution-groups/{started['id']}"), 404, "not_found_error")
    (member,) = started["execution_ids"]
    assert ok(http.get(f"/executions/{member}"))["status"] == "queued"


# -- execution groups --------------------------------------------------------------------


def test_execution_group_queues_beyond_its_concurrency(crawling: httpx.Client) -> None:
    http = crawling
    put_group(http, "g", deployment_ids=RUNNABLE)
    group = ok(
        http.post(
            "/execution-groups",
            json={"deployment_group_id": "g", "workflow_id": "check_status", "concurrency": 2},
        )
    )
    assert list(group) == EXEC_GROUP_KEYS
    assert group["concurrency"] == 2 and group["deployment_group_id"] == "g"
    assert group["status"] == "queued"  # every member pending or queued
    execs = members(http, group["id"])
    assert [e["id"] for e in execs] == group["execution_ids"]
    assert [e["deployment_id"] for e in execs] == RUNNABLE
    assert [e["status"] for e in execs] == ["pending", "pending", "queued", "queued", "queued"]
    # the group's id is no key of its executions
    assert "execution_group_id" not in ok(http.get(f"/executions/{execs[0]['id']}"))
    by_key = ok(http.get("/executions", params={"execution_group_id": group["id"]}))
    assert [e["id"] for e in by_key["items"]] == group["execution_ids"]
    # a list shows no executions and no status without `_get_data`
    listed = ok(http.get("/execution-groups"))["items"]
    assert (listed[0]["execution_ids"], listed[0]["status"]) == (None, None)
    data = ok(http.get("/execution-groups", params={"_get_data": "true"}))["items"]
    assert data[0]["execution_ids"] == group["execution_ids"]
    # one running member ends: the next queued one starts, never more than two run
    ok(http.post(f"/executions/{execs[0]['id']}", json={"action": "kill"}))

    def started_third() -> list[str] | None:
        statuses = [e["status"] for e in members(http, group["id"])]
        return statuses if statuses[2] in ACTIVE else None

    statuses = wait_for(started_third)
    assert statuses[0] == "cancelled"
    assert sum(s in ACTIVE for s in statuses) == 2
    assert statuses[3:] == ["queued", "queued"]
    assert ok(http.get(f"/execution-groups/{group['id']}"))["status"] == "started"


def test_group_cancel_cancels_queued_members_directly(crawling: httpx.Client) -> None:
    http = crawling
    put_group(http, "g", deployment_ids=RUNNABLE)
    body = {"deployment_group_id": "g", "workflow_id": "check_status", "concurrency": 1}
    group = ok(http.post("/execution-groups", json=body))
    answer = ok(http.post(f"/execution-groups/{group['id']}", json={"action": "cancel"}))
    assert (answer["execution_ids"], answer["status"]) == (None, None)
    execs = members(http, group["id"])
    assert execs[0]["status"] in ("cancelling", "cancelled")
    for queued in execs[1:]:
        assert (queued["status"], queued["ended_at"], queued["error"]) == ("cancelled", None, None)
    wait_for(lambda: members(http, group["id"])[0]["status"] == "cancelled")
    assert ok(http.get(f"/execution-groups/{group['id']}"))["status"] == "terminated"
    # nothing left to cancel: the real manager's cancel of no executions is a 404
    again = http.post(f"/execution-groups/{group['id']}", json={"action": "cancel"})
    assert_error(again, 404, "not_found_error", "Requested `Execution` [] was not found")


def test_group_runs_to_the_end_and_reports_state_changes(http: httpx.Client) -> None:
    put_group(http, "g", deployment_ids=DEFAULT)
    body = {"deployment_group_id": "g", "workflow_id": "rolling_restart", "concurrency": 2}
    group = ok(http.post("/execution-groups", json=body))
    assert len(group["execution_ids"]) == 3  # webapp deployments only
    gid = group["id"]

    def ended() -> list[dict[str, Any]] | None:
        execs = members(http, gid)
        return execs if all(e["status"] in ENDED for e in execs) else None

    execs = wait_for(ended)
    assert [e["deployment_id"] for e in execs] == ["web-prod", "web-staging", "web-canary"]
    assert ok(http.get(f"/execution-groups/{gid}"))["status"] == "terminated"
    events = ok(http.get("/events", params={"execution_group_id": gid}))["items"]
    logs = [e for e in events if e["type"] == "cloudify_log"]
    assert [e["message"] for e in logs] == [
        f"Workflow rolling_restart does not exist in the deployment {dep}"
        for dep in ("db-main", "db-replica", "analytics")
    ]
    assert {(e["logger"], e["level"], e["execution_id"]) for e in logs} == {
        ("cloudify-restservice", "info", None)
    }
    changes = [e for e in events if e["type"] == "cloudify_event"]
    assert {e["event_type"] for e in changes} == {"execution_state_change"}
    assert f"execution '{execs[0]['id']}' changed state to 'terminated'" in [
        e["message"] for e in changes
    ]
    assert all(e["execution_group_id"] == gid for e in events)
    # a member's own events are not the group's
    own = ok(http.get("/events", params={"execution_id": execs[0]["id"]}))["items"]
    assert own and {e["execution_group_id"] for e in own} == {None}


def test_execution_group_errors(http: httpx.Client) -> None:
    put_group(http, "g", deployment_ids=["web-prod", "db-replica"])

    def start(**body: Any) -> httpx.Response:
        return http.post("/execution-groups", json={"deployment_group_id": "g", **body})

    assert_error(
        http.post("/execution-groups", json={"workflow_id": "x"}),
        400,
        "bad_parameters_error",
        "Missing deployment_group_id in json request body",
    )
    assert_error(
        start(workflow_id="check_status", concurrency=True),
        409,
        "storage_error",
        'column "concurrency" is of type integer but expression is of type boolean',
    )
    for bad in ("x", -1):
        assert_error(
            start(workflow_id="check_status", concurrency=bad),
            400,
            "bad_parameters_error",
            f"concurrency must be a nonnegative number, but got: {bad}",
        )
    assert_error(
        http.post("/execution-groups", json={"deployment_group_id": "no", "workflow_id": "x"}),
        404,
        "not_found_error",
        "Requested `DeploymentGroup` with ID `no` was not found",
    )
    # unavailable on db-replica: refused, and the group is kept without executions
    refused = start(workflow_id="check_status")
    assert_error(refused, 400, "unavailable_workflow_error", "Workflow not available: check_status")
    refused = start(workflow_id="rotate_certificates")
    assert_error(refused, 400, "illegal_execution_parameters_error", "common_name")
    kept = ok(http.get("/execution-groups", params={"_get_data": "true"}))["items"]
    assert [(g["workflow_id"], g["execution_ids"], g["status"]) for g in kept] == [
        ("check_status", [], None),
        ("rotate_certificates", [], None),
    ]
    assert members(http, kept[0]["id"]) == []
    gid = kept[0]["id"]
    assert_error(
        http.post(f"/execution-groups/{gid}", json={"action": "requeue"}),
        400,
        "bad_parameters_error",
        "Invalid action: requeue, Valid action values are: ['cancel', 'force-cancel', 'kill', "
        "'resume', 'force-resume']",
    )
    assert_error(
        http.post("/execution-groups/nope", json={"action": "cancel"}),
        404,
        "not_found_error",
        "Requested `ExecutionGroup` with ID `nope` was not found",
    )


def test_paused_group_and_resume(http: httpx.Client) -> None:
    """Concurrency 0 queues every member for good; a cancelled group resumes."""
    put_group(http, "g", deployment_ids=["web-prod", "web-staging"])
    body = {"deployment_group_id": "g", "workflow_id": "check_status", "concurrency": 0}
    group = ok(http.post("/execution-groups", json=body))
    assert group["status"] == "queued"
    assert [e["status"] for e in members(http, group["id"])] == ["queued", "queued"]
    refused = http.post(f"/execution-groups/{group['id']}", json={"action": "cancel"})
    assert_error(refused, 404, "not_found_error")
    assert [e["status"] for e in members(http, group["id"])] == ["cancelled", "cancelled"]
    ok(http.post(f"/execution-groups/{group['id']}", json={"action": "resume"}))
    assert [e["status"] for e in members(http, group["id"])] == ["queued", "queued"]


def test_workers_post_events_of_a_group(http: httpx.Client) -> None:
    put_group(http, "g", deployment_ids=["web-prod"])
    body = {"deployment_group_id": "g", "workflow_id": "check_status", "concurrency": 0}
    gid = ok(http.post("/execution-groups", json=body))["id"]
    posted = {
        "execution_group_id": gid,
        "events": [{"event_type": "workflow_started", "message": {"text": "to the group"}}],
        "logs": [{"logger": "x", "level": "info", "message": {"text": "a log"}, "context": {}}],
    }
    assert http.post("/events", json=posted).status_code == 201
    items = ok(http.get("/events", params={"execution_group_id": gid}))["items"]
    assert [(e["message"], e["execution_id"], e["deployment_id"]) for e in items] == [
        ("to the group", None, None),
        ("a log", None, None),
    ]
    missing = http.post("/events", json={**posted, "execution_group_id": "nope"})
    assert_error(missing, 404, "not_found_error", "Requested `ExecutionGroup` with ID `nope`")


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[httpx.Client]:
    """The scale seed with 2,600 deployments (1,040 of them env=prod)."""
    proc = ManagerProcess(data=tmp_path / "fleet", seed="scale:2600").start(timeout=300)
    try:
        with admin_client(proc) as client:
            yield client
    finally:
        proc.stop()


@pytest.mark.slow
def test_a_group_of_a_thousand_runs_twenty_at_a_time(fleet: httpx.Client) -> None:
    http = fleet
    prod = {"key": "env", "values": ["prod"], "operator": "any_of", "type": "label"}
    group = put_group(http, "prod", filter_rules=[prod])
    assert len(group["deployment_ids"]) == 1040
    body = {"deployment_group_id": "prod", "workflow_id": "check_status", "concurrency": 20}
    started = time.monotonic()
    gid = ok(http.post("/execution-groups", json=body))["id"]
    assert time.monotonic() - started < 5

    def running() -> int:
        params = {"_group_id": gid, "status": list(ACTIVE), "_size": 0}
        return int(ok(http.get("/executions", params=params))["metadata"]["pagination"]["total"])

    most = 0
    deadline = time.monotonic() + 120
    while ok(http.get(f"/execution-groups/{gid}"))["status"] not in ENDED:
        assert time.monotonic() < deadline
        most = max(most, running())
    assert 0 < most <= 20
    assert ok(http.get(f"/execution-groups/{gid}"))["status"] == "terminated"
