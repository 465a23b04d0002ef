"""Execution status as word plus glyph, never colour alone (see UX.md)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from tui.widgets.safe import clean


@dataclass(frozen=True)
class StatusLook:
    group: str
    glyph: str
    ascii: str
    word: str


_GROUPS = {
    "terminated": ("done", "✓", "ok", "completed"),
    "completed": ("done", "✓", "ok", "completed"),
    "failed": ("failed", "✗", "FAIL", "failed"),
    "cancelled": ("cancelled", "⊘", "cxl", "cancelled"),
    "pending": ("running", "⟳", "run", "pending"),
    "started": ("running", "⟳", "run", "started"),
    "in_progress": ("running", "⟳", "run", "in progress"),
    "cancelling": ("stopping", "…", "..", "cancelling"),
    "force_cancelling": ("stopping", "…", "..", "force-cancelling"),
    "kill_cancelling": ("stopping", "…", "..", "kill-cancelling"),
    "queued": ("waiting", "◷", "wait", "queued"),
    "scheduled": ("waiting", "◷", "wait", "scheduled"),
}


def look(status: str | None) -> StatusLook:
    if not status:
        return StatusLook("none", "·", "-", "none")
    found = _GROUPS.get(status)
    if found is None:
        return StatusLook("unknown", "?", "?", clean(status, limit=30))
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
    glyph = shown.ascii if ascii_only else shown.glyph
    style = (palette or {}).get(shown.group, "")
    text = Text(f"{glyph} {shown.word}", style=style, no_wrap=True, overflow="ellipsis")
    if dry_run:
        text.append(" (dry run)", style="dim")
    return text
