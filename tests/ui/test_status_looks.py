"""A status's look, from its two declarations: the vocabulary (tui/widgets/glyphs.py:
group, word, glyph and ASCII pair) and the colours (styles/app.tcss: one component
class per group, in theme variables), read back as the palette the panes draw with."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from textual.app import App

from tests.manager_process import ManagerProcess
from tests.ui.conftest import make_app, wait_until
from tests.ui.helpers import select_deployment, table
from tui.api import models
from tui.app import CfyTuiApp
from tui.widgets.glyphs import GLYPHS, INSTANCE_STATES, NO_STATUS, STATUS_GROUPS, STATUSES
from tui.widgets.status import StatusColours, component_class, look, status_palette


class StylesOnly(App[None]):
    """The app's stylesheet and nothing else."""

    CSS_PATH = CfyTuiApp.CSS_PATH


def _variable(app: App[Any], name: str) -> str:
    """A theme variable as a Rich style names it (`#b93c5b`)."""
    return str(Style.parse(app.get_css_variables()[name]))


def test_every_status_has_a_group_with_a_glyph_pair_and_a_colour_class() -> None:
    assert set(STATUS_GROUPS) == {g for g, _ in STATUSES.values()} | {
        NO_STATUS[0],
        "partial",
        "unknown",
    }
    assert {g for g, _ in INSTANCE_STATES.values()} <= set(STATUS_GROUPS)
    assert set(INSTANCE_STATES) == set(models.INSTANCE_STATES)
    for group in STATUS_GROUPS:
        assert group in GLYPHS, group
        assert component_class(group) in StatusColours.COMPONENT_CLASSES, group
    assert look("terminated") == look("completed")
    assert (look(None).group, look(None).word) == NO_STATUS
    assert (look("rebooting").group, look("rebooting").word) == ("unknown", "rebooting")


async def test_the_palette_is_the_stylesheet_s_in_the_current_theme() -> None:
    app = StylesOnly()
    async with app.run_test() as pilot:
        for theme in ("textual-dark", "textual-light", "nord"):
            app.theme = theme
            await pilot.pause()
            palette = status_palette(app)
            assert palette == {
                "done": _variable(app, "success"),
                "failed": "bold " + _variable(app, "error"),
                "cancelled": _variable(app, "warning"),
                "running": _variable(app, "primary"),
                "stopping": _variable(app, "accent"),
                "waiting": _variable(app, "secondary"),
                "partial": _variable(app, "warning"),
                "none": "dim",
                "unknown": "",
            }, theme


async def test_ansi_themes_give_terminal_colours_rich_can_draw() -> None:
    """The theme's colours are `ansi_green` and the like, which Rich cannot parse: the
    stylesheet turns them into the terminal's own colours."""
    app = StylesOnly()
    async with app.run_test() as pilot:
        app.theme = "ansi-dark"
        await pilot.pause()
        palette = status_palette(app)
        assert Style.parse(palette["done"]).color is not None
        assert all(Style.parse(style) is not None for style in palette.values())


async def test_the_app_redraws_statuses_in_a_new_theme(manager: ManagerProcess) -> None:
    """The palette follows the theme, and so do the status cells already drawn (the
    table compares a cell's style, not only its text)."""
    app = make_app(manager)
    async with app.run_test() as pilot:
        await select_deployment(pilot, app, "db-main")
        executions = table(app, "executions")
        await wait_until(pilot, lambda: executions.row_count > 0, what="executions")
        assert app.palette == status_palette(app)
        key = executions.keys[0]
        group = look(next(e.status for e in app.poller.snapshot.executions if e.id == key)).group
        before = app.palette[group]
        assert str(executions.get_cell(key, "status").style) == before
        app.theme = "nord"
        await wait_until(pilot, lambda: app.palette[group] != before, what="the new palette")
        assert app.palette == status_palette(app)
        assert app.palette["done"] == _variable(app, "success")
        await wait_until(
            pilot,
            lambda: str(executions.get_cell(key, "status").style) == app.palette[group],
            what="the status cell in the new theme's colour",
        )
