"""The watch list: executions the user started or pinned, visible from every screen."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from tui.api.models import Execution
from tui.widgets.fmt import short_id
from tui.widgets.glyphs import glyph, overflow
from tui.widgets.safe import safe
from tui.widgets.status import Palette, status_text


def watch_text(
    executions: Sequence[Execution], pinned: set[str], palette: Palette, ascii_only: bool
) -> Text:
    line = Text("Watching: ", style="bold", no_wrap=True, overflow=overflow(ascii_only))
    for index, execution in enumerate(executions):
        if index:
            line.append(f"  {glyph('sep', ascii_only)}  ")
        if execution.id in pinned:
            line.append(f"{glyph('pinned', ascii_only)} ")
        line.append_text(safe(short_id(execution.id), ascii_only=ascii_only))
        line.append(" ")
        line.append_text(safe(execution.workflow_id, limit=40, ascii_only=ascii_only))
        line.append(" on ")
        line.append_text(safe(execution.deployment_id, limit=40, ascii_only=ascii_only))
        line.append(" ")
        line.append_text(status_text(execution.status, palette=palette, ascii_only=ascii_only))
    return line


class WatchBar(Static):
    """Hidden while nothing is watched."""

    def show(self, text: Text | None) -> None:
        self.display = text is not None
        if text is not None:
            self.update(text, layout=False)  # one line: no layout pass
