"""Execution status as word plus glyph, never colour alone (see UX.md).

What a status is called and drawn with comes from the table in tui/widgets/glyphs.py;
its colour from styles/app.tcss, where each status group is a component class of
`StatusColours` styled with the theme's variables. `status_palette` reads those into a
`Palette` (group -> Rich style) that the row builders take, so they stay plain
functions testable without a screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App
from textual.dom import DOMNode

from tui.widgets.glyphs import (
    INSTANCE_STATES,
    NO_STATUS,
    STATUS_GROUPS,
    STATUSES,
    glyph,
    overflow,
)
from tui.widgets.safe import clean


@dataclass(frozen=True)
class StatusLook:
    group: str
    word: str

    @property
    def glyph(self) -> str:
        return glyph(self.group)

    @property
    def ascii(self) -> str:
        return glyph(self.group, ascii_only=True)


def look(status: str | None, table: dict[str, tuple[str, str]] = STATUSES) -> StatusLook:
    """An execution status's look, or a node instance state's (`INSTANCE_STATES`)."""
    if not status:
        return StatusLook(*NO_STATUS)
    found = table.get(status)
    if found is None:
        return StatusLook("unknown", clean(status, limit=30))
    return StatusLook(*found)


Palette = dict[str, str]


def component_class(group: str) -> str:
    """`status--failed`: the component class that gives a status group its colour."""
    return f"status--{group}"


class StatusColours(DOMNode):
    """The status colours as component classes, styled in styles/app.tcss
    (`StatusColours > .status--failed { color: $error; text-style: bold; }`).

    Never mounted: a status is drawn by many widgets (the panes' cells, the watch
    bar, the execution header), so instead of each declaring the classes,
    `status_palette` applies the app's stylesheet to one of these, as Textual does to
    the component classes of a mounted widget."""

    COMPONENT_CLASSES = frozenset(component_class(group) for group in STATUS_GROUPS)


def status_palette(app: App[Any]) -> Palette:
    """Each status group's Rich style under `app`'s stylesheet, with the values of its
    current theme: call it once the app is running (its CSS is read) and again when
    the theme changes. Under NO_COLOR Textual drops the colours as it draws; the text
    styles (bold, dim) stay."""
    colours = StatusColours()
    app.stylesheet.apply(colours)
    return {
        group: _rich_style(colours.get_component_styles(component_class(group)).partial_rich_style)
        for group in STATUS_GROUPS
    }


def _rich_style(style: Style) -> str:
    """A style as the string the palette holds; no rule is no style ("", not "none")."""
    return str(style) if style else ""


def status_text(
    status: str | None,
    *,
    palette: Palette | None = None,
    ascii_only: bool = False,
    dry_run: bool = False,
) -> Text:
    """`✓ completed` (or `ok completed` in ASCII); dry runs marked."""
    shown = look(status)
    text = _drawn(shown, palette, ascii_only)
    if dry_run:
        text.append(" (dry run)", style="dim")
    return text


def instance_state_text(
    state: str | None,
    *,
    palette: Palette | None = None,
    ascii_only: bool = False,
    stalled: bool = False,
) -> Text:
    """`✓ started`, `◐ created`, `⟳ creating`: a node instance's state. `stalled`: no
    execution of its deployment runs, so a passing state (`creating`) is where a run
    stopped, not progress: drawn as `◐ creating (stalled)`."""
    shown = look(state, INSTANCE_STATES)
    if stalled and shown.group in ("running", "stopping"):
        text = _drawn(StatusLook("partial", shown.word), palette, ascii_only)
        text.append(" (stalled)")
        return text
    return _drawn(shown, palette, ascii_only)


def _drawn(shown: StatusLook, palette: Palette | None, ascii_only: bool) -> Text:
    mark = shown.ascii if ascii_only else shown.glyph
    style = (palette or {}).get(shown.group, "")
    return Text(f"{mark} {shown.word}", style=style, no_wrap=True, overflow=overflow(ascii_only))
