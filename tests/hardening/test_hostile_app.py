"""The whole app against a hostile manager: generated answers on every endpoint it
reads, keys pressed and rows clicked at random. It never crashes, never runs an action
named in server text, never draws a link from it, and never draws a control character.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from textual.worker import Worker, WorkerState

from tests.hardening.figures import count, scaled
from tests.hardening.hostile import HostileServer, Reply, benign, deployment_doc, page
from tests.hardening.screen import interpreted_markup, screen_text
from tests.hardening.strategies import DOCUMENTS, reply
from tui.api import ManagerClient, Timeouts
from tui.app import CfyTuiApp
from tui.identity import Identity

DRAWN_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
KEYS = [
    "tab",
    "tab",
    "shift+tab",
    "down",
    "up",
    "j",
    "enter",
    "enter",
    "s",
    "S",
    "c",
    "y",
    "m",
    "r",
    "p",
    "escape",
    "escape",
    "question_mark",
    "ctrl+s",
    "R",
    "f",
    "l",
    "e",
    "t",
    "slash",
    "a",
]


class HostileApp(CfyTuiApp):
    """Counts `[@click=app.pwned]` being acted on, and notes every worker that died of
    an exception (the app runs its workers with `exit_on_error=False`, so such a death
    would otherwise pass unseen)."""

    pwned = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.worker_errors: list[str] = []

    def action_pwned(self) -> None:
        self.pwned += 1

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.worker_errors.append(f"{event.worker.name}: {event.worker.error!r}")


class LoggedErrors(logging.Handler):
    """Errors the app logged with a traceback (`log.exception`: a bug caught to keep
    the poller alive), which the screen never shows."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(f"{record.name}: {record.getMessage()} {record.exc_info[1]!r}")


def make_hostile_app(url: str) -> HostileApp:
    client = ManagerClient(
        url, username="u", password="p", timeouts=Timeouts(connect=1, read=1, write=1, pool=1)
    )
    app = HostileApp(
        client,
        Identity(url=url, tenant="default_tenant", user="u"),
        fast_interval=0.5,
        slow_interval=0.5,
    )
    app.poller.quiet_interval = 0.5  # just opened, the app is quiet: tick as often
    app.poller._backoff.first = 0.05
    app.poller._backoff.cap = 0.2
    return app


async def wait_for(pilot: Any, condition: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(0.02)
    return False


def check_screen(app: HostileApp) -> None:
    assert app._exception is None, app._exception
    assert app.worker_errors == [], app.worker_errors
    assert app.pwned == 0
    markup = interpreted_markup(app, ("pwned", "evil.example"))
    assert not markup, markup
    drawn = screen_text(app)
    assert not DRAWN_CONTROL.search(drawn), repr(DRAWN_CONTROL.findall(drawn)[:5])


async def drive(server: HostileServer, keys: list[str], clicks: list[tuple[int, int]]) -> None:
    app = make_hostile_app(server.url)
    logged = LoggedErrors()
    tui_log = logging.getLogger("tui")
    tui_log.addHandler(logged)
    try:
        await _drive(app, keys, clicks)
    finally:
        tui_log.removeHandler(logged)
    assert logged.records == [], logged.records


async def _drive(app: HostileApp, keys: list[str], clicks: list[tuple[int, int]]) -> None:
    async with app.run_test(size=(150, 40)) as pilot:
        # Two ticks, or the first one refused (a 401 or 403 stops the polling by design:
        # no retry that a real manager would count towards locking the account).
        assert await wait_for(
            pilot, lambda: app.poller._ticks >= 2 or app.poller.refused, timeout=3
        )
        # Something was drawn: the status line names the tenant and a state, whatever
        # the manager answered.
        drawn = screen_text(app)
        assert "default_tenant" in drawn, drawn[-400:]
        assert re.search(r"connect|disconnected|refused", drawn), drawn[-400:]
        check_screen(app)
        for index, key in enumerate(keys):
            await pilot.press(key)
            await pilot.pause(0.01)
            if index < len(clicks):
                await pilot.click(offset=clicks[index])
            assert app.is_running and app._exception is None, (key, app._exception)
        await pilot.pause(0.15)
        check_screen(app)
        assert app.is_running
    assert app._exception is None, app._exception


@st.composite
def scenario(draw: st.DrawFn) -> dict[str, Any]:
    """Every endpoint either well-formed or hostile; at least one hostile."""
    world: dict[str, Any] = dict(benign(("dep", "dep2")))
    spoil = draw(st.sets(st.sampled_from(sorted(DOCUMENTS)), min_size=1))
    for endpoint in spoil:
        if draw(st.integers(0, 3)) == 0:
            world[endpoint] = draw(reply(endpoint))
        else:  # a well-formed answer with hostile content: more of the UI gets drawn
            world[endpoint] = Reply.json(
                draw(DOCUMENTS[endpoint]), 201 if endpoint == "start" else 200
            )
    return world


@settings(
    max_examples=scaled(15),
    deadline=None,
    database=None,
    # No shrinking: each example runs the whole app (about a second); a failure
    # prints its seed and example as found.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # the server is reset for each example
    ],
)
@given(
    world=scenario(),
    keys=st.lists(st.sampled_from(KEYS), min_size=3, max_size=7),
    clicks=st.lists(st.tuples(st.integers(0, 149), st.integers(0, 36)), max_size=3),
)
def test_hostile_answers_never_crash_or_act(
    hostile: HostileServer, world: dict[str, Any], keys: list[str], clicks: list[tuple[int, int]]
) -> None:
    hostile.replies.clear()
    hostile.set(**world)
    count("hostile cases generated (app level)")
    asyncio.run(drive(hostile, keys, clicks))


PAYLOAD = (
    "[@click=app.pwned]CLICK[/] [link=https://evil.example/x]LINK[/link] "
    "\x1b]0;PWNED\x07 \x1b[2J \x9b31m \x00\x7f \u202eevil\u202c \u200bzw"
)


async def test_markup_in_every_field_is_shown_as_text_and_clicks_do_nothing(
    hostile: HostileServer,
) -> None:
    """Deterministic companion of the property: the payload in every displayed field,
    every row clicked; the literal markup is on screen, nothing is interpreted."""
    dep = deployment_doc(
        "dep",
        display_name=PAYLOAD,
        blueprint_id=PAYLOAD,
        latest_execution_workflow_id=PAYLOAD,
        deployment_status=PAYLOAD,
        workflows=[{"name": PAYLOAD, "parameters": {PAYLOAD: {"description": PAYLOAD}}}],
    )
    world = benign(("dep",))
    world["deployments"] = Reply.json(page([dep]))
    world["deployment"] = Reply.json(dep)
    hostile.set(**world)
    app = make_hostile_app(hostile.url)
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: "CLICK" in screen_text(app))
        for y in (2, 3, 14):
            for x in (5, 30, 60, 90, 120, 160):
                await pilot.click(offset=(x, y))
        app.main_screen.query_one("#workflows").focus()
        await pilot.press("s")  # the start form, with the payload as a parameter
        assert await wait_for(pilot, lambda: type(app.screen).__name__ == "StartScreen")
        await pilot.pause(0.1)
        shown = screen_text(app)
        assert "[@click=app.pwned]CLICK[/] [link=https://evil.example/x]LINK[/link]" in shown
        assert "\ufffd]0;PWNED\ufffd" in shown
        check_screen(app)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert "[@click=app.pwned]C" in screen_text(app)  # the columns cut it there
        check_screen(app)
    assert app.pwned == 0 and app._exception is None
    count("hostile cases generated (app level)")


async def test_a_stalled_manager_leaves_the_app_responsive(hostile: HostileServer) -> None:
    """Answers that never come: the keys still work, the status line says the manager
    did not answer in time, and the app recovers when answers come again."""
    hostile.set(**benign(("dep",)))
    app = make_hostile_app(hostile.url)
    async with app.run_test(size=(150, 40)) as pilot:
        line = app.main_screen.query_one("#status-line")
        assert await wait_for(pilot, lambda: "● connected" in str(line.render()))
        hostile.set(executions=Reply(stall=True), deployments=Reply(stall=True))
        app.refresh_now()
        await pilot.press("p")  # while a request hangs
        assert await wait_for(pilot, lambda: "PAUSED" in str(line.render()), timeout=1)
        await pilot.press("p", "question_mark")
        assert await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen", 1)
        await pilot.press("escape")
        error = app.main_screen.query_one("#error-line")  # the error has its own line
        assert await wait_for(pilot, lambda: "did not answer in time" in str(error.render()))
        assert "(stale)" in str(line.render())
        hostile.set(**benign(("dep",)))
        assert await wait_for(pilot, lambda: "● connected" in str(line.render()), timeout=8)
        check_screen(app)
    count("hostile cases generated (app level)")
