"""`tui.api.groups` against a real embedded manager: deployment groups, execution
groups started, listed, followed through their members and events, cancelled and
resumed, each answer read as the manager gives it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.manager_process import PASSWORDS, ManagerProcess
from tui.api import BadParameters, ManagerClient, NotFound, groups

INSTALLED = ["web-prod", "web-staging", "db-main", "analytics"]


@pytest.fixture
async def client(manager: ManagerProcess) -> AsyncIterator[ManagerClient]:
    async with ManagerClient(manager.url, username="admin", password=PASSWORDS["admin"]) as c:
        yield c


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def statuses(client: ManagerClient, group_id: str) -> dict[str, str]:
    page = await client.list_executions(
        group_id=group_id, include=("id", "deployment_id", "status"), size=100
    )
    return {e.deployment_id: e.status for e in page.items}


async def test_a_put_replaces_the_members_and_keeps_the_group(client: ManagerClient) -> None:
    first = await groups.put_deployment_group(client, "fleet", ["web-prod", "db-main"])
    assert set(first.deployment_ids) == {"web-prod", "db-main"}
    again = await groups.put_deployment_group(
        client, "fleet", ["analytics"], description="by cfy-tui"
    )
    assert again.id == "fleet"
    assert again.deployment_ids == ("analytics",)
    assert again.description == "by cfy-tui"


async def test_one_unavailable_member_refuses_the_whole_group(client: ManagerClient) -> None:
    # db-replica was never installed: uninstall is not available there.
    await groups.put_deployment_group(client, "mixed", ["web-prod", "db-replica"])
    with pytest.raises(BadParameters, match="Workflow not available: uninstall"):
        await groups.start_execution_group(client, "mixed", "uninstall")
    page = await client.list_executions(workflow_id="uninstall", include=("id",))
    assert page.items == ()


async def test_a_group_runs_its_members_within_its_concurrency(client: ManagerClient) -> None:
    await groups.put_deployment_group(client, "installed", INSTALLED)
    started = await groups.start_execution_group(client, "installed", "uninstall", concurrency=1)
    assert started.workflow_id == "uninstall"
    assert started.deployment_group_id == "installed"
    assert started.concurrency == 1
    assert len(started.execution_ids) == 4
    first = await statuses(client, started.id)
    assert set(first) == set(INSTALLED)
    assert sorted(first.values()).count("queued") >= 3

    async def all_ended() -> bool:
        return set((await statuses(client, started.id)).values()) == {"terminated"}

    await eventually(all_ended, "every member to end")
    again = await groups.get_execution_group(client, started.id)
    assert again.status == "terminated"
    assert set(again.execution_ids) == set(started.execution_ids)
    listed = await groups.list_execution_groups(client)
    assert [(g.id, g.status, g.workflow_id) for g in listed.items] == [
        (started.id, "terminated", "uninstall")
    ]
    # The group's own events: each member's changes of state, named by execution id.
    events = await client.list_events(started.id, group=True, size=1000)
    for exec_id in started.execution_ids:
        assert f"execution '{exec_id}' changed state to 'terminated'" in [
            e.message for e in events.items
        ]


async def test_cancel_then_resume_a_group(client: ManagerClient) -> None:
    await groups.put_deployment_group(client, "installed", INSTALLED)
    started = await groups.start_execution_group(client, "installed", "uninstall", concurrency=0)
    # Concurrency 0 holds every member queued: a cancel sets them cancelled at once,
    # then answers 404 as the real manager does, having nothing running to cancel.
    assert set((await statuses(client, started.id)).values()) == {"queued"}
    with pytest.raises(NotFound, match=r"Requested `Execution` \[\] was not found"):
        await groups.execution_group_action(client, started.id, "cancel")
    assert set((await statuses(client, started.id)).values()) == {"cancelled"}
    await groups.execution_group_action(client, started.id, "resume")
    assert set((await statuses(client, started.id)).values()) <= {"pending", "queued"}


async def test_an_unknown_action_is_not_sent(client: ManagerClient) -> None:
    with pytest.raises(ValueError, match="unknown execution group action"):
        await groups.execution_group_action(client, "any", "requeue")
