"""`x` / `X`: executions across every deployment, running now or as history.

Running now lists every unfinished execution of the manager (its tenant, or all of
them with `a`), newest first; history every execution, narrowed by the filter
(`status:failed since:yesterday`, see `tui/live/fleet.py`). Both are paged by the
manager: one request per read whatever the fleet's size, every fast tick while a
row on screen is unfinished, else every `IDLE_READ` seconds, never while live
updates are paused. `enter` opens an execution, `c` cancels, `u` resumes, `m` pins.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Input, Static

from tui.api.models import Execution
from tui.live.fleet import FilterError, FleetPage, FleetQuery, View, parse_filter, read_fleet
from tui.screens import flows
from tui.screens.keys import Key, KeyTable
from tui.screens.table_screen import IDLE_READ, TableScreen
from tui.widgets import fmt, refusals
from tui.widgets.fleet import FleetTable, fleet_cells
from tui.widgets.glyphs import glyph, sep
from tui.widgets.paged_table import PagedTable, page_turn
from tui.widgets.safe import clean, safe

TITLES = {"running": "Running now, every deployment", "history": "Execution history"}

KEYS = KeyTable(
    [
        Key("escape", "back", "Back", "fleet.back"),
        Key("enter", "open", "Open", "fleet.open", explained=True),
        Key("v", "switch_view", "Running / history", "fleet.view", "Switch the view"),
        Key("c", "cancel_execution", "Cancel", "fleet.cancel", mutating=True),
        Key("u", "resume_execution", "Resume", "fleet.resume", mutating=True),
        Key("m", "pin", "Pin", "fleet.pin", explained=True),
        Key("slash", "filter", "Filter", "fleet.filter", "status:failed since:24h ..."),
        Key("a", "all_tenants", "All tenants", "fleet.tenants", "Every tenant or this one"),
        Key("r", "refresh", "Refresh", "fleet.refresh", "Read the list now"),
        Key("y", "raw", "Raw", "fleet.raw", explained=True),
        Key("Y", "copy_id", "Copy id", "fleet.copy_id", show=False, explained=True),
        Key("question_mark", "app.show_help", "Help", "fleet.help", palette=False),
    ]
)
NEEDS_EXECUTION = frozenset(
    {"open", "cancel_execution", "resume_execution", "pin", "raw", "copy_id"}
)


class FleetScreen(TableScreen):
    KEYS = KEYS
    BINDINGS = KEYS.bindings()
    WHERE = "executions everywhere"
    TABLE = "fleet"
    FILTER = "fleet-filter"

    def __init__(self, view: View = "running") -> None:
        super().__init__(classes="fleet-screen")
        self.query_state = FleetQuery(view=view)
        self.page = FleetPage()
        self._offset = 0
        self._cursor_after: str | None = None
        self._filter_error = ""
        self._by_id: dict[str, Execution] = {}
        self.reads = 0  # reads made (each one request), for tests and benchmarks

    @property
    def table(self) -> FleetTable:
        return self.query_one("#fleet", FleetTable)

    def compose(self) -> ComposeResult:
        yield Static(id="fleet-title", classes="bar", markup=False)
        yield Input(
            placeholder="status:failed workflow:install deployment:web since:24h (esc clears)",
            id="fleet-filter",
            classes="filter-bar",
        )
        yield FleetTable(id="fleet", classes="instances-table")
        yield Static(id="fleet-status", classes="bar", markup=False)
        yield Footer()

    # -- reading ------------------------------------------------------------------------
    def read_interval(self) -> float:
        busy = self.query_state.view == "running" or any(e.is_unfinished for e in self.page.items)
        return self.tui.fast_interval if busy else IDLE_READ

    def on_clock(self) -> None:
        self._show()  # durations of running rows; only changed cells are drawn

    async def read_once(self) -> tuple[FleetQuery, int, FleetPage]:
        query, offset = self.query_state, self._offset
        self.reads += 1
        return query, offset, await read_fleet(self.tui.client, query, offset)

    def show_read(self, result: tuple[FleetQuery, int, FleetPage]) -> None:
        query, offset, page = result
        if query != self.query_state or offset != self._offset:
            return  # the view, filter or page changed meanwhile: a newer read follows
        if page.error and self.page.items:
            page = FleetPage(self.page.items, self.page.total, self.page.offset, error=page.error)
        self.page = page
        self._by_id = {e.id: e for e in page.items}
        self._show()
        if self._cursor_after is not None and not page.error:
            keys = self.table.keys
            if keys:
                self.table.select_key(keys[0] if self._cursor_after == "first" else keys[-1])
            self._cursor_after = None

    def _ask(self, *, offset: int = 0) -> None:
        """Read from `offset` now, what is on screen kept until the answer."""
        self._offset = offset
        self._read_at = None
        self.action_refresh()

    # -- showing ------------------------------------------------------------------------
    def _show(self) -> None:
        app = self.tui
        now = app.now()
        page = self.page
        self.table.more_before = page.offset > 0
        self.table.more_after = not page.range_ended and page.offset + len(page.items) < page.total
        self.table.apply_rows(
            [
                (e.id, fleet_cells(e, now, app.palette, app.ascii_only, fmt.zone(app.utc)))
                for e in page.items
            ]
        )
        self._show_title()
        self._show_status()
        self.sync_keys()

    def _show_title(self) -> None:
        ascii_only = self.tui.ascii_only
        query = self.query_state
        title = Text(TITLES[query.view], style="bold")
        title.append(
            " (all tenants)" if query.all_tenants else f" (tenant {self.tui.identity.tenant})"
        )
        typed = self.filter_bar.value.strip()
        if typed and not self._filter_error:
            opening, closing = glyph("open_quote", ascii_only), glyph("close_quote", ascii_only)
            title.append(f" matching {opening}{clean(typed, limit=60)}{closing}")
        self.show_line("#fleet-title", title)

    def _show_status(self) -> None:
        ascii_only = self.tui.ascii_only
        between = sep(ascii_only)
        page = self.page
        line = Text()
        if self._filter_error:
            line.append_text(safe(self._filter_error, "bold", limit=300, ascii_only=ascii_only))
        elif self._read_at is None and not page.items:
            line.append(f"reading{glyph('more', ascii_only)}")
        elif not page.items:
            line.append(self._nothing())
        else:
            dash = glyph("range", ascii_only)
            first, last = page.offset + 1, page.offset + len(page.items)
            line.append(f"{first}{dash}{last} of {page.total:,}")
            if page.range_ended:
                line.append(" (the rest is older than since:)")
        if page.error:
            line.append(between)
            line.append_text(safe(f"stale: {page.error}", "bold", limit=200))
        elif self._read_at is not None:
            pace = "every tick" if self.read_interval() < IDLE_READ else "every 10s"
            line.append(
                f"{between}read {pace}{between}{fmt.zone_label(self.tui.now(), self.tui.utc)}"
            )
        self.show_line("#fleet-status", line)

    def _nothing(self) -> str:
        query = self.query_state
        where = "any tenant" if query.all_tenants else "this tenant"
        narrowed = query.statuses or query.workflow or query.deployment or query.since
        if query.view == "running" and not narrowed:
            return f"Nothing runs or waits in {where}."
        return f"No execution in {where} matches the filter."

    # -- paging -------------------------------------------------------------------------
    @on(PagedTable.PageRequested)
    def _turn_page(self, event: PagedTable.PageRequested) -> None:
        if event.wheel and self._cursor_after is not None:
            return
        page = self.page
        offset, cursor = page_turn(event.where, self._offset, len(page.items) or 1, page.total)
        if offset != self._offset:
            self._cursor_after = cursor
            self._ask(offset=offset)

    # -- keys ---------------------------------------------------------------------------
    @property
    def selected(self) -> Execution | None:
        key = self.table.selected_key
        return self._by_id.get(key) if key else None

    def why_not(self, action: str) -> str | None:
        if action in NEEDS_EXECUTION:
            execution = self.selected
            if execution is None:
                return "No execution selected."
            if action == "cancel_execution":
                return refusals.nothing_to_cancel(execution)
            if action == "resume_execution":
                return refusals.not_resumable(execution)
        return None

    def action_switch_view(self) -> None:
        view: View = "history" if self.query_state.view == "running" else "running"
        self.query_state = replace(self.query_state, view=view)
        self.page = FleetPage()
        self._ask()
        self._show()

    def action_all_tenants(self) -> None:
        query = self.query_state
        self.query_state = replace(query, all_tenants=not query.all_tenants)
        self.table.show_tenants(self.query_state.all_tenants)
        self.page = FleetPage()
        self._ask()
        self._show()

    @on(Input.Changed, "#fleet-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        try:
            query = parse_filter(event.value, self.query_state, datetime.now(UTC))
        except FilterError as error:
            self._filter_error = str(error)
            self._show()
            return
        self._filter_error = ""
        if query != self.query_state:
            self.query_state = query
            self._ask()
        self._show()

    @on(DataTable.RowSelected, "#fleet")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        execution = self.selected
        if execution is not None:
            self.tui.open_execution(execution)

    def action_cancel_execution(self) -> None:
        execution = self.selected
        if execution is not None and self.refusal("cancel_execution") is None:
            self.run_flow(flows.cancel_flow(self.tui, execution))

    def action_resume_execution(self) -> None:
        execution = self.selected
        if execution is not None and self.refusal("resume_execution") is None:
            self.run_flow(flows.resume_flow(self.tui, execution))

    def action_pin(self) -> None:
        execution = self.selected
        if execution is not None:
            self.tui.toggle_pin(execution)

    def action_raw(self) -> None:
        execution = self.selected
        if execution is not None:
            flows.show_raw(self.tui, f"Execution {fmt.short_id(execution.id)}", execution.raw)

    def action_copy_id(self) -> None:
        execution = self.selected
        if execution is not None:
            flows.copy_id(self.tui, execution.id)
