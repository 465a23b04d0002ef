"""Pictures of every screen and dialog, with frozen clock and ids. The `snap` fixture
fails the test if the app raised, even when the picture matches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.manager_process import ManagerProcess
from tests.polling import wait_for
from tests.ui.conftest import SHOWN_URL, make_app, wait_until
from tests.ui.helpers import (
    focus_execution,
    http,
    main,
    mark,
    open_preflight,
    select_deployment,
    start_via_http,
    start_workflow,
    table,
)
from tui.config import resolve
from tui.screens.confirm import ConfirmScreen

Snap = Callable[..., bool]


def on(dep_id: str) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await select_deployment(pilot, pilot.app, dep_id)  # type: ignore[arg-type]
        await pilot.pause(0.2)

    return run_before


def test_main_screen(frozen_manager: ManagerProcess, snap: Snap) -> None:
    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(140, 36), run_before=on("web-prod"))


def test_main_screen_80x24(frozen_manager: ManagerProcess, snap: Snap) -> None:
    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(80, 24), run_before=on("db-main"))


def test_main_screen_no_color(
    frozen_manager: ManagerProcess, snap: Snap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(frozen_manager, frozen=True)
    assert app.no_color
    assert snap(app, terminal_size=(120, 30), run_before=on("db-main"))


def test_main_screen_ascii(frozen_manager: ManagerProcess, snap: Snap) -> None:
    app = make_app(frozen_manager, frozen=True, ascii_only=True)
    assert snap(app, terminal_size=(80, 24), run_before=on("analytics"))


def test_main_screen_filtered_to_nothing(frozen_manager: ManagerProcess, snap: Snap) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await select_deployment(pilot, pilot.app, "web-prod")  # type: ignore[arg-type]
        await pilot.press("slash", *"zzz", "enter")
        await wait_until(
            pilot, lambda: table(pilot.app, "deployments").row_count == 0, what="no match"
        )
        await wait_until(pilot, lambda: main(pilot.app).snapshot.selected is None, what="no target")
        await pilot.pause(0.2)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(120, 30), run_before=run_before)


def test_main_screen_read_only(frozen_manager: ManagerProcess, snap: Snap) -> None:
    app = make_app(frozen_manager, frozen=True, read_only=True)
    assert snap(app, terminal_size=(120, 30), run_before=on("web-staging"))


def test_start_form(frozen_manager: ManagerProcess, snap: Snap) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await start_workflow(pilot, pilot.app, "web-prod", "rolling_restart")  # type: ignore[arg-type]
        await pilot.pause(0.2)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(120, 36), run_before=run_before)


def test_start_form_with_problems(frozen_manager: ManagerProcess, snap: Snap) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await start_workflow(pilot, pilot.app, "web-prod", "rotate_certificates")  # type: ignore[arg-type]
        pilot.app.screen.query_one("#start-params").text = "validity_days: soon\nextra: 1\n"
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(120, 36), run_before=run_before)


def _running_reindex(manager: ManagerProcess) -> dict[str, Any]:
    """A long execution, already `started` (and its deployment `in_progress`) before
    the app's first tick, so that the picture does not depend on timing."""
    execution = start_via_http(manager, "analytics", "reindex")
    with http(manager) as client:
        wait_for(
            lambda: (
                client.get("/deployments/analytics").json()["deployment_status"] == "in_progress"
            ),
            what="analytics in progress",
        )
    return execution


async def _wait_active(pilot: Pilot[Any], exec_id: str) -> None:
    app = pilot.app
    await wait_until(
        pilot,
        lambda: any(e.id == exec_id and e.status == "started" for e in main(app).snapshot.active),  # type: ignore[arg-type]
        what="the running reindex",
    )


def test_conflict_dialog(frozen_manager: ManagerProcess, snap: Snap) -> None:
    running = _running_reindex(frozen_manager)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _wait_active(pilot, running["id"])
        await start_workflow(pilot, pilot.app, "analytics", "check_status")  # type: ignore[arg-type]
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="the conflict dialog"
        )
        await pilot.pause(0.2)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(120, 32), run_before=run_before)


def test_force_start_confirmation(frozen_manager: ManagerProcess, snap: Snap) -> None:
    running = _running_reindex(frozen_manager)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _wait_active(pilot, running["id"])
        await start_workflow(pilot, pilot.app, "analytics", "check_status", key="S")  # type: ignore[arg-type]
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: isinstance(pilot.app.screen, ConfirmScreen),
            what="the force-start confirmation",
        )
        await pilot.pause(0.2)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(120, 32), run_before=run_before)


def _cancel_dialog(running: dict[str, Any], kill: bool) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await _wait_active(pilot, running["id"])
        await focus_execution(pilot, app, "analytics", running["id"])  # type: ignore[arg-type]
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="dialog")
        if kill:
            await pilot.click("#choice-kill")
            await wait_until(
                pilot,
                lambda: (
                    isinstance(app.screen, ConfirmScreen)
                    and app.screen.query("#choice-kill")
                    and not app.screen.query("#choice-cancel")
                ),
                what="the kill confirmation",
            )
        await pilot.pause(0.2)

    return run_before


def test_cancel_dialog(frozen_manager: ManagerProcess, snap: Snap) -> None:
    running = _running_reindex(frozen_manager)
    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(120, 32), run_before=_cancel_dialog(running, kill=False))


def test_kill_confirmation(frozen_manager: ManagerProcess, snap: Snap) -> None:
    running = _running_reindex(frozen_manager)
    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(120, 32), run_before=_cancel_dialog(running, kill=True))


def test_help_screen(frozen_manager: ManagerProcess, snap: Snap) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await select_deployment(pilot, pilot.app, "web-prod")  # type: ignore[arg-type]
        await pilot.press("question_mark")
        await pilot.pause(0.2)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(100, 32), run_before=run_before)


def _open_seeded(workflow: str, dep_id: str, keys: tuple[str, ...] = ()) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await select_deployment(pilot, app, dep_id)  # type: ignore[arg-type]
        executions = table(app, "executions")  # type: ignore[arg-type]
        await wait_until(pilot, lambda: executions.row_count > 0, what="executions")
        target = next(
            e.id
            for e in main(app).snapshot.executions  # type: ignore[arg-type]
            if e.workflow_id == workflow
        )
        executions.focus()
        executions.select_key(target)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: type(app.screen).__name__ == "ExecutionScreen",
            what="the execution screen",
        )
        await wait_until(pilot, lambda: app.screen.state.finished, what="the tail")
        await wait_until(pilot, lambda: app.screen.workflow is not None, what="the workflow")
        for key in keys:
            await pilot.press(key)
        await pilot.pause(0.3)

    return run_before


def test_execution_screen(frozen_manager: ManagerProcess, snap: Snap) -> None:
    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(130, 36), run_before=_open_seeded("backup", "db-main"))


def test_execution_screen_with_tracebacks(frozen_manager: ManagerProcess, snap: Snap) -> None:
    app = make_app(frozen_manager, frozen=True)
    assert snap(
        app, terminal_size=(130, 36), run_before=_open_seeded("backup", "db-main", ("t", "e"))
    )


def test_raw_view(frozen_manager: ManagerProcess, snap: Snap) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await select_deployment(pilot, pilot.app, "web-prod")  # type: ignore[arg-type]
        await pilot.press("y")
        await wait_until(
            pilot, lambda: type(pilot.app.screen).__name__ == "RawScreen", what="the raw view"
        )
        await pilot.pause(0.2)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(110, 32), run_before=run_before)


def test_settings_view(frozen_manager: ManagerProcess, snap: Snap) -> None:
    resolved = resolve(
        {"manager": SHOWN_URL, "username": "admin", "read_only": True},
        {"CLOUDIFY_PASSWORD": "not-shown", "CLOUDIFY_TENANT": "default_tenant"},
        config_path=Path("/home/operator/.config/cfy-tui/config.yaml"),
        cfy_home=Path("/home/operator/.cloudify"),
    )

    async def run_before(pilot: Pilot[Any]) -> None:
        await select_deployment(pilot, pilot.app, "web-prod")  # type: ignore[arg-type]
        await pilot.press("comma")
        await wait_until(
            pilot,
            lambda: type(pilot.app.screen).__name__ == "SettingsScreen",
            what="the settings view",
        )
        await pilot.pause(0.2)

    app = make_app(
        frozen_manager,
        frozen=True,
        settings_rows=resolved.rows(),
        warnings=[
            "config file ~/.config/cfy-tui/config.yaml holds a password and "
            "is readable by others: chmod 600 it"
        ],
    )
    assert snap(app, terminal_size=(120, 34), run_before=run_before)


def test_watch_bar_with_a_pinned_execution(frozen_manager: ManagerProcess, snap: Snap) -> None:
    running = _running_reindex(frozen_manager)

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await _wait_active(pilot, running["id"])
        await focus_execution(pilot, app, "analytics", running["id"])  # type: ignore[arg-type]
        await pilot.press("m")
        bar = main(app).query_one("#watch-bar")  # type: ignore[arg-type]
        await wait_until(pilot, lambda: bar.display, what="the watch bar")
        await pilot.pause(0.2)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(120, 30), run_before=run_before)


def shown(screen: str, ready: Callable[[Any], Any]) -> Callable[[Pilot[Any]], Any]:
    """Wait for `screen` in front and `ready(screen)` truthy."""

    async def wait(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await wait_until(
            pilot,
            lambda: type(app.screen).__name__ == screen and ready(app.screen),
            what=screen,
        )

    return wait


def test_deployment_details(frozen_manager: ManagerProcess, snap: Snap) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await select_deployment(pilot, pilot.app, "web-prod")  # type: ignore[arg-type]
        await pilot.press("d")
        await shown("DeploymentScreen", lambda s: s.details is not None)(pilot)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(120, 36), run_before=run_before)


def test_node_instances_80x24(frozen_manager: ManagerProcess, snap: Snap) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await select_deployment(pilot, pilot.app, "web-canary")  # type: ignore[arg-type]
        await pilot.press("n")
        await shown("NodeInstancesScreen", lambda s: s.table.row_count > 0)(pilot)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(80, 24), run_before=run_before)


def test_execution_history(frozen_manager: ManagerProcess, snap: Snap) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await select_deployment(pilot, pilot.app, "web-prod")  # type: ignore[arg-type]
        await pilot.press("X")
        await shown("FleetScreen", lambda s: s.table.row_count > 0)(pilot)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(120, 30), run_before=run_before)


async def _group_preflight(pilot: Pilot[Any]) -> None:
    """analytics busy (a long reindex), db-replica never installed: check_status marked
    on four deployments at concurrency 2, up to the preflight."""
    app = pilot.app
    await select_deployment(pilot, app, "analytics")  # type: ignore[arg-type]
    await mark(pilot, app, ["analytics", "db-replica", "web-prod", "web-staging"])  # type: ignore[arg-type]
    await open_preflight(pilot, app, "check_status", concurrency=2)  # type: ignore[arg-type]
    await pilot.pause(0.2)


def test_group_preflight_80x24(frozen_manager: ManagerProcess, snap: Snap) -> None:
    _running_reindex(frozen_manager)
    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(80, 24), run_before=_group_preflight)


def test_group_screen(frozen_manager: ManagerProcess, snap: Snap) -> None:
    """The same group started: two members completed, analytics queued behind its
    reindex (for minutes: the picture does not depend on timing)."""
    _running_reindex(frozen_manager)

    async def run_before(pilot: Pilot[Any]) -> None:
        await _group_preflight(pilot)
        await pilot.press("ctrl+s")
        app = pilot.app

        def settled() -> bool:
            screen = app.screen
            progress = getattr(screen, "progress", None)
            counts = progress.counts if progress is not None else {}
            if (counts.get("done"), counts.get("waiting")) == (2, 1):
                return True
            # The app's clock is frozen: the screen's timed reads never come due.
            if not getattr(screen, "_reading", True):
                screen.action_refresh()
            return False

        await wait_until(pilot, settled, what="two completed, one queued")
        await pilot.pause(0.3)

    app = make_app(frozen_manager, frozen=True)
    assert snap(app, terminal_size=(120, 30), run_before=run_before)
