"""The action layer when an answer is lost or refused: what `start` finds after a lost
answer, and the manager's own words in every refusal. A fault-injecting proxy sits
between the client and a real embedded manager (tests/hardening/proxy.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.hardening.conftest import LoggedManager, wire_manager
from tests.hardening.proxy import FaultProxy
from tests.manager_process import PASSWORDS
from tests.ui.helpers import http, start_via_http
from tui.actions import cancel as cancelling
from tui.actions import resume as resuming
from tui.actions import start as starting
from tui.actions.start import StartRequest
from tui.api import ManagerClient, Timeouts

EXECUTIONS = "/api/v3.1/executions"


@pytest.fixture(scope="module")
def manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoggedManager]:
    with wire_manager(tmp_path_factory.mktemp("lost") / "manager") as proc:
        yield proc


@pytest.fixture
def proxy(manager: LoggedManager) -> Iterator[FaultProxy]:
    proxied = FaultProxy(manager.url).start()
    try:
        yield proxied
    finally:
        proxied.stop()


def client_for(url: str, user: str = "admin") -> ManagerClient:
    return ManagerClient(
        url,
        username=user,
        password=PASSWORDS[user],
        timeouts=Timeouts(connect=2, read=5, write=2, pool=2),
    )


@pytest.fixture
async def through(proxy: FaultProxy) -> AsyncIterator[ManagerClient]:
    async with client_for(proxy.url) as client:
        yield client


def ids_of(manager: LoggedManager, dep: str, workflow: str) -> set[str]:
    """The executions of `workflow` on `dep`, as the manager itself lists them."""
    with http(manager) as client:
        items = client.get(
            "/executions", params={"deployment_id": dep, "workflow_id": workflow, "_size": 1000}
        ).json()["items"]
    return {e["id"] for e in items}


async def cancelled(client: ManagerClient, exec_id: str) -> None:
    for _ in range(600):
        if (await client.get_execution(exec_id)).status == "cancelled":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{exec_id} was not cancelled")


def meanwhile(client: ManagerClient, manager: LoggedManager, *starts: tuple[str, str]) -> None:
    """Somebody else force-starts `starts` (deployment, workflow) right after each of
    `client`'s start requests, whatever became of it."""
    original = client.start_execution

    async def start_then_others(*args: Any, **kw: Any) -> Any:
        try:
            return await original(*args, **kw)
        finally:
            for dep, workflow in starts:
                start_via_http(manager, dep, workflow, force=True)

    client.start_execution = start_then_others  # type: ignore[method-assign]


FORCED = StartRequest("web-staging", "check_status", {}, force=True)


async def test_a_start_lost_on_its_way_did_not_start(
    manager: LoggedManager, proxy: FaultProxy, through: ManagerClient
) -> None:
    before = ids_of(manager, "web-staging", "check_status")
    proxy.fault = "drop_before"
    outcome = await starting.start(through, FORCED)
    assert isinstance(outcome, starting.Unknown)
    assert outcome.checked is True and outcome.found is None and outcome.others == 0
    assert outcome.error  # what the transport said, for the toast
    assert ids_of(manager, "web-staging", "check_status") == before


async def test_a_start_whose_answer_was_lost_is_found(
    manager: LoggedManager, proxy: FaultProxy, through: ManagerClient
) -> None:
    before = ids_of(manager, "web-staging", "check_status")
    proxy.fault = "drop_after"
    outcome = await starting.start(through, FORCED)
    new = ids_of(manager, "web-staging", "check_status") - before
    assert len(new) == 1
    assert isinstance(outcome, starting.Unknown) and outcome.checked is True
    assert outcome.found is not None and outcome.found.id == next(iter(new))
    assert outcome.found.workflow_id == "check_status" and outcome.found.status
    assert outcome.others == 0 and outcome.error


async def test_claimed_executions_are_left_out_and_others_counted(
    manager: LoggedManager, proxy: FaultProxy, through: ManagerClient
) -> None:
    """An execution the app already accounts for is never the outcome; one somebody
    else started meanwhile is counted in `others` (the toast says so)."""
    mine = start_via_http(manager, "web-staging", "check_status", force=True)["id"]
    before = ids_of(manager, "web-staging", "check_status")
    meanwhile(through, manager, ("web-staging", "check_status"))
    proxy.fault = "drop_after"
    outcome = await starting.start(through, FORCED, claimed={mine})
    new = ids_of(manager, "web-staging", "check_status") - before
    assert len(new) == 2
    assert isinstance(outcome, starting.Unknown) and outcome.checked is True
    assert outcome.found is not None and outcome.found.id in new
    assert outcome.others == 1


async def test_other_deployments_and_workflows_are_not_the_lost_start(
    manager: LoggedManager, proxy: FaultProxy, through: ManagerClient
) -> None:
    """Only an execution of the same workflow on the same deployment can be the
    outcome: others that start meanwhile are neither found nor counted."""
    meanwhile(through, manager, ("web-prod", "check_status"), ("web-staging", "check_drift"))
    proxy.fault = "drop_before"
    outcome = await starting.start(through, FORCED)
    assert outcome == starting.Unknown(outcome.error, checked=True, found=None, others=0)


async def test_a_conflict_names_the_manager_message(manager: LoggedManager) -> None:
    running = start_via_http(manager, "analytics", "check_status")
    async with client_for(manager.url) as client:
        outcome = await starting.start(client, StartRequest("analytics", "check_status", {}))
        assert isinstance(outcome, starting.Conflict)
        assert running["id"] in outcome.blocking_ids
        assert running["id"] in outcome.message and "force=true" in outcome.message
        await cancelling.cancel(client, running["id"], "kill")


async def test_refusals_carry_the_managers_words(manager: LoggedManager) -> None:
    """A viewer may read but not act: each refusal keeps the manager's message."""
    running = start_via_http(manager, "web-prod", "rolling_restart", force=True)
    async with client_for(manager.url, "viewer") as viewer:
        refused = await cancelling.cancel(viewer, running["id"], "cancel")
        assert isinstance(refused, cancelling.Refused) and refused.message
        async with client_for(manager.url) as admin:
            await cancelling.cancel(admin, running["id"], "kill")
            await cancelled(admin, running["id"])
        refused_resume = await resuming.resume(viewer, running["id"], force=False)
        assert isinstance(refused_resume, resuming.Refused) and refused_resume.message


async def test_an_unreadable_execution_sends_nothing_and_says_why() -> None:
    async with client_for("http://127.0.0.1:9") as dead:
        unchecked = await cancelling.cancel(dead, "some-id", "cancel")
        assert isinstance(unchecked, cancelling.Unchecked) and unchecked.error
        unchecked_resume = await resuming.resume(dead, "some-id", force=True)
        assert isinstance(unchecked_resume, resuming.Unchecked) and unchecked_resume.error


async def test_a_lost_cancel_or_resume_answer_is_unknown(
    manager: LoggedManager, proxy: FaultProxy, through: ManagerClient
) -> None:
    running = start_via_http(manager, "web-prod", "rolling_restart", force=True)
    proxy.method, proxy.prefix, proxy.exact = "POST", f"{EXECUTIONS}/{running['id']}", True
    proxy.fault = "drop_after"
    lost = await cancelling.cancel(through, running["id"], "kill")
    assert isinstance(lost, cancelling.Unknown) and lost.error
    proxy.fault = None
    await cancelled(through, running["id"])
    proxy.fault = "drop_after"
    lost_resume = await resuming.resume(through, running["id"], force=True)
    assert isinstance(lost_resume, resuming.Unknown) and lost_resume.error
    proxy.fault = None
    await cancelling.cancel(through, running["id"], "kill")
