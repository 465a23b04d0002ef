"""A keyed screen around one table with a filter bar above it (`/` shows it, `esc`
clears and hides it, `enter` goes back to the table): the node instances and the
executions of every deployment. The footer follows the row under the cursor."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.widgets import DataTable, Input

from tui.screens.keyed import KeyedScreen
from tui.widgets.keyed_table import KeyedTable


class TableScreen(KeyedScreen):
    TABLE: ClassVar[str]  # the table's widget id
    FILTER: ClassVar[str]  # the filter bar's widget id

    @property
    def table(self) -> KeyedTable:
        return self.query_one(f"#{self.TABLE}", KeyedTable)

    @property
    def filter_bar(self) -> Input:
        return self.query_one(f"#{self.FILTER}", Input)

    def action_filter(self) -> None:
        self.filter_bar.display = True
        self.filter_bar.focus()

    def action_back(self) -> None:
        """`esc`: clear the filter (its `Input.Changed` shows every row again), else
        leave the screen."""
        field = self.filter_bar
        if field.display:
            field.value = ""
            field.display = False
            self.table.focus()
            return
        self.dismiss()

    @on(Input.Submitted)
    def _filter_done(self, event: Input.Submitted) -> None:
        self.table.focus()

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.sync_keys()
