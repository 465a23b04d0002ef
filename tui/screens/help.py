"""`?`: every binding and what it does."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def help_table(rows: Sequence[tuple[str, str, str]]) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("Key", no_wrap=True)
    table.add_column("Action")
    table.add_column("Where", style="dim")
    for key, description, where in rows:
        table.add_row(Text(key), Text(description), Text(where))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, rows: Sequence[tuple[str, str, str]], note: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self._rows = list(rows)
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog -tall"):
            yield Static(Text("Keys", style="bold"), markup=False)
            with VerticalScroll():
                yield Static(help_table(self._rows), markup=False, classes="help-table")
            if self._note:
                yield Static(Text(self._note, style="dim"), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
