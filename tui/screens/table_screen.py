"""A keyed screen around one table with a filter bar above it (`/` shows it, `esc`
clears and hides it, `enter` goes back to the table): the node instances and the
executions of every deployment. The footer follows the row under the cursor.

Its rows are read live: every `read_interval()` seconds (checked each second), never
while live updates are paused or a read is on its way, and at once on `r`."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.widgets import DataTable, Input

from tui.screens.keyed import KeyedScreen
from tui.widgets.keyed_table import KeyedTable

# Seconds between reads while nothing on the screen changes.
IDLE_READ = 10.0
# The clock checks each second, in step with the reads it starts: a read due 1 s after
# the last began is found due at 0.999 s, not a second later (a 1 s pace read every 2).
SLACK = 0.1


class TableScreen(KeyedScreen):
    TABLE: ClassVar[str]  # the table's widget id
    FILTER: ClassVar[str]  # the filter bar's widget id
    # The app's clock when the last read ended (None: a read is due now), and
    # whether one is on its way.
    _read_at: float | None = None
    _reading = False

    def on_mount(self) -> None:
        """The filter bar hidden, the table focused and drawn, the reads begun."""
        if self.gone:
            return
        self.filter_bar.display = False
        self.table.focus()
        self._show()
        self.start_reading()

    # -- what a screen says ---------------------------------------------------------------
    def _show(self) -> None:
        """Everything on the screen drawn again from what was read (changed cells only)."""
        raise NotImplementedError

    def read_interval(self) -> float:
        """Seconds between reads now (fast while something on it changes)."""
        raise NotImplementedError

    async def read_once(self) -> Any:
        """One read of the manager (its request), nothing shown yet."""
        raise NotImplementedError

    def show_read(self, result: Any) -> None:
        """What `read_once` returned, on screen."""
        raise NotImplementedError

    def on_clock(self) -> None:
        """Each second, before a read is considered."""

    # -- the live read ----------------------------------------------------------------------
    def start_reading(self) -> None:
        self.set_interval(1.0, self._read_clock, name="read-clock")
        self.action_refresh()

    def _read_clock(self) -> None:
        self.on_clock()
        if self._reading or self.tui.poller.snapshot.paused:
            return
        if (
            self._read_at is None
            or self.tui.clock() - self._read_at + SLACK >= self.read_interval()
        ):
            self.action_refresh()

    def action_refresh(self) -> None:
        """A read now; one on its way is replaced."""
        self._reading = True
        self.run_worker(self._read(), group="read", exclusive=True, exit_on_error=False)

    async def _read(self) -> None:
        began = self.tui.clock()
        try:
            result = await self.read_once()
        finally:
            self._reading = False
            # From when the read began: counted from its end, a read every second
            # checked each second came every two (tests/benchmarks/bench_tui_groups.py).
            self._read_at = began
        self.show_read(result)

    # -- the table and its filter -----------------------------------------------------------

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
