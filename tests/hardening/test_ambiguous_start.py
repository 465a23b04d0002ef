"""Starts whose answer is lost are never retried blindly: the app looks for the execution
the request may have created and says what it found. A fault-injecting proxy sits
between the app and the real manager; executions are counted on the manager itself.
Cancels cut the same way are safe to repeat, and the app says so."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from tests.hardening.conftest import LoggedManager
from tests.hardening.figures import count
from tests.hardening.proxy import FAULTS, FaultProxy
from tests.hardening.screen import Notes
from tests.manager_process import PASSWORDS
from tests.ui.conftest import wait_until
from tests.ui.helpers import http, select_deployment, start_via_http
from tui.actions.start import StartRequest
from tui.api import ManagerClient, Timeouts
from tui.api.models import Execution
from tui.app import CfyTuiApp
from tui.identity import Identity
from tui.screens.flows import send_cancel, send_start

TRIALS = 36
START = "/api/v3.1/executions"


@pytest.fixture
def setup(
    manager_factory: Callable[..., LoggedManager],
) -> Iterator[tuple[LoggedManager, FaultProxy, CfyTuiApp]]:
    manager = manager_factory(speed=5.0)
    # The `delay` fault holds an answer past the client's read timeout; the timeout
    # itself leaves real answers, slow under load, room to arrive.
    proxy = FaultProxy(manager.url, delay=4.0).start()
    client = ManagerClient(
        proxy.url,
        username="admin",
        password=PASSWORDS["admin"],
        timeouts=Timeouts(connect=2, read=2.0, write=2, pool=2),
    )
    app = CfyTuiApp(
        client,
        Identity(url=proxy.url, tenant="default_tenant", user="admin"),
        fast_interval=0.3,
        slow_interval=0.5,
    )
    try:
        yield manager, proxy, app
    finally:
        proxy.stop()


def executions_of(manager: LoggedManager, dep_id: str, workflow: str) -> dict[str, dict]:
    with http(manager) as client:
        items = client.get(
            "/executions",
            params={"deployment_id": dep_id, "workflow_id": workflow, "_size": 1000},
        ).json()["items"]
    return {e["id"]: e for e in items}


async def test_lost_answers_never_start_twice(
    setup: tuple[LoggedManager, FaultProxy, CfyTuiApp],
) -> None:
    manager, proxy, app = setup
    notes = Notes(app)
    forwarded = duplicates = 0
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "web-staging")
        before = executions_of(manager, "web-staging", "check_status")
        log_mark = manager.mark()
        for trial in range(TRIALS):
            fault = FAULTS[trial % len(FAULTS)]
            existing = executions_of(manager, "web-staging", "check_status")
            mark, seen = notes.mark(), len(proxy.seen)
            proxy.fault = fault
            await send_start(app, StartRequest("web-staging", "check_status", {}, force=True))
            proxy.fault = None
            new = set(executions_of(manager, "web-staging", "check_status")) - set(existing)
            sent = [s for s in proxy.seen[seen:] if s[:2] == ("POST", START)]
            said = notes.text_since(mark)
            assert len(sent) == 1, sent  # the start was never sent again
            assert "Start outcome checked" in said, said
            if fault == "drop_before":
                assert not new, (fault, new)
                assert "No new execution was found: it did not start" in said, said
            else:
                forwarded += 1
                assert len(new) == 1, (fault, new)
                assert f"It did start: execution {next(iter(new))[:8]}" in said, said
            duplicates += max(0, len(new) - 1)
            count("fault-injection trials")
        assert app._exception is None
    total = set(executions_of(manager, "web-staging", "check_status")) - set(before)
    assert len(total) == forwarded == TRIALS * 2 // 3
    # The manager's own log: one POST per forwarded trial, none more.
    posts = [
        r for r in manager.requests_since(log_mark) if (r["method"], r["path"]) == ("POST", START)
    ]
    assert len(posts) == forwarded
    assert duplicates == 0
    count("duplicate executions found", duplicates)


async def test_an_execution_started_just_before_is_not_taken_for_the_lost_one(
    setup: tuple[LoggedManager, FaultProxy, CfyTuiApp],
) -> None:
    """The check compares the executions the manager lists before and after the
    request; one the app started a second earlier is known, and is not the answer."""
    _, proxy, app = setup
    notes = Notes(app)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "web-staging")
        app.open_after_start = False
        request = StartRequest("web-staging", "check_status", {}, force=True)
        await send_start(app, request)  # answered: started
        assert "Started" in notes.text_since(0)
        mark = notes.mark()
        proxy.fault = "drop_before"
        await send_start(app, request)  # lost before it reached the manager
        proxy.fault = None
        said = notes.text_since(mark)
        assert "it did not start" in said and "It did start" not in said, said
        count("fault-injection trials")


async def test_a_client_clock_far_off_changes_nothing(
    setup: tuple[LoggedManager, FaultProxy, CfyTuiApp],
) -> None:
    """No clock agreement is needed: with the app's clock an hour ahead of or behind
    the manager's, a start whose answer was lost is still found, and one that never
    reached the manager is still reported as not started."""
    manager, proxy, app = setup
    notes = Notes(app)
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "web-staging")
        app.open_after_start = False
        request = StartRequest("web-staging", "check_status", {}, force=True)
        for skew in (3600.0, -3600.0):
            app.clock = lambda skew=skew: time.time() + skew  # type: ignore[misc]
            existing = executions_of(manager, "web-staging", "check_status")
            mark = notes.mark()
            proxy.fault = "drop_after"  # reached the manager, the answer was lost
            await send_start(app, request)
            proxy.fault = None
            new = set(executions_of(manager, "web-staging", "check_status")) - set(existing)
            assert len(new) == 1
            said = notes.text_since(mark)
            assert f"It did start: execution {next(iter(new))[:8]}" in said, (skew, said)
            mark = notes.mark()
            proxy.fault = "drop_before"
            await send_start(app, request)
            proxy.fault = None
            assert "it did not start" in notes.text_since(mark), skew
            count("fault-injection trials", 2)


async def test_a_lost_cancel_says_it_is_safe_to_repeat_and_is(
    setup: tuple[LoggedManager, FaultProxy, CfyTuiApp],
) -> None:
    manager, proxy, app = setup
    notes = Notes(app)
    running = start_via_http(manager, "web-prod", "rolling_restart", force=True)
    target = Execution.from_json(running)
    assert target is not None
    async with app.run_test(size=(140, 40)) as pilot:
        await select_deployment(pilot, app, "web-prod")
        proxy.method, proxy.prefix, proxy.exact = "POST", f"{START}/{target.id}", True
        for fault in FAULTS:
            mark = notes.mark()
            proxy.fault = fault
            await send_cancel(app, target, "cancel")
            proxy.fault = None
            said = notes.text_since(mark)
            # The first lost cancel leaves it running or cancelling: "safe to repeat";
            # later ones may find it ended already: "nothing was sent".
            assert "Cancelling is safe to repeat" in said or "nothing was sent" in said, said
            count("fault-injection trials")
        # And repeating it is indeed harmless: the execution ends cancelled.
        mark = notes.mark()
        await send_cancel(app, target, "cancel")
        said = notes.text_since(mark)
        # Repeated: sent again and answered, found already cancelling (a manager would
        # refuse a second cancel, so none is sent), or found ended; never refused.
        assert "Cancel refused" not in said, said
        assert (
            "Cancel requested" in said
            or "is already cancelling; nothing was sent" in said
            or "nothing was sent" in said
        ), said

        def ended() -> bool:
            with http(manager) as client:
                status = client.get(f"/executions/{target.id}").json()["status"]
            return status in ("cancelled", "terminated", "failed")

        await wait_until(pilot, ended, timeout=30, what="the execution to end")
        with http(manager) as client:
            assert client.get(f"/executions/{target.id}").json()["status"] == "cancelled"
        assert app._exception is None
