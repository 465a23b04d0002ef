"""A DataTable whose rows are keyed by object id and updated in place.

Textual's DataTable keeps its cursor on a *coordinate*: removing a row above it or
sorting moves the selection to another object. This table applies a keyed diff
(update changed cells, add new rows, remove gone ones), orders rows as the data
says, and puts the cursor back on the object it was on. Columns drop in priority
order when the table is too narrow; the id and status columns never drop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

Cells = dict[str, Text]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    priority: int = 0  # 0 never drops; higher numbers drop first


def _same(old: Text | None, new: Text) -> bool:
    """Whether a cell shows the same thing. Rich's Text equality reads the characters and
    spans only, so a cell whose whole style changed (a status drawn in the colours of
    a new theme) compares equal; its style is compared too."""
    return old is not None and old == new and old.style == new.style


class RankedText(Text):
    """The first cell of a row carries the row's position, for sorting by key."""

    rank: int = 0


class KeyedTable(DataTable[Text]):
    COLUMNS: ClassVar[tuple[Column, ...]] = ()
    BINDINGS: ClassVar = [
        Binding("j", "cursor_down", "Down", show=False, id="table.down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.up"),
        Binding("g,home", "first_row", "First row", show=False, id="table.first"),
        Binding("G,end", "last_row", "Last row", show=False, id="table.last"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        self._rows: list[tuple[str, Cells]] = []
        self._visible: tuple[Column, ...] = ()
        # The column the rows are sorted by, and its mark (`▲`/`▼`) in the header.
        self._sorted: tuple[str, str] | None = None

    # -- columns --------------------------------------------------------------------
    def _columns_for(self, width: int) -> tuple[Column, ...]:
        chosen = list(self.COLUMNS)
        budget = max(width - 2, 10)
        while len(chosen) > 1 and sum(c.width + 2 for c in chosen) > budget:
            droppable = [c for c in chosen if c.priority > 0]
            if not droppable:
                break
            chosen.remove(max(droppable, key=lambda c: (c.priority, chosen.index(c))))
        spare = budget - sum(c.width + 2 for c in chosen)
        if spare > 0:  # the last column takes what is left, so long text shows whole
            chosen[-1] = replace(chosen[-1], width=chosen[-1].width + spare)
        return tuple(chosen)

    def on_mount(self) -> None:
        self._set_columns(self._columns_for(self.size.width or 200))

    def on_resize(self, event: events.Resize) -> None:
        wanted = self._columns_for(event.size.width)
        if wanted != self._visible:
            self._set_columns(wanted)

    def _set_columns(self, columns: tuple[Column, ...]) -> None:
        selected = self.selected_key
        self.clear(columns=True)
        self._visible = columns
        for column in columns:
            self.add_column(self._label(column), width=column.width, key=column.key)
        rows, self._rows = self._rows, []
        self.apply_rows(rows, keep=selected)

    def _label(self, column: Column) -> Text:
        if self._sorted is not None and self._sorted[0] == column.key:
            return Text(f"{column.label} {self._sorted[1]}", style="bold")
        return Text(column.label)

    def mark_sorted(self, key: str | None, mark: str = "") -> None:
        """Mark the header of the column `key` (None: none) with `mark`."""
        wanted = (key, mark) if key is not None else None
        if wanted == self._sorted:
            return
        self._sorted = wanted
        for column in self._visible:
            if column.key in self.columns:
                self.columns[column.key].label = self._label(column)  # type: ignore[index]
        self.refresh()

    # -- rows ---------------------------------------------------------------------------
    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # cursor outside the rows while they change
            return None
        return None if key.value is None else str(key.value)

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self._rows]

    def apply_rows(self, rows: Sequence[tuple[str, Cells]], keep: str | None = None) -> None:
        """Make the table show `rows` in this order, changing only what changed."""
        if not self._visible:
            self._rows = list(rows)
            return
        anchor = keep if keep is not None else self.selected_key
        anchor_index = self.cursor_row
        old = dict(self._rows)
        old_rank = {key: index for index, (key, _) in enumerate(self._rows)}
        wanted = {key for key, _ in rows}
        first = self._visible[0].key
        with self.app.batch_update():
            for key in [k for k in old if k not in wanted]:
                self.remove_row(key)
            for rank, (key, cells) in enumerate(rows):
                previous = old.get(key)
                if previous is None:
                    values = [self._cell(cells, c.key, rank, first) for c in self._visible]
                    self.add_row(*values, key=key)
                    continue
                for column in self._visible:
                    new = cells.get(column.key, Text(""))
                    moved = column.key == first and old_rank.get(key) != rank
                    if not _same(previous.get(column.key), new) or moved:
                        self._set_cell(key, column.key, self._cell(cells, column.key, rank, first))
            if [k for k, _ in rows] != [k for k in self._ordered_keys()]:
                self.sort(first, key=lambda cell: getattr(cell, "rank", 0))
        self._rows = list(rows)
        if anchor is not None and anchor in wanted:
            self.move_cursor(row=self.get_row_index(anchor), animate=False, scroll=False)
        elif self.row_count:
            self.move_cursor(row=min(anchor_index, self.row_count - 1), animate=False)

    def update_cells(self, changes: Mapping[str, Cells]) -> None:
        """Change some cells of rows already shown, without building the others again
        (a running duration, each second, in a table of a thousand rows). The first
        column, which orders the rows, is left as it is; keys not shown are skipped."""
        if not self._visible:
            return
        first = self._visible[0].key
        index = {key: i for i, (key, _) in enumerate(self._rows)}
        for key, cells in changes.items():
            i = index.get(key)
            if i is None:
                continue
            current = dict(self._rows[i][1])
            for column in self._visible:
                new = cells.get(column.key)
                if new is None or column.key == first or _same(current.get(column.key), new):
                    continue
                self._set_cell(key, column.key, new)
                current[column.key] = new
            self._rows[i] = (key, current)

    def _set_cell(self, key: str, column: str, value: Text) -> None:
        """`update_cell`, but only the row is drawn again: DataTable's own repaints the
        whole table, and a running duration changes a cell every second (each repaint
        is written to the terminal; tests/benchmarks/bench_tui_quiet.py). Reads
        DataTable's `_data` and `_update_count` (the version is pinned)."""
        row_key, column_key = RowKey(key), ColumnKey(column)
        self._data[row_key][column_key] = value
        self._update_count += 1  # the rendered rows are cached by this count
        self.refresh_row(self.get_row_index(row_key))

    def _ordered_keys(self) -> list[str]:
        return [str(row.key.value) for row in self.ordered_rows]

    @staticmethod
    def _cell(cells: Cells, column: str, rank: int, first: str) -> Text:
        value = cells.get(column, Text(""))
        if column != first:
            return value
        ranked = RankedText(value.plain, style=value.style, no_wrap=True, overflow=value.overflow)
        ranked.spans = list(value.spans)
        ranked.rank = rank
        return ranked

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, animate=False)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, animate=False)

    def select_key(self, key: str) -> bool:
        """Put the cursor on the row of `key`; False when there is no such row."""
        if key not in dict(self._rows):
            return False
        self.move_cursor(row=self.get_row_index(key), animate=False)
        return True
