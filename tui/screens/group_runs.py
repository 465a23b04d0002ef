"""`b`: the recent group runs (execution groups) of the tenant, newest first: when,
workflow, status, deployment group, concurrency. `enter` opens one.

One request per read (`GET /execution-groups`, the newest `RECENT`, with their
status); every fast tick while one of them has not ended, else every `IDLE_READ`
seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Input, Static

from tui.api.errors import ApiError
from tui.api.models import END_STATES, ExecutionGroup
from tui.live.group_watch import recent_groups
from tui.screens.flows import copy_id, show_raw
from tui.screens.keys import Key, KeyTable
from tui.screens.table_screen import IDLE_READ, TableScreen
from tui.widgets import fmt
from tui.widgets.glyphs import glyph, sep
from tui.widgets.groups import GroupsTable, group_cells
from tui.widgets.safe import safe

RECENT = 100

KEYS = KeyTable(
    [
        Key("escape", "back", "Back", "group_runs.back"),
        Key("enter", "open", "Open", "group_runs.open", "The group run", explained=True),
        Key("slash", "filter", "Filter", "group_runs.filter", "By workflow, group or status"),
        Key("r", "refresh", "Refresh", "group_runs.refresh", "Read the list now"),
        Key("y", "raw", "Raw", "group_runs.raw", explained=True),
        Key("Y", "copy_id", "Copy id", "group_runs.copy_id", show=False, explained=True),
        Key("question_mark", "app.show_help", "Help", "group_runs.help", palette=False),
    ]
)


@dataclass(frozen=True)
class Recent:
    items: tuple[ExecutionGroup, ...] = ()
    total: int = 0
    error: str = ""


class GroupRunsScreen(TableScreen):
    KEYS = KEYS
    BINDINGS = KEYS.bindings()
    WHERE = "group runs"
    TABLE = "group-runs"
    FILTER = "group-runs-filter"

    def __init__(self) -> None:
        super().__init__(classes="group-runs-screen")
        self.recent = Recent()
        self._by_id: dict[str, ExecutionGroup] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="group-runs-title", classes="bar", markup=False)
        yield Input(
            placeholder="workflow, group or status words (esc clears)",
            id="group-runs-filter",
            classes="filter-bar",
        )
        yield GroupsTable(id="group-runs", classes="instances-table")
        yield Static(id="group-runs-status", classes="bar", markup=False)
        yield Footer()

    # -- reading ------------------------------------------------------------------------
    def read_interval(self) -> float:
        running = any(g.status and g.status not in END_STATES for g in self.recent.items)
        return self.tui.fast_interval if running else IDLE_READ

    async def read_once(self) -> Recent:
        try:
            page = await recent_groups(self.tui.client, size=RECENT)
        except ApiError as error:
            return Recent(error=error.message)
        return Recent(page.items, page.total)

    def show_read(self, recent: Recent) -> None:
        if recent.error and self.recent.items:
            recent = Recent(self.recent.items, self.recent.total, recent.error)
        self.recent = recent
        self._by_id = {g.id: g for g in recent.items}
        self._show()

    # -- showing ------------------------------------------------------------------------
    def _rows(self) -> list[ExecutionGroup]:
        words = self.filter_bar.value.strip().lower().split()
        return [
            g
            for g in self.recent.items
            if all(
                w in g.workflow_id.lower()
                or w in g.deployment_group_id.lower()
                or w in g.status.lower()
                for w in words
            )
        ]

    def _show(self) -> None:
        app = self.tui
        now = app.now()
        tz = fmt.zone(app.utc)
        rows = self._rows()
        self.table.apply_rows(
            [(g.id, group_cells(g, now, app.palette, app.ascii_only, tz)) for g in rows]
        )
        ascii_only = app.ascii_only
        title = Text("Group runs", style="bold")
        title.append(f" (tenant {app.identity.tenant}), newest first")
        self.show_line("#group-runs-title", title)
        line = Text()
        if self._read_at is None and not self.recent.items:
            line.append(f"reading{glyph('more', ascii_only)}")
        elif not self.recent.items:
            line.append("No group run yet: mark deployments (space, *) and press s.")
        else:
            line.append(f"{len(rows)} of {self.recent.total:,} shown")
            if self.recent.total > RECENT:
                line.append(f" (the newest {RECENT})")
        if self.recent.error:
            line.append(sep(ascii_only))
            line.append_text(
                safe(f"stale: {self.recent.error}", "bold", limit=200, ascii_only=ascii_only)
            )
        self.show_line("#group-runs-status", line)
        self.sync_keys()

    # -- keys ---------------------------------------------------------------------------
    @property
    def selected(self) -> ExecutionGroup | None:
        key = self.table.selected_key
        return self._by_id.get(key) if key else None

    def why_not(self, action: str) -> str | None:
        if action in ("open", "raw", "copy_id") and self.selected is None:
            return "No group run selected."
        return None

    @on(Input.Changed, "#group-runs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._show()

    @on(DataTable.RowSelected, "#group-runs")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        group = self.selected
        if group is not None:
            self.tui.group_ends.open(group.id)

    def action_raw(self) -> None:
        group = self.selected
        if group is not None:
            show_raw(self.tui, f"Execution group {group.id}", group.raw)

    def action_copy_id(self) -> None:
        group = self.selected
        if group is not None:
            copy_id(self.tui, group.id)
