"""Execution status as word plus glyph, never colour alone (see UX.md); the words,
groups and glyphs are the table in tui/widgets/glyphs.py."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from tui.widgets.glyphs import NO_STATUS, STATUSES, glyph, overflow
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


def look(status: str | None) -> StatusLook:
    if not status:
        return StatusLook(*NO_STATUS)
    found = STATUSES.get(status)
    if found is None:
        return StatusLook("unknown", clean(status, limit=30))
    return StatusLook(*found)


Palette = dict[str, str]


def palette_from_theme(theme: object | None) -> Palette:
    """Status colours from the app's theme variables, so they follow light and dark
    themes (Textual drops colour altogether under NO_COLOR)."""

    def colour(name: str, fallback: str) -> str:
        value = getattr(theme, name, None) if theme is not None else None
        return str(value) if value else fallback

    return {
        "done": colour("success", "green"),
        "failed": "bold " + colour("error", "red"),
        "cancelled": colour("warning", "yellow"),
        "running": colour("primary", "cyan"),
        "stopping": colour("accent", "magenta"),
        "waiting": colour("secondary", "blue"),
        "none": "dim",
        "unknown": "",
    }


def status_text(
    status: str | None,
    *,
    palette: Palette | None = None,
    ascii_only: bool = False,
    dry_run: bool = False,
) -> Text:
    """`✓ completed` (or `ok completed` in ASCII); dry runs marked."""
    shown = look(status)
    mark = shown.ascii if ascii_only else shown.glyph
    style = (palette or {}).get(shown.group, "")
    text = Text(f"{mark} {shown.word}", style=style, no_wrap=True, overflow=overflow(ascii_only))
    if dry_run:
        text.append(" (dry run)", style="dim")
    return text
