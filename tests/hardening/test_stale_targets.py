"""A confirmation acts on the id captured when the key was pressed. If that execution
ended or vanished while the dialog was open, the user is told and nothing is sent: the
manager's own request log shows no POST to /executions/<id>. If other rows moved into
its place, the action still goes to the captured id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.hardening.conftest import LoggedManager
from tests.hardening.figures import count
from tests.hardening.screen import Notes
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import http, main, screen_name, select_deployment, start_via_http, table

V = "/api/v3.1"


async def open_cancel_dialog(pilot: Any, app: Any, exec_id: str) -> None:
    executions = table(app, "executions")
    await wait_until(pilot, lambda: exec_id in executions.keys, what="the execution row")
    executions.focus()
    assert executions.select_key(exec_id)
    await pilot.press("c")
    await wait_until(pilot, lambda: screen_name(app) == "ConfirmScreen", what="the dialog")


def posts_to(manager: LoggedManager, mark: int, exec_id: str) -> list[dict[str, Any]]:
    return [
        r
        for r in manager.requests_since(mark)
        if r["method"] == "POST" and r["path"] == f"{V}/executions/{exec_id}"
    ]


async def test_ended_or_deleted_behind_the_dialog_sends_nothing(
    manager_factory: Callable[..., LoggedManager],
) -> None:
    manager = manager_factory(speed=1.0)
    app = make_app(manager)
    app.open_after_start = False
    notes = Notes(app)
    async with app.run_test(size=(160, 45)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        for change in ("ended", "deleted"):
            running = start_via_http(manager, "web-prod", "rolling_restart", force=True)
            exec_id = running["id"]
            await open_cancel_dialog(pilot, app, exec_id)
            mark, said_mark = manager.mark(), notes.mark()
            with http(manager) as client:  # meanwhile, elsewhere:
                patched = client.patch(f"/executions/{exec_id}", json={"status": "failed"})
                assert patched.status_code == 200, patched.text
                if change == "deleted":
                    gone = client.request("DELETE", "/executions", params={"id": exec_id}, json={})
                    assert gone.json()["items"] == [{"count": 1}], gone.text
            await pilot.click("#choice-cancel")
            expected = "meanwhile; nothing was sent" if change == "ended" else "no longer exists"
            await wait_until(
                pilot, lambda e=expected, m=said_mark: e in notes.text_since(m), what=expected
            )
            assert "nothing was sent" in notes.text_since(said_mark)
            assert posts_to(manager, mark, exec_id) == []
            # The app looked (a GET of that id); the PATCH and DELETE are the test's own.
            looked = [r for r in manager.requests_since(mark) if exec_id in r["path"]]
            assert "GET" in {r["method"] for r in looked}, looked
            assert {r["method"] for r in looked} <= {"GET", "PATCH"}, looked
            count("stale-target cases")
        assert app._exception is None


async def test_rows_sliding_under_the_dialog_do_not_change_its_target(
    manager_factory: Callable[..., LoggedManager],
) -> None:
    manager = manager_factory(speed=1.0)
    app = make_app(manager)
    app.open_after_start = False
    async with app.run_test(size=(160, 45)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        first = start_via_http(manager, "web-prod", "rolling_restart", force=True)["id"]
        await open_cancel_dialog(pilot, app, first)
        # A newer execution takes the top row, where the target was.
        second = start_via_http(manager, "web-prod", "check_status", force=True)["id"]
        await wait_until(
            pilot,
            lambda: main(app).snapshot.executions[0].id == second,
            what="the rows to move",
        )
        mark = manager.mark()
        await pilot.click("#choice-cancel")
        await wait_until(pilot, lambda: posts_to(manager, mark, first), what="the cancel")
        assert posts_to(manager, mark, second) == []
        with http(manager) as client:
            assert client.get(f"/executions/{first}").json()["status"] in (
                "cancelling",
                "cancelled",
            )
        count("stale-target cases")
        assert app._exception is None
