"""Refused credentials and tenants are never retried on a timer (a real manager counts
every refused login and can lock the account): polling stops, the app says so, and a
dialog asks for what would work; the data comes back without a restart."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.conftest import admin_client
from tests.manager_process import ManagerProcess
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import captured_notes, main, ready, screen_name
from tui.app import CfyTuiApp
from tui.screens.prompt import PromptScreen


def counting(app: CfyTuiApp, statuses: list[int | None]) -> None:
    app.client._on_request = lambda method, path, status, took: statuses.append(status)


def status_line(app: CfyTuiApp) -> str:
    return str(main(app).query_one("#status-line").render())


async def test_a_password_changed_mid_session_is_asked_for_not_retried(
    manager: ManagerProcess,
) -> None:
    app = make_app(manager)
    statuses: list[int | None] = []
    counting(app, statuses)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, app)
        manager.stop()
        manager.extra_args = ["--admin-password", "changed-pw"]
        manager.start()
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, PromptScreen),
            what="the password dialog",
            timeout=30,
        )
        refused = statuses.count(401)
        # The refusal and at most one confirming retry: far below a lock-out (4).
        assert 1 <= refused <= 2, statuses
        assert main(app).snapshot.connection.refused == "credentials"
        assert "credentials refused" in status_line(app)
        mark = time.monotonic()
        await pilot.pause(6.0)
        assert statuses.count(401) == refused, "refused credentials were sent again"
        assert time.monotonic() - mark >= 6.0
        await pilot.press(*"changed-pw", "enter")
        await wait_until(
            pilot, lambda: main(app).snapshot.connection.connected, what="the data back"
        )
        assert statuses.count(401) == refused
        assert screen_name(app) == "MainScreen"
        assert "● connected" in status_line(app)


async def test_a_password_change_does_not_lock_the_account(tmp_path: Path) -> None:
    """With a manager that locks after 4 failed logins (`--lock-after 4`): the app's
    refusals leave the account unlocked (a token of admin still works, which a locked
    account's never does), a dialog asks, and the new password brings the data back."""
    lock = ["--lock-after", "4"]
    manager = ManagerProcess(data=tmp_path / "manager", extra_args=lock).start()
    try:
        with admin_client(manager) as api:
            token = api.post("/tokens", json={"description": "lock probe"}).json()["value"]
        app = make_app(manager)
        statuses: list[int | None] = []
        counting(app, statuses)
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(pilot, app)
            manager.stop()
            manager.extra_args = [*lock, "--admin-password", "changed-pw"]
            manager.start()
            await wait_until(
                pilot,
                lambda: isinstance(app.screen, PromptScreen),
                what="the password dialog",
                timeout=30,
            )
            assert 1 <= statuses.count(401) <= 2, statuses
            probe = httpx.get(
                f"{manager.api}/version", headers={"Authentication-Token": token}, timeout=10
            )
            assert probe.status_code == 200, probe.text  # not locked
            await pilot.press(*"changed-pw", "enter")
            await wait_until(
                pilot, lambda: main(app).snapshot.connection.connected, what="the data back"
            )
            assert "● connected" in status_line(app)
    finally:
        manager.stop()


async def test_a_wrong_password_from_the_start_is_not_retried(manager: ManagerProcess) -> None:
    app = make_app(manager, password="not-the-password")
    statuses: list[int | None] = []
    counting(app, statuses)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(
            pilot, lambda: isinstance(app.screen, PromptScreen), what="the dialog", timeout=20
        )
        await pilot.pause(3.0)
        # The first tick and the version request; no confirming retry for credentials
        # that never worked, and nothing on a timer.
        assert statuses.count(401) <= 2, statuses
        # `r` asks again instead of sending the refused password.
        await pilot.press("escape")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), what="asked again")
        assert statuses.count(401) <= 2, statuses
        await pilot.press(*"admin-pw", "enter")
        await wait_until(pilot, lambda: main(app).snapshot.connection.connected, what="connected")


async def test_a_refused_tenant_stops_and_names_the_tenant(manager: ManagerProcess) -> None:
    app = make_app(manager, user="operator", tenant="team-eu")
    statuses: list[int | None] = []
    counting(app, statuses)
    notes = captured_notes(app)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(
            pilot,
            lambda: main(app).snapshot.connection.refused == "tenant",
            what="the tenant refused",
            timeout=20,
        )
        refused = len([s for s in statuses if s in (401, 403)])
        await pilot.pause(3.0)
        assert len([s for s in statuses if s in (401, 403)]) == refused, statuses
        assert "tenant refused" in status_line(app)
        assert any("team-eu" in note and "operator" in note for note in notes), notes
