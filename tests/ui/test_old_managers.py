"""The app on managers older than 7.0 (`--emulate 6.2`, and tests/api/old_manager.py
for an injected failure): data on first paint, connected, a field refusal costs at
most one request per resource, the missing columns show a dash and the settings view
says why; a request of a tick that the manager refuses never discards the others."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.api.old_manager import OldManager
from tests.hardening.screen import screen_text
from tests.manager_process import DEMO_DEPLOYMENTS, ManagerProcess
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import cell, main, ready, screen_name, select_deployment, table

# Emulated version -> (its version string, a field the app asks for that it lacks).
VERSIONS = {
    "6.2": ("6.2.0", "deployments.latest_execution"),
    "6.4": ("6.4.2", "deployments.latest_execution_workflow_id"),
    "7.0": ("7.0.4", None),
    "7.1": ("7.1.0", None),
}


@pytest.mark.parametrize("emulate", sorted(VERSIONS))
async def test_each_manager_version_shows_its_data_and_says_what_it_lacks(
    tmp_path: Path, emulate: str
) -> None:
    """The embedded manager answering as each version (`--emulate`): nothing between it
    and the app but a transport that notes the status of each answer. Data on first
    paint, connected, at most 2 refused requests in the first 10 s and none after."""
    version, lacking = VERSIONS[emulate]
    manager = ManagerProcess(data=tmp_path / "manager", emulate=emulate).start()
    try:
        recorder = Recorder()
        app = make_app(manager, transport=recorder)
        async with app.run_test(size=(140, 36)) as pilot:
            started = time.monotonic()
            await ready(pilot, app)
            assert main(app).snapshot.connection.connected
            assert cell(app, "deployments", "web-prod", "id") == "web-prod"
            await select_deployment(pilot, app, "web-prod")
            assert "rolling_restart" in table(app, "workflows").keys
            await pilot.pause(max(0.0, 10 - (time.monotonic() - started)))
            # The first tick may race the version: at most one refusal per resource,
            # and a refused field is never asked for again.
            refused_early = recorder.refused()
            assert len(refused_early) <= 2, recorder.answers
            await pilot.pause(2.0)
            assert recorder.refused() == refused_early, "a field refusal was sent again"
            assert main(app).snapshot.connection.connected
            await pilot.press("comma")
            await wait_until(pilot, lambda: screen_name(app) == "SettingsScreen", what="settings")
            text = screen_text(app)
            assert version in text
            if lacking is not None:
                assert lacking in text
            else:
                assert "not given" not in text
    finally:
        manager.stop()


class Recorder(httpx.AsyncHTTPTransport):
    """The real transport, noting each answer's path and status."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[tuple[str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        self.answers.append((request.url.path, response.status_code))
        return response

    def refused(self) -> list[str]:
        return [path for path, status in self.answers if status == 400]


async def test_a_refused_request_does_not_cost_the_others_their_data(
    manager: ManagerProcess,
) -> None:
    def refuse_detail(request: httpx.Request) -> int | None:
        return 500 if request.url.path == "/api/v3.1/deployments/web-prod" else None

    old = OldManager({}, version="7.0.4", refuse=refuse_detail)
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
        assert deployments.row_count == len(DEMO_DEPLOYMENTS)
