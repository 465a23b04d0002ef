"""The live layer: snapshots, and the poller against a real embedded manager.

The poller tests run `Poller.run()` as a task next to a manager subprocess, collect
every published snapshot, and count the requests that really reach the wire through
the client's `on_request` hook (not the poller's own bookkeeping).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from tests.conftest import admin_client
from tests.manager_process import DEMO_DEPLOYMENTS, PASSWORDS, ManagerProcess
from tui.api import Execution, ManagerClient
from tui.live import Backoff, ConnectionState, Poller, Snapshot

DEMO = set(DEMO_DEPLOYMENTS)
FAST, SLOW = 0.05, 0.2


# -- pure parts ----------------------------------------------------------------------------


def test_snapshot_age_staleness_and_active_for() -> None:
    fresh = Snapshot()
    assert fresh.age(100.0) is None and not fresh.stale
    older = Execution("old", deployment_id="web", status="queued")
    newer = Execution("new", deployment_id="web", status="started")
    snap = Snapshot(
        active=(newer, Execution("x", deployment_id="db"), older),
        connection=ConnectionState(connected=True),
        updated_at=90.0,
    )
    assert snap.age(100.0) == 10.0
    assert not snap.stale
    assert replace(snap, connection=ConnectionState(False, "down", 101.0, 1)).stale
    assert snap.active_for("web") is newer
    assert snap.active_for("cache") is None
    with pytest.raises(AttributeError):
        snap.paused = True  # type: ignore[misc]


def test_snapshot_age_is_never_negative_nor_rounded_up() -> None:
    """Just updated reads "updated 0s ago"; a clock that stepped back (the tick's time
    is after `now`) must not show a negative age."""
    snap = Snapshot(updated_at=100.0)
    assert snap.age(100.0) == 0.0
    assert snap.age(100.25) == 0.25
    assert snap.age(99.0) == 0.0


def test_backoff_doubles_caps_and_resets() -> None:
    backoff = Backoff(first=1.0, cap=30.0)
    assert [backoff.fail() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.failures == 7
    for _ in range(5000):
        backoff.fail()
    assert backoff.delay == 30
    backoff.reset()
    assert backoff.delay == 0 and backoff.failures == 0


# -- the poller against a manager ----------------------------------------------------------


class Harness:
    """A running poller, every snapshot it published, and every request on the wire."""

    def __init__(self, manager: ManagerProcess, **options: Any) -> None:
        self.requests: list[tuple[str, str, int | None]] = []
        self.snapshots: list[Snapshot] = []
        # (requests on the wire so far, poller.requests_per_tick) when each was published
        self.marks: list[tuple[int, int]] = []
        self.delays: list[float] = []
        self.backoffs: list[tuple[int, float]] = []  # (failures, retry_at - now) at publish
        self.client = ManagerClient(
            manager.url,
            username="admin",
            password=PASSWORDS["admin"],
            on_request=lambda method, path, status, _s: self.requests.append(
                (method, path, status)
            ),
        )
        settings: dict[str, Any] = {
            "fast_interval": FAST,
            "slow_interval": SLOW,
            "deployments_interval": 60.0,
            "max_backoff": 0.4,
            "first_backoff": 0.05,
            "sleep": self._sleep,
        }
        # An idle poller just opened is quiet; these tests watch it at the slow interval
        # (the quiet one has its own test).
        quiet_after = options.pop("quiet_after", 60.0)
        quiet_interval = options.pop("quiet_interval", SLOW)
        settings.update(options)
        self.poller = Poller(self.client, on_snapshot=self._published, **settings)
        self.poller.quiet_after = quiet_after
        self.poller.quiet_interval = quiet_interval
        self.task: asyncio.Task[None] | None = None

    async def _sleep(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(delay)

    def _published(self, snap: Snapshot) -> None:
        self.snapshots.append(snap)
        self.marks.append((len(self.requests), self.poller.requests_per_tick))
        if snap.connection.retry_at is not None:
            self.backoffs.append(
                (snap.connection.failures, snap.connection.retry_at - time.monotonic())
            )

    @property
    def snap(self) -> Snapshot:
        return self.poller.snapshot

    async def __aenter__(self) -> Harness:
        self.task = asyncio.create_task(self.poller.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.client.aclose()

    async def until(
        self, predicate: Callable[[Snapshot], object], what: str, timeout: float = 15.0
    ) -> Snapshot:
        """The latest snapshot once `predicate` holds for it; fail after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.task is not None
            if self.task.done():
                raise AssertionError(f"the poller stopped: {self.task!r}")
            if predicate(self.snap):
                return self.snap
            await asyncio.sleep(0.01)
        raise AssertionError(f"timed out waiting for {what}; last snapshot: {self.snap!r}")

    async def ticks(self, count: int) -> None:
        """Wait until `count` more ticks have been published."""
        start = len(self.snapshots)
        await self.until(lambda _s: len(self.snapshots) >= start + count, f"{count} ticks")


def ops_client(manager: ManagerProcess) -> ManagerClient:
    """The operator's own client: its requests are not the poller's."""
    return ManagerClient(manager.url, username="admin", password=PASSWORDS["admin"])


def ids(items: Any) -> list[str]:
    return [item.id for item in items]


async def test_first_snapshot_has_the_demo_deployments(manager: ManagerProcess) -> None:
    async with Harness(manager) as h:
        await h.until(lambda s: s.generation >= 1, "a first tick")
        first = h.snapshots[0]
        assert first.generation == 1
        assert set(ids(first.deployments)) == DEMO
        assert first.deployments_total == len(DEMO_DEPLOYMENTS)
        assert first.connection == ConnectionState(connected=True)
        assert first.updated_at is not None and not first.stale
        assert first.active == () and first.selected is None and first.detail is None
        # the first tick: running executions, the deployments list, the waiting count;
        # nothing per deployment
        assert h.requests[:3] == [
            ("GET", "/api/v3.1/executions", 200),
            ("GET", "/api/v3.1/deployments", 200),
            ("GET", "/api/v3.1/executions", 200),
        ]
        assert h.marks[0] == (3, 3)
        assert (first.running_total, first.waiting_total) == (0, 0)


async def test_select_loads_detail_and_executions_newest_first(manager: ManagerProcess) -> None:
    async with Harness(manager) as h:
        await h.until(lambda s: s.deployments, "deployments")
        h.poller.select("web-prod")
        # at once, before any request: the new selection, nothing of it loaded yet
        assert h.snap.selected == "web-prod" and h.snap.detail is None and h.snap.executions == ()
        snap = await h.until(lambda s: s.detail is not None and s.executions, "web-prod's data")
        assert snap.detail is not None and snap.detail.id == "web-prod"
        workflows = {w.name: w for w in snap.detail.workflows}
        assert {"install", "uninstall", "rolling_restart", "scale"} <= set(workflows)
        assert workflows["uninstall"].is_available
        assert all(e.deployment_id == "web-prod" for e in snap.executions)
        assert [e.workflow_id for e in snap.executions][:2] == ["rolling_restart", "install"]
        created = [e.created_at or "" for e in snap.executions]
        assert created == sorted(created, reverse=True)

        # another selection drops the old rows in the same call, then loads its own
        h.poller.select("db-main")
        moved = h.snap
        assert (moved.selected, moved.detail, moved.executions) == ("db-main", None, ())
        assert moved.selected != snap.selected
        snap = await h.until(lambda s: s.detail is not None and s.executions, "db-main's data")
        assert snap.detail is not None and snap.detail.id == "db-main"
        assert {e.deployment_id for e in snap.executions} == {"db-main"}
        assert snap.executions[0].workflow_id == "backup"

        # while nothing runs, the detail is not fetched again on every tick
        mark = len(h.requests)
        await h.ticks(4)
        paths = [path for _m, path, _s in h.requests[mark:]]
        assert "/api/v3.1/deployments/db-main" not in paths
        assert set(paths) == {"/api/v3.1/executions"}


async def test_running_execution_is_active_polled_fast_and_leaves(manager: ManagerProcess) -> None:
    async with Harness(manager) as h, ops_client(manager) as ops:
        h.poller.select("analytics")
        await h.until(lambda s: s.detail is not None, "analytics' detail")
        assert h.snap.active == ()
        started = await ops.start_execution("analytics", "reindex")

        snap = await h.until(lambda s: s.active_for("analytics"), "reindex in active")
        running_at = len(h.delays)
        assert ids(snap.active) == [started.id]
        assert snap.executions[0].id == started.id and snap.executions[0].is_unfinished
        await h.until(
            lambda s: getattr(s.active_for("analytics"), "status", "") == "started", "started"
        )
        await h.ticks(3)
        assert h.snap.active_for("analytics") is not None, "reindex ended before the cancel"
        fast = h.delays[running_at:]
        assert len(fast) >= 3 and set(fast) == {FAST}
        # while it runs and nothing about the deployment changes, its detail is not
        # read again (issue 9: it was, every tick)
        mark = len(h.requests)
        await h.ticks(3)
        if h.snap.active_for("analytics") is not None:
            assert "/api/v3.1/deployments/analytics" not in [p for _m, p, _s in h.requests[mark:]]

        await ops.cancel_execution(started.id)
        snap = await h.until(lambda s: not s.active, "reindex to leave active")
        ended_at = len(h.delays)
        assert snap.executions[0].id == started.id and snap.executions[0].status == "cancelled"
        # an ended execution refreshes the deployments list now, not 60 s later
        analytics = {d.id: d for d in snap.deployments}["analytics"]
        assert analytics.latest_execution_status == "cancelled"
        assert analytics.latest_execution_workflow_id == "reindex"
        await h.ticks(2)
        assert set(h.delays[ended_at:]) == {SLOW}


async def test_note_started_shows_the_execution_at_once(manager: ManagerProcess) -> None:
    async with Harness(manager, slow_interval=30.0) as h, ops_client(manager) as ops:
        h.poller.select("analytics")
        await h.until(lambda s: s.detail is not None, "analytics' detail")
        started = await ops.start_execution("analytics", "reindex")
        before = h.snap.generation
        h.poller.note_started(started)
        # published in the call, with no request: the row and the fast interval follow
        assert h.snap.generation == before + 1
        assert h.snap.active_for("analytics") == started
        assert h.snap.executions[0] == started
        # and the loop, woken from a 30 s sleep, ticks now and then polls fast
        await h.until(lambda s: s.active and s.active[0].status == "started", "a fresh status")
        mark = len(h.delays)
        await h.ticks(2)
        assert set(h.delays[mark:]) == {FAST}
        await ops.cancel_execution(started.id)
        await h.until(lambda s: not s.active, "the cancel")


async def test_requests_per_tick_do_not_grow_with_deployments(manager: ManagerProcess) -> None:
    allowed = {
        ("GET", "/api/v3.1/executions"),
        ("GET", "/api/v3.1/deployments"),
        ("GET", "/api/v3.1/deployments/web-prod"),
    }

    async def costs(h: Harness, ticks: int) -> list[int]:
        start = len(h.marks)
        await h.ticks(ticks)
        marks = h.marks[start - 1 :]
        wire = [b[0] - a[0] for a, b in itertools.pairwise(marks)]
        counted = [m[1] for m in marks[1:]]
        assert wire == counted, "requests_per_tick disagrees with the wire"
        assert {(m, p) for m, p, _s in h.requests[marks[0][0] :]} <= allowed
        return wire

    async with Harness(manager, deployments_interval=0.3) as h:
        h.poller.select("web-prod")
        await h.until(
            lambda s: s.detail is not None and len(s.deployments) == len(DEMO_DEPLOYMENTS),
            "web-prod",
        )
        with_five = await costs(h, 12)

        def create(count: int) -> None:
            with admin_client(manager) as http:
                for n in range(count):
                    response = http.put(
                        f"/deployments/extra-{n:02d}", json={"blueprint_id": "webapp"}
                    )
                    assert response.status_code == 201, response.text

        await asyncio.to_thread(create, 20)
        more = len(DEMO_DEPLOYMENTS) + 20
        await h.until(lambda s: s.deployments_total == more, "20 more deployments")
        assert len(h.snap.deployments) == more
        with_25 = await costs(h, 12)

    # running + the selection's executions + one more: the list when due, else the
    # waiting count; the detail of an unchanged deployment is never read again
    assert set(with_five) == {3}
    assert set(with_25) == {3}
    assert h.poller.requests_per_tick == 3


async def test_set_search_filters_on_the_server(manager: ManagerProcess) -> None:
    async with Harness(manager) as h:
        await h.until(lambda s: len(s.deployments) == len(DEMO_DEPLOYMENTS), "deployments")
        mark = len(h.requests)
        h.poller.set_search("web")
        assert h.snap.search == ""  # the list on screen is still the unfiltered one
        snap = await h.until(lambda s: s.search == "web", "the filtered list")
        assert ids(snap.deployments) == ["web-canary", "web-prod", "web-staging"]
        assert snap.deployments_total == 3
        assert ("GET", "/api/v3.1/deployments", 200) in h.requests[mark:]
        h.poller.set_search("")
        snap = await h.until(
            lambda s: s.search == "" and len(s.deployments) == len(DEMO_DEPLOYMENTS), "all again"
        )
        assert set(ids(snap.deployments)) == DEMO


async def test_pause_stops_requests_and_refresh_ticks_once(manager: ManagerProcess) -> None:
    async with Harness(manager) as h:
        await h.until(lambda s: s.deployments, "deployments")
        h.poller.pause()
        assert h.snap.paused
        while h.poller.ticking:  # a tick already in flight finishes
            await asyncio.sleep(0.01)
        mark = len(h.requests)
        h.poller.select("web-prod")  # published, but not fetched while paused
        assert h.snap.selected == "web-prod" and h.snap.paused
        await asyncio.sleep(1.0)  # 5 slow intervals
        assert len(h.requests) == mark

        h.poller.refresh_now()
        snap = await h.until(lambda s: s.detail is not None, "one tick")
        assert snap.paused and snap.connection.connected
        await asyncio.sleep(1.0)
        # asked for: running, executions, deployments, detail, waiting count at once
        assert len(h.requests) == mark + 5
        assert h.poller.requests_per_tick == 5

        h.poller.resume()
        assert not h.snap.paused
        await h.ticks(3)
        assert len(h.requests) > mark + 4


async def test_deleted_selection_is_not_a_connection_error(manager: ManagerProcess) -> None:
    async with Harness(manager) as h:
        h.poller.select("db-replica")
        await h.until(lambda s: s.detail is not None and s.executions, "db-replica")

        def delete() -> None:
            with admin_client(manager) as http:
                assert http.delete("/deployments/db-replica").status_code == 204

        await asyncio.to_thread(delete)
        h.poller.refresh_now()
        snap = await h.until(lambda s: s.detail is None, "the detail to go")
        assert snap.selected == "db-replica" and snap.executions == ()
        assert snap.connection == ConnectionState(connected=True)
        assert "db-replica" not in ids(snap.deployments)


async def test_manager_down_backs_off_keeps_data_and_reconnects(manager: ManagerProcess) -> None:
    async with Harness(manager) as h:
        h.poller.select("web-prod")
        good = await h.until(lambda s: s.detail is not None, "web-prod")
        outage_from = len(h.delays)
        await asyncio.to_thread(manager.stop)

        snap = await h.until(lambda s: s.connection.failures >= 6, "six failed ticks")
        assert snap.stale and not snap.connection.connected
        assert snap.connection.error.startswith("cannot connect to")
        last_ok = [s for s in h.snapshots if s.connection.connected][-1]
        assert snap.updated_at == last_ok.updated_at  # "updated Ns ago" keeps counting
        assert set(ids(snap.deployments)) == DEMO  # old data kept
        assert snap.detail == good.detail and snap.executions == good.executions
        # retry_at grows 0.05, 0.1, 0.2, 0.4 and stays at the cap
        seen = {failures: wait for failures, wait in h.backoffs}
        for failures in range(1, 7):
            expected = min(0.4, 0.05 * 2 ** (failures - 1))
            assert seen[failures] == pytest.approx(expected, abs=0.01), (failures, seen)
        # and the loop really sleeps that long between tries
        slept = h.delays[outage_from:]
        backoff = [0.05, 0.1, 0.2, 0.4, 0.4]
        runs = [slept[i : i + 5] for i in range(len(slept))]
        assert backoff in [pytest.approx(r) for r in runs], slept
        assert all(s.stale for s in h.snapshots if s.connection.failures)

        await asyncio.to_thread(manager.start)
        back_at = time.monotonic()
        after = len(h.snapshots)
        snap = await h.until(lambda s: s.connection.connected, "reconnection", timeout=5)
        assert time.monotonic() - back_at < 0.4 + 1.0
        # within one retry: at most one more failure (a try already under way)
        assert len([s for s in h.snapshots[after:] if s.connection.failures]) <= 1
        assert snap.connection == ConnectionState(connected=True) and not snap.stale
        assert snap.updated_at is not None and snap.updated_at > (good.updated_at or 0)
        assert set(ids(snap.deployments)) == DEMO and snap.detail is not None


async def test_a_deployment_that_becomes_busy_is_reread_in_the_same_tick(
    manager: ManagerProcess,
) -> None:
    """Its row's status and latest execution come from the tick that saw it start, not
    from a list up to `deployments_interval` old beside a fresh active list."""
    async with Harness(manager) as h, ops_client(manager) as ops:
        await h.until(lambda s: len(s.deployments) == len(DEMO_DEPLOYMENTS), "deployments")
        started = await ops.start_execution("analytics", "reindex")
        snap = await h.until(lambda s: s.active_for("analytics"), "reindex in active")
        if snap.active_for("analytics").status == "pending":  # type: ignore[union-attr]
            snap = await h.until(
                lambda s: getattr(s.active_for("analytics"), "status", "") == "started",
                "started",
            )
        row = {d.id: d for d in snap.deployments}["analytics"]
        assert row.latest_execution_workflow_id == "reindex"
        assert row.deployment_status == "in_progress"
        await ops.cancel_execution(started.id)


async def test_a_new_filter_shows_the_page_that_holds_the_kept_deployment(
    tmp_path: Any,
) -> None:
    proc = ManagerProcess(data=tmp_path / "scale", seed="scale:450").start(timeout=120)
    try:
        async with Harness(proc, deployments_page=100) as h:
            await h.until(lambda s: len(s.deployments) == 100, "the first page")
            h.poller.set_search("dep-003", keep="dep-00342")
            snap = await h.until(lambda s: s.search == "dep-003", "filtered")
            assert snap.deployments_offset == 0 and "dep-00342" in ids(snap.deployments)
            h.poller.set_search("", keep="dep-00342")
            snap = await h.until(lambda s: s.search == "", "the filter cleared")
            # The page of 100 that holds it, on the same grid as page turns.
            assert snap.deployments_offset == 300
            assert ids(snap.deployments)[0] == "dep-00300"
            assert "dep-00342" in ids(snap.deployments)
            # A kept deployment that the new filter excludes: the first page.
            h.poller.set_search("dep-001", keep="dep-00342")
            snap = await h.until(lambda s: s.search == "dep-001", "another filter")
            assert snap.deployments_offset == 0
    finally:
        proc.stop()


async def test_a_long_queue_costs_three_requests_a_tick_and_is_counted(tmp_path: Any) -> None:
    """5 running and 8 queued executions, 3 listed a tick: the ticks stay at 3 requests
    and a few rows, the counts come from `pagination.total`, and nothing is cut
    silently (`running_not_listed`)."""
    proc = ManagerProcess(data=tmp_path / "queue", speed=0.2).start()
    try:
        async with ops_client(proc) as ops:
            running = [await ops.start_execution("analytics", "reindex")]
            for _ in range(4):
                running.append(await ops.start_execution("analytics", "reindex", force=True))
            queued = [
                await ops.start_execution("analytics", "reindex", queue=True) for _ in range(8)
            ]
            assert {e.status for e in queued} == {"queued"}
            async with Harness(proc, active_page=3, deployments_interval=0.3) as h:
                h.poller.select("web-prod")
                snap = await h.until(
                    lambda s: s.running_total == 5 and s.waiting_total == 8, "the counts"
                )
                assert snap.running_listed == 3 and snap.running_not_listed == 2
                assert len(snap.active) == 3
                start = len(h.marks)
                await h.ticks(8)
                marks = h.marks[start - 1 :]
                per_tick = [b[0] - a[0] for a, b in itertools.pairwise(marks)]
                assert per_tick and max(per_tick) <= 3, per_tick
                # the running list never asks for parameters or errors
                assert all(
                    "parameters" not in str(e.raw) and "error" not in e.raw for e in h.snap.active
                )
            for execution in [*queued, *running]:
                await ops.cancel_execution(execution.id, "kill")
    finally:
        proc.stop()


async def test_an_unchanged_selection_is_not_read_again_until_it_changes(
    manager: ManagerProcess,
) -> None:
    detail_path = "/api/v3.1/deployments/analytics"
    async with Harness(manager, deployments_interval=0.2) as h, ops_client(manager) as ops:
        h.poller.select("analytics")
        await h.until(lambda s: s.detail is not None, "analytics' detail")
        mark = len(h.requests)
        await h.ticks(10)  # the list is re-read every 0.2 s: its row stays the same
        assert detail_path not in [p for _m, p, _s in h.requests[mark:]]

        # `r` reads it again
        mark = len(h.requests)
        h.poller.refresh_now()
        await h.ticks(2)
        assert detail_path in [p for _m, p, _s in h.requests[mark:]]

        # a new execution changes its latest execution: read again, without `r`
        mark = len(h.requests)
        started = await ops.start_execution("analytics", "reindex")
        await h.until(lambda s: s.active_for("analytics"), "reindex in active")
        await h.until(
            lambda _s: detail_path in [p for _m, p, _s2 in h.requests[mark:]], "a detail re-read"
        )
        await ops.cancel_execution(started.id)
        await h.until(lambda s: not s.active, "the cancel")


async def test_a_quiet_poller_ticks_less_often_until_something_changes(
    manager: ManagerProcess,
) -> None:
    """Nothing changed and nothing asked for `quiet_after`: ticks come every
    `quiet_interval` (same requests each); a key, or a change on the manager, brings back
    the slow interval at once. The intervals are shrunk so the test takes a second."""
    async with Harness(manager, deployments_interval=0.3, quiet_after=0.6, quiet_interval=0.5) as h:
        await h.until(lambda s: s.deployments, "deployments")
        # The cursor's first row once the list came: read at once, but no key.
        h.poller.select("analytics")
        await h.until(lambda s: s.detail is not None and s.executions, "analytics")
        await h.ticks(2)
        # Opening is no change and the first row no ask: quiet from the first tick.
        assert set(h.delays) == {0.5}
        # A key: the selection is read at once, then ticks are slow again.
        mark = len(h.delays)
        h.poller.select("web-prod")
        await h.until(lambda s: s.detail is not None, "web-prod")
        await h.ticks(2)
        assert h.delays[mark] == SLOW
        await h.until(lambda _s: h.delays[-1] == 0.5, "quiet again")
        # A change on the manager (a new deployment in the list): slow again.
        mark = len(h.delays)
        with admin_client(manager) as http:
            created = http.put("/deployments/extra-quiet", json={"blueprint_id": "webapp"})
            assert created.status_code == 201, created.text
        await h.until(lambda s: "extra-quiet" in ids(s.deployments), "the new deployment")
        await h.ticks(1)
        assert SLOW in h.delays[mark:]
