"""Driving the app like an operator: select rows, press keys, wait for the screen."""

from __future__ import annotations

from typing import Any

import httpx
from textual.command import Command, CommandList
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, TextArea

from tests.manager_process import PASSWORDS, ManagerProcess
from tests.ui.conftest import wait_until
from tui.app import CfyTuiApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.main import MainScreen
from tui.screens.preflight import PreflightScreen
from tui.widgets.keyed_table import KeyedTable


def main(app: CfyTuiApp) -> MainScreen:
    assert app.main_screen is not None
    return app.main_screen


def table(app: CfyTuiApp, name: str) -> KeyedTable:
    return main(app).query_one(f"#{name}", KeyedTable)


def cell(app: CfyTuiApp, name: str, key: str, column: str) -> str:
    return table(app, name).get_cell(key, column).plain


async def ready(pilot: Pilot[Any], app: CfyTuiApp) -> None:
    await wait_until(
        pilot, lambda: table(app, "deployments").row_count > 0, what="deployments to load"
    )


async def select_deployment(pilot: Pilot[Any], app: CfyTuiApp, dep_id: str) -> None:
    await ready(pilot, app)
    deployments = table(app, "deployments")
    deployments.focus()
    assert deployments.select_key(dep_id), dep_id
    await workflows_shown(pilot, app, dep_id)


async def workflows_shown(pilot: Pilot[Any], app: CfyTuiApp, dep_id: str) -> None:
    """Wait until the workflows pane shows `dep_id`'s workflows and its title names it."""
    await wait_until(
        pilot,
        lambda: (
            main(app).snapshot.detail is not None
            and main(app).snapshot.detail.id == dep_id
            and table(app, "workflows").row_count > 0
            and str(main(app).query_one("#workflows-pane").border_title) == f"Workflows: {dep_id}"
        ),
        what=f"workflows of {dep_id}",
    )


async def start_workflow(
    pilot: Pilot[Any], app: CfyTuiApp, dep_id: str, workflow: str, key: str = "s"
) -> None:
    """Select the workflow and press `s` (or `S`); leaves the start form open."""
    await select_deployment(pilot, app, dep_id)
    workflows = table(app, "workflows")
    workflows.focus()
    assert workflows.select_key(workflow), workflow
    await pilot.press(key)
    await wait_until(
        pilot, lambda: type(app.screen).__name__ == "StartScreen", what="the start form"
    )


def screen_name(app: CfyTuiApp) -> str:
    return type(app.screen).__name__


def executions_with(app: CfyTuiApp, workflow: str) -> list[str]:
    snapshot = main(app).snapshot
    return [e.id for e in snapshot.executions if e.workflow_id == workflow]


def status_of(app: CfyTuiApp, exec_id: str) -> str | None:
    for execution in main(app).snapshot.executions:
        if execution.id == exec_id:
            return execution.status
    return None


def http(manager: ManagerProcess) -> httpx.Client:
    return httpx.Client(
        base_url=manager.api,
        auth=("admin", PASSWORDS["admin"]),
        headers={"Tenant": "default_tenant", "Content-Type": "application/json"},
        timeout=30,
    )


def start_via_http(manager: ManagerProcess, dep_id: str, workflow: str, **kw: Any) -> dict:
    with http(manager) as client:
        response = client.post(
            "/executions", json={"deployment_id": dep_id, "workflow_id": workflow, **kw}
        )
        assert response.status_code == 201, response.text
        return response.json()


async def focus_execution(pilot: Pilot[Any], app: CfyTuiApp, dep_id: str, exec_id: str) -> None:
    """Select `dep_id`, wait for `exec_id` in its executions, and put the cursor on it."""
    await select_deployment(pilot, app, dep_id)
    executions = table(app, "executions")
    await wait_until(pilot, lambda: exec_id in executions.keys, what=f"execution {exec_id}")
    executions.focus()
    executions.select_key(exec_id)


def captured_notes(app: CfyTuiApp) -> list[str]:
    """Every message the app will notify from now on (the toasts still show)."""
    notes: list[str] = []
    original = app.notify

    def notify(message: str, **kw: Any) -> None:
        notes.append(message)
        original(message, **kw)

    app.notify = notify  # type: ignore[method-assign]
    return notes


def palette_would_run(app: CfyTuiApp, name: str) -> bool:
    """The command palette is open, has answered the typed query, and the command
    `enter` would run now is called `name` (the palette searches as keys arrive, so
    `enter` pressed before it answered runs nothing, or something else)."""
    if screen_name(app) != "CommandPalette":
        return False
    commands = app.screen.query_one(CommandList)
    index = commands.highlighted
    if index is None or index >= commands.option_count:
        return False
    option = commands.get_option_at_index(index)
    return isinstance(option, Command) and option.hit.text == name


def flows_running(app: CfyTuiApp) -> list[str]:
    """The flows (a key's dialogs and requests) still at work on the main screen: none
    left means whatever a dialog's answer led to has been done, or not done."""
    screen = main(app)
    return [w.name for w in app.workers if w.node is screen and w.group == "flows" and w.is_running]


async def choose(pilot: Pilot[Any], app: CfyTuiApp, label: str) -> None:
    """Press the dialog's button named `label` with the keyboard (tab to it, enter)."""
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="a dialog")
    buttons = [str(b.label) for b in app.screen.query("Button")]
    assert label in buttons, buttons
    for _ in range(buttons.index(label)):
        await pilot.press("tab")
    await pilot.press("enter")


async def mark(pilot: Pilot[Any], app: CfyTuiApp, dep_ids: list[str]) -> None:
    """Mark `dep_ids` with `space`, as an operator would (the cursor on each)."""
    await ready(pilot, app)
    deployments = table(app, "deployments")
    deployments.focus()
    for dep_id in dep_ids:
        await wait_until(pilot, lambda d=dep_id: d in deployments.keys, what=dep_id)
        assert deployments.select_key(dep_id)
        await pilot.press("space")
    assert set(main(app).marks.ids) == set(dep_ids)


async def open_preflight(
    pilot: Pilot[Any],
    app: CfyTuiApp,
    workflow: str,
    *,
    parameters: str | None = None,
    concurrency: int | None = None,
) -> PreflightScreen:
    """`s` with marks: the form, the workflow chosen (and what is given typed in),
    then the preflight."""
    await pilot.press("s")
    await wait_until(pilot, lambda: screen_name(app) == "GroupStartScreen", what="the form")
    options = app.screen.query_one("#group-workflows", OptionList)
    names = [options.get_option_at_index(i).id for i in range(options.option_count)]
    options.highlighted = names.index(workflow)
    await pilot.pause()
    if parameters is not None:
        app.screen.query_one("#group-params", TextArea).load_text(parameters)
    if concurrency is not None:
        app.screen.query_one("#group-concurrency", Input).value = str(concurrency)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: screen_name(app) == "PreflightScreen", what="the preflight")
    screen = app.screen
    assert isinstance(screen, PreflightScreen)
    return screen
