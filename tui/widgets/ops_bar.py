"""An execution's operations as a bar: `━━━━━━━━────── 4/9 ops`, or
`[########------] 4/9 ops` in ASCII.

Textual's ProgressBar draws `━` and `╸` whatever the terminal can show, and its
percentage hides the counts an operator compares with the executions pane; this bar
takes its glyphs from the table and says the counts in words.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui.widgets.fmt import plural
from tui.widgets.glyphs import glyph

BAR_CELLS = 32  # as wide as Textual's bar, at most


def bar_text(
    finished: int,
    total: int | None,
    width: int,
    *,
    ascii_only: bool = False,
    done_style: str | Style = "",
    todo_style: str | Style = "",
    label: str | None = None,
    most: int = BAR_CELLS,
) -> Text:
    """The bar and its label in `width` cells, the bar `most` cells at the most; an
    empty bar while the total is unknown (the execution has not planned its operations
    yet). The label says the operations unless given."""
    if label is None:
        label = (
            f"{min(finished, total)}/{plural(total, 'op')}" if total else "operations not known yet"
        )
    left, right = glyph("bar_left", ascii_only), glyph("bar_right", ascii_only)
    cells = max(0, min(most, width - len(label) - len(left) - len(right) - 1))
    done = round(cells * min(finished, total) / total) if total and cells else 0
    line = Text(no_wrap=True, overflow="crop")
    if cells:
        line.append(left)
        line.append(glyph("bar_done", ascii_only) * done, style=done_style)
        line.append(glyph("bar_todo", ascii_only) * (cells - done), style=todo_style)
        line.append(right + " ")
    line.append(label)
    return line


class OpsBar(Widget):
    """Finished of total operations; `update()` as the execution moves."""

    COMPONENT_CLASSES = {"ops-bar--done", "ops-bar--todo"}
    DEFAULT_CSS = """
    OpsBar {
        height: 1;
    }
    """

    finished: reactive[int] = reactive(0)
    total: reactive[int | None] = reactive(None)

    def update(self, *, finished: int, total: int | None) -> None:
        self.finished = finished
        self.total = total

    def render(self) -> Text:
        return bar_text(
            self.finished,
            self.total,
            self.content_size.width,
            ascii_only=getattr(self.app, "ascii_only", False),
            done_style=self.get_component_rich_style("ops-bar--done"),
            todo_style=self.get_component_rich_style("ops-bar--todo"),
        )
