"""The event tail against a real embedded manager: it opens at the newest page, reads
older pages on demand, and new events arrive at the end, each event once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from tests.live.test_poller import ops_client
from tests.manager_process import ManagerProcess
from tui.api import ManagerClient
from tui.live.tail import EventTail, ExecutionFollower, TailState


async def wait_for(probe: Callable[[], object], *, timeout: float = 15.0, what: str) -> None:
    """Until `probe()` holds, letting the tail's task run; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def _ended_execution(client: ManagerClient, deployment: str) -> str:
    page = await client.list_executions(deployment_id=deployment, size=1)
    return page.items[0].id


async def test_the_tail_opens_at_the_newest_page_and_reads_older_ones(
    manager: ManagerProcess,
) -> None:
    async with ops_client(manager) as client:
        exec_id = await _ended_execution(client, "web-prod")
        full = (await client.list_events(exec_id, size=10000)).items
        assert len(full) > 12
        tail = EventTail(client, exec_id, page=5)
        newest = await tail.open()
        assert tail.requests == 1
        assert [e.key for e in newest] == [e.key for e in full[-5:]]
        assert tail.start == len(full) - 5
        held = list(newest)
        while tail.start:
            older = await tail.fetch_older()
            assert older, "a page of older events"
            held = older + held
        assert [e.key for e in held] == [e.key for e in full]
        assert await tail.fetch_older() == []
        assert await tail.fetch_new() == []  # nothing after the end


async def test_the_follower_shows_new_events_at_the_end_once_each(
    manager: ManagerProcess,
) -> None:
    states: list[TailState] = []
    async with ops_client(manager) as client:
        started = await client.start_execution("analytics", "reindex")
        follower = ExecutionFollower(
            client, started.id, on_update=states.append, interval=0.05, page=4
        )
        task = asyncio.create_task(follower.run())
        try:
            await wait_for(lambda: follower.state.opened, what="the newest page")
            await wait_for(lambda: follower.state.finished, timeout=30, what="the end")
            # older events were skipped at the open when more than a page existed
            while follower.state.older:
                follower.load_older()
                before = len(follower.state.events)
                await wait_for(
                    lambda n=before: len(follower.state.events) > n or not follower.state.older,
                    what="an older page",
                )
            full = (await client.list_events(started.id, size=10000)).items
            keys = [e.key for e in follower.state.events]
            assert len(set(keys)) == len(keys)
            assert sorted(keys) == sorted(e.key for e in full)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
