"""What the app has drawn: the composited screen (modals and toasts included) as
segments and as text, read the way a screenshot reads it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.segment import Segment

from tui.app import CfyTuiApp


def _lines(app: CfyTuiApp) -> list[list[Segment]]:
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    lines = []
    for line in update.strips:  # type: ignore[union-attr]
        lines.append([segment for strip in line for segment in strip])
    return lines


def segments(app: CfyTuiApp) -> Iterator[Segment]:
    for line in _lines(app):
        yield from line


def screen_text(app: CfyTuiApp) -> str:
    return "\n".join("".join(segment.text for segment in line) for line in _lines(app))


def interpreted_markup(app: CfyTuiApp, markers: tuple[str, ...]) -> list[Any]:
    """Styles on screen that carry a link or a click action naming one of `markers`
    (what `[link=...]` or `[@click=...]` in server text would have produced)."""
    found = []
    for segment in segments(app):
        style = segment.style
        if style is None:
            continue
        link = style.link or ""
        meta = " ".join(str(v) for v in (style.meta or {}).values())
        if any(m in link or m in meta for m in markers):
            found.append((segment.text, link, meta))
    return found


class Notes:
    """Every notification the app shows (toasts expire; this list does not)."""

    def __init__(self, app: CfyTuiApp) -> None:
        self.shown: list[tuple[str, str, str]] = []  # (title, message, severity)
        original = app.notify

        def notify(message: str, **kw: Any) -> None:
            self.shown.append((kw.get("title", ""), message, kw.get("severity", "information")))
            original(message, **kw)

        app.notify = notify  # type: ignore[method-assign]

    def mark(self) -> int:
        return len(self.shown)

    def since(self, mark: int) -> list[tuple[str, str, str]]:
        return self.shown[mark:]

    def text_since(self, mark: int) -> str:
        return "\n".join(f"{title}: {message}" for title, message, _ in self.since(mark))
