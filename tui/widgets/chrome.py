"""Textual's own chrome in ASCII mode (`--ascii`, or a terminal that is not Unicode).

Our glyphs come from tui/widgets/glyphs.py; Textual draws some of its own: box and
block borders, the smooth ends of scrollbars, the command palette's 🔎 and `…`, and
keys as `⏎` or `↑`. With `app.ascii_only`, `GlyphChrome`:

- adds the class `-ascii` to the App, under which styles/app.tcss gives every border
  we show the `ascii` type (or `blank` where Textual draws blocks);
- installs a scrollbar renderer that, for an ASCII app only, draws the thumb with
  blanks and colour (Textual's renderer for any other app);
- gives every command palette an ASCII placeholder (its icon is hidden by CSS);
- turns animations off, so a LoadingIndicator says `Loading...` instead of `●●●●●`;
- names keys in words (`enter`, `up`) where Textual would draw a symbol.

Without `ascii_only` it changes nothing.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segments
from textual._context import active_app
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen
from textual.scrollbar import ScrollBar, ScrollBarRender

from tui.widgets.glyphs import glyph

ASCII_CLASS = "-ascii"


def _ascii_app() -> bool:
    try:
        return bool(getattr(active_app.get(), "ascii_only", False))
    except LookupError:
        return False


class _BlankEnds(ScrollBarRender):
    """No partial-block glyphs at the thumb's ends: the thumb is whole cells."""

    VERTICAL_BARS = [" "] * 8
    HORIZONTAL_BARS = [" "] * 8


class GlyphScrollBarRender(ScrollBarRender):
    """Textual's scrollbar, with blank thumb ends when the app drawing it is ASCII.
    ScrollBar.renderer is one class for the process (Textual's documented hook), so
    the choice is made per render, from the app being drawn."""

    @classmethod
    def render_bar(cls, *args: Any, **kwargs: Any) -> Segments:
        if _ascii_app():
            return _BlankEnds.render_bar(*args, **kwargs)
        return super().render_bar(*args, **kwargs)


def ascii_text(text: str) -> str:
    """Textual's own strings (placeholders) with their `…` spelled `...`."""
    return text.replace(glyph("more"), glyph("more", True))


def ascii_key(binding: Binding, shown: str) -> str:
    """`shown` (Textual's display of the binding's key) when it is ASCII; otherwise the
    key's own names (`enter`, `ctrl+up`), which are."""
    if shown.isascii():
        return shown
    return binding.key if binding.key.isascii() else "?"


class GlyphChrome:
    """Mix into the App class, before `App`: `class CfyTuiApp(GlyphChrome, App[None])`.
    The App must set `ascii_only` in `__init__`."""

    ascii_only: bool

    def _on_mount(self) -> None:
        # Textual calls the Mount handler of every class in the MRO, so this runs
        # beside the app's own `on_mount`, before the first screen is drawn.
        if not getattr(self, "ascii_only", False):
            return
        app: Any = self
        app.set_class(True, ASCII_CLASS)
        app.animation_level = "none"
        if ScrollBar.renderer is ScrollBarRender:
            ScrollBar.renderer = GlyphScrollBarRender
        app.screen_change_signal.subscribe(app, _ascii_palette, immediate=True)

    def get_key_display(self, binding: Binding) -> str:
        shown: str = super().get_key_display(binding)  # type: ignore[misc]
        if getattr(self, "ascii_only", False):
            return ascii_key(binding, shown)
        return shown


def _ascii_palette(screen: Screen[Any]) -> None:
    """Called as a screen is pushed, before it composes: a command palette gets an
    ASCII placeholder (the constructor's, kept in `_placeholder` until compose)."""
    if isinstance(screen, CommandPalette):
        placeholder = getattr(screen, "_placeholder", None)
        if isinstance(placeholder, str):
            screen._placeholder = ascii_text(placeholder)
