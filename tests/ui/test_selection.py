"""What the user sees is what the keys act on: after a filter, a resize, a page turn, a
tenant switch or an outage, every pane, form and key names the deployment under the
cursor; keys that cannot act say why; states on screen are the manager's."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tests.hardening.screen import Notes, screen_text
from tests.manager_process import ManagerProcess
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import (
    flows_running,
    focus_execution,
    http,
    main,
    ready,
    screen_name,
    select_deployment,
    start_via_http,
    table,
    workflows_shown,
)
from tui.app import CfyTuiApp
from tui.screens.confirm import ConfirmScreen
from tui.screens.execution import ExecutionScreen
from tui.screens.start import StartScreen


def title(app: CfyTuiApp, pane: str) -> str:
    return str(main(app).query_one(f"#{pane}-pane").border_title)


def targets(app: CfyTuiApp) -> tuple[str | None, str | None]:
    """(the deployment under the cursor, the one the poller and panes follow)."""
    return table(app, "deployments").selected_key, main(app).snapshot.selected


async def type_filter(pilot: Pilot[Any], text: str) -> None:
    await pilot.press("slash")
    await pilot.press(*text)
    await pilot.press("enter")


async def press_on_workflow(pilot: Pilot[Any], app: CfyTuiApp, workflow: str, key: str) -> None:
    workflows = table(app, "workflows")
    workflows.focus()
    assert workflows.select_key(workflow), workflow
    await pilot.press(key)
    await pilot.pause(0.2)


async def test_filter_with_the_cursor_elsewhere_retargets_every_pane(
    manager: ManagerProcess,
) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_deployment(pilot, app, "analytics")
        await type_filter(pilot, "db")
        deployments = table(app, "deployments")
        await wait_until(
            pilot, lambda: deployments.keys == ["db-main", "db-replica"], what="filtered"
        )
        await wait_until(pilot, lambda: targets(app) == ("db-main", "db-main"), what="target")
        await workflows_shown(pilot, app, "db-main")
        assert title(app, "executions") == "Executions: db-main"
        assert all(e.deployment_id == "db-main" for e in main(app).snapshot.executions)
        await press_on_workflow(pilot, app, "uninstall", "s")
        await wait_until(pilot, lambda: screen_name(app) == "StartScreen", what="start form")
        assert isinstance(app.screen, StartScreen)
        assert app.screen.deployment_id == "db-main"


async def test_filter_to_nothing_leaves_nothing_to_act_on(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        notes = Notes(app)
        await select_deployment(pilot, app, "web-prod")
        await type_filter(pilot, "zzz")
        deployments = table(app, "deployments")
        await wait_until(pilot, lambda: deployments.row_count == 0, what="no match")
        await wait_until(pilot, lambda: targets(app) == (None, None), what="no target")
        assert title(app, "workflows") == "Workflows: no deployment"
        assert title(app, "executions") == "Executions: no deployment selected"
        assert table(app, "workflows").row_count == 0
        assert table(app, "executions").row_count == 0
        assert "none" in title(app, "deployments")
        for key in ("s", "S", "c"):
            table(app, "workflows" if key != "c" else "executions").focus()
            mark = notes.mark()
            await pilot.press(key)
            await wait_until(pilot, lambda mark=mark: notes.since(mark), what=f"why {key}")
            assert screen_name(app) == "MainScreen"
        said = notes.text_since(0)
        assert "filter matches none" in said
        assert "No execution selected" in said or "Executions pane" in said
        # Clearing the filter brings back the list and a target again.
        deployments.focus()
        await pilot.press("escape")
        await wait_until(pilot, lambda: deployments.row_count > 0, what="all again")
        await wait_until(
            pilot,
            lambda: targets(app)[0] is not None and targets(app)[0] == targets(app)[1],
            what="a target again",
        )


async def test_resize_keeps_the_target(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        for size in ((80, 24), (120, 36), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.5)
            assert targets(app) == ("web-prod", "web-prod"), size
            await workflows_shown(pilot, app, "web-prod")


async def test_tenant_switch_targets_the_new_cursor(manager: ManagerProcess) -> None:
    from tests.ui.test_switching import connected_app

    app = connected_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        assert app.connections is not None
        app.reconnect(app.connections.for_tenant("team-eu"))
        deployments = table(app, "deployments")
        await wait_until(
            pilot, lambda: set(deployments.keys) == {"web-eu", "db-eu"}, what="team-eu"
        )
        await wait_until(
            pilot,
            lambda: targets(app)[0] in {"web-eu", "db-eu"} and targets(app)[0] == targets(app)[1],
            what="the new tenant's deployment as target",
        )
        cursor = targets(app)[0]
        assert cursor is not None
        await workflows_shown(pilot, app, cursor)


async def test_read_only_keys_say_why(manager: ManagerProcess) -> None:
    app = make_app(manager, read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        notes = Notes(app)
        await select_deployment(pilot, app, "web-prod")
        await press_on_workflow(pilot, app, "install", "s")
        await press_on_workflow(pilot, app, "install", "S")
        executions = table(app, "executions")
        await wait_until(pilot, lambda: executions.row_count > 0, what="executions")
        executions.focus()
        await pilot.press("c")
        await wait_until(pilot, lambda: len(notes.shown) >= 3, what="three refusals")
        said = notes.text_since(0)
        assert said.count("Read-only mode: starting is disabled.") == 2
        assert "Read-only mode: cancelling is disabled." in said
        assert screen_name(app) == "MainScreen"


async def test_unavailable_workflow_is_explained_and_nothing_is_sent(
    manager: ManagerProcess,
) -> None:
    app = make_app(manager)
    posts: list[str] = []
    app.client._on_request = lambda method, path, status, took: (
        posts.append(path) if method == "POST" else None
    )
    async with app.run_test(size=(120, 36)) as pilot:
        notes = Notes(app)
        await select_deployment(pilot, app, "analytics")
        workflows = table(app, "workflows")
        assert "no:" in workflows.get_cell("install", "available").plain
        await press_on_workflow(pilot, app, "install", "s")
        await wait_until(pilot, lambda: notes.shown, what="the reason")
        said = notes.text_since(0)
        assert "install is not available on analytics" in said
        assert "Nothing was sent" in said
        await press_on_workflow(pilot, app, "install", "enter")
        assert screen_name(app) == "MainScreen"
        assert posts == []
        # Force skips the manager's availability check: S opens the form.
        await press_on_workflow(pilot, app, "install", "S")
        await wait_until(pilot, lambda: screen_name(app) == "StartScreen", what="form")


async def test_enter_on_a_workflow_opens_its_start_form(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        await press_on_workflow(pilot, app, "check_status", "enter")
        await wait_until(pilot, lambda: screen_name(app) == "StartScreen", what="form")
        assert isinstance(app.screen, StartScreen)
        assert (app.screen.deployment_id, app.screen.workflow.name) == ("web-prod", "check_status")


async def test_uninstall_asks_once_more(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_deployment(pilot, app, "web-staging")
        await press_on_workflow(pilot, app, "uninstall", "s")
        await wait_until(pilot, lambda: screen_name(app) == "StartScreen", what="form")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirm")
        text = screen_text(app)
        assert "uninstall on web-staging" in text
        assert "deleted" in text
        await pilot.press("enter")  # the safe choice (Back) has the focus
        await wait_until(pilot, lambda: not flows_running(app), what="the flow's end")
        assert screen_name(app) == "MainScreen"
        with http(manager) as client:
            runs = client.get(
                "/executions", params={"deployment_id": "web-staging", "workflow_id": "uninstall"}
            ).json()["items"]
        assert runs == []


async def test_cancel_and_pin_of_an_ended_execution_say_so(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        notes = Notes(app)
        await select_deployment(pilot, app, "db-main")
        executions = table(app, "executions")
        await wait_until(pilot, lambda: executions.row_count > 0, what="executions")
        ended = next(e for e in main(app).snapshot.executions if e.is_ended)
        await focus_execution(pilot, app, "db-main", ended.id)
        await pilot.press("c")
        await wait_until(pilot, lambda: notes.shown, what="why not")
        assert "already ended" in notes.text_since(0)
        assert "nothing to cancel" in notes.text_since(0)
        assert screen_name(app) == "MainScreen"
        mark = notes.mark()
        await pilot.press("m")
        await wait_until(pilot, lambda: notes.since(mark), what="pin")
        assert "already ended" in notes.text_since(mark)
        assert "will be told" not in notes.text_since(mark)


async def test_pause_key_reads_resume_while_paused(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, app)

        def p_label() -> str:
            """What the footer on screen says for `p` (not what a binding would say)."""
            footer = screen_text(app).splitlines()[-1]
            return "Resume" if " p Resume" in footer else "Pause" if " p Pause" in footer else ""

        await wait_until(pilot, lambda: p_label() == "Pause", what="Pause label")
        await pilot.press("p")
        await wait_until(pilot, lambda: main(app).snapshot.paused, what="paused")
        await wait_until(pilot, lambda: p_label() == "Resume", what="Resume label", timeout=3)
        await pilot.press("p")
        await wait_until(pilot, lambda: not main(app).snapshot.paused, what="live again")
        await wait_until(pilot, lambda: p_label() == "Pause", what="Pause again", timeout=3)


async def test_one_execution_screen_at_a_time(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_deployment(pilot, app, "db-main")
        first, second = main(app).snapshot.executions[:2]
        app.open_execution(first)
        await wait_until(pilot, lambda: isinstance(app.screen, ExecutionScreen), what="one")
        app.open_execution(second)
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, ExecutionScreen) and app.screen.execution.id == second.id
            ),
            what="the second",
        )
        assert sum(isinstance(s, ExecutionScreen) for s in app.screen_stack) == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "MainScreen", what="back")


async def test_home_end_and_g_move_to_the_ends(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, app)
        deployments = table(app, "deployments")
        deployments.focus()
        await pilot.press("G")
        assert deployments.selected_key == deployments.keys[-1]
        await pilot.press("g")
        assert deployments.selected_key == deployments.keys[0]
        await pilot.press("end")
        assert deployments.selected_key == deployments.keys[-1]
        await pilot.press("home")
        assert deployments.selected_key == deployments.keys[0]
        await wait_until(
            pilot, lambda: targets(app) == (deployments.keys[0],) * 2, what="target follows"
        )


async def test_disconnect_freezes_clocks_and_marks_stale(manager: ManagerProcess) -> None:
    """While the manager is down: durations stop, data is dimmed and titled stale, the
    status line keeps manager, tenant and user at 80 columns, and reconnection comes
    within 5 s of the manager's return."""
    app = make_app(manager, fast_interval=0.5, slow_interval=1.0)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_deployment(pilot, app, "analytics")
        running = start_via_http(manager, "analytics", "reindex")
        executions = table(app, "executions")
        await wait_until(
            pilot,
            lambda: (
                running["id"] in executions.keys
                and executions.get_cell(running["id"], "status").plain.endswith("started")
            ),
            what="the running execution",
        )
        manager.stop(kill=True)
        await wait_until(pilot, lambda: main(app).snapshot.stale, what="stale", timeout=30)
        # Drawn: the titles say stale once the screen has applied the stale snapshot.
        await wait_until(pilot, lambda: "(stale)" in title(app, "executions"), what="drawn stale")
        assert "duration" in [key.value for key in executions.columns]  # shown at 80 columns
        duration = executions.get_cell(running["id"], "duration").plain
        line = str(main(app).query_one("#status-line").render())
        assert "disconnected" in line and "127.0.0.1" in line
        assert "tenant default_tenant" in line or "admin@default_tenant" in line
        assert "data" in line and "updated" not in line
        assert "(stale)" in title(app, "executions")
        assert "(stale)" in title(app, "workflows") and "(stale)" in title(app, "deployments")
        assert main(app).query_one("#panes").has_class("-stale")
        assert main(app).query_one("#error-line").display
        await pilot.pause(2.2)
        assert executions.get_cell(running["id"], "duration").plain == duration
        later = str(main(app).query_one("#status-line").render())
        assert later.split("data")[1] == line.split("data")[1]
        # Back: the poller tries at least every 5 s.
        manager.start()
        await wait_until(
            pilot, lambda: main(app).snapshot.connection.connected, what="reconnected", timeout=8
        )
        assert not main(app).query_one("#panes").has_class("-stale")
        assert not main(app).query_one("#error-line").display


async def test_help_and_palette_name_keys_as_people_type_them(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot, app)
        keys = {key for key, _, _ in main(app).help_rows()}
        assert {"/", "esc", "?", ",", "enter"} <= keys
        assert not keys & {"slash", "escape", "question_mark", "comma", "⏎"}
        commands = [(name, text) for name, text, _ in main(app).command_actions()]
        assert all(name != text for name, text in commands), commands
        assert len({name for name, _ in commands}) == len(commands)
        assert "Pause" in dict(commands) and "Resume" not in dict(commands)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: screen_name(app) == "HelpScreen", what="help")
        shown = screen_text(app)
        for word in ("slash", "question_mark", "comma", "escape"):
            assert word not in shown


async def test_execution_screen_stops_its_clock_while_disconnected(
    manager: ManagerProcess,
) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_deployment(pilot, app, "analytics")
        running = start_via_http(manager, "analytics", "reindex")
        await focus_execution(pilot, app, "analytics", running["id"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ExecutionScreen), what="screen")
        screen = app.screen
        assert isinstance(screen, ExecutionScreen)
        await wait_until(
            pilot, lambda: screen.execution.started_at is not None, what="the start time"
        )
        manager.stop(kill=True)
        await wait_until(pilot, lambda: screen.state.error, what="the tail's error", timeout=30)

        def header() -> str:
            return str(screen.query_one("#exec-header").render())

        await wait_until(pilot, lambda: "(stale" in header(), what="stale header")
        before = header()
        await pilot.pause(2.2)
        assert header() == before  # the elapsed time does not count on
        assert "elapsed" in before and "as of" in before


async def test_the_start_key_and_button_follow_the_force_box(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(120, 36)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        await press_on_workflow(pilot, app, "check_status", "S")
        await wait_until(pilot, lambda: screen_name(app) == "StartScreen", what="form")

        def said() -> tuple[str, str]:
            footer = screen_text(app).splitlines()[-1]
            button = str(app.screen.query_one("#start-go").label)
            return footer, button

        footer, button = said()
        assert "ctrl+s Force start" in footer and button == "Force start"
        app.screen.query_one("#opt-force").toggle()
        await pilot.pause(0.2)
        footer, button = said()
        assert "ctrl+s Start" in footer and "Force" not in footer and button == "Start"
