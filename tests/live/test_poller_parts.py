"""The poller's parts, tick by tick, against the embedded manager.

Each test here drives `Poller.run()` with a sleep that ends only when the test says
(`Driven.tick`), so a test knows exactly which tick sent which request and which
snapshot it published. A UI call (`select`, `watch`, ...) still wakes the loop at once,
as in the app. What the manager is asked is read from the wire (tests/wire.py) and a
refused request is a real HTTP answer (tests/api/old_manager.py), never a stand-in for
our own code.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.api.old_manager import OldManager
from tests.conftest import admin_client
from tests.manager_process import DEMO_DEPLOYMENTS, PASSWORDS, ManagerProcess
from tests.wire import RecordingTransport
from tui.api import ManagerClient
from tui.api.client import EXECUTION_FIELDS
from tui.live import ConnectionState, Poller, Snapshot

FAST, SLOW = 0.05, 0.2
QUIET = 3 * SLOW  # poller.QUIET_FACTOR slow intervals: the delay of a quiet poller
EXECUTIONS = "/api/v3.1/executions"
DEPLOYMENTS = "/api/v3.1/deployments"


async def until(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Wait for `condition()` to hold; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


class Driven:
    """A running poller whose sleeps end only on `tick`, every delay it asked to sleep,
    and every snapshot it published. The clock is the test's (`now`)."""

    def __init__(self, client: ManagerClient, **options: Any) -> None:
        self.now = 0.0
        self.delays: list[float] = []
        self.snapshots: list[Snapshot] = []
        self._gate: asyncio.Future[None] | None = None
        settings: dict[str, Any] = {
            "fast_interval": FAST,
            "slow_interval": SLOW,
            "deployments_interval": 1e9,  # the list is read when asked for, not on time
            "clock": lambda: self.now,
            "sleep": self._sleep,
        }
        settings.update(options)
        self.poller = Poller(client, on_snapshot=self.snapshots.append, **settings)
        self.task: asyncio.Task[None] | None = None

    async def _sleep(self, delay: float) -> None:
        self.delays.append(delay)
        self._gate = asyncio.get_running_loop().create_future()
        await self._gate

    @property
    def snap(self) -> Snapshot:
        return self.poller.snapshot

    def sleeping(self, after: int = 0) -> bool:
        """The loop sleeps, having asked for more than `after` sleeps in all."""
        gate = self._gate
        return len(self.delays) > after and gate is not None and not gate.done()

    async def asleep(self, after: int) -> Snapshot:
        """Wait until a tick after sleep number `after` is done and the loop sleeps;
        fail at once if the loop ended (a tick that raised)."""

        def ready() -> bool:
            if self.task is not None and self.task.done():
                raise AssertionError(f"the poller stopped: {self.task!r}")
            return self.sleeping(after)

        await until(ready, f"sleep {after + 1}")
        return self.snap

    async def tick(self) -> Snapshot:
        """End the current sleep; return the snapshot once the next tick is done."""
        count = len(self.delays)
        await self.asleep(count - 1)
        assert self._gate is not None
        self._gate.set_result(None)
        return await self.asleep(count)


@asynccontextmanager
async def driven(client: ManagerClient, **options: Any) -> AsyncIterator[Driven]:
    """`Driven` with its loop running (its first tick not necessarily done)."""
    d = Driven(client, **options)
    d.task = asyncio.create_task(d.poller.run())
    try:
        yield d
    finally:
        d.task.cancel()
        await asyncio.gather(d.task, return_exceptions=True)


def ids(items: Any) -> list[str]:
    return [item.id for item in items]


def sent_to(transport: RecordingTransport, path: str, mark: int = 0) -> list[list[tuple[str, str]]]:
    """The query of each request sent to `path` from request `mark` on."""
    return [query for _m, p, query in transport.sent(mark) if p == path]


def offsets(transport: RecordingTransport, mark: int) -> list[str]:
    """The `_offset` of each deployments list request from `mark` on."""
    return [dict(q)["_offset"] for q in sent_to(transport, DEPLOYMENTS, mark)]


# -- a part the manager refuses -------------------------------------------------------------


def _running(request: httpx.Request) -> bool:
    return request.url.path == EXECUTIONS and "started" in request.url.params.get_list("status")


def _waiting(request: httpx.Request) -> bool:
    return request.url.path == EXECUTIONS and "queued" in request.url.params.get_list("status")


def _page(request: httpx.Request) -> bool:
    return request.url.path == DEPLOYMENTS


@pytest.mark.parametrize(
    ("refused", "part"),
    [
        (_running, "running executions"),
        (_page, "deployments"),
        (_waiting, "waiting executions"),
    ],
    ids=["running", "deployments-page", "waiting"],
)
async def test_a_refused_part_is_named_and_the_others_keep_their_data(
    module_manager: ManagerProcess, refused: Callable[[httpx.Request], bool], part: str
) -> None:
    """A manager that answers 500 to one request of a tick: the screen says which part
    failed and why ("running executions: injected failure"), still connected, and shows
    what the other requests of the same tick brought."""
    old = OldManager({}, version="7.0.4", refuse=lambda r: 500 if refused(r) else None)
    async with (
        ManagerClient(
            module_manager.url, username="admin", password=PASSWORDS["admin"], transport=old
        ) as client,
        driven(client) as d,
    ):
        snap = await d.asleep(0)
    assert snap.connection == ConnectionState(connected=True, error=f"{part}: injected failure")
    assert len(old.refused) == 1
    if part != "deployments":
        assert ids(snap.deployments) == DEMO_DEPLOYMENTS
    if part != "waiting executions":
        assert snap.waiting_total == 0


# -- the waiting count ------------------------------------------------------------------------


async def test_the_waiting_count_asks_for_no_rows(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    """Counting waiting executions must cost the manager a count, not a page: no rows
    (`_size=0`), no sort, only ids; the count is `pagination.total`."""
    client, transport = recorded
    async with driven(client) as d:
        snap = await d.asleep(0)
    assert snap.waiting_total == 0
    assert sent_to(transport, EXECUTIONS)[-1] == [
        ("_include_system_workflows", "false"),
        ("status", "queued"),
        ("status", "scheduled"),
        ("_size", "0"),
        ("_offset", "0"),
        ("_include", "id"),
    ]


# -- paging -----------------------------------------------------------------------------------


async def test_a_negative_offset_shows_the_first_page(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    """A page turn back past the start (offset -3) shows the first page, asked from
    offset 0, not an error nor a page the manager refuses."""
    client, transport = recorded
    async with driven(client, deployments_page=2) as d:
        await d.asleep(0)
        count = len(d.delays)
        d.poller.show_deployments_from(2)
        snap = await d.asleep(count)
        assert (snap.deployments_offset, ids(snap.deployments)) == (2, DEMO_DEPLOYMENTS[2:4])
        mark, count = len(transport.requests), len(d.delays)
        d.poller.show_deployments_from(-3)
        snap = await d.asleep(count)
    assert (snap.deployments_offset, ids(snap.deployments)) == (0, DEMO_DEPLOYMENTS[:2])
    assert offsets(transport, mark) == ["0"]


@pytest.fixture
def made(module_manager: ManagerProcess, request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Six deployments of this test's own (a prefix no other test uses), deleted after."""
    prefix = f"pastend-{request.node.callspec.id}-"
    names = [f"{prefix}{n}" for n in range(6)]
    with admin_client(module_manager) as http:
        for name in names:
            answer = http.put(f"/deployments/{name}", json={"blueprint_id": "webapp"})
            assert answer.status_code == 201, answer.text
    try:
        yield names
    finally:
        with admin_client(module_manager) as http:
            for name in names:
                http.delete(f"/deployments/{name}")


@pytest.mark.parametrize(
    ("page", "deleted", "offset"),
    [(2, 2, 2), (4, 3, 0)],
    ids=["a-full-last-page", "fewer-than-a-page-left"],
)
async def test_a_page_past_the_end_after_deletions_shows_the_last_page(
    recorded: tuple[ManagerClient, RecordingTransport],
    module_manager: ManagerProcess,
    made: list[str],
    page: int,
    deleted: int,
    offset: int,
) -> None:
    """The list showed rows 4.. when deployments were deleted: the next read finds
    nothing there and shows the last page instead (from total - page, never below 0),
    asked for with that offset, and the list says where it starts."""
    client, transport = recorded
    search = made[0][:-1]
    async with driven(client, deployments_page=page) as d:
        await d.asleep(0)
        count = len(d.delays)
        d.poller.set_search(search)
        await d.asleep(count)
        count = len(d.delays)
        d.poller.show_deployments_from(4)
        snap = await d.asleep(count)
        assert (snap.search, snap.deployments_offset, ids(snap.deployments)) == (
            search,
            4,
            made[4 : 4 + page],
        )
        with admin_client(module_manager) as http:
            for name in made[:deleted]:
                assert http.delete(f"/deployments/{name}").status_code == 204
        left = made[deleted:]
        mark, count = len(transport.requests), len(d.delays)
        d.poller.refresh_now()
        snap = await d.asleep(count)
    assert offsets(transport, mark) == ["4", str(offset)]
    assert snap.deployments_total == len(left)
    assert (snap.deployments_offset, ids(snap.deployments)) == (offset, left[offset:])


async def test_the_kept_deployment_is_found_within_the_new_filter(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    """A filter set with the cursor on web-prod shows the page that holds it in the
    filtered list (the 2nd of web-canary, web-prod, web-staging), found by asking the
    filtered list, not the whole one (where it is 5th)."""
    client, transport = recorded
    async with driven(client, deployments_page=1) as d:
        await d.asleep(0)
        mark, count = len(transport.requests), len(d.delays)
        d.poller.set_search("web", keep="web-prod")
        snap = await d.asleep(count)
    assert (snap.search, snap.deployments_offset, ids(snap.deployments)) == ("web", 1, ["web-prod"])
    assert snap.deployments_total == 3
    asked = sent_to(transport, DEPLOYMENTS, mark)
    assert [dict(q)["_search"] for q in asked] == ["web"] * len(asked)
    assert [dict(q)["_offset"] for q in asked] == ["0", "0", "1"]  # is it there, where, page


# -- watched executions -----------------------------------------------------------------------


async def test_watched_executions_are_read_and_follow_the_watch_order(
    recorded: tuple[ManagerClient, RecordingTransport],
) -> None:
    """Executions watched by id, of no selected deployment and not running, are read by
    id and published in the order they were watched; a new watch list is published at
    once (no request) with the states already known, in its order, unknown ids left out
    until read."""
    client, transport = recorded
    older, newer = sorted(
        (await client.list_executions(deployment_id="db-main", size=2, sort=("created_at",))).items,
        key=lambda e: e.created_at or "",
    )
    assert older.is_ended and newer.is_ended
    async with driven(client) as d:
        await d.asleep(0)
        mark, count = len(transport.requests), len(d.delays)
        d.poller.watch([newer.id, older.id])
        snap = await d.asleep(count)
        assert snap.watched == (newer, older)
        by_id = [q for q in sent_to(transport, EXECUTIONS, mark) if ("id", newer.id) in q]
        assert by_id == [
            [
                ("_include_system_workflows", "false"),
                ("id", newer.id),
                ("id", older.id),
                ("_size", "2"),
                ("_offset", "0"),
                ("_include", ",".join(EXECUTION_FIELDS)),
            ]
        ]

        generation, requests = snap.generation, len(transport.requests)
        d.poller.watch([older.id, "no-such-execution", newer.id])
        assert d.snap.generation == generation + 1
        assert d.snap.watched == (older, newer)
        assert len(transport.requests) == requests


# -- the detail, deferred ---------------------------------------------------------------------


async def test_a_detail_deferred_for_want_of_budget_comes_on_the_next_fast_tick(
    module_manager: ManagerProcess,
) -> None:
    """The first tick with a selection spends its three requests on the running
    executions, the selection's executions and the list: the detail waits, and the next
    tick comes at the fast interval to read it (not the slow one, a pane left empty)."""
    async with (
        ManagerClient(module_manager.url, username="admin", password=PASSWORDS["admin"]) as client,
        driven(client) as d,
    ):
        await d.asleep(0)
        # the list is due in the same tick (a new order) as the new selection's reads
        d.poller.set_sort(("-id",))
        d.poller.select("web-prod")
        snap = await d.asleep(1)
        assert snap.selected == "web-prod" and snap.executions and snap.detail is None
        # Just opened: quiet; then the new order (a key) and the deferred detail.
        assert d.delays == [QUIET, FAST]
        snap = await d.tick()
    assert snap.detail is not None and snap.detail.id == "web-prod"
    assert d.delays == [QUIET, FAST, SLOW]


# -- a refused tenant -------------------------------------------------------------------------


async def test_a_refused_tenant_says_why_and_stops(module_manager: ManagerProcess) -> None:
    """A tenant the user is not a member of: polling stops (nothing to retry on a
    timer) and the screen says the manager's own reason, not an empty line."""
    async with (
        ManagerClient(
            module_manager.url,
            username="admin",
            password=PASSWORDS["admin"],
            tenant="no-such-tenant",
        ) as client,
        driven(client) as d,
    ):
        await until(lambda: d.poller.refused and not d.poller.ticking, "the refusal")
        snap = d.snap
    assert snap.connection == ConnectionState(
        connected=False,
        error="Authorization failed: Tried to authenticate with invalid tenant name: "
        "no-such-tenant",
        failures=1,
        refused="tenant",
    )
    assert d.delays == []  # no timed retry: only new credentials or a tenant wake it


# -- what tells the detail changed, and that the data did --------------------------------------


@pytest.fixture
def relabelled(module_manager: ManagerProcess) -> Iterator[str]:
    """db-replica's labels, put back as they were after the test."""
    with admin_client(module_manager) as http:
        labels = http.get("/deployments/db-replica").json()["labels"]
    try:
        yield "db-replica"
    finally:
        with admin_client(module_manager) as http:
            kept = [{label["key"]: label["value"]} for label in labels]
            assert http.patch("/deployments/db-replica", json={"labels": kept}).status_code == 200


async def test_a_changed_list_row_makes_the_detail_read_again(
    module_manager: ManagerProcess, relabelled: str
) -> None:
    """The selected deployment's labels changed (no execution, so its executions say
    nothing): the list row read on time differs from the one the detail was read with,
    so the detail is read again, on the next tick when the list took the budget."""
    async with (
        ManagerClient(module_manager.url, username="admin", password=PASSWORDS["admin"]) as client,
        driven(client, deployments_interval=10.0) as d,
    ):
        await d.asleep(0)
        d.poller.select(relabelled)
        snap = await d.asleep(1)
        assert snap.detail is not None
        before = [(label.key, label.value) for label in snap.detail.labels]
        with admin_client(module_manager) as http:
            labels = [{key: value} for key, value in before] + [{"mutation": "signature"}]
            answer = http.patch(f"/deployments/{relabelled}", json={"labels": labels})
            assert answer.status_code == 200, answer.text
        d.now = 20.0  # the list is due again
        snap = await d.tick()
        row = {dep.id: dep for dep in snap.deployments}[relabelled]
        assert ("mutation", "signature") in [(label.key, label.value) for label in row.labels]
        assert snap.detail is not None and snap.detail.labels != row.labels
        assert d.delays[2:] == [FAST]  # the detail is due and did not fit
        snap = await d.tick()
    assert snap.detail is not None
    assert [(label.key, label.value) for label in snap.detail.labels] == [
        *before,
        ("mutation", "signature"),
    ]
    assert d.delays[2:] == [FAST, SLOW]


async def test_new_executions_alone_keep_the_poller_from_going_quiet(
    module_manager: ManagerProcess,
) -> None:
    """An execution of the selected deployment that began and ended between two ticks
    changes only its executions list: that is a change, so the next tick comes at the
    slow interval, not the quiet one, although nothing else changed for 100 s."""
    async with (
        ManagerClient(module_manager.url, username="admin", password=PASSWORDS["admin"]) as client,
        ManagerClient(module_manager.url, username="admin", password=PASSWORDS["admin"]) as ops,
        driven(client) as d,
    ):
        await d.asleep(0)
        d.poller.select("analytics")
        snap = await d.asleep(1)
        assert snap.detail is not None and snap.active == ()
        started = await ops.start_execution("analytics", "reindex")
        await ops.cancel_execution(started.id)
        deadline = time.monotonic() + 10.0
        while not (await ops.get_execution(started.id)).is_ended:
            assert time.monotonic() < deadline, "the cancelled execution never ended"
        d.now = 100.0
        snap = await d.tick()
        assert snap.executions[0].id == started.id and snap.active == ()
        assert d.delays[2:] == [SLOW]
        d.now = 200.0  # and nothing changes in the next 100 s: quiet
        await d.tick()
    assert d.delays[2:] == [SLOW, QUIET]
