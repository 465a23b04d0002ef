"""The queue as strict as the real 7.0.4 manager, through the official client and the
`cfy` CLI: a queued execution is checked again when it leaves the queue, at most
`max_concurrent_workflows` run before the queue moves, a snapshot (a system
execution) runs alone with every start queued behind it, and queueing stores no
event.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cloudify_rest_client import CloudifyClient
from cloudify_rest_client.exceptions import (
    CloudifyClientError,
    InvalidExecutionUpdateStatus,
    NoSuchIncludeFieldError,
)

from tests.cfy_cli import Cfy
from tests.manager.test_cfy_cli import use_profile
from tests.manager.test_client_conformance import client, raises, wait_status
from tests.manager_process import ManagerProcess

ACTIVE = ("pending", "started")


@pytest.fixture
def slow_manager(tmp_path: Path) -> Iterator[ManagerProcess]:
    """Real-life speed, one running execution at most before the queue waits: a
    snapshot lasts 30 s and an install several seconds, long enough to watch."""
    proc = ManagerProcess(
        data=tmp_path / "manager", speed=1.0, extra_args=["--max-concurrent-workflows", "1"]
    ).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def admin(slow_manager: ManagerProcess) -> CloudifyClient:
    return client(slow_manager)


def test_a_queued_start_that_is_no_longer_available_fails_when_dequeued(
    manager: ManagerProcess,
) -> None:
    admin = client(manager)
    # db-replica is not installed: `install` is available now, and not once it has run.
    first = admin.executions.start("db-replica", "install")
    second = admin.executions.start("db-replica", "install", queue=True)
    assert second.status == "queued"
    # Queueing stores no event (the real `workflow_queued` is a hook, never stored).
    assert list(admin.events.list(execution_id=second.id, include_logs=True)) == []

    wait_status(admin, first.id, "terminated", timeout=60)
    failed = wait_status(admin, second.id, "failed")
    assert failed.error == "Error dequeueing execution: Workflow not available: install"
    # Only the status and the error change: no end time, the latest execution stays.
    assert failed.ended_at is None
    latest = admin.deployments.get("db-replica", _include=["latest_execution_id"])
    assert latest["latest_execution_id"] == first.id


def test_max_concurrent_workflows_holds_the_queue(admin: CloudifyClient) -> None:
    elsewhere = admin.executions.start("db-replica", "install")
    here = admin.executions.start("web-staging", "check_status")
    waiting = admin.executions.start("web-staging", "check_status", queue=True)
    assert (elsewhere.status, here.status, waiting.status) == ("pending", "pending", "queued")

    # web-staging is free again, but db-replica's install still runs: with a limit of
    # one running execution, the queue does not move.
    admin.executions.cancel(here.id, force=True)
    wait_status(admin, here.id, "cancelled")
    assert admin.executions.get(waiting.id).status == "queued"

    admin.executions.cancel(elsewhere.id, force=True)
    wait_status(admin, elsewhere.id, "cancelled")
    assert wait_status(admin, waiting.id, *ACTIVE, "terminated").status != "queued"


def test_a_snapshot_runs_alone_and_queues_every_start(admin: CloudifyClient) -> None:
    snapshot = admin.snapshots.create("snap-1", include_credentials=False)
    assert snapshot.workflow_id == "create_snapshot"
    assert snapshot.is_system_workflow is True
    assert snapshot.deployment_id is None
    assert snapshot.status == "pending"
    wait_status(admin, snapshot.id, "started")

    # Queued, with or without queue=true, forced or not.
    plain = admin.executions.start("web-prod", "check_status")
    forced = admin.executions.start("db-main", "check_status", force=True)
    assert (plain.status, forced.status) == ("queued", "queued")
    # A second snapshot is refused while anything runs, unless queued.
    raises(
        lambda: admin.snapshots.create("snap-2", include_credentials=False),
        CloudifyClientError,
        400,
        "existing_running_execution_error",
        f"Cannot start execution because there are other executions running e.g.: {snapshot.id}",
    )
    # Only system executions are hidden from the default list.
    assert snapshot.id not in {e.id for e in admin.executions.list()}
    assert snapshot.id in {e.id for e in admin.executions.list(include_system_workflows=True)}

    admin.executions.cancel(snapshot.id)
    wait_status(admin, snapshot.id, "cancelled")
    # The queue moves once the snapshot has ended, one execution at a time (limit 1).
    started = wait_status(admin, plain.id, *ACTIVE, "terminated")
    assert started.status != "queued"


def test_booleans_and_includes_as_strict_as_the_real_manager(manager: ManagerProcess) -> None:
    admin = client(manager)
    for call, name, value in (
        (
            lambda: admin.executions.list(_include_system_workflows="yes"),
            "_include_system_workflows",
            "yes",
        ),
        (lambda: admin.deployments.list(_all_tenants="1"), "all_tenants", "1"),
        (lambda: admin.deployments.list(_get_all_results="yes"), "_get_all_results", "yes"),
    ):
        raises(
            call,
            CloudifyClientError,
            400,
            "bad_parameters_error",
            f"{name} must be <true/false>, got {value}",
        )
    any_execution = admin.executions.list(_size=1)[0]
    raises(
        lambda: admin.executions.get(any_execution.id, _include=["bogus"]),
        NoSuchIncludeFieldError,
        400,
        "no_such_include_field_error",
        "Include keys '['bogus']' do not exist",
    )
    raises(
        lambda: admin.blueprints.get("webapp", _include=["bogus"]),
        NoSuchIncludeFieldError,
        400,
        "no_such_include_field_error",
    )


@pytest.mark.slow
def test_cfy_cli_queues_behind_a_snapshot(
    cfy_executable: Path, tmp_path: Path, slow_manager: ManagerProcess
) -> None:
    cfy = Cfy(cfy_executable, tmp_path / "cfy-home")
    use_profile(cfy, slow_manager)
    created = cfy("snapshots", "create", "snap-cli")
    assert created.returncode == 0, str(created)
    assert created.lines[0] == "Creating snapshot snap-cli...", str(created)
    assert created.lines[-1].startswith("Started workflow execution. The execution's id is ")

    started = cfy("executions", "start", "check_status", "-d", "web-prod", timeout=20)
    assert "Execution is being queued. It will automatically start when possible." in (
        started.lines
    ), str(started)
    admin = client(slow_manager)
    queued = [e for e in admin.executions.list(deployment_id="web-prod") if e.status == "queued"]
    assert [e.workflow_id for e in queued] == ["check_status"]


def test_answers_the_differential_found_wrong(manager: ManagerProcess) -> None:
    """What the embedded manager answered unlike the real 7.0.4 one, now answered alike."""
    admin = client(manager)
    # analytics is a cloudify_dsl_1_4 blueprint: the built-in workflows of types_1_4.
    analytics = admin.deployments.get("analytics")
    workflows = {w.name: w for w in analytics.workflows}
    assert "recursive" not in workflows["uninstall"].parameters
    assert workflows["check_drift"].parameters["run_by_dependency_order"] == {"default": False}
    names = [w.name for w in analytics.workflows]
    assert names.index("reindex") < names.index("install")  # its own come first
    assert names[names.index("install") :][:6] == [
        "install",
        "check_status",
        "check_drift",
        "uninstall",
        "start",
        "reinstall",
    ]
    assert analytics["latest_execution_id"] == analytics["latest_execution"]
    # /workflows counts what it returns, whatever the pagination arguments.
    listed = admin.workflows.list(_size=2)
    assert listed.metadata.pagination.size == listed.metadata.pagination.total == len(listed)
    # The environment creation records what the deployment was created with.
    admin.deployments.create("webapp", "fresh-1", inputs={}, labels=[{"env": "qa"}])
    create = admin.executions.list(
        deployment_id="fresh-1", workflow_id="create_deployment_environment"
    )[0]
    assert create["allow_custom_parameters"] is True
    assert create.parameters == {
        "inputs": {},
        "display_name": None,
        "labels": [{"key": "env", "value": "qa", "created_at": None, "created_by": None}],
    }
    # An unknown status: an invalid transition from an ended execution.
    raises(
        lambda: admin.executions.update(create.id, "bogus"),
        InvalidExecutionUpdateStatus,
        400,
        "invalid_exception_status_update",
        "can't change status from terminated to bogus",
    )
