"""`tui.api.groups` against a real embedded manager: deployment groups, execution
groups started, listed, followed through their members and events, cancelled and
resumed, each answer read as the manager gives it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.local_server import LocalServer, http_answer
from tests.manager_process import PASSWORDS, ManagerProcess
from tests.wire import RecordingTransport, recording_client
from tui.api import BadParameters, BadResponse, ManagerClient, NotFound, groups

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


# -- on the wire ---------------------------------------------------------------------------


@pytest.fixture
async def wired(manager: ManagerProcess) -> AsyncIterator[tuple[ManagerClient, RecordingTransport]]:
    """A fresh manager's client (these tests start runs), and what it sent."""
    async with recording_client(manager.url) as pair:
        yield pair


async def test_each_group_request_is_sent_exactly_so(
    wired: tuple[ManagerClient, RecordingTransport],
) -> None:
    """Method, path, query and body of every group request, as the manager (and the
    `cfy` CLI's own client) reads them: a misspelt key is ignored by the manager, so
    only the wire can tell."""
    client, transport = wired
    await groups.put_deployment_group(client, "pair", ["web-prod", "db-main"], description="d")
    assert transport.sent() == [("PUT", "/api/v3.1/deployment-groups/pair", [])]
    assert transport.body(0) == {"deployment_ids": ["web-prod", "db-main"], "description": "d"}

    started = await groups.start_execution_group(client, "pair", "backup")
    assert transport.sent(1) == [("POST", "/api/v3.1/execution-groups", [])]
    assert transport.body(1) == {
        "deployment_group_id": "pair",
        "workflow_id": "backup",
        "default_parameters": {},
        "concurrency": 5,
        "force": False,
    }
    mark = len(transport.requests)
    await groups.get_execution_group(client, started.id)
    await groups.list_execution_groups(client)
    await groups.get_deployment_group(client, "pair")
    assert transport.sent(mark) == [
        ("GET", f"/api/v3.1/execution-groups/{started.id}", []),
        (
            "GET",
            "/api/v3.1/execution-groups",
            [
                ("_get_data", "true"),
                ("_include", ",".join(groups.GROUP_LIST_FIELDS)),
                ("_sort", "-created_at"),
                ("_size", "50"),
                ("_offset", "0"),
            ],
        ),
        (
            "GET",
            "/api/v3.1/deployment-groups/pair",
            [("_include", "id,deployment_ids,description")],
        ),
    ]
    mark = len(transport.requests)
    with contextlib.suppress(NotFound):  # nothing left to cancel once it ended
        await groups.execution_group_action(client, started.id, "kill")
    assert transport.sent(mark) == [("POST", f"/api/v3.1/execution-groups/{started.id}", [])]
    assert transport.body(mark) == {"action": "kill"}


async def test_a_group_start_carries_its_parameters_and_force_to_every_member(
    wired: tuple[ManagerClient, RecordingTransport],
) -> None:
    """`default_parameters` reach each member execution; `force` is sent as asked."""
    client, transport = wired
    await groups.put_deployment_group(client, "dbs", ["db-main"])
    started = await groups.start_execution_group(
        client, "dbs", "backup", parameters={"tables": ["users"]}, concurrency=2, force=True
    )
    body = transport.body(len(transport.requests) - 1)
    assert body["default_parameters"] == {"tables": ["users"]}
    assert (body["concurrency"], body["force"]) == (2, True)
    member = await client.get_execution(started.execution_ids[0])
    assert member.parameters.get("tables") == ["users"]


async def test_a_deployment_group_is_read_with_its_members(client: ManagerClient) -> None:
    await groups.put_deployment_group(client, "read-me", ["analytics", "web-prod"], description="x")
    group = await groups.get_deployment_group(client, "read-me")
    assert (group.id, set(group.deployment_ids), group.description) == (
        "read-me",
        {"analytics", "web-prod"},
        "x",
    )
    with pytest.raises(NotFound):
        await groups.get_deployment_group(client, "no-such-group")


async def test_the_recent_groups_page_is_keyed_by_id_newest_first(client: ManagerClient) -> None:
    await groups.put_deployment_group(client, "one", ["web-prod"])
    first = await groups.start_execution_group(client, "one", "check_status", concurrency=0)
    second = await groups.start_execution_group(client, "one", "backup", concurrency=0)
    page = await groups.list_execution_groups(client, size=1)
    assert [g.id for g in page.items] == [second.id]
    assert page.total == 2
    rest = await groups.list_execution_groups(client, size=1, offset=1)
    assert [g.id for g in rest.items] == [first.id]


@pytest.mark.parametrize(
    ("call", "status", "what"),
    [
        (lambda c: groups.start_execution_group(c, "g", "w"), "201", "POST /execution-groups"),
        (lambda c: groups.get_execution_group(c, "g1"), "200", "GET /execution-groups/g1"),
        (
            lambda c: groups.execution_group_action(c, "g1", "cancel"),
            "200",
            "POST /execution-groups/g1",
        ),
    ],
    ids=["start", "get", "action"],
)
async def test_an_execution_group_without_an_id_is_a_bad_answer(
    call: Callable[[ManagerClient], Awaitable[object]], status: str, what: str
) -> None:
    """The manager's answer is a group to follow: without an id there is nothing to
    follow, and the error says which request got it. A start may be answered 201."""
    answer = http_answer(f"{status} -", json.dumps({"workflow_id": "w"}).encode())
    async with (
        LocalServer(answer) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        with pytest.raises(BadResponse) as caught:
            await call(client)
    assert caught.value.message == (
        f"the manager answered {what} with an execution group without an id"
    )


async def test_a_deployment_group_without_an_id_is_a_bad_answer() -> None:
    answer = http_answer("201 Created", json.dumps({"deployment_ids": []}).encode())
    async with (
        LocalServer(answer) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        with pytest.raises(BadResponse) as put:
            await groups.put_deployment_group(client, "g", [])
    assert put.value.message == "the manager answered PUT /deployment-groups without a group id"
