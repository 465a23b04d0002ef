"""Executions across deployments (`x` running now, `X` history), on the embedded
manager: what is listed, the filter words, paging, keys on a row, and the cost of a
read (one request, whatever the fleet's size), counted from the manager's own log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from textual.pilot import Pilot

from tests.hardening.conftest import LoggedManager, wire_manager
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import choose, ready, screen_name, start_via_http
from tui.app import CfyTuiApp
from tui.live.fleet import FilterError, FleetQuery, parse_filter
from tui.screens.fleet import FleetScreen

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def wire(tmp_path: Path) -> Iterator[LoggedManager]:
    with wire_manager(tmp_path / "manager") as proc:
        yield proc


def fleet(app: CfyTuiApp) -> FleetScreen:
    assert isinstance(app.screen, FleetScreen), screen_name(app)
    return app.screen


def listed(app: CfyTuiApp) -> list[str]:
    return fleet(app).table.keys


async def open_fleet(pilot: Pilot[Any], app: CfyTuiApp, key: str) -> FleetScreen:
    await ready(pilot, app)
    await pilot.press(key)
    await wait_until(pilot, lambda: screen_name(app) == "FleetScreen", what="the fleet screen")
    screen = fleet(app)
    await wait_until(pilot, lambda: screen._read_at is not None, what="the first read")
    return screen


def test_filter_words_become_the_query() -> None:
    base = FleetQuery(view="history", all_tenants=True)
    query = parse_filter("status:failed,cancelled workflow:install d:web-1 since:24h", base, NOW)
    assert query.statuses == ("failed", "cancelled")
    assert (query.workflow, query.deployment) == ("install", "web-1")
    assert query.since == datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert query.view == "history" and query.all_tenants
    assert parse_filter("running", base, NOW).statuses == ("pending", "started")
    assert parse_filter("", query, NOW) == base  # an empty filter narrows nothing
    yesterday = parse_filter("since:yesterday", base, NOW).since
    assert yesterday is not None and yesterday < NOW
    for wrong in ("status:nosuch", "colour:red", "since:soon", "workflow:"):
        with pytest.raises(FilterError):
            parse_filter(wrong, base, NOW)


def test_the_running_view_asks_only_for_unfinished_statuses() -> None:
    assert set(FleetQuery().wanted_statuses()) == {
        "pending",
        "started",
        "cancelling",
        "force_cancelling",
        "kill_cancelling",
        "queued",
        "scheduled",
    }
    queued = FleetQuery(statuses=("queued", "failed"))
    assert queued.wanted_statuses() == ("queued",)
    assert FleetQuery(view="history", statuses=("failed",)).wanted_statuses() == ("failed",)


async def test_running_now_lists_what_runs_anywhere_in_one_request_per_read(
    wire: LoggedManager,
) -> None:
    started = [start_via_http(wire, dep, "check_status")["id"] for dep in ("web-prod", "db-main")]
    app = make_app(wire)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_fleet(pilot, app, "x")
        await wait_until(pilot, lambda: set(started) <= set(listed(app)), what="both runs")
        mark = wire.mark()
        before = screen._read_at
        await wait_until(pilot, lambda: screen._read_at != before, what="another read")
        reads = [
            r
            for r in wire.requests_since(mark)
            if r["method"] == "GET"
            and r["path"] == "/api/v3.1/executions"
            and "tenant_name" in r["query"]  # the fleet's reads, not the poller's
        ]
        assert reads, "the screen read the executions again"
        query = parse_qs(reads[-1]["query"])
        assert "deployment_id" not in query  # every deployment, not one request each
        assert sorted(query["status"]) == sorted(FleetQuery().wanted_statuses())
        assert query["_sort"] == ["-created_at"] and query["_include_system_workflows"] == ["true"]
        included = query["_include"][0].split(",")
        assert "tenant_name" in included and "parameters" not in included
        # Once both end, the running view says nothing runs.
        await wait_until(pilot, lambda: not listed(app), timeout=60, what="the runs to end")
        status = str(screen.query_one("#fleet-status").render())
        assert "Nothing runs or waits in this tenant." in status


async def test_history_filters_on_the_manager_and_opens_an_execution(
    wire: LoggedManager,
) -> None:
    app = make_app(wire)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_fleet(pilot, app, "X")
        await wait_until(pilot, lambda: len(listed(app)) > 5, what="the history")
        statuses = {e.status for e in screen.page.items}
        assert "failed" in statuses and "terminated" in statuses
        mark = wire.mark()
        await pilot.press("slash")
        await pilot.press(*"failed deployment:db-main")
        await wait_until(
            pilot,
            lambda: screen.page.items and {e.status for e in screen.page.items} == {"failed"},
            what="only failed runs",
        )
        assert {e.deployment_id for e in screen.page.items} == {"db-main"}
        last = [
            r
            for r in wire.requests_since(mark)
            if r["path"] == "/api/v3.1/executions" and "tenant_name" in r["query"]
        ][-1]
        query = parse_qs(last["query"])
        assert (query["status"], query["deployment_id"]) == (["failed"], ["db-main"])
        await pilot.press("enter")  # back to the table
        failed = screen.page.items[0]
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "ExecutionScreen", what="it opens")
        assert app.screen.execution.id == failed.id  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "FleetScreen", what="back")


async def test_a_bad_filter_word_says_why_and_keeps_the_list(wire: LoggedManager) -> None:
    app = make_app(wire)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_fleet(pilot, app, "X")
        await wait_until(pilot, lambda: listed(app), what="the history")
        shown = list(listed(app))
        await pilot.press("slash")
        await pilot.press(*"colour:red")
        await wait_until(pilot, lambda: screen._filter_error, what="the error")
        status = str(screen.query_one("#fleet-status").render())
        assert "'colour:red' is not a filter word" in status
        assert listed(app) == shown


async def test_cancel_from_the_fleet_sends_a_cancel_of_that_execution(
    wire: LoggedManager,
) -> None:
    running = start_via_http(wire, "web-prod", "rolling_restart")["id"]
    app = make_app(wire)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_fleet(pilot, app, "x")
        await wait_until(pilot, lambda: running in listed(app), what="the run")
        screen.table.select_key(running)
        mark = wire.mark()
        await pilot.press("c")
        await choose(pilot, app, "Cancel execution")
        await wait_until(
            pilot,
            lambda: any(r["method"] == "POST" for r in wire.requests_since(mark)),
            what="the request",
        )
        posts = [r for r in wire.requests_since(mark) if r["method"] == "POST"]
        assert [(r["path"], r["body"]) for r in posts] == [
            (f"/api/v3.1/executions/{running}", {"action": "cancel"})
        ]
