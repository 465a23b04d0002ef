"""Whole operator flows, driven with the pilot against a real embedded manager."""

from __future__ import annotations

from pathlib import Path

from tests.manager_process import DEMO_DEPLOYMENTS, ManagerProcess
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import (
    captured_notes,
    cell,
    executions_with,
    http,
    main,
    palette_would_run,
    ready,
    screen_name,
    select_deployment,
    start_via_http,
    start_workflow,
    status_of,
    table,
)
from tui.actions.start import StartRequest
from tui.screens.confirm import ConfirmScreen
from tui.screens.flows import send_start


async def test_start_and_watch_to_completed(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await start_workflow(pilot, app, "db-replica", "install")
        await pilot.press("ctrl+s")
        started = await wait_until(
            pilot, lambda: executions_with(app, "install"), what="the new execution"
        )
        exec_id = started[0]
        # the new execution is selected in the executions pane
        await wait_until(
            pilot,
            lambda: table(app, "executions").selected_key == exec_id,
            what="the new execution to be selected",
        )
        await wait_until(
            pilot,
            lambda: status_of(app, exec_id) == "terminated",
            timeout=30,
            what="install to complete",
        )
        await wait_until(
            pilot,
            lambda: "completed" in cell(app, "executions", exec_id, "status"),
            what="status cell",
        )
        assert cell(app, "executions", exec_id, "ops") == "6/6"
        await wait_until(
            pilot,
            lambda: "completed" in cell(app, "deployments", "db-replica", "latest"),
            what="the deployment row to show the completed install",
        )
        assert app._exception is None


async def test_failing_workflow_shows_failed_and_its_error(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(160, 40)) as pilot:
        await start_workflow(pilot, app, "db-main", "backup")
        seeded = set(executions_with(app, "backup"))
        await pilot.press("ctrl+s")
        new = await wait_until(
            pilot,
            lambda: [e for e in executions_with(app, "backup") if e not in seeded],
            what="the new backup",
        )
        await wait_until(
            pilot, lambda: status_of(app, new[0]) == "failed", timeout=30, what="the backup to fail"
        )
        await wait_until(
            pilot,
            lambda: "failed" in cell(app, "executions", new[0], "status"),
            what="the status cell",
        )
        assert "✗ failed" in cell(app, "executions", new[0], "status")
        error = cell(app, "executions", new[0], "error")
        assert error.startswith("cloudify.exceptions.NonRecoverableError: pg_dump: error")


async def test_start_form_reports_problems_and_keeps_the_text(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await start_workflow(pilot, app, "web-prod", "rotate_certificates")
        form = app.screen
        area = form.query_one("#start-params")
        area.text = "validity_days: soon\nextra: 1\n"
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert screen_name(app) == "StartScreen"
        problems = str(form.query_one("#start-problems").render())
        assert "does not have the following parameters declared: extra" in problems
        assert 'Parameter "validity_days" must be of type integer' in problems
        assert "must be provided with the following parameters: common_name" in problems
        assert area.text == "validity_days: soon\nextra: 1\n"
        area.text = "common_name: a: b\n"
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert "YAML syntax error at line 1, column 15" in str(
            form.query_one("#start-problems").render()
        )
        area.text = "common_name: shop.example.com\nvalidity_days: 30\n"
        await pilot.pause(0.1)
        command = str(form.query_one("#start-command").render())
        assert "cfy executions start rotate_certificates -d web-prod" in command
        assert '"validity_days":30' in command and "shop.example.com" in command
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: executions_with(app, "rotate_certificates"), what="the started execution"
        )


async def test_conflict_then_force_start(manager: ManagerProcess) -> None:
    blocker = start_via_http(manager, "analytics", "reindex")
    app = make_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(
            pilot,
            lambda: any(e.id == blocker["id"] for e in main(app).snapshot.active),
            what="the running reindex",
        )
        await start_workflow(pilot, app, "analytics", "check_status")
        await pilot.press("ctrl+s")
        dialog = await wait_until(
            pilot,
            lambda: isinstance(app.screen, ConfirmScreen) and app.screen,
            what="the conflict dialog",
        )
        text = " ".join(str(w.render()) for w in dialog.query(".dialog-line"))
        assert blocker["id"][:8] in text and "reindex" in text
        assert app.focused is not None and app.focused.id == "choice-back"
        await pilot.click("#choice-force")
        forced = await wait_until(
            pilot, lambda: executions_with(app, "check_status"), what="the forced execution"
        )
        await wait_until(
            pilot,
            lambda: status_of(app, forced[0]) == "terminated",
            what="forced check_status to finish",
            timeout=30,
        )
        assert status_of(app, blocker["id"]) == "started"
    with http(manager) as client:
        client.post(f"/executions/{blocker['id']}", json={"action": "kill"})


async def test_queue_then_automatic_start(manager: ManagerProcess) -> None:
    blocker = start_via_http(manager, "analytics", "reindex")
    app = make_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_until(pilot, lambda: main(app).snapshot.active, what="the running reindex")
        await start_workflow(pilot, app, "analytics", "check_status")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the conflict dialog"
        )
        await pilot.click("#choice-queue")
        queued = await wait_until(
            pilot, lambda: executions_with(app, "check_status"), what="the queued execution"
        )
        await wait_until(pilot, lambda: status_of(app, queued[0]) == "queued", what="queued")
        assert "queued" in cell(app, "executions", queued[0], "status")
        with http(manager) as client:
            client.post(f"/executions/{blocker['id']}", json={"action": "force-cancel"})
        await wait_until(
            pilot,
            lambda: status_of(app, queued[0]) == "terminated",
            timeout=30,
            what="the queued execution to start and finish by itself",
        )


async def test_the_cancel_ladder(tmp_path: Path) -> None:
    """At real-life speed: `cancelling` lasts until the running operation ends (seconds),
    so the test sees it whatever the load on the machine."""
    manager = ManagerProcess(data=tmp_path / "manager", speed=1.0).start()
    try:
        await _cancel_ladder(manager)
    finally:
        manager.stop()


async def _cancel_ladder(manager: ManagerProcess) -> None:
    running = start_via_http(manager, "analytics", "reindex")
    app = make_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "analytics")
        executions = table(app, "executions")
        await wait_until(
            pilot, lambda: status_of(app, running["id"]) == "started", what="reindex started"
        )
        executions.focus()
        assert executions.select_key(running["id"])
        await pilot.press("c")
        dialog = await wait_until(
            pilot,
            lambda: isinstance(app.screen, ConfirmScreen) and app.screen,
            what="the cancel dialog",
        )
        body = " ".join(str(w.render()) for w in dialog.query(".dialog-line"))
        assert running["id"][:8] in body and "reindex" in body and "analytics" in body
        assert app.focused is not None and app.focused.id == "choice-back"
        await pilot.click("#choice-cancel")
        await wait_until(
            pilot, lambda: status_of(app, running["id"]) == "cancelling", what="cancelling"
        )
        # Graceful cancel waits for the running operation; escalate to force-cancel.
        executions.focus()
        executions.select_key(running["id"])
        await pilot.press("c")
        dialog = await wait_until(
            pilot,
            lambda: isinstance(app.screen, ConfirmScreen) and app.screen,
            what="the escalation dialog",
        )
        assert dialog.query("#choice-force-cancel")
        await pilot.click("#choice-force-cancel")
        await wait_until(
            pilot,
            lambda: status_of(app, running["id"]) == "cancelled",
            what="cancelled",
            timeout=20,
        )

        second = start_via_http(manager, "analytics", "reindex")
        await wait_until(
            pilot, lambda: status_of(app, second["id"]) == "started", what="second reindex"
        )
        executions.focus()
        executions.select_key(second["id"])
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="dialog")
        await pilot.click("#choice-kill")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, ConfirmScreen)
                and app.screen.query("#choice-kill")
                and "abandoned"
                in " ".join(str(w.render()) for w in app.screen.query(".dialog-line"))
            ),
            what="the kill confirmation",
        )
        assert app.focused is not None and app.focused.id == "choice-back"
        await pilot.click("#choice-kill")
        await wait_until(
            pilot, lambda: status_of(app, second["id"]) == "cancelled", what="killed", timeout=20
        )


async def test_filter_on_the_server(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot, app)
        table(app, "deployments").focus()
        await pilot.press("slash")
        await pilot.press("d", "b")
        await wait_until(
            pilot,
            lambda: table(app, "deployments").keys == ["db-main", "db-replica"],
            what="only db-* deployments",
        )
        await pilot.press("escape")
        await wait_until(
            pilot,
            lambda: len(table(app, "deployments").keys) == len(DEMO_DEPLOYMENTS),
            what="the filter to clear",
        )


async def test_cursor_stays_on_its_object(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "db-replica")
        deployments = table(app, "deployments")
        assert deployments.selected_key == "db-replica"
        with http(manager) as client:
            for name in ("aa-first", "ab-second", "zz-last"):
                assert (
                    client.put(f"/deployments/{name}", json={"blueprint_id": "webapp"}).status_code
                    == 201
                )
        app.refresh_now()
        await wait_until(pilot, lambda: "aa-first" in deployments.keys, what="new rows")
        assert deployments.keys[:2] == ["aa-first", "ab-second"]
        assert deployments.selected_key == "db-replica"
        with http(manager) as client:
            assert client.delete("/deployments/aa-first").status_code == 204
            assert (
                client.delete("/deployments/analytics", params={"force": "true"}).status_code == 204
            )
        app.refresh_now()
        await wait_until(pilot, lambda: "aa-first" not in deployments.keys, what="removal")
        assert deployments.selected_key == "db-replica"
        assert main(app).snapshot.selected == "db-replica"


async def test_outage_marks_data_stale_and_recovers(manager: ManagerProcess) -> None:
    app = make_app(manager, fast_interval=0.1, slow_interval=0.2)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        manager.stop()
        line = main(app).query_one("#status-line")
        await wait_until(
            pilot, lambda: "disconnected" in str(line.render()), what="disconnected shown"
        )
        text = str(line.render())
        assert "retrying in" in text and "(stale)" in text
        assert table(app, "deployments").row_count == len(DEMO_DEPLOYMENTS)
        assert table(app, "deployments").selected_key == "web-prod"
        manager.start()
        await wait_until(
            pilot,
            lambda: "● connected" in str(line.render()),
            timeout=40,
            what="reconnected by itself",
        )
        assert table(app, "deployments").selected_key == "web-prod"


async def test_read_only_has_no_mutating_binding_or_command(manager: ManagerProcess) -> None:
    app = make_app(manager, read_only=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "db-replica")
        table(app, "workflows").focus()
        table(app, "workflows").select_key("install")
        await pilot.press("s")
        await pilot.press("S")
        await pilot.pause(0.2)
        assert screen_name(app) == "MainScreen"
        names = [name for name, _, _ in main(app).command_actions()]
        assert "Start" not in names and "Force start" not in names and "Cancel" not in names
        assert "READ-ONLY" in str(main(app).query_one("#status-line").render())
        # s, S and c only answer with the reason (their fallback binding), never act.
        active = {b.binding.key: b.binding.action for b in app.active_bindings.values()}
        for key in ("s", "S", "c"):
            assert active.get(key, "refused").startswith("refused("), (key, active.get(key))


async def test_server_text_is_inert(manager: ManagerProcess) -> None:
    hostile = "[@click=app.quit]x[/] [link=https://evil.example]y[/link] \x1b]0;PWN\x07\x9b2J"
    with http(manager) as client:
        created = client.put(
            "/deployments/hostile", json={"blueprint_id": "webapp", "display_name": hostile}
        )
        assert created.status_code == 201
    app = make_app(manager)
    async with app.run_test(size=(200, 40)) as pilot:
        await select_deployment(pilot, app, "hostile")
        shown = cell(app, "deployments", "hostile", "name")
        assert "[@click=app.quit]x[/]" in shown and "[link=https://evil.example]" in shown
        assert "\x1b" not in shown and "\x9b" not in shown and "\x07" not in shown
        await pilot.click("#deployments", offset=(40, 1))
        await pilot.pause(0.2)
        assert app.is_running and app._exception is None
        # An error message carrying markup is shown as text too.
        request = StartRequest("[@click=app.quit]x[/]", "install", {})
        app.run_worker(send_start(app, request), exit_on_error=False)
        note = await wait_until(
            pilot,
            lambda: [n for n in app._notifications if "was not found" in n.message],
            what="the not-found notification",
        )
        assert "[@click=app.quit]x[/]" in note[0].message and note[0].markup is False
        await pilot.pause(0.2)
        assert app.is_running and app._exception is None


async def test_every_action_is_a_command(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        names = {name for name, _, _ in main(app).command_actions()}
        assert {"Start", "Force start", "Cancel", "Filter", "Refresh", "Pause", "Help"} <= names
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: screen_name(app) == "CommandPalette", what="palette")
        await pilot.press(*"pause")
        await wait_until(pilot, lambda: palette_would_run(app, "Pause"), what="the answer")
        await pilot.press("enter")
        await wait_until(pilot, lambda: main(app).snapshot.paused, what="paused by command")
        assert "PAUSED" in str(main(app).query_one("#status-line").render())
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: screen_name(app) == "HelpScreen", what="help")
        described = {description for _, description, _ in app.screen._rows}
        assert {"Start", "Force start", "Cancel", "Filter", "Refresh", "Pause"} <= described


async def test_execution_screen_tails_events(manager: ManagerProcess) -> None:
    app = make_app(manager)
    async with app.run_test(size=(160, 45)) as pilot:
        await start_workflow(pilot, app, "db-main", "backup")
        await pilot.press("ctrl+s")
        screen = await wait_until(
            pilot,
            lambda: screen_name(app) == "ExecutionScreen" and app.screen,
            what="the execution screen to open after the start",
        )
        await wait_until(pilot, lambda: screen.state.finished, timeout=30, what="tail end")
        state = screen.state
        assert state.execution is not None and state.execution.status == "failed"
        kinds = [e.event_type for e in state.events if e.type == "cloudify_event"]
        assert kinds[0] == "workflow_started" and kinds[-1] == "workflow_failed"
        assert len({e.key for e in state.events}) == len(state.events)
        header = str(screen.query_one("#exec-header").render())
        assert "failed" in header and "backup" in header and "db-main" in header
        assert "pg_dump: error" in header
        # jump to the first failure; tracebacks expand
        await pilot.press("e")
        await pilot.pause(0.1)
        assert screen.follow is False and screen._failure_line is not None
        lines_before = screen._lines
        await pilot.press("t")
        await pilot.pause(0.1)
        assert screen._lines > lines_before
        # level filter: errors only
        while screen.level != "error":
            await pilot.press("l")
        await pilot.pause(0.1)
        assert screen._lines >= 2 and screen._lines < len(state.events)
        # ? lists this screen's own keys
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: screen_name(app) == "HelpScreen", what="help")
        described = {description for _, description, _ in app.screen._rows}
        assert {"First failure", "Tracebacks", "Level", "Follow", "Run again"} <= described
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "ExecutionScreen", what="back")
        # R: the start form, prefilled with the same parameters
        await pilot.press("R")
        form = await wait_until(
            pilot,
            lambda: screen_name(app) == "StartScreen" and app.screen,
            what="the prefilled start form",
        )
        assert "destination: s3://backups/postgres" in form.query_one("#start-params").text
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "ExecutionScreen", what="back")
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen_name(app) == "MainScreen", what="main again")


async def test_pinned_execution_end_is_reported(manager: ManagerProcess) -> None:
    running = start_via_http(manager, "analytics", "reindex")
    app = make_app(manager)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await select_deployment(pilot, app, "analytics")
        executions = table(app, "executions")
        await wait_until(pilot, lambda: running["id"] in executions.keys, what="row")
        executions.focus()
        executions.select_key(running["id"])
        await pilot.press("m")
        assert running["id"] in app.watch_list.pinned
        bar = main(app).query_one("#watch-bar")
        await wait_until(
            pilot, lambda: bar.display and "reindex" in str(bar.render()), what="the watch bar"
        )
        with http(manager) as client:
            client.post(f"/executions/{running['id']}", json={"action": "kill"})
        note = await wait_until(
            pilot,
            lambda: [n for n in app._notifications if "was cancelled" in n.message],
            what="the toast for the end",
            timeout=20,
        )
        assert running["id"][:8] in note[0].message
        await wait_until(pilot, lambda: "cancelled" in str(bar.render()), what="bar status")
        # enter on an execution opens its screen
        executions.focus()
        executions.select_key(running["id"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "ExecutionScreen", what="screen")
        assert "reindex" in str(app.screen.query_one("#watch-bar").render())


async def test_a_start_with_a_secret_in_a_parameter(manager: ManagerProcess) -> None:
    """`{get_secret: ...}` passes the form's checks ("evaluated by the manager") and the
    manager evaluates it: the execution stores the secret's value."""
    with http(manager) as api:
        created = api.put("/secrets/backup-target", json={"value": "s3://vault/postgres"})
        assert created.status_code == 200, created.text
    app = make_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await start_workflow(pilot, app, "db-replica", "backup")
        app.screen.query_one("#start-params").text = "destination: {get_secret: backup-target}\n"
        await pilot.press("ctrl+s")
        started = await wait_until(
            pilot, lambda: executions_with(app, "backup"), what="the new execution"
        )
        assert screen_name(app) != "StartScreen"
    with http(manager) as api:
        stored = api.get(f"/executions/{started[0]}").json()
    assert stored["parameters"]["destination"] == "s3://vault/postgres"
    assert app._exception is None


async def test_a_running_snapshot_is_shown_and_named_by_a_queued_start(tmp_path: Path) -> None:
    """While a system workflow runs the manager queues every start: the status line
    shows it, and the start it queued says what it waits for."""
    manager = ManagerProcess(data=tmp_path / "manager", speed=1.0).start()
    try:
        with http(manager) as api:
            snapshot = api.put("/snapshots/nightly", json={"include_credentials": False})
            assert snapshot.status_code == 201, snapshot.text
        app = make_app(manager, open_after_start=False)
        notes = captured_notes(app)
        async with app.run_test(size=(140, 40)) as pilot:
            line = lambda: str(main(app).query_one("#status-line").render())  # noqa: E731
            await wait_until(
                pilot, lambda: "system create_snapshot started" in line(), what="the snapshot"
            )
            await start_workflow(pilot, app, "web-prod", "check_status")
            await pilot.press("ctrl+s")
            queued = await wait_until(
                pilot, lambda: executions_with(app, "check_status"), what="the queued start"
            )
            assert status_of(app, queued[0]) == "queued"
            said = " ".join(notes)
            assert "starts after the system workflow create_snapshot" in said, said
            with http(manager) as api:
                cancel = api.post(f"/executions/{snapshot.json()['id']}", json={"action": "cancel"})
                assert cancel.status_code == 200, cancel.text
            await wait_until(pilot, lambda: "system " not in line(), what="the snapshot gone")
            await wait_until(
                pilot,
                lambda: status_of(app, queued[0]) not in (None, "queued"),
                what="the queued start to leave the queue",
            )
            assert app._exception is None
    finally:
        manager.stop()


async def test_the_event_tail_opens_at_the_newest_and_loads_older_on_o(
    manager: ManagerProcess,
) -> None:
    """An ended execution with 350 more log lines: the screen opens on the newest page,
    says how many are older, and `o` puts the older pages in front, each line once."""
    with http(manager) as api:
        backup = next(
            e
            for e in api.get("/executions", params={"deployment_id": "db-main"}).json()["items"]
            if e["workflow_id"] == "backup"
        )
        logs = [
            {
                "logger": "bulk",
                "level": "info",
                "message": {"text": f"bulk line {n:03d}"},
                "context": {},
            }
            for n in range(350)
        ]
        posted = api.post("/events", json={"execution_id": backup["id"], "logs": logs})
        assert posted.status_code == 201, posted.text
    app = make_app(manager)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "db-main")
        executions = table(app, "executions")
        executions.focus()
        assert executions.select_key(backup["id"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "ExecutionScreen", what="screen")
        screen = app.screen
        await wait_until(pilot, lambda: screen.state.opened, what="the newest page")
        first = [e.message for e in screen.state.events]
        assert "bulk line 349" in first and "bulk line 000" not in first
        older = screen.state.older
        assert older > 0
        assert f"{older:,} older (o)" in str(screen.query_one("#tail-status").render())
        while screen.state.older:
            before = screen.state.older
            await pilot.press("o")
            await wait_until(
                pilot,
                lambda before=before: (
                    screen.state.older < before and not screen.state.loading_older
                ),
                what="an older page",
            )
        messages = [e.message for e in screen.state.events]
        bulk = [m for m in messages if m.startswith("bulk line")]
        assert bulk == [f"bulk line {n:03d}" for n in range(350)]
        assert app._exception is None
