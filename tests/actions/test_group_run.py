"""A group run's actions without any UI, against a real embedded manager: what
`start_group` makes on the manager and the outcome it returns at each step, and `act`
checking the members before it sends anything."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.local_server import closed_port
from tests.manager_process import PASSWORDS, ManagerProcess
from tui.actions.group_run import (
    Acted,
    GroupAction,
    GroupStart,
    GroupStarted,
    NothingTo,
    StepFailed,
    act,
    applies,
    member_statuses,
    members_of_deployment_group,
    start_group,
)
from tui.actions.outcomes import Refused, Unchecked, Unknown
from tui.api import ManagerClient, groups

INSTALLED = ("web-prod", "web-staging", "db-main", "analytics")


@pytest.fixture
async def client(manager: ManagerProcess) -> AsyncIterator[ManagerClient]:
    async with ManagerClient(manager.url, username="admin", password=PASSWORDS["admin"]) as c:
        yield c


def plan(name: str, workflow: str, *members: str, concurrency: int = 5) -> GroupStart:
    return GroupStart(
        name=name,
        deployment_ids=members,
        workflow_id=workflow,
        parameters={},
        concurrency=concurrency,
        force=False,
    )


async def test_a_start_makes_the_named_group_then_runs_it(client: ManagerClient) -> None:
    outcome = await start_group(client, plan("two", "check_status", "db-main", "analytics"))
    assert isinstance(outcome, GroupStarted)
    assert (outcome.group.workflow_id, outcome.group.deployment_group_id) == (
        "check_status",
        "two",
    )
    assert len(outcome.group.execution_ids) == 2
    made = await groups.get_deployment_group(client, "two")
    assert set(made.deployment_ids) == {"db-main", "analytics"}
    assert made.description == "cfy-tui: check_status on 2 deployments"
    assert await members_of_deployment_group(client, "two") == 2
    assert await members_of_deployment_group(client, "no-such-group") is None


async def test_each_step_that_fails_says_which_and_how(client: ManagerClient) -> None:
    """A refused deployment group: nothing ran. A refused execution group: the
    manager's words. No answer at all: the step's outcome is unknown (it may run)."""
    unknown_member = await start_group(client, plan("bad", "backup", "no-such-deployment"))
    assert unknown_member == StepFailed(
        "deployment group",
        Refused("Requested `Deployment` with ID `no-such-deployment` was not found"),
    )
    # db-replica was never installed: uninstall is not available there.
    unavailable = await start_group(client, plan("mixed", "uninstall", "web-prod", "db-replica"))
    assert unavailable == StepFailed(
        "execution group", Refused("Workflow not available: uninstall")
    )

    with closed_port() as port:
        async with ManagerClient(
            f"http://127.0.0.1:{port}", username="admin", password="pw"
        ) as gone:
            lost = await start_group(gone, plan("lost", "backup", "db-main"))
    assert isinstance(lost, StepFailed) and lost.step == "deployment group"
    assert isinstance(lost.outcome, Unknown)


def test_what_each_action_applies_to() -> None:
    assert applies("cancel", frozenset({"started", "terminated"}))
    assert applies("kill", frozenset({"queued"}))
    assert not applies("force-cancel", frozenset({"terminated", "failed", "cancelled"}))
    assert applies("resume", frozenset({"failed", "terminated"}))
    assert applies("force-resume", frozenset({"cancelled"}))
    assert not applies("resume", frozenset({"terminated", "started"}))


async def test_act_reads_the_members_first_and_sends_only_what_applies(
    client: ManagerClient,
) -> None:
    """Concurrency 0 holds every member queued: a cancel finds nothing running and the
    manager answers 404 for the empty rest, which is the queued members cancelled;
    then nothing is left to cancel, and a resume applies to the cancelled ones."""
    started = await start_group(client, plan("held", "check_status", *INSTALLED, concurrency=0))
    assert isinstance(started, GroupStarted)
    group_id = started.group.id
    assert await member_statuses(client, group_id) == frozenset({"queued"})
    assert await act(client, group_id, "cancel") == Acted("cancel", queued_only=True)
    assert await member_statuses(client, group_id) == frozenset({"cancelled"})
    assert await act(client, group_id, "kill") == NothingTo("kill", frozenset({"cancelled"}))
    assert await act(client, group_id, "resume") == Acted("resume")

    async def resumed() -> bool:
        return "cancelled" not in await member_statuses(client, group_id)

    deadline = asyncio.get_running_loop().time() + 30
    while not await resumed():
        assert asyncio.get_running_loop().time() < deadline, "the members to run again"
        await asyncio.sleep(0.05)


async def test_act_without_the_members_sends_nothing() -> None:
    with closed_port() as port:
        async with ManagerClient(
            f"http://127.0.0.1:{port}", username="admin", password="pw"
        ) as gone:
            outcome = await act(gone, "any-group", "cancel")
    assert isinstance(outcome, Unchecked)
    assert outcome.error.startswith(f"cannot connect to http://127.0.0.1:{port}")


@pytest.mark.parametrize("action", ["force-cancel", "kill"])
async def test_every_kind_of_cancel_of_queued_members_only_is_taken(
    client: ManagerClient, action: GroupAction
) -> None:
    """The manager's 404 for a group with only queued members (it cancels them, then
    finds nothing running) is an outcome for force-cancel and kill as for cancel."""
    started = await start_group(
        client, plan(f"held-{action}", "check_status", "db-main", concurrency=0)
    )
    assert isinstance(started, GroupStarted)
    assert await act(client, started.group.id, action) == Acted(action, queued_only=True)
    assert await member_statuses(client, started.group.id) == frozenset({"cancelled"})
