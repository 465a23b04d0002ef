"""The event tail and the execution follower, request by request.

An execution started on `still_manager` stays `pending` for the whole module (its
engine waits 400 s before running anything) and writes no events of its own: each test
writes the events (`POST /events`, as workers do) and ends the execution (`PATCH`, as a
worker does), so every page the tail reads is known in advance. The follower's sleep is
a `Gate` the test releases, and its clock a `Clock` the test sets: each poll happens
when the test says, and every interval, delay and time published is exact.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.live.test_tail import wait_for
from tests.local_server import LocalServer, http_answer
from tests.manager_process import PASSWORDS, ManagerProcess
from tests.wire import RecordingTransport, recording_client
from tui.api.client import ManagerClient
from tui.api.errors import ApiError
from tui.api.models import Event
from tui.live.tail import EventTail, ExecutionFollower, TailState

Query = list[tuple[str, str]]
WRONG = (
    "User unauthorized: Authentication failed for <User username=`admin`>. "
    "Wrong credentials or locked account"
)


@pytest.fixture(scope="module")
def still_manager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagerProcess]:
    """A manager 1000 times slower than real life: what is started here never runs."""
    proc = ManagerProcess(data=tmp_path_factory.mktemp("still"), speed=0.001).start()
    try:
        yield proc
    finally:
        proc.stop()


class FlakyTransport(RecordingTransport):
    """The real transport, which raises `fault` instead of sending while it is set: an
    `httpx.ConnectError` is a manager that went away, anything else a bug below the
    client. Only the requests that were sent are recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.fault: Exception | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.fault is not None:
            raise self.fault
        return await super().handle_async_request(request)


class Gate:
    """The follower's sleep: each delay asked for is recorded, and the sleep ends only
    when the test releases it."""

    def __init__(self) -> None:
        self.delays: list[Any] = []
        self._asleep: list[asyncio.Event] = []

    async def __call__(self, delay: Any) -> None:
        self.delays.append(delay)
        go = asyncio.Event()
        self._asleep.append(go)
        try:
            await go.wait()
        finally:
            self._asleep.remove(go)

    def release(self) -> None:
        """End the oldest sleep still going on."""
        self._asleep[0].set()


class Clock:
    """The follower's clock: what the test last set."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Script:
    """One execution that does only what the test tells it: events `e1`, `e2`, ...
    (events and logs in turn, one second apart) and its end."""

    admin: ManagerClient
    id: str
    written: int = 0
    ended: bool = False

    async def write(self, count: int) -> None:
        events: list[dict[str, Any]] = []
        logs: list[dict[str, Any]] = []
        for number in range(self.written + 1, self.written + count + 1):
            item = {
                "message": {"text": f"e{number}"},
                "reported_timestamp": f"2030-01-01T00:{number // 60:02d}:{number % 60:02d}.000Z",
            }
            if number % 2:
                events.append({**item, "event_type": "task_succeeded"})
            else:
                logs.append({**item, "level": "info"})
        await self.admin.request(
            "POST",
            "/api/v3.1/events",
            body={"execution_id": self.id, "events": events, "logs": logs},
            expect=(201,),
        )
        self.written += count

    async def end(self) -> None:
        await self.admin.request(
            "PATCH", f"/api/v3.1/executions/{self.id}", body={"status": "terminated"}
        )
        self.ended = True

    async def delete(self) -> None:
        if not self.ended:
            await self.end()
        await self.admin.request(
            "DELETE", "/api/v3.1/executions", params=[("id", self.id)], body={}
        )


@asynccontextmanager
async def scripted(manager: ManagerProcess) -> AsyncIterator[Script]:
    """A `started` execution of its own, ended when the test leaves it running."""
    async with ManagerClient(manager.url, username="admin", password=PASSWORDS["admin"]) as admin:
        started = await admin.start_execution("analytics", "reindex")
        await admin.request(
            "PATCH", f"/api/v3.1/executions/{started.id}", body={"status": "started"}
        )
        script = Script(admin, started.id)
        try:
            yield script
        finally:
            if not script.ended:
                await script.end()


@dataclass
class Following:
    """A follower running on its own task, and what it published, slept and sent."""

    follower: ExecutionFollower
    transport: FlakyTransport
    client: ManagerClient
    gate: Gate
    clock: Clock
    states: list[TailState] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    @property
    def state(self) -> TailState:
        return self.follower.state

    def start(self) -> None:
        self.task = asyncio.create_task(self.follower.run())

    async def slept(self, count: int) -> None:
        """Until the follower has asked for its `count`th sleep."""
        await wait_for(lambda: len(self.gate.delays) >= count, what=f"sleep {count}")
        assert len(self.gate.delays) == count

    async def poll(self, count: int) -> None:
        """Let the follower poll once more, until it sleeps for the `count`th time."""
        self.gate.release()
        await self.slept(count)

    async def older(self) -> None:
        """Ask for an older page and wait until it was read (or failed)."""
        self.follower.load_older()
        assert self.state.loading_older is True
        await wait_for(lambda: not self.state.loading_older, what="the older page")

    async def ended(self) -> None:
        """Until `run()` returned."""
        assert self.task is not None
        await asyncio.wait_for(self.task, 10)


@asynccontextmanager
async def following(
    manager: ManagerProcess,
    execution_id: str,
    *,
    page: int,
    on_update: Callable[[TailState], None] | None = None,
    **options: Any,
) -> AsyncIterator[Following]:
    """A follower of `execution_id` as admin, its sleep a `Gate` and its clock at 100;
    started by the test (`start()`), cancelled at the end."""
    async with recording_client(manager.url, FlakyTransport()) as (client, transport):
        gate, clock = Gate(), Clock()
        states: list[TailState] = []
        follower = ExecutionFollower(
            client,
            execution_id,
            on_update=on_update or states.append,
            interval=0.5,
            clock=clock,
            sleep=gate,
            page=page,
            **options,
        )
        run = Following(follower, transport, client, gate, clock, states)
        try:
            yield run
        finally:
            if run.task is not None:
                run.task.cancel()
                await asyncio.gather(run.task, return_exceptions=True)


@asynccontextmanager
async def after_a_lost_manager(
    manager: ManagerProcess, **options: Any
) -> AsyncIterator[tuple[Script, Following]]:
    """A follower of a fresh started execution (pages of 2) whose first poll found no
    manager: it failed once and sleeps before its retry."""
    async with scripted(manager) as script, following(manager, script.id, page=2, **options) as run:
        run.transport.fault = httpx.ConnectError("connection refused")
        run.start()
        await run.slept(1)
        yield script, run


def texts(events: Iterable[Event]) -> list[str]:
    return [event.message for event in events]


def names(first: int, last: int) -> list[str]:
    return [f"e{n}" for n in range(first, last + 1)]


def events_query(exec_id: str, offset: int, size: int, *, newest: bool = False) -> Query:
    """What the tail asks `/events` for: the execution's events and logs, one page."""
    return [
        ("execution_id", exec_id),
        ("type", "cloudify_event"),
        ("type", "cloudify_log"),
        ("_sort", "-reported_timestamp" if newest else "reported_timestamp"),
        ("_offset", str(offset)),
        ("_size", str(size)),
    ]


def reads(exec_id: str, *pages: tuple[int, int, bool]) -> list[tuple[str, str, Query]]:
    """The requests of pages read (offset, size, newest first)."""
    return [
        ("GET", "/api/v3.1/events", events_query(exec_id, offset, size, newest=newest))
        for offset, size, newest in pages
    ]


def status_read(exec_id: str) -> tuple[str, str, Query]:
    return ("GET", f"/api/v3.1/executions/{exec_id}", [])


def plain(state: TailState) -> TailState:
    """The state without its execution and events, which are checked on their own."""
    return replace(state, execution=None, events=())


# -- EventTail ---------------------------------------------------------------------------


async def test_a_tail_opened_before_any_event_reads_every_event_as_new(
    still_manager: ManagerProcess,
) -> None:
    """Nothing older is asked for before the tail is open or when nothing is older; new
    events are read from the end of the newest page, a page at a time until a short one,
    and an event already held is never returned twice."""
    async with (
        scripted(still_manager) as script,
        recording_client(still_manager.url) as (client, transport),
    ):
        tail = EventTail(client, script.id, page=3)
        assert (tail.opened, tail.offset, tail.start, tail.total) == (False, None, 0, 0)
        assert await tail.fetch_older() == []
        assert (tail.requests, transport.requests) == (0, [])

        assert await tail.fetch_new() == []  # opens the tail
        assert (tail.opened, tail.offset, tail.start, tail.total) == (True, 0, 0, 0)
        assert await tail.fetch_older() == []
        assert tail.requests == 1
        assert transport.sent() == reads(script.id, (0, 3, True))

        await script.write(7)
        assert texts(await tail.fetch_new()) == names(1, 7)
        assert (tail.offset, tail.start, tail.total, tail.requests) == (7, 0, 7, 4)
        assert transport.sent(1) == reads(script.id, (0, 3, False), (3, 3, False), (6, 3, False))

        await script.write(3)  # a full page: the next, empty, one says it was the last
        assert texts(await tail.fetch_new()) == names(8, 10)
        assert transport.sent(4) == reads(script.id, (7, 3, False), (10, 3, False))
        assert (tail.offset, tail.total, tail.requests) == (10, 10, 6)

        # Read again, the newest page holds nothing new.
        assert await tail.open() == []
        assert (tail.requests, tail.offset, tail.start) == (7, 10, 7)
        assert await tail.fetch_new() == []
        assert tail.requests == 8


async def test_older_pages_are_read_newest_first_before_the_oldest_event_held(
    still_manager: ManagerProcess,
) -> None:
    """The tail opens at the newest page; each older page is asked for at the
    newest-first offset of the oldest event held, its size never more than what is
    left, and once more with the newer total when new events shifted it onto events
    already held."""
    async with scripted(still_manager) as script:
        await script.write(10)
        async with recording_client(still_manager.url) as (client, transport):
            tail = EventTail(client, script.id, page=3)
            assert texts(await tail.open()) == names(8, 10)
            assert (tail.offset, tail.start, tail.total, tail.requests) == (10, 7, 10, 1)

            await script.write(3)  # not read yet: the tail's total is behind
            assert texts(await tail.fetch_older()) == names(5, 7)
            assert (tail.start, tail.total, tail.requests) == (4, 13, 3)
            assert transport.sent(1) == reads(script.id, (3, 3, True), (6, 3, True))

            assert texts(await tail.fetch_new()) == names(11, 13)
            assert texts(await tail.fetch_older()) == names(2, 4)
            assert (tail.start, tail.requests) == (1, 6)
            assert texts(await tail.fetch_older()) == ["e1"]
            assert (tail.start, tail.requests) == (0, 7)
            assert transport.sent(5) == reads(script.id, (9, 3, True), (12, 1, True))
            assert await tail.fetch_older() == []
            assert tail.requests == 7 and len(transport.requests) == 7


def page_answer(storage_ids: list[int], total: int) -> bytes:
    items = [{"_storage_id": n, "type": "cloudify_event", "message": f"s{n}"} for n in storage_ids]
    body = {"items": items, "metadata": {"pagination": {"total": total, "offset": 0, "size": 3}}}
    return http_answer("200 OK", json.dumps(body).encode())


def query_of(raw: bytes) -> Query:
    target = raw.split(b" ", 2)[1].decode()
    return parse_qsl(urlsplit(target).query)


async def test_older_pages_from_a_manager_whose_total_is_not_what_it_lists() -> None:
    """A manager counts and pages with separate queries: rows may be listed beyond the
    total it gave (the tail then reads older pages from the end of what it read), or the
    total may count rows it no longer lists (nothing older is left)."""
    async with (
        LocalServer(page_answer([1, 2], total=5)) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        tail = EventTail(client, "ex", page=3)
        assert texts(await tail.open()) == ["s2", "s1"]
        assert await tail.fetch_new() == []
        assert (tail.offset, tail.total, tail.start) == (7, 5, 3)
        assert await tail.fetch_older() == []
        assert (tail.start, tail.requests) == (0, 3)
        assert query_of(server.requests[2])[-3:] == [
            ("_sort", "-reported_timestamp"),
            ("_offset", "4"),
            ("_size", "3"),
        ]

        server.answer = page_answer([], total=5)
        tail = EventTail(client, "ex", page=3)
        assert await tail.open() == []
        assert (tail.offset, tail.start) == (5, 5)
        assert await tail.fetch_older() == []
        assert (tail.start, tail.requests) == (0, 2)
        assert query_of(server.requests[4])[-2:] == [("_offset", "0"), ("_size", "3")]
        assert await tail.fetch_older() == []
        assert len(server.requests) == 5


# -- ExecutionFollower -------------------------------------------------------------------


async def test_the_follower_polls_until_the_execution_ended_and_its_last_events_are_read(
    still_manager: ManagerProcess,
) -> None:
    """Each poll reads the status and then the new events; the poll that sees the end
    reads once more (events written just before it) and the follower stops polling."""
    async with (
        scripted(still_manager) as script,
        following(still_manager, script.id, page=2) as run,
    ):
        await script.write(5)
        run.follower.load_older()  # not open yet: nothing to ask for
        assert run.states == []
        run.start()
        await run.slept(1)
        assert run.gate.delays == [0.5]
        [first] = run.states
        assert first.execution is not None
        assert (first.execution.id, first.execution.status) == (script.id, "started")
        assert texts(first.events) == names(4, 5)
        assert plain(first) == TailState(updated_at=100.0, requests=1, opened=True, older=3)
        assert run.transport.sent() == [status_read(script.id), *reads(script.id, (0, 2, True))]

        await script.write(3)
        run.clock.now = 101.0
        await run.poll(2)
        assert texts(run.states[1].events) == names(4, 8)
        assert plain(run.states[1]) == TailState(updated_at=101.0, requests=3, opened=True, older=3)
        assert run.transport.sent(2) == [
            status_read(script.id),
            *reads(script.id, (5, 2, False), (7, 2, False)),
        ]

        await script.write(1)
        await script.end()
        run.clock.now = 102.0
        run.gate.release()
        await wait_for(lambda: run.state.finished, what="the end")
        assert len(run.states) == 3
        last = run.states[2]
        assert last.execution is not None and last.execution.status == "terminated"
        assert texts(last.events) == names(4, 9)
        assert plain(last) == TailState(
            finished=True, updated_at=102.0, requests=5, opened=True, older=3
        )
        assert run.transport.sent(5) == [
            status_read(script.id),
            *reads(script.id, (8, 2, False), (9, 2, False)),
        ]
        await script.admin.get_execution(script.id)  # time for the follower to settle
        assert run.gate.delays == [0.5, 0.5] and len(run.states) == 3  # no more polls


async def test_an_ended_execution_is_read_once_and_older_pages_on_demand(
    still_manager: ManagerProcess,
) -> None:
    """The tail of an ended execution opens without a final read; then only
    `load_older` wakes the follower: it says a page is coming, once however often it is
    asked, puts the page in front, and does nothing when everything is held."""
    async with scripted(still_manager) as script:
        await script.write(7)
        await script.end()
        async with following(still_manager, script.id, page=3) as run:
            run.start()
            await wait_for(lambda: run.state.finished, what="the first read")
            await script.admin.get_execution(script.id)  # time for the follower to settle
            assert run.gate.delays == []
            [first] = run.states
            assert texts(first.events) == names(5, 7)
            assert plain(first) == TailState(
                finished=True, updated_at=100.0, requests=1, opened=True, older=4
            )
            assert run.transport.sent() == [status_read(script.id), *reads(script.id, (0, 3, True))]

            run.clock.now = 200.0
            run.follower.load_older()
            run.follower.load_older()  # already on its way
            assert len(run.states) == 2
            assert run.states[1] == replace(first, loading_older=True)
            await wait_for(lambda: not run.state.loading_older, what="the older page")
            assert len(run.states) == 3
            assert texts(run.state.events) == names(2, 7)
            assert plain(run.state) == TailState(
                finished=True, updated_at=200.0, requests=2, opened=True, older=1
            )

            await run.older()  # the last one event
            assert texts(run.state.events) == names(1, 7)
            assert (run.state.older, run.state.requests, len(run.states)) == (0, 3, 5)
            assert run.transport.sent(2) == reads(script.id, (3, 3, True), (6, 1, True))

            run.follower.load_older()  # everything is held
            assert len(run.states) == 5 and not run.state.loading_older
            assert run.gate.delays == []


async def test_a_manager_that_went_away_is_asked_again_later_and_later(
    still_manager: ManagerProcess,
) -> None:
    """Failures are retried after 1, 2, 4 s... up to `max_backoff` (5 s by default),
    named with when the next try is; the first success clears the error and the
    backoff, and polling goes on at the interval."""
    async with after_a_lost_manager(still_manager) as (script, run):
        refused = f"cannot connect to {still_manager.url}: connection refused"
        assert run.states == [TailState(error=refused, retry_at=101.0)]
        for count in range(2, 6):
            await run.poll(count)
        assert run.gate.delays == [1.0, 2.0, 4.0, 5.0, 5.0]
        assert [s.retry_at for s in run.states] == [101.0, 102.0, 104.0, 105.0, 105.0]
        assert {s.error for s in run.states} == {refused}

        run.transport.fault = None
        run.clock.now = 110.0
        await run.poll(6)
        assert run.gate.delays[-1] == 0.5
        assert plain(run.state) == TailState(updated_at=110.0, requests=1, opened=True)
        assert run.state.execution is not None and run.state.execution.id == script.id

        run.transport.fault = httpx.ConnectError("connection refused")
        await run.poll(7)
        assert run.gate.delays[-1] == 1.0  # the success forgot the earlier failures
        assert (run.state.error, run.state.retry_at, run.state.updated_at) == (
            refused,
            111.0,
            110.0,
        )


async def test_a_bug_below_the_follower_is_shown_logged_and_retried(
    still_manager: ManagerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    """An exception that is not the client's is named by its type, logged with its
    traceback, and retried with the same backoff as a failed request."""
    async with after_a_lost_manager(still_manager, max_backoff=1.5) as (_script, run):
        run.transport.fault = RuntimeError("wire cut")
        with caplog.at_level(logging.ERROR, logger="tui.live.tail"):
            await run.poll(2)
        assert run.gate.delays == [1.0, 1.5]
        assert plain(run.states[1]) == TailState(error="RuntimeError: wire cut", retry_at=101.5)
        [record] = caplog.records
        assert record.getMessage() == "execution tail failed"
        assert record.exc_info is not None and record.exc_info[1] is run.transport.fault


async def test_an_older_page_that_failed_can_be_asked_for_again(
    still_manager: ManagerProcess,
) -> None:
    """A failed older page of an ended execution is not retried on its own (nothing
    polls any more): the error is shown, with no retry time (the screen said
    "retrying" though none came), until the user asks again; the page read then
    clears it."""
    async with scripted(still_manager) as script:
        await script.write(7)
        await script.end()
        async with following(still_manager, script.id, page=3) as run:
            run.start()
            await wait_for(lambda: run.state.finished, what="the first read")
            held = run.state.events

            run.transport.fault = httpx.ConnectError("connection refused")
            await run.older()
            refused = f"cannot connect to {still_manager.url}: connection refused"
            await wait_for(lambda: run.state.retry_at is None, what="no retry time")
            assert run.state == replace(run.states[0], error=refused)

            run.transport.fault = RuntimeError("wire cut")
            await run.older()
            assert run.state.error == "RuntimeError: wire cut"
            assert run.state.events == held and run.state.older == 4

            run.transport.fault = None
            run.clock.now = 150.0
            await run.older()
            assert texts(run.state.events) == names(2, 7)
            assert plain(run.state) == TailState(
                finished=True, updated_at=150.0, requests=2, opened=True, older=1
            )
            assert run.gate.delays == []


async def test_refused_credentials_end_the_follower(still_manager: ManagerProcess) -> None:
    """Refused credentials are not retried: the manager's words are shown without a
    retry time (even after a failure that had one) and `run()` returns, also when the
    refusal answers an older page."""
    async with after_a_lost_manager(still_manager) as (script, run):
        assert run.state.retry_at == 101.0
        run.transport.fault = None
        run.client.set_credentials(password="wrong")
        run.gate.release()
        await run.ended()
        assert run.states[-1] == TailState(error=WRONG)
        assert run.gate.delays == [1.0]

    async with scripted(still_manager) as script:
        await script.write(4)
        await script.end()
        async with following(still_manager, script.id, page=3) as run:
            run.start()
            await wait_for(lambda: run.state.finished, what="the first read")
            run.client.set_credentials(password="wrong")
            await run.older()
            await run.ended()
            assert run.state == replace(run.states[0], error=WRONG)
            run.follower.load_older()  # nothing follows any more: no "loading" for ever
            assert run.state == replace(run.states[0], error=WRONG)


async def test_a_refusal_without_a_message_is_named() -> None:
    """A manager may refuse with an empty message: the user still reads why."""
    body = json.dumps({"message": "", "error_code": "forbidden_error"}).encode()
    async with (
        LocalServer(http_answer("403 FORBIDDEN", body)) as server,
        ManagerClient(server.url, username="admin", password="pw") as client,
    ):
        states: list[TailState] = []
        gate = Gate()
        follower = ExecutionFollower(
            client, "ex", on_update=states.append, interval=0.5, sleep=gate
        )
        await asyncio.wait_for(follower.run(), 10)
        assert states == [TailState(error="refused by the manager")]
        assert gate.delays == []


async def test_a_deleted_execution_is_gone(still_manager: ManagerProcess) -> None:
    """When the execution no longer exists the follower says so, with no error left
    from an earlier failure, and `run()` returns."""
    async with after_a_lost_manager(still_manager) as (script, run):
        run.transport.fault = None
        await script.delete()
        run.gate.release()
        await run.ended()
        assert len(run.states) == 2
        assert (run.state.gone, run.state.error, run.state.loading_older) == (True, "", False)
        assert run.state.retry_at is None  # the earlier failure's time is no promise now
        assert run.gate.delays == [1.0]


async def test_a_listener_that_raises_does_not_stop_the_follower(
    still_manager: ManagerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    """The screen's callback failing is logged; the follower still reads to the end."""
    seen: list[TailState] = []

    def broken(state: TailState) -> None:
        seen.append(state)
        raise ValueError("listener broke")

    async with scripted(still_manager) as script:
        await script.write(2)
        await script.end()
        with caplog.at_level(logging.ERROR, logger="tui.live.tail"):
            async with following(still_manager, script.id, page=3, on_update=broken) as run:
                run.start()
                await wait_for(lambda: run.state.finished, what="the first read")
        assert seen == [run.state]
        assert texts(run.state.events) == names(1, 2)
        [record] = caplog.records
        assert record.getMessage() == "tail update callback failed"
        assert record.exc_info is not None and str(record.exc_info[1]) == "listener broke"


class PageFault(RecordingTransport):
    """The real transport, except that request number `fail_at` (counted from the
    first request this transport saw) goes nowhere: a manager lost between two pages."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_at: int | None = None
        self._seen = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._seen += 1
        if self.fail_at is not None and self._seen == self.fail_at:
            raise httpx.ConnectError("lost between two pages", request=request)
        return await super().handle_async_request(request)


async def test_new_events_read_before_a_page_failed_are_read_again_not_lost(
    still_manager: ManagerProcess,
) -> None:
    """`fetch_new` reads page after page; when one fails, the pages read before it must
    not count as read: the next try reads them again and shows them (they were once
    dropped as already seen, and never shown)."""
    async with (
        scripted(still_manager) as script,
        recording_client(still_manager.url, PageFault()) as (client, transport),
    ):
        tail = EventTail(client, script.id, page=2)
        assert await tail.open() == []
        await script.write(5)
        transport.fail_at = transport._seen + 2  # the second page of new events
        with pytest.raises(ApiError):
            await tail.fetch_new()
        assert tail.offset == 0
        transport.fail_at = None
        assert texts(await tail.fetch_new()) == names(1, 5)
        assert tail.offset == 5
