"""Every key that changes something on the manager, checked on the wire: the exact
request (method, path, query, JSON body) the embedded manager received, read from its
own request log (`--request-log-bodies`), besides the state that follows. A Kill
button that sent `force-cancel`, or a queue choice that sent `force`, fails here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.hardening.conftest import LoggedManager, wire_manager
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import (
    choose,
    focus_execution,
    http,
    main,
    screen_name,
    select_deployment,
    start_via_http,
    status_of,
    table,
)
from tui.app import CfyTuiApp
from tui.screens.flows import send_cancel

START = "/api/v3.1/executions"
CHECK_STATUS_DEFAULTS = {
    "run_by_dependency_order": False,
    "type_names": [],
    "node_ids": [],
    "node_instance_ids": [],
}


@pytest.fixture
def wire(tmp_path: Path) -> Iterator[LoggedManager]:
    with wire_manager(tmp_path / "manager") as proc:
        yield proc


def start_body(dep: str, workflow: str, parameters: dict[str, Any], **flags: bool) -> dict:
    body = {
        "deployment_id": dep,
        "workflow_id": workflow,
        "parameters": parameters,
        "allow_custom_parameters": False,
        "force": False,
        "dry_run": False,
        "queue": False,
    }
    body.update(flags)
    return body


async def open_form(pilot: Pilot[Any], app: CfyTuiApp, dep: str, workflow: str, key: str) -> None:
    await select_deployment(pilot, app, dep)
    workflows = table(app, "workflows")
    workflows.focus()
    assert workflows.select_key(workflow)
    await pilot.press(key)
    await wait_until(pilot, lambda: screen_name(app) == "StartScreen", what="the form")


async def test_start_force_dry_run_and_queue_send_exactly_what_was_chosen(
    wire: LoggedManager,
) -> None:
    app = make_app(wire, open_after_start=False)
    async with app.run_test(size=(140, 40)) as pilot:
        mark = wire.mark()
        await open_form(pilot, app, "web-staging", "check_status", "s")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: wire.sent_since(mark), what="the start")
        assert wire.sent_since(mark) == [
            {
                "method": "POST",
                "path": START,
                "query": "",
                "body": start_body("web-staging", "check_status", CHECK_STATUS_DEFAULTS),
            }
        ]

        # Dry run: the box, and nothing else, changes the body.
        mark = wire.mark()
        await open_form(pilot, app, "web-prod", "check_status", "s")
        app.screen.query_one("#opt-dry-run").toggle()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: wire.sent_since(mark), what="the dry run")
        expected = start_body("web-prod", "check_status", CHECK_STATUS_DEFAULTS, dry_run=True)
        assert [e["body"] for e in wire.sent_since(mark)] == [expected]

        # A long run on analytics; a second start there conflicts, and "Queue it"
        # sends queue (never force).
        mark = wire.mark()
        await open_form(pilot, app, "analytics", "reindex", "s")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: wire.sent_since(mark), what="reindex")
        await wait_until(pilot, lambda: main(app).snapshot.active_for("analytics"), what="run")
        mark = wire.mark()
        await open_form(pilot, app, "analytics", "check_status", "s")
        await pilot.press("ctrl+s")
        await choose(pilot, app, "Queue it")
        await wait_until(pilot, lambda: len(wire.sent_since(mark)) == 2, what="the queued retry")
        refused, queued = wire.sent_since(mark)
        assert refused["body"] == start_body("analytics", "check_status", CHECK_STATUS_DEFAULTS)
        assert queued["body"] == start_body(
            "analytics", "check_status", CHECK_STATUS_DEFAULTS, queue=True
        )

        # S: force, after the confirmation that names what runs beside it.
        mark = wire.mark()
        await open_form(pilot, app, "analytics", "check_status", "S")
        await pilot.press("ctrl+s")
        await choose(pilot, app, "Force start")
        await wait_until(pilot, lambda: wire.sent_since(mark), what="the forced start")
        assert [e["body"] for e in wire.sent_since(mark)] == [
            start_body("analytics", "check_status", CHECK_STATUS_DEFAULTS, force=True)
        ]


async def test_the_cancel_ladder_sends_cancel_force_cancel_and_kill(
    wire: LoggedManager,
) -> None:
    app = make_app(wire, open_after_start=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "analytics")

        async def run_reindex() -> str:
            """Start reindex on analytics (nothing else runs there) and wait until it
            is `started`: its id."""
            mark = wire.mark()
            await open_form(pilot, app, "analytics", "reindex", "s")
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: wire.sent_since(mark), what="reindex")
            await wait_until(
                pilot,
                lambda: (
                    getattr(main(app).snapshot.active_for("analytics"), "status", "") == "started"
                ),
                what="reindex started",
            )
            running = main(app).snapshot.active_for("analytics")
            assert running is not None
            return running.id

        first = await run_reindex()
        await focus_execution(pilot, app, "analytics", first)
        mark = wire.mark()
        await pilot.press("c")
        await choose(pilot, app, "Cancel execution")
        await wait_until(pilot, lambda: wire.sent_since(mark), what="the cancel")
        assert wire.sent_since(mark) == [
            {
                "method": "POST",
                "path": f"{START}/{first}",
                "query": "",
                "body": {"action": "cancel"},
            }
        ]
        await wait_until(pilot, lambda: status_of(app, first) == "cancelling", what="cancelling")
        # A repeated cancel (as after a lost answer) sends nothing: the manager would
        # refuse it, and the first one is at work.
        mark = wire.mark()
        cancelling = next(e for e in main(app).snapshot.executions if e.id == first)
        await send_cancel(app, cancelling, "cancel")
        assert wire.sent_since(mark) == []
        mark = wire.mark()
        await focus_execution(pilot, app, "analytics", first)
        await pilot.press("c")
        await choose(pilot, app, "Force-cancel")
        await wait_until(pilot, lambda: wire.sent_since(mark), what="the force-cancel")
        assert [e["body"] for e in wire.sent_since(mark)] == [{"action": "force-cancel"}]
        await wait_until(pilot, lambda: status_of(app, first) == "cancelled", what="cancelled")

        second = await run_reindex()
        await focus_execution(pilot, app, "analytics", second)
        mark = wire.mark()
        await pilot.press("c")
        await choose(pilot, app, "Kill" + ("..." if app.ascii_only else "…"))
        await choose(pilot, app, "Kill")
        await wait_until(pilot, lambda: wire.sent_since(mark), what="the kill")
        assert wire.sent_since(mark) == [
            {"method": "POST", "path": f"{START}/{second}", "query": "", "body": {"action": "kill"}}
        ]
        await wait_until(pilot, lambda: status_of(app, second) == "cancelled", what="killed")


async def test_resume_and_force_resume_send_their_action(wire: LoggedManager) -> None:
    """`u` on a cancelled execution: the dialog names it; Resume sends `resume`, and
    once it is cancelled again, Force-resume sends `force-resume`. From the main
    screen and from the execution screen."""
    running = start_via_http(wire, "analytics", "reindex")
    exec_id = running["id"]
    app = make_app(wire, open_after_start=False)
    async with app.run_test(size=(140, 40)) as pilot:

        async def killed() -> None:
            with http(wire) as client:
                client.post(f"/executions/{exec_id}", json={"action": "kill"})
            await wait_until(
                pilot, lambda: status_of(app, exec_id) == "cancelled", what="cancelled"
            )

        await select_deployment(pilot, app, "analytics")
        await killed()
        await focus_execution(pilot, app, "analytics", exec_id)
        mark = wire.mark()
        await pilot.press("u")
        await choose(pilot, app, "Resume")
        await wait_until(pilot, lambda: wire.sent_since(mark), what="the resume")
        assert wire.sent_since(mark) == [
            {
                "method": "POST",
                "path": f"{START}/{exec_id}",
                "query": "",
                "body": {"action": "resume"},
            }
        ]
        assert exec_id in app.watch_list.started
        await wait_until(
            pilot, lambda: status_of(app, exec_id) in ("pending", "started"), what="resumed"
        )
        await killed()
        await focus_execution(pilot, app, "analytics", exec_id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen_name(app) == "ExecutionScreen", what="its screen")
        mark = wire.mark()
        await pilot.press("u")
        await choose(pilot, app, "Force-resume")
        await wait_until(pilot, lambda: wire.sent_since(mark), what="the force-resume")
        assert [e["body"] for e in wire.sent_since(mark)] == [{"action": "force-resume"}]
        await killed()


async def test_without_the_test_flag_the_log_keeps_no_body_or_query(tmp_path: Path) -> None:
    """Bodies can hold parameters, and parameters secrets: the manager's request log
    keeps method, path, status and time only, unless a test asks for more."""
    proc = LoggedManager(data=tmp_path / "plain", speed=50.0)
    proc.extra_args = ["--request-log", str(proc.log_path)]
    proc.start()
    try:
        app = make_app(proc, open_after_start=False)
        async with app.run_test(size=(140, 40)) as pilot:
            mark = proc.mark()
            await open_form(pilot, app, "web-staging", "check_status", "s")
            await pilot.press("ctrl+s")
            await wait_until(
                pilot,
                lambda: any(e["method"] == "POST" for e in proc.requests_since(mark)),
                what="the start",
            )
        entries = proc.requests_since(0)
        assert entries and all(set(e) == {"method", "path", "status", "ms"} for e in entries)
    finally:
        proc.stop()
