"""Read-only mode, proven by the manager's own request log: every screen, every binding
of every screen and pane, every command of the palette, and the app's start, re-run and
cancel entry points called directly; not one POST, PUT, PATCH or DELETE is sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.binding import Binding
from textual.widgets import Button

from tests.hardening.conftest import MUTATING, LoggedManager
from tests.hardening.figures import count
from tests.hardening.screen import Notes
from tests.polling import wait_for
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import http, main, screen_name, select_deployment, start_via_http, table
from tui.api.models import Execution
from tui.screens.flows import cancel_flow, rerun_flow, resume_flow, start_flow

QUITS = {"q", "ctrl+c", "ctrl+q"}


def start_group_via_http(manager: LoggedManager, deployments: list[str], workflow: str) -> str:
    """A group run made with the manager's API, as the `cfy` CLI would: its id."""
    with http(manager) as client:
        put = client.put("/deployment-groups/nightly", json={"deployment_ids": deployments})
        assert put.status_code in (200, 201), put.text
        started = client.post(
            "/execution-groups",
            json={"deployment_group_id": "nightly", "workflow_id": workflow},
        )
        assert started.status_code in (200, 201), started.text
        return str(started.json()["id"])


def keys_of(screen: Any) -> list[str]:
    keys: list[str] = []
    for binding in [*type(screen).BINDINGS]:
        if not isinstance(binding, Binding) or "quit" in binding.action:
            continue
        keys += [k.strip() for k in binding.key.split(",") if k.strip() not in QUITS]
    return keys


async def back_to_main(pilot: Any, app: Any) -> None:
    for _ in range(5):
        if screen_name(app) == "MainScreen":
            return
        await pilot.press("escape")
        await pilot.pause(0.05)
    assert screen_name(app) == "MainScreen", screen_name(app)


async def confirm_each_choice(
    pilot: Any, app: Any, screen: Any, key: str, pressed: set[str]
) -> None:
    """The dialog `key` opened on `screen`: each of its buttons chosen in turn (the
    key opens it again for the next), as an operator confirming would."""
    opened = app.screen
    labels = [b.id for b in opened.query(Button) if b.id]
    for index, button_id in enumerate(labels):
        if index:
            await back_to(pilot, app, screen)
            await pilot.press(key)
            await pilot.pause(0.05)
        dialog = app.screen
        if dialog is screen or not dialog.query(f"#{button_id}"):
            break
        dialog.query_one(f"#{button_id}", Button).press()
        await pilot.pause(0.1)
        pressed.add(f"{type(dialog).__name__}:{button_id}")
    await back_to(pilot, app, screen)


async def back_to(pilot: Any, app: Any, screen: Any) -> None:
    for _ in range(5):
        if app.screen is screen or len(app.screen_stack) <= 1:
            return
        await pilot.press("escape")
        await pilot.pause(0.05)


async def press_all(
    pilot: Any, app: Any, pressed: set[str], where: str, skip: frozenset[str] = frozenset()
) -> None:
    """Every key of the current screen's bindings but `skip`, coming back to it after
    each; a dialog that opens gets each of its choices confirmed."""
    screen = app.screen
    for key in [k for k in keys_of(screen) if k not in skip]:
        if app.screen is not screen:
            break
        await pilot.press(key)
        await pilot.pause(0.05)
        pressed.add(f"{where}:{key}")
        opened = app.screen
        if opened is not screen and opened.query(Button):
            await confirm_each_choice(pilot, app, screen, key, pressed)
            continue
        if opened is not screen and key != "escape":
            # Something opened (raw view, help, settings, the execution screen): its own
            # keys too, one level deep, then back.
            for inner in keys_of(opened):
                if app.screen is not opened:
                    break
                await pilot.press(inner)
                await pilot.pause(0.05)
                pressed.add(f"{type(opened).__name__}:{inner}")
            while app.screen is not screen and len(app.screen_stack) > 1:
                await pilot.press("escape")
                await pilot.pause(0.05)
                if screen_name(app) == "MainScreen" and screen is not app.screen:
                    break
        assert app._exception is None, (where, key, app._exception)


async def test_read_only_sends_nothing_that_mutates(
    manager_factory: Callable[..., LoggedManager],
) -> None:
    manager = manager_factory(speed=1.0)
    running = start_via_http(manager, "web-prod", "rolling_restart", force=True)
    group_id = start_group_via_http(manager, ["web-staging", "analytics"], "check_status")
    wait_for(
        lambda: sum(r["method"] in MUTATING for r in manager.requests()) >= 3,
        what="the setup requests",
    )
    mark = manager.mark()  # everything after this is the app's
    app = make_app(manager, read_only=True)
    notes = Notes(app)
    pressed: set[str] = set()
    async with app.run_test(size=(160, 45)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        await wait_until(
            pilot, lambda: running["id"] in table(app, "executions").keys, what="the run"
        )
        for pane in ("deployments", "workflows", "executions"):
            await back_to_main(pilot, app)
            table(app, pane).focus()
            if pane == "executions":
                table(app, pane).select_key(running["id"])
            await pilot.pause(0.05)
            await press_all(pilot, app, pressed, pane)
        # The execution screen, opened with enter on the execution, and all its keys.
        await back_to_main(pilot, app)
        table(app, "executions").focus()
        table(app, "executions").select_key(running["id"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "ExecutionScreen", what="it")
        await press_all(pilot, app, pressed, "execution")
        await back_to_main(pilot, app)
        # Group runs: the recent list and its keys, a group's screen and all its keys,
        # then marks and `s` (a group start), refused.
        await pilot.press("b")
        await wait_until(
            pilot,
            lambda: screen_name(app) == "GroupRunsScreen" and group_id in app.screen.table.keys,
            what="the group runs",
        )
        await press_all(pilot, app, pressed, "group runs", skip=frozenset({"escape"}))
        await back_to_main(pilot, app)
        app.group_ends.open(group_id)
        await wait_until(
            pilot,
            lambda: screen_name(app) == "GroupScreen" and app.screen.progress is not None,
            what="the group screen",
        )
        await press_all(pilot, app, pressed, "group", skip=frozenset({"escape"}))
        await back_to_main(pilot, app)
        table(app, "deployments").focus()
        await pilot.press("space", "s")
        await wait_until(
            pilot,
            lambda: "Read-only mode: starting is disabled." in notes.text_since(0),
            what="the group start refused",
        )
        assert screen_name(app) == "MainScreen"
        # The filter with typing, and the help screen's and palette's own keys.
        await pilot.press("slash", *"web", "enter", "escape")
        await pilot.press("ctrl+p", *"start", "enter")
        await pilot.pause(0.2)
        await back_to_main(pilot, app)
        # Every command the palette offers (mutating ones are absent), run as it would.
        names = [name for name, _, _ in main(app).command_actions()]
        assert not {"Start", "Force start", "Cancel"} & set(names), names
        for name, _, callback in main(app).command_actions():
            callback()
            await pilot.pause(0.05)
            pressed.add(f"palette:{name}")
            await back_to_main(pilot, app)
        # The entry points themselves refuse.
        detail = main(app).snapshot.detail
        assert detail is not None and detail.workflows
        app.run_worker(start_flow(app, "web-prod", detail.workflows[0], force=False))
        execution = Execution.from_json(running)
        assert execution is not None
        app.run_worker(cancel_flow(app, execution))
        app.run_worker(rerun_flow(app, execution))
        app.run_worker(resume_flow(app, execution))
        # Each entry point refuses at once, saying so, instead of opening anything.
        await wait_until(
            pilot,
            lambda: (
                "Read-only mode: starting is disabled." in notes.text_since(0)
                and "Read-only mode: cancelling is disabled." in notes.text_since(0)
                and "Read-only mode: resuming is disabled." in notes.text_since(0)
            ),
            what="the refusals",
        )
        assert screen_name(app) == "MainScreen"
        assert "READ-ONLY" in str(main(app).query_one("#status-line").render())
        assert app._exception is None
    requests = manager.requests_since(mark)
    mutating = [r for r in requests if r["method"] in MUTATING]
    assert mutating == [], mutating
    assert len([r for r in requests if r["method"] == "GET"]) > 10
    assert {"deployments:s", "workflows:s", "workflows:S", "executions:c"} <= pressed, pressed
    assert {"group:c", "group:u", "deployments:space", "deployments:asterisk"} <= pressed, pressed
    assert any(k.startswith("ExecutionScreen:") or k.startswith("execution:") for k in pressed)
    # No key opens a confirming dialog in read-only mode; one that did would have had
    # each of its choices pressed above, and the request log checked for what they sent.
    assert not [k for k in pressed if k.startswith("ConfirmScreen:")], pressed
    count("read-only: keys and commands tried", len(pressed))
    count("read-only: mutating requests sent", len(mutating))
