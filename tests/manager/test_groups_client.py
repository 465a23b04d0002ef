"""The official Python client's deployment-group and execution-group calls against the
embedded manager: `deployment_groups.put/get/list/add_deployments/remove_deployments/
delete` and `execution_groups.start/get/list/cancel/resume`, with the exception classes
the real manager's answers make."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cloudify_rest_client import CloudifyClient
from cloudify_rest_client.exceptions import CloudifyClientError

from tests.manager.test_client_conformance import client, raises
from tests.manager_process import ManagerProcess

ENDED = ("terminated", "failed", "cancelled")


@pytest.fixture
def crawling(tmp_path: Path) -> Iterator[ManagerProcess]:
    """A manager 20 times slower than real life: a new execution stays pending."""
    proc = ManagerProcess(data=tmp_path / "crawling", speed=0.05).start()
    try:
        yield proc
    finally:
        proc.stop()


def wait_group(c: CloudifyClient, group_id: str, timeout: float = 30.0) -> str:
    """The group's status once it has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = c.execution_groups.get(group_id).status
        if status in ENDED:
            return str(status)
        time.sleep(0.1)
    raise AssertionError("the group did not end")


def test_deployment_groups(manager: ManagerProcess) -> None:
    c = client(manager)
    group = c.deployment_groups.put(
        "web", description="the web tier", deployment_ids=["web-prod", "web-staging"]
    )
    assert group.deployment_ids == ["web-prod", "web-staging"]
    assert (group.description, group.default_blueprint_id, group.default_inputs) == (
        "the web tier",
        None,
        None,
    )
    rule = {"key": "team", "values": ["web"], "operator": "any_of", "type": "label"}
    group = c.deployment_groups.add_deployments("web", filter_rules=[rule])
    assert group.deployment_ids == ["web-prod", "web-staging", "web-canary"]
    group = c.deployment_groups.remove_deployments("web", ["web-staging"])
    assert group.deployment_ids == ["web-prod", "web-canary"]
    assert c.deployment_groups.get("web") == group
    listed = c.deployment_groups.list()
    assert [g["id"] for g in listed] == ["web"]
    assert listed.metadata.pagination.total == 1
    assert c.deployments.list(_group_id="web", _include=["id"]).metadata.pagination.total == 2
    c.deployment_groups.delete("web")
    raises(
        lambda: c.deployment_groups.get("web"),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `DeploymentGroup` with ID `web` was not found",
    )


def test_execution_groups(manager: ManagerProcess) -> None:
    c = client(manager)
    c.deployment_groups.put("web", deployment_ids=["web-prod", "web-staging", "web-canary"])
    group = c.execution_groups.start(
        "web", "rolling_restart", default_parameters={"batch_size": 1}, concurrency=1
    )
    assert (group.workflow_id, group.deployment_group_id, group.concurrency) == (
        "rolling_restart",
        "web",
        1,
    )
    assert len(group.execution_ids) == 3
    assert group.status in ("pending", "queued", "started")
    assert wait_group(c, group.id) == "terminated"
    members = c.executions.list(_group_id=group.id)
    assert {e.status for e in members} == {"terminated"}
    assert {e.parameters["batch_size"] for e in members} == {1}
    assert [g.id for g in c.execution_groups.list()] == [group.id]

    # a cancelled group resumes; its members run again from the start
    paused = c.execution_groups.start("web", "check_status", concurrency=0)
    assert paused.status == "queued"
    raises(
        lambda: c.execution_groups.cancel(paused.id),
        CloudifyClientError,
        404,
        "not_found_error",
        "Requested `Execution` [] was not found",
    )
    assert {e.status for e in c.executions.list(_group_id=paused.id)} == {"cancelled"}
    c.execution_groups.resume(paused.id)
    assert {e.status for e in c.executions.list(_group_id=paused.id)} == {"queued"}
    # unpaused, it runs to the end
    assert c.execution_groups.set_concurrency(paused.id, 2).concurrency == 2
    assert wait_group(c, paused.id) == "terminated"


def test_group_cancel_of_running_members(crawling: ManagerProcess) -> None:
    c = client(crawling)
    c.deployment_groups.put("all", deployment_ids=["web-prod", "db-main", "analytics"])
    group = c.execution_groups.start("all", "check_status", concurrency=3)
    answer = c.execution_groups.cancel(group.id, force=True)
    assert (answer.execution_ids, answer.status) == (None, None)
    assert wait_group(c, group.id) == "terminated"  # cancelled members count as ended
    assert {e.status for e in c.executions.list(_group_id=group.id)} == {"cancelled"}
