"""The action layer without any UI: each call against a real embedded manager, the
outcome type it returns and the exact request it sent (the manager's request log)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.hardening.conftest import LoggedManager, wire_manager
from tests.manager_process import PASSWORDS
from tests.ui.helpers import start_via_http
from tui.actions import cancel as cancelling
from tui.actions import resume as resuming
from tui.actions import start as starting
from tui.actions.start import StartRequest
from tui.api import ManagerClient

EXECUTIONS = "/api/v3.1/executions"


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoggedManager]:
    with wire_manager(tmp_path_factory.mktemp("actions") / "manager") as proc:
        yield proc


@pytest.fixture
async def client(wire: LoggedManager) -> AsyncIterator[ManagerClient]:
    async with ManagerClient(wire.url, username="admin", password=PASSWORDS["admin"]) as c:
        yield c


def sent(manager: LoggedManager, mark: int, exec_id: str | None = None) -> list[dict[str, Any]]:
    """The requests that changed something since `mark` (to `exec_id` only, when
    given: the log line of a request made just before the mark may land after it)."""
    wanted = f"{EXECUTIONS}/{exec_id}" if exec_id else None
    return [e for e in manager.sent_since(mark) if wanted is None or e["path"] == wanted]


async def sent_eventually(
    manager: LoggedManager, mark: int, count: int, exec_id: str | None = None
) -> list[dict[str, Any]]:
    """`sent`, once it holds `count` requests (the log is written as requests end)."""
    deadline = time.monotonic() + 10
    while len(found := sent(manager, mark, exec_id)) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return found


async def status_becomes(client: ManagerClient, exec_id: str, wanted: set[str]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = (await client.get_execution(exec_id)).status
        if status in wanted:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"{exec_id} never reached {wanted}")


def body(dep: str, workflow: str, **flags: bool) -> dict[str, Any]:
    return {
        "deployment_id": dep,
        "workflow_id": workflow,
        "parameters": {},
        "allow_custom_parameters": False,
        "force": False,
        "dry_run": False,
        "queue": False,
        **flags,
    }


async def test_start_then_a_conflict_then_queued(
    wire: LoggedManager, client: ManagerClient
) -> None:
    mark = wire.mark()
    request = StartRequest("web-staging", "rolling_restart", {})
    outcome = await starting.start(client, request)
    assert isinstance(outcome, starting.Started)
    running = outcome.execution
    assert running.status in ("pending", "started")
    assert await sent_eventually(wire, mark, 1) == [
        {
            "method": "POST",
            "path": EXECUTIONS,
            "query": "",
            "body": body("web-staging", "rolling_restart"),
        }
    ]
    mark = wire.mark()
    conflict = await starting.start(client, request)
    assert isinstance(conflict, starting.Conflict)
    assert running.id in conflict.blocking_ids
    queued = await starting.start(client, request.queued())
    assert isinstance(queued, starting.Started) and queued.execution.status == "queued"
    assert [e["body"] for e in await sent_eventually(wire, mark, 2)] == [
        body("web-staging", "rolling_restart"),
        body("web-staging", "rolling_restart", queue=True),
    ]
    for exec_id in (queued.execution.id, running.id):
        await cancelling.cancel(client, exec_id, "kill")


async def test_a_refused_start_carries_the_managers_message(client: ManagerClient) -> None:
    outcome = await starting.start(client, StartRequest("no-such-deployment", "install", {}))
    assert isinstance(outcome, starting.Refused)
    assert "no-such-deployment" in outcome.message


async def test_a_start_without_an_answer_is_unknown_and_unchecked() -> None:
    async with ManagerClient("http://127.0.0.1:9", username="admin", password="x") as dead:
        outcome = await starting.start(dead, StartRequest("web-prod", "install", {}))
    assert isinstance(outcome, starting.Unknown) and outcome.checked is False
    assert outcome.found is None and "127.0.0.1:9" in outcome.error


async def test_the_cancel_ladder_sends_each_step_once(
    wire: LoggedManager, client: ManagerClient
) -> None:
    running = start_via_http(wire, "web-prod", "rolling_restart", force=True)
    exec_id = running["id"]
    await status_becomes(client, exec_id, {"started"})
    path = f"{EXECUTIONS}/{exec_id}"
    mark = wire.mark()
    first = await cancelling.cancel(client, exec_id, "cancel")
    # At real-life speed the execution stays `cancelling` until its current
    # operation ends: seconds, far longer than the next two calls.
    assert isinstance(first, cancelling.Requested)
    assert first.execution.status == "cancelling"
    again = await cancelling.cancel(client, exec_id, "cancel")
    assert again == cancelling.NotSent("stopping", "cancelling")
    kill = await cancelling.cancel(client, exec_id, "kill")
    assert isinstance(kill, cancelling.Requested)
    assert await sent_eventually(wire, mark, 2, exec_id) == [
        {"method": "POST", "path": path, "query": "", "body": {"action": "cancel"}},
        {"method": "POST", "path": path, "query": "", "body": {"action": "kill"}},
    ]
    assert await status_becomes(client, exec_id, {"cancelled"}) == "cancelled"
    mark = wire.mark()
    assert await cancelling.cancel(client, exec_id, "force-cancel") == cancelling.NotSent(
        "ended", "cancelled"
    )
    assert sent(wire, mark, exec_id) == []


async def test_force_cancel_and_kill_send_their_own_action(
    wire: LoggedManager, client: ManagerClient
) -> None:
    for action in ("force-cancel", "kill"):
        running = start_via_http(wire, "web-prod", "rolling_restart", force=True)
        mark = wire.mark()
        outcome = await cancelling.cancel(client, running["id"], action)  # type: ignore[arg-type]
        assert isinstance(outcome, cancelling.Requested), outcome
        assert await sent_eventually(wire, mark, 1, running["id"]) == [
            {
                "method": "POST",
                "path": f"{EXECUTIONS}/{running['id']}",
                "query": "",
                "body": {"action": action},
            }
        ]
        await status_becomes(client, running["id"], {"cancelled"})


async def test_nothing_is_sent_for_an_execution_that_is_gone(
    wire: LoggedManager, client: ManagerClient
) -> None:
    mark = wire.mark()
    assert await cancelling.cancel(client, "no-such-id", "cancel") == cancelling.NotSent("gone")
    assert await resuming.resume(client, "no-such-id", force=False) == resuming.NotSent("gone")
    assert sent(wire, mark, "no-such-id") == []


async def test_resume_and_force_resume_of_a_cancelled_execution(
    wire: LoggedManager, client: ManagerClient
) -> None:
    running = start_via_http(wire, "web-prod", "rolling_restart", force=True)
    exec_id = running["id"]
    mark = wire.mark()
    refused = await resuming.resume(client, exec_id, force=False)
    assert isinstance(refused, resuming.NotSent) and refused.reason == "not_resumable"
    assert refused.status in ("pending", "started")
    assert sent(wire, mark, exec_id) == []
    await cancelling.cancel(client, exec_id, "kill")
    await status_becomes(client, exec_id, {"cancelled"})
    for force, action in ((False, "resume"), (True, "force-resume")):
        mark = wire.mark()
        outcome = await resuming.resume(client, exec_id, force=force)
        assert isinstance(outcome, resuming.Resumed), outcome
        assert outcome.execution.status == "pending"
        assert await sent_eventually(wire, mark, 1, exec_id) == [
            {
                "method": "POST",
                "path": f"{EXECUTIONS}/{exec_id}",
                "query": "",
                "body": {"action": action},
            }
        ]
        await cancelling.cancel(client, exec_id, "kill")
        await status_becomes(client, exec_id, {"cancelled"})


def test_forced_and_queued_retries_change_only_what_they_say() -> None:
    asked = StartRequest("web", "install", {"a": 1}, force=False, dry_run=True, queue=True)
    assert asked.forced() == StartRequest("web", "install", {"a": 1}, force=True, dry_run=True)
    forced = StartRequest("web", "install", {"a": 1}, force=True, dry_run=True, allow_custom=True)
    assert forced.queued() == StartRequest(
        "web", "install", {"a": 1}, queue=True, allow_custom=True
    )


async def test_every_field_of_the_request_is_sent(
    wire: LoggedManager, client: ManagerClient
) -> None:
    parameters = {"node_ids": ["vm"], "type_names": [], "extra": "x"}
    request = StartRequest(
        "web-prod", "check_status", parameters, force=True, dry_run=True, allow_custom=True
    )
    mark = wire.mark()
    outcome = await starting.start(client, request)
    assert isinstance(outcome, starting.Started)
    assert outcome.execution.is_dry_run
    assert [e["body"] for e in await sent_eventually(wire, mark, 1)] == [
        {
            "deployment_id": "web-prod",
            "workflow_id": "check_status",
            "parameters": parameters,
            "allow_custom_parameters": True,
            "force": True,
            "dry_run": True,
            "queue": False,
        }
    ]
