"""The app on managers older than the embedded one (6.x answers through
tests/api/old_manager.py): data on first paint, connected, a field refusal costs at
most one request per resource, the missing columns show a dash and the settings view
says why; a request of a tick that the manager refuses never discards the others."""

from __future__ import annotations

import time

import httpx

from tests.api.old_manager import OldManager
from tests.hardening.screen import screen_text
from tests.manager_process import ManagerProcess
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import cell, main, ready, screen_name, table


async def test_a_6_2_manager_shows_its_data_and_says_what_it_lacks(
    manager: ManagerProcess,
) -> None:
    lacks = {"latest_execution", "latest_execution_status", "latest_execution_workflow_id"}
    old = OldManager({"deployments": lacks}, version="6.2.0")
    app = make_app(manager, transport=old)
    async with app.run_test(size=(140, 36)) as pilot:
        started = time.monotonic()
        await ready(pilot, app)
        assert main(app).snapshot.connection.connected
        assert len(old.refused) <= 2, old.refused
        # The latest execution is not given: a dash, not "none".
        assert cell(app, "deployments", "web-prod", "latest") == "-"
        await pilot.pause(max(0.0, 10 - (time.monotonic() - started)))
        refused_early = len(old.refused)
        assert refused_early <= 2, old.refused
        await pilot.pause(2.0)
        assert len(old.refused) == refused_early, "a field refusal was sent again"
        await pilot.press("comma")
        await wait_until(pilot, lambda: screen_name(app) == "SettingsScreen", what="settings")
        text = screen_text(app)
        assert "deployments.latest_execution" in text
        assert "not given" in text and "_include=latest_execution" in text


async def test_a_refused_request_does_not_cost_the_others_their_data(
    manager: ManagerProcess,
) -> None:
    def refuse_detail(request: httpx.Request) -> int | None:
        return 500 if request.url.path == "/api/v3.1/deployments/web-prod" else None

    old = OldManager({}, version="7.0.5", refuse=refuse_detail)
    app = make_app(manager, transport=old)
    async with app.run_test(size=(140, 36)) as pilot:
        await ready(pilot, app)
        deployments = table(app, "deployments")
        deployments.focus()
        assert deployments.select_key("web-prod")
        executions = table(app, "executions")
        await wait_until(
            pilot,
            lambda: (
                executions.row_count > 0
                and all(e.deployment_id == "web-prod" for e in main(app).snapshot.executions)
            ),
            what="web-prod's executions, although its detail is refused",
        )
        snapshot = main(app).snapshot
        assert snapshot.connection.connected
        assert "deployment web-prod" in snapshot.connection.error
        assert main(app).query_one("#error-line").display
        assert deployments.row_count == 5
