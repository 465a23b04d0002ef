"""The simulated engine and the execution rules, observed over HTTP: status
transitions, cancel at task boundaries, queueing, dry runs, parameters, resume,
status PATCHes and the effects on deployments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import admin_client
from tests.manager_process import ManagerProcess
from tests.polling import wait_for

END = {"terminated", "failed", "cancelled"}


@pytest.fixture
def http(manager: ManagerProcess) -> Iterator[httpx.Client]:
    with admin_client(manager) as client:
        yield client


def start(http: httpx.Client, deployment: str, workflow: str, **kw: Any) -> httpx.Response:
    return http.post(
        "/executions", json={"deployment_id": deployment, "workflow_id": workflow, **kw}
    )


def started(http: httpx.Client, deployment: str, workflow: str, **kw: Any) -> dict[str, Any]:
    response = start(http, deployment, workflow, **kw)
    assert response.status_code == 201, response.text
    return response.json()


def get(http: httpx.Client, exec_id: str) -> dict[str, Any]:
    return http.get(f"/executions/{exec_id}").json()


def wait_status(http: httpx.Client, exec_id: str, *statuses: str, timeout: float = 30) -> dict:
    return wait_for(
        lambda: (e := get(http, exec_id))["status"] in statuses and e,
        timeout=timeout,
        what=f"{exec_id} to reach {statuses}",
    )


def events(http: httpx.Client, exec_id: str) -> list[dict[str, Any]]:
    return http.get(
        "/events", params={"execution_id": exec_id, "_sort": "reported_timestamp"}
    ).json()["items"]


def execution_count(http: httpx.Client) -> int:
    return http.get("/executions", params={"_size": 0}).json()["metadata"]["pagination"]["total"]


def test_install_runs_to_completion_and_updates_the_deployment(http: httpx.Client) -> None:
    execution = started(http, "db-replica", "install")
    assert execution["status"] == "pending" and execution["error"] is None
    assert execution["parameters"] == {"type_names": [], "node_ids": [], "node_instance_ids": []}
    done = wait_status(http, execution["id"], *END)
    assert done["status"] == "terminated" and done["status_display"] == "completed"
    assert done["total_operations"] == 6 and done["finished_operations"] == 6
    assert done["started_at"] and done["ended_at"] and not done["error"]
    dep = http.get("/deployments/db-replica").json()
    assert dep["latest_execution"] == execution["id"]
    assert dep["latest_execution_status"] == "completed"
    assert dep["installation_status"] == "active" and dep["deployment_status"] == "good"
    workflows = {w["name"]: w["is_available"] for w in dep["workflows"]}
    assert workflows["install"] is False and workflows["uninstall"] is True
    kinds = [e.get("event_type") for e in events(http, execution["id"])]
    assert kinds[0] == "workflow_started" and kinds[-1] == "workflow_succeeded"
    assert kinds.count("task_succeeded") == 6


def test_failing_workflow_records_the_error(http: httpx.Client) -> None:
    execution = started(http, "db-main", "backup")
    done = wait_status(http, execution["id"], *END)
    assert done["status"] == "failed"
    assert (
        done["error"]
        .strip()
        .splitlines()[-1]
        .startswith("cloudify.exceptions.NonRecoverableError: pg_dump: error")
    )
    assert done["finished_operations"] < done["total_operations"]
    items = events(http, execution["id"])
    failed_task = next(e for e in items if e.get("event_type") == "task_failed")
    cause = failed_task["error_causes"][0]
    assert set(cause) == {"message", "type", "traceback"} and "pg_dump" in cause["message"]
    assert items[-1]["event_type"] == "workflow_failed"
    dep = http.get("/deployments/db-main").json()
    assert dep["latest_execution_status"] == "failed"
    assert dep["deployment_status"] == "requires_attention"


def test_cancel_takes_effect_at_the_next_task_boundary(http: httpx.Client) -> None:
    execution = started(http, "analytics", "reindex")
    wait_for(lambda: get(http, execution["id"])["finished_operations"] >= 1, what="one op")
    answer = http.post(f"/executions/{execution['id']}", json={"action": "cancel"})
    assert answer.status_code == 200 and answer.json()["status"] == "cancelling"
    assert answer.json()["error"] == ""
    # cancelling again is illegal; force-cancel from cancelling is allowed
    again = http.post(f"/executions/{execution['id']}", json={"action": "cancel"})
    assert again.status_code == 400 and again.json()["error_code"] == "illegal_action_error"
    assert again.json()["message"] == (
        f"Can't cancel execution {execution['id']} because it's in status cancelling"
    )
    done = wait_status(http, execution["id"], *END)
    assert done["status"] == "cancelled"
    assert 1 <= done["finished_operations"] < done["total_operations"]
    assert events(http, execution["id"])[-1]["event_type"] == "workflow_cancelled"
    assert http.get("/deployments/analytics").json()["latest_execution_status"] == "cancelled"


def test_force_cancel_from_cancelling_and_kill_stop_promptly(http: httpx.Client) -> None:
    execution = started(http, "analytics", "reindex")
    wait_status(http, execution["id"], "started")
    assert (
        http.post(f"/executions/{execution['id']}", json={"action": "cancel"}).json()["status"]
        == "cancelling"
    )
    forced = http.post(f"/executions/{execution['id']}", json={"action": "force-cancel"})
    assert forced.json()["status"] == "force_cancelling"
    done = wait_status(http, execution["id"], *END, timeout=5)
    assert done["status"] == "cancelled"

    second = started(http, "analytics", "reindex")
    wait_status(http, second["id"], "started")
    killed = http.post(f"/executions/{second['id']}", json={"action": "kill"})
    assert killed.json()["status"] == "kill_cancelling"
    assert wait_status(http, second["id"], *END, timeout=5)["status"] == "cancelled"


def test_kill_is_accepted_on_an_ended_execution(http: httpx.Client) -> None:
    ended = http.get("/executions", params={"status": "terminated"}).json()["items"][0]
    killed = http.post(f"/executions/{ended['id']}", json={"action": "kill"})
    assert killed.status_code == 200 and killed.json()["status"] == "kill_cancelling"
    assert wait_status(http, ended["id"], "cancelled")["status"] == "cancelled"


def test_illegal_and_unknown_actions(http: httpx.Client) -> None:
    ended = http.get("/executions", params={"status": "terminated"}).json()["items"][0]["id"]
    response = http.post(f"/executions/{ended}", json={"action": "force-cancel"})
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Can't force-cancel execution {ended} because it's in status terminated"
    )
    resume = http.post(f"/executions/{ended}", json={"action": "resume"})
    assert resume.status_code == 409 and resume.json()["error_code"] == "conflict_error"
    assert resume.json()["message"] == f"Cannot resume execution: `{ended}` in state: `terminated`"
    bogus = http.post(f"/executions/{ended}", json={"action": "bogus"})
    assert bogus.status_code == 400 and bogus.json()["message"] == (
        "Invalid action: bogus, Valid action values are: ['cancel', 'force-cancel', 'kill', "
        "'resume', 'force-resume', 'requeue']"
    )
    missing = http.post(f"/executions/{ended}", json={})
    assert missing.json()["message"] == "Missing action in json request body"


def test_conflict_names_the_blocker_and_persists_nothing(http: httpx.Client) -> None:
    blocker = started(http, "analytics", "reindex")
    count = execution_count(http)
    response = start(http, "analytics", "check_status")
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "existing_running_execution_error"
    assert body["server_traceback"] is None
    assert body["message"].startswith(
        "The following executions are currently running for this deployment: "
        f"[<Execution id=`{blocker['id']}` tenant=`default_tenant` status="
    )
    assert body["message"].endswith(
        'To execute this workflow anyway, pass "force=true" as a query parameter to this request'
    )
    assert execution_count(http) == count
    # force runs beside the blocker
    forced = started(http, "analytics", "check_status", force="true")
    assert forced["status"] == "pending"
    assert wait_status(http, forced["id"], *END)["status"] == "terminated"
    http.post(f"/executions/{blocker['id']}", json={"action": "kill"})


def test_queue_starts_by_itself_when_the_blocker_ends(http: httpx.Client) -> None:
    # With nothing running, queue=true still runs at once.
    idle = started(http, "web-prod", "check_status", queue=True)
    assert idle["status"] == "pending"
    wait_status(http, idle["id"], *END)

    blocker = started(http, "analytics", "reindex")
    wait_status(http, blocker["id"], "started")
    queued = started(http, "analytics", "check_status", queue="true")
    assert queued["status"] == "queued"
    # latest_execution does not move when an execution is created or queued.
    assert http.get("/deployments/analytics").json()["latest_execution"] == blocker["id"]
    second = started(http, "analytics", "check_status", queue="true")
    assert second["status"] == "queued"
    assert get(http, queued["id"])["status"] == "queued"
    http.post(f"/executions/{blocker['id']}", json={"action": "force-cancel"})
    assert wait_status(http, queued["id"], *END)["status"] == "terminated"
    # one queued execution per deployment at a time, oldest first
    assert wait_status(http, second["id"], *END)["status"] == "terminated"
    assert get(http, second["id"])["started_at"] >= get(http, queued["id"])["ended_at"]


def test_cancelling_a_queued_execution(http: httpx.Client) -> None:
    blocker = started(http, "analytics", "reindex")
    queued = started(http, "analytics", "check_status", queue=True)
    answer = http.post(f"/executions/{queued['id']}", json={"action": "cancel"})
    assert answer.json()["status"] == "cancelling"
    assert wait_status(http, queued["id"], *END)["status"] == "cancelled"
    http.post(f"/executions/{blocker['id']}", json={"action": "kill"})


def test_dry_run_changes_nothing(http: httpx.Client) -> None:
    execution = started(http, "web-prod", "uninstall", dry_run="true")
    assert execution["is_dry_run"] is True
    done = wait_status(http, execution["id"], *END)
    assert done["status"] == "terminated"
    dep = http.get("/deployments/web-prod").json()
    assert dep["installation_status"] == "active"
    assert any("(dry run)" in e["message"] for e in events(http, execution["id"]))


def test_parameters_are_merged_coerced_and_validated(http: httpx.Client) -> None:
    ok = started(http, "web-prod", "rolling_restart", parameters={"batch_size": "3"})
    assert ok["parameters"] == {"batch_size": 3, "drain_timeout": 30}
    wait_status(http, ok["id"], *END)
    truncated = started(http, "web-prod", "rolling_restart", parameters={"batch_size": 2.7})
    assert truncated["parameters"]["batch_size"] == 2
    wait_status(http, truncated["id"], *END)
    coerced = started(http, "db-main", "backup", parameters={"compress": "False"})
    assert coerced["parameters"]["compress"] is False
    wait_status(http, coerced["id"], *END)

    count = execution_count(http)
    cases = [
        (
            {"zzz": 1},
            'Workflow "rolling_restart" does not have the following parameters '
            "declared: zzz. Remove these parameters or use the flag for allowing "
            "custom parameters",
        ),
        ({"batch_size": "abc"}, 'Parameter "batch_size" must be of type integer'),
    ]
    for parameters, message in cases:
        response = start(http, "web-prod", "rolling_restart", parameters=parameters)
        assert response.status_code == 400
        assert response.json()["error_code"] == "illegal_execution_parameters_error"
        assert response.json()["message"] == message
    missing = start(http, "web-prod", "rotate_certificates")
    assert missing.json()["message"] == (
        'Workflow "rotate_certificates" must be provided with the following parameters to '
        "execute: common_name"
    )
    # A string is a list of its characters to the real manager; a number is no string.
    wrong_list = start(http, "db-main", "backup", parameters={"tables": ["users", 5]})
    assert wrong_list.json()["message"] == 'Parameter "tables" must be of type list of strings'
    constraint = start(http, "analytics", "reindex", parameters={"priority": "urgent"})
    assert constraint.json()["error_code"] == "illegal_execution_parameters_error"
    assert constraint.json()["message"].startswith(
        'Parameter "priority" does not meet its constraints'
    )
    # The real manager answers 500 for a JSON number given to a boolean parameter.
    crash = start(http, "db-main", "backup", parameters={"compress": 1})
    assert crash.status_code == 500 and crash.json()["error_code"] == "internal_server_error"
    assert crash.json()["server_traceback"]
    not_dict = start(http, "web-prod", "rolling_restart", parameters="x")
    assert not_dict.json()["message"] == (
        "request body's 'parameters' field must be a dict but is of type str"
    )
    bad_flag = start(http, "web-prod", "check_status", force="maybe")
    assert bad_flag.json()["message"] == "force must be <true/false>, got maybe"
    unknown = start(http, "web-prod", "nope")
    assert unknown.json()["error_code"] == "nonexistent_workflow_error"
    assert unknown.json()["message"] == "Workflow nope does not exist in the deployment web-prod"
    assert execution_count(http) == count
    custom = started(
        http, "web-prod", "rolling_restart", parameters={"zzz": 1}, allow_custom_parameters="true"
    )
    assert custom["parameters"]["zzz"] == 1 and custom["allow_custom_parameters"] is True
    wait_status(http, custom["id"], *END)


def footprint(http: httpx.Client, deployment: str) -> tuple[list[str], set[str], str | None]:
    """What a start could leave behind on `deployment`: its execution ids in creation
    order (system workflows included), the executions its events belong to, and its
    `latest_execution`. A refused start must change none of them."""
    executions = http.get(
        "/executions",
        params={
            "deployment_id": deployment,
            "_include_system_workflows": "true",
            "_sort": "created_at",
            "_get_all_results": "true",
        },
    ).json()["items"]
    logged = http.get(
        "/events",
        params={"deployment_id": deployment, "_get_all_results": "true"},
    ).json()["items"]
    latest = http.get(f"/deployments/{deployment}").json()["latest_execution"]
    return [e["id"] for e in executions], {e["execution_id"] for e in logged}, latest


def assert_left_nothing(
    http: httpx.Client, deployment: str, before: tuple[list[str], set[str], str | None]
) -> None:
    ids, logged, latest = footprint(http, deployment)
    assert ids == before[0], "a refused start stored an execution"
    assert logged <= set(before[0]), "a refused start stored events"
    assert latest == before[2]


def test_unavailable_workflow_is_refused_without_a_trace(http: httpx.Client) -> None:
    # The real manager marks the row failed inside its transaction, and the error rolls
    # it back: no execution, no events (probed on 7.0.4).
    before = footprint(http, "web-prod")
    count = execution_count(http)
    response = start(http, "web-prod", "install")
    assert response.status_code == 400
    assert response.json() == {
        "message": "Workflow not available: install",
        "error_code": "unavailable_workflow_error",
        "server_traceback": None,
    }
    assert execution_count(http) == count
    assert_left_nothing(http, "web-prod", before)

    before = footprint(http, "analytics")
    never = start(http, "analytics", "archive_old_data", queue=True)
    assert never.status_code == 400
    assert never.json()["error_code"] == "unavailable_workflow_error"
    assert never.json()["message"] == "Workflow not available: archive_old_data"
    assert_left_nothing(http, "analytics", before)
    forced = start(http, "analytics", "archive_old_data", force=True)
    assert forced.status_code == 201
    assert footprint(http, "analytics")[0] == [*before[0], forced.json()["id"]]


def test_every_refused_start_leaves_nothing_behind(http: httpx.Client) -> None:
    before = footprint(http, "web-prod")
    refusals = [
        ({"workflow_id": "nope"}, "nonexistent_workflow_error"),
        (
            {"workflow_id": "rolling_restart", "parameters": {"zzz": 1}},
            "illegal_execution_parameters_error",
        ),
        (
            {"workflow_id": "rolling_restart", "parameters": {"batch_size": "abc"}},
            "illegal_execution_parameters_error",
        ),
        ({"workflow_id": "rotate_certificates"}, "illegal_execution_parameters_error"),
        ({"workflow_id": "rolling_restart", "parameters": "x"}, "bad_parameters_error"),
        ({"workflow_id": "check_status", "force": "maybe"}, "bad_parameters_error"),
        ({"workflow_id": "install"}, "unavailable_workflow_error"),
    ]
    for body, code in refusals:
        response = http.post("/executions", json={"deployment_id": "web-prod", **body})
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error_code"] == code, (body, response.text)
    assert_left_nothing(http, "web-prod", before)

    # Concurrency is checked before availability, so an unavailable workflow started
    # beside a running one is a conflict; neither refusal stores anything.
    blocker = started(http, "analytics", "reindex")
    wait_status(http, blocker["id"], "started")
    before = footprint(http, "analytics")
    for workflow in ("check_status", "archive_old_data"):
        response = start(http, "analytics", workflow)
        assert response.status_code == 400, response.text
        assert response.json()["error_code"] == "existing_running_execution_error"
    assert_left_nothing(http, "analytics", before)
    http.post(f"/executions/{blocker['id']}", json={"action": "kill"})


def test_resume_restarts_a_failed_execution(http: httpx.Client) -> None:
    execution = started(http, "db-main", "backup")
    failed = wait_status(http, execution["id"], *END)
    assert failed["status"] == "failed"
    resumed = http.post(f"/executions/{execution['id']}", json={"action": "resume"}).json()
    assert resumed["status"] == "pending" and resumed["resume"] is True
    assert resumed["ended_at"] is None
    again = wait_status(http, execution["id"], *END)
    assert again["status"] == "failed"
    assert any(e["message"].startswith("Resuming") for e in events(http, execution["id"]))
    forced = http.post(f"/executions/{execution['id']}", json={"action": "force-resume"})
    assert forced.json()["status"] == "pending"
    wait_status(http, execution["id"], *END)


def test_requeue_behaves_like_cancel(http: httpx.Client) -> None:
    execution = started(http, "analytics", "reindex")
    answer = http.post(f"/executions/{execution['id']}", json={"action": "requeue"})
    assert answer.json()["status"] == "cancelling"
    assert wait_status(http, execution["id"], *END)["status"] == "cancelled"


def test_status_patch_rules(http: httpx.Client) -> None:
    ended = http.get("/executions", params={"status": "terminated"}).json()["items"][0]
    response = http.patch(f"/executions/{ended['id']}", json={"status": "started"})
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_exception_status_update"
    assert response.json()["message"] == (
        "Invalid relationship - can't change status from terminated to started for "
        f'"{ended["id"]}" execution while running "{ended["workflow_id"]}" workflow.'
    )
    same = http.patch(f"/executions/{ended['id']}", json={"status": "terminated"})
    assert same.status_code == 200 and same.json()["error"] == ""

    execution = started(http, "analytics", "reindex")
    wait_status(http, execution["id"], "started")
    forced = http.post(f"/executions/{execution['id']}", json={"action": "force-cancel"})
    assert forced.json()["status"] == "force_cancelling"
    # From force_cancelling, or from cancelled if the engine was quicker, never back to
    # started: refused either way, whichever the status was when the PATCH arrived.
    illegal = http.patch(f"/executions/{execution['id']}", json={"status": "started"})
    assert illegal.status_code == 400, illegal.text
    assert illegal.json()["error_code"] == "invalid_exception_status_update"
    wait_status(http, execution["id"], *END)
    assert get(http, execution["id"])["status"] == "cancelled"

    worker = started(http, "analytics", "reindex")
    wait_status(http, worker["id"], "started")
    patched = http.patch(
        f"/executions/{worker['id']}", json={"status": "failed", "error": "worker died"}
    )
    assert patched.status_code == 200
    assert patched.json()["status"] == "failed" and patched.json()["error"] == "worker died"
    assert get(http, worker["id"])["status"] == "failed"


def test_scale_adds_instances_and_rejects_unknown_nodes(http: httpx.Client) -> None:
    grow = started(http, "analytics", "scale", parameters={"scalable_entity_name": "worker"})
    done = wait_status(http, grow["id"], *END)
    assert done["status"] == "terminated" and done["total_operations"] == 3
    created = [e for e in events(http, grow["id"]) if e.get("event_type") == "task_succeeded"]
    assert len({e["node_instance_id"] for e in created}) == 1
    shrink = started(
        http, "analytics", "scale", parameters={"scalable_entity_name": "worker", "delta": -1}
    )
    assert wait_status(http, shrink["id"], *END)["status"] == "terminated"
    bad = started(http, "analytics", "scale", parameters={"scalable_entity_name": "nope"})
    failed = wait_status(http, bad["id"], *END)
    assert failed["status"] == "failed"
    assert "No scale group or node with name nope" in failed["error"]


def test_create_run_and_delete_a_deployment(http: httpx.Client) -> None:
    created = http.put(
        "/deployments/shop-2",
        json={
            "blueprint_id": "webapp",
            "inputs": {"replicas": 2},
            "labels": [{"team": "web"}],
            "display_name": "Shop two",
        },
    )
    assert created.status_code == 201, created.text
    dep = created.json()
    assert dep["display_name"] == "Shop two" and dep["inputs"]["replicas"] == 2
    assert dep["deployment_status"] == "requires_attention"
    env = get(http, dep["create_execution"])
    assert env["workflow_id"] == "create_deployment_environment"
    assert env["status"] == "terminated"
    duplicate = http.put("/deployments/shop-2", json={"blueprint_id": "webapp"})
    assert duplicate.status_code == 409
    unknown_input = http.put(
        "/deployments/shop-3", json={"blueprint_id": "webapp", "inputs": {"nope": 1}}
    )
    assert unknown_input.json()["error_code"] == "unknown_deployment_input_error"
    no_blueprint = http.put("/deployments/shop-3", json={"blueprint_id": "nope"})
    assert no_blueprint.status_code == 404

    install = started(http, "shop-2", "install")
    wait_status(http, install["id"], *END)
    refused = http.delete("/deployments/shop-2")
    assert refused.status_code == 400 and refused.json()["error_code"] == "dependent_exists_error"
    assert http.delete("/deployments/shop-2", params={"force": "true"}).status_code == 204
    assert http.get("/deployments/shop-2").status_code == 404
    assert http.get(f"/executions/{install['id']}").status_code == 404


def test_deployment_with_running_execution_cannot_be_deleted(http: httpx.Client) -> None:
    execution = started(http, "analytics", "reindex")
    refused = http.delete("/deployments/analytics", params={"force": "true"})
    assert refused.status_code == 400
    assert execution["id"] in refused.json()["message"]
    http.post(f"/executions/{execution['id']}", json={"action": "kill"})


def test_starting_before_the_environment_exists(tmp_path: Path) -> None:
    slow = ManagerProcess(data=tmp_path / "slow", speed=0.5, seed="none").start()
    try:
        with admin_client(slow) as http:
            created = http.put(
                "/deployments/fresh",
                params={"async_create": "true"},
                json={"blueprint_id": "webapp"},
            )
            assert created.status_code == 201
            early = start(http, "fresh", "install")
            assert early.status_code == 400
            assert early.json()["error_code"] in (
                "deployment_environment_creation_pending_error",
                "deployment_environment_creation_in_progress_error",
            )
            wait_status(http, created.json()["create_execution"], *END)
            assert start(http, "fresh", "install").status_code == 201
    finally:
        slow.stop()
