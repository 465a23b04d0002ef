"""ASCII mode (`--ascii`): every screen drawn with nothing but ASCII, and the pieces
that make it so (the glyph table, plurals, event times, checkboxes, the ops bar).

What is allowed on screen in ASCII mode: nothing outside ASCII. The seed data is
ASCII, every word of ours is, and every glyph comes from the table's ASCII column;
Textual's own chrome (borders, scrollbars, the palette, keys) is replaced by
tui/widgets/chrome.py and styles/app.tcss. The whole composited terminal is read,
modals and toasts included, as a screenshot reads it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from rich.text import Text
from textual._context import active_app
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Checkbox

from tests.hardening.screen import screen_text
from tests.manager_process import ManagerProcess
from tests.polling import wait_for
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import (
    focus_execution,
    http,
    main,
    screen_name,
    select_deployment,
    start_via_http,
    start_workflow,
    table,
)
from tui.api.models import Event
from tui.app import CfyTuiApp
from tui.messages import TailUpdated
from tui.screens.confirm import ConfirmScreen
from tui.screens.prompt import PromptScreen
from tui.widgets import fmt
from tui.widgets.chrome import (
    ASCII_CLASS,
    GlyphChrome,
    GlyphScrollBarRender,
    ascii_key,
    ascii_text,
)
from tui.widgets.controls import MaskedInput, StateCheckbox, check_mark
from tui.widgets.event_lines import event_line, nothing_shown
from tui.widgets.glyphs import GLYPHS, glyph, overflow, sep
from tui.widgets.ops_bar import bar_text
from tui.widgets.safe import clean, safe

ALLOWED: frozenset[str] = frozenset()  # nothing beyond ASCII, see the module docstring


def offending(text: str) -> list[str]:
    """Each line holding a character that is neither ASCII nor allowed, with them."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        bad = sorted({c for c in line if not c.isascii() and c not in ALLOWED})
        if bad:
            names = ", ".join(f"{c!r} U+{ord(c):04X}" for c in bad)
            found.append(f"  line {number}: {names}: {line.rstrip()}")
    return found


class Tour:
    """Reads the terminal at each stop and keeps every stop that drew non-ASCII, so
    one run reports all of them."""

    def __init__(self, app: CfyTuiApp) -> None:
        wiring = "tui/app.py: class CfyTuiApp(GlyphChrome, App[None])"
        assert isinstance(app, GlyphChrome), wiring
        self.app = app
        self.failures: list[str] = []

    async def check(self, pilot: Pilot[Any], where: str) -> str:
        await pilot.pause(0.3)
        text = screen_text(self.app)
        bad = offending(text)
        if bad:
            self.failures.append(f"{where}:\n" + "\n".join(bad))
        return text

    def verdict(self) -> None:
        assert self.app._exception is None, self.app._exception
        assert not self.failures, "non-ASCII drawn in ASCII mode:\n" + "\n".join(self.failures)


def _running_reindex(manager: ManagerProcess) -> dict[str, Any]:
    """A long execution (the manager runs at real-life speed), already started."""
    execution = start_via_http(manager, "analytics", "reindex")
    with http(manager) as client:
        wait_for(
            lambda: client.get(f"/executions/{execution['id']}").json()["status"] == "started",
            what="reindex started",
        )
    return execution


async def _back_to(pilot: Pilot[Any], app: CfyTuiApp, name: str) -> None:
    await pilot.press("escape")
    await wait_until(pilot, lambda: screen_name(app) == name, what=name)


async def _open_execution(pilot: Pilot[Any], app: CfyTuiApp, dep_id: str, exec_id: str) -> Any:
    await focus_execution(pilot, app, dep_id, exec_id)
    await pilot.press("enter")
    return await wait_until(
        pilot,
        lambda: screen_name(app) == "ExecutionScreen" and app.screen,
        what="the execution screen",
    )


# -- the app, screen by screen -----------------------------------------------------------


async def test_every_screen_draws_only_ascii(frozen_manager: ManagerProcess) -> None:
    running = _running_reindex(frozen_manager)
    app = make_app(
        frozen_manager,
        frozen=True,
        ascii_only=True,
        settings_rows=[("manager", "http://127.0.0.1:8100", "flag --manager")],
        warnings=["config file holds a password and is readable by others"],
    )
    tour = Tour(app)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        assert app.has_class(ASCII_CLASS)
        await select_deployment(pilot, app, "web-prod")
        await tour.check(pilot, "main screen")

        await pilot.press("question_mark")
        await wait_until(pilot, lambda: screen_name(app) == "HelpScreen", what="help")
        await tour.check(pilot, "help")
        await _back_to(pilot, app, "MainScreen")

        await pilot.press("comma")
        await wait_until(pilot, lambda: screen_name(app) == "SettingsScreen", what="settings")
        await tour.check(pilot, "settings")
        await _back_to(pilot, app, "MainScreen")

        await pilot.press("y")
        await wait_until(pilot, lambda: screen_name(app) == "RawScreen", what="raw view")
        await tour.check(pilot, "raw view")
        await _back_to(pilot, app, "MainScreen")

        await start_workflow(pilot, app, "web-prod", "rotate_certificates")
        text = await tour.check(pilot, "start form")
        assert "[ ] dry run" in text
        app.screen.query_one("#opt-dry-run", Checkbox).value = True
        app.screen.query_one("#start-params").text = "validity_days: soon\n"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        text = await tour.check(pilot, "start form with problems")
        assert "[x] dry run" in text
        assert f"{glyph('problem', True)} " in str(app.screen.query_one("#start-problems").render())
        await _back_to(pilot, app, "MainScreen")

        await start_workflow(pilot, app, "analytics", "check_status")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="conflict")
        await tour.check(pilot, "confirmation (another execution is running)")
        await _back_to(pilot, app, "MainScreen")

        await focus_execution(pilot, app, "analytics", running["id"])
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="cancel")
        await tour.check(pilot, "cancel dialog")
        await _back_to(pilot, app, "MainScreen")

        await pilot.press("m")  # pin: the watch bar, and a toast
        bar = main(app).query_one("#watch-bar")
        await wait_until(pilot, lambda: bar.display, what="the watch bar")
        await tour.check(pilot, "watch bar with a pinned execution")

        screen = await _open_execution(pilot, app, "analytics", running["id"])
        await wait_until(pilot, lambda: screen.state.events, what="the first events")
        await tour.check(pilot, "execution screen, running")
        await pilot.press("l")  # info -> warning: a reindex logs nothing at warning
        await wait_until(pilot, lambda: screen._note is not None, what="the empty note")
        text = await tour.check(pilot, "execution screen, every event hidden")
        assert "nothing at this level" in text
        warning = Event(
            storage_id=10_000,
            type="cloudify_log",
            timestamp="2026-11-26T12:00:01.000Z",
            message="disk almost full",
            level="warning",
        )
        screen.post_message(
            TailUpdated(replace(screen.state, events=(*screen.state.events, warning)))
        )
        await wait_until(pilot, lambda: screen._lines == 1, what="the warning shown")
        assert screen._note is None
        text = await tour.check(pilot, "execution screen, a warning arrived")
        assert "nothing at this level" not in text and "disk almost full" in text
        await pilot.press("z")
        await tour.check(pilot, "execution screen, times in UTC")
        assert app.utc  # type: ignore[attr-defined]
        assert str(screen.query_one("#tail-status").render()).endswith("| times in UTC")
        await _back_to(pilot, app, "MainScreen")

        await select_deployment(pilot, app, "db-main")
        ended = next(e.id for e in main(app).snapshot.executions if e.workflow_id == "backup")
        screen = await _open_execution(pilot, app, "db-main", ended)
        await wait_until(pilot, lambda: screen.state.finished, what="the tail")
        await pilot.press("t")
        await tour.check(pilot, "execution screen, ended, tracebacks")
        status = str(screen.query_one("#tail-status").render())
        assert status.startswith(f"{glyph('ended', True)} ended")
        await _back_to(pilot, app, "MainScreen")

        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: screen_name(app) == "CommandPalette", what="palette")
        text = await tour.check(pilot, "command palette")
        assert "Search for commands..." in text
        await pilot.press(*"set")
        await tour.check(pilot, "command palette with matches")
        await _back_to(pilot, app, "MainScreen")

        await select_deployment(pilot, app, "web-canary")
        await pilot.press("d")
        await wait_until(
            pilot,
            lambda: screen_name(app) == "DeploymentScreen" and app.screen.details,  # type: ignore[attr-defined]
            what="the details",
        )
        text = await tour.check(pilot, "deployment details")
        assert "~ 1 creating (stalled)" in text
        await pilot.press("n")
        await wait_until(
            pilot,
            lambda: screen_name(app) == "NodeInstancesScreen" and app.screen.table.row_count,  # type: ignore[attr-defined]
            what="the node instances",
        )
        text = await tour.check(pilot, "node instances")
        assert "ok started" in text
        await _back_to(pilot, app, "DeploymentScreen")
        await _back_to(pilot, app, "MainScreen")
        for key, view in (("x", "running now"), ("X", "history")):
            await pilot.press(key)
            await wait_until(
                pilot,
                lambda: screen_name(app) == "FleetScreen" and app.screen.table.row_count,  # type: ignore[attr-defined]
                what=view,
            )
            await tour.check(pilot, f"executions everywhere, {view}")
            await _back_to(pilot, app, "MainScreen")
        await pilot.press("o")  # sorted: the header's arrow
        await wait_until(pilot, lambda: main(app).snapshot.sort[0] == "display_name", what="sort")
        await tour.check(pilot, "deployments sorted by name")
        # Group runs: marks, the form, the preflight, the group's screen and its events,
        # the recent list.
        deployments = table(app, "deployments")
        deployments.focus()
        for dep_id in ("web-prod", "web-staging", "db-replica"):
            deployments.select_key(dep_id)
            await pilot.press("space")
        text = await tour.check(pilot, "marked deployments")
        assert "+ web-prod" in text
        await pilot.press("s")
        await wait_until(pilot, lambda: screen_name(app) == "GroupStartScreen", what="form")
        await tour.check(pilot, "group start form")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen_name(app) == "PreflightScreen", what="preflight")
        text = await tour.check(pilot, "preflight")
        assert "x refused" in text
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: screen_name(app) == "GroupScreen" and app.screen.progress is not None,  # type: ignore[attr-defined]
            what="the group screen",
        )
        await tour.check(pilot, "group screen")
        await pilot.press("e")
        await tour.check(pilot, "group events")
        await _back_to(pilot, app, "MainScreen")
        await pilot.press("b")
        await wait_until(
            pilot,
            lambda: screen_name(app) == "GroupRunsScreen" and app.screen.table.row_count,  # type: ignore[attr-defined]
            what="group runs",
        )
        await tour.check(pilot, "group runs")
        await _back_to(pilot, app, "MainScreen")

        app.push_screen(PromptScreen("Password of admin", password=True))
        await wait_until(pilot, lambda: screen_name(app) == "PromptScreen", what="prompt")
        await pilot.press(*"secret")
        text = await tour.check(pilot, "password prompt")
        assert "******" in text and "secret" not in text
        await _back_to(pilot, app, "MainScreen")
    tour.verdict()


async def test_main_screen_at_80x24_draws_only_ascii(frozen_manager: ManagerProcess) -> None:
    """Columns cut to fit are cut without `…`."""
    app = make_app(frozen_manager, frozen=True, ascii_only=True)
    tour = Tour(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await select_deployment(pilot, app, "db-main")
        await tour.check(pilot, "main screen at 80x24")
        table(app, "executions").focus()
        await tour.check(pilot, "main screen at 80x24, executions focused")
    tour.verdict()


# -- the pieces --------------------------------------------------------------------------


def test_the_ascii_column_is_ascii_and_the_check_would_see_the_unicode_one() -> None:
    for name, (unicode, ascii) in GLYPHS.items():
        assert ascii.isascii(), name
        # a Unicode glyph that is ASCII must be nothing (the bar's ends) or the same as
        # its pair (the checkboxes): else the screen check could not tell them apart
        assert not unicode.isascii() or unicode in ("", ascii), name
    assert sep(True) == " | " and glyph("more", True) == "..."
    assert overflow(True) == "crop" and overflow(False) == "ellipsis"


def test_server_text_gets_ascii_marks() -> None:
    assert clean("abcdef", limit=3) == "abc…"
    assert clean("abcdef", limit=3, ascii_only=True) == "abc..."
    assert clean("a\x1bb", ascii_only=True) == "a?b"
    assert safe("abc", ascii_only=True).overflow == "crop"
    assert clean("café", ascii_only=True) == "café"  # the server's own text is kept


def test_plural() -> None:
    assert fmt.plural(0, "event") == "0 events"
    assert fmt.plural(1, "event") == "1 event"
    assert fmt.plural(2, "event") == "2 events"
    assert fmt.plural(1, "op") == "1 op"
    assert fmt.plural(3, "entry", "entries") == "3 entries"


NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def test_event_time_today_and_another_day() -> None:
    assert fmt.event_time("2026-11-26T11:01:03.123Z", NOW, UTC) == "11:01:03.123"
    assert fmt.event_time("2026-11-24T12:01:03.120Z", NOW, UTC) == "Nov 24 12:01:03.120"
    assert fmt.event_time(None, NOW) == "--:--:--.---"


def test_event_time_in_another_zone_changes_the_day() -> None:
    from datetime import timedelta, timezone

    tokyo = timezone(timedelta(hours=9), "JST")
    # 23:30 UTC on the 25th is the 26th in Tokyo: today there
    assert fmt.event_time("2026-11-25T23:30:00.000Z", NOW, tokyo) == "08:30:00.000"
    assert fmt.event_time("2026-11-25T23:30:00.000Z", NOW, UTC) == "Nov 25 23:30:00.000"


def test_zone_label() -> None:
    # the UI tests run with TZ=UTC (tests/ui/conftest.py)
    assert fmt.zone_label(NOW, utc=True) == "times in UTC"
    assert fmt.zone_label(NOW, utc=False) == "times in UTC (local)"
    assert fmt.zone(True) is UTC and fmt.zone(False) is None


def test_event_line_has_the_date_of_another_day() -> None:
    event = Event(
        storage_id=1,
        type="cloudify_log",
        timestamp="2026-11-24T12:01:03.123Z",
        message="hello",
        level="info",
    )
    line = event_line(event, {}, now=NOW, tz=UTC).plain
    assert line.startswith("Nov 24 12:01:03.123 LOG INFO")
    assert nothing_shown(True).plain == "nothing matches the filter"
    assert nothing_shown(False).plain == "nothing at this level"


def test_ops_bar() -> None:
    assert bar_text(4, 9, 30, ascii_only=True).plain == "[#########-----------] 4/9 ops"
    assert bar_text(4, 9, 30).plain == "━" * 10 + "─" * 12 + " 4/9 ops"
    assert bar_text(1, 1, 14, ascii_only=True).plain == "[#####] 1/1 op"
    assert bar_text(0, None, 40, ascii_only=True).plain.endswith("operations not known yet")
    assert bar_text(4, 9, 5, ascii_only=True).plain == "4/9 ops"  # no room: the words


def test_scrollbar_thumb_ends_are_blank_for_an_ascii_app_only() -> None:
    def drawn(ascii_only: bool, vertical: bool) -> str:
        token = active_app.set(SimpleNamespace(ascii_only=ascii_only))  # type: ignore[arg-type]
        try:
            bar = GlyphScrollBarRender.render_bar(
                size=10, virtual_size=33, window_size=7, position=3.3, vertical=vertical
            )
        finally:
            active_app.reset(token)
        return "".join(segment.text for segment in bar.segments)

    for vertical in (True, False):
        assert not drawn(False, vertical).isascii()  # Textual's smooth ends
        assert drawn(True, vertical).isascii()


def test_ascii_chrome_helpers() -> None:
    assert ascii_text("Search for commands…") == "Search for commands..."
    from textual.binding import Binding

    assert ascii_key(Binding("enter", "open"), "⏎") == "enter"
    assert ascii_key(Binding("slash", "filter"), "/") == "/"
    assert check_mark(True) == "[x]" and check_mark(False, True) == "[ ]"


class _Form(App[None]):
    def __init__(self, ascii_only: bool) -> None:
        super().__init__()
        self.ascii_only = ascii_only
        self.changes: list[bool] = []

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.changes.append(event.value)

    def compose(self) -> ComposeResult:
        yield StateCheckbox("force", id="force")
        yield MaskedInput(password=True, id="secret")


async def test_checkbox_says_its_state_and_still_toggles() -> None:
    for ascii_only in (False, True):
        app = _Form(ascii_only)
        async with app.run_test() as pilot:
            box = app.query_one(StateCheckbox)
            assert box.render().plain == "[ ] force "
            box.focus()
            await pilot.press("space")
            assert box.value and box.render().plain == "[x] force "
            await pilot.press("enter")
            assert not box.value
            await pilot.click("#force")
            assert box.value
            await pilot.pause()
            assert app.changes == [True, False, True]
            assert box.get_content_width(app.size, app.size) == len("[x] force ")
            secret = app.query_one(MaskedInput)
            secret.value = "abc"
            assert secret._value.plain == ("***" if ascii_only else "•••")
            assert isinstance(secret._value, Text)


class _Chromed(GlyphChrome, App[None]):
    """Wired as tui/app.py wires it: the mixin first, the app's own `on_mount` kept."""

    def __init__(self, ascii_only: bool) -> None:
        super().__init__()
        self.ascii_only = ascii_only
        self.mounted = False

    def on_mount(self) -> None:
        self.mounted = True


async def test_glyph_chrome_changes_nothing_unless_ascii() -> None:
    from textual.binding import Binding
    from textual.command import CommandInput, CommandPalette

    for ascii_only in (False, True):
        app = _Chromed(ascii_only)
        async with app.run_test() as pilot:
            assert app.mounted
            assert app.has_class(ASCII_CLASS) is ascii_only
            shown = app.get_key_display(Binding("enter", "open"))
            assert shown == ("enter" if ascii_only else "⏎")
            await pilot.press("ctrl+p")
            await pilot.pause(0.2)
            assert isinstance(app.screen, CommandPalette)
            placeholder = app.screen.query_one(CommandInput).placeholder
            more = glyph("more", ascii_only)
            assert placeholder == f"Search for commands{more}"
