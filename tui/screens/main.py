"""The main screen: deployments, the selected deployment's workflows, its executions.

The deployment under the cursor is the one source of truth for what every other pane,
form and key acts on. After any change to the deployments list (a filter, a page, a
refresh, a resize, a tenant switch) the screen reads the cursor again, tells the poller,
and shows the workflows and executions of that deployment only: never those of one
that is no longer under the cursor. With nothing under the cursor, the dependent panes
say so and the keys that would act on them say why they do nothing.

The other screens and the flows are imported where a key opens them, not at the top:
start-up imports only what draws the first data (`python -X importtime`: about 90 ms
less, with tui/app.py doing the same; tests/benchmarks/bench_tui_startup.py).
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input

from tui.api.errors import ApiError
from tui.api.models import Execution, Workflow
from tui.live import deployment_filter
from tui.live.marking import Marks, matching_ids
from tui.live.snapshot import Snapshot
from tui.messages import ExecutionStarted, SnapshotReady
from tui.screens.host import Host
from tui.screens.keys import Key, KeyTable
from tui.widgets import fmt, refusals
from tui.widgets.glyphs import glyph, sep
from tui.widgets.paged_table import page_turn
from tui.widgets.panes import (
    DeploymentsTable,
    ExecutionsTable,
    WorkflowsTable,
    custom_first,
    deployment_cells,
    execution_cells,
    manager_load,
    unavailable_message,
    workflow_cells,
)
from tui.widgets.safe import clean, safe
from tui.widgets.status_line import ErrorLine, StatusLine, error_line_text
from tui.widgets.watch_bar import WatchBar

KEYS = KeyTable(
    [
        Key(
            "s",
            "start",
            "Start",
            "main.start",
            "Start the selected workflow on the selected deployment (parameters form);"
            " with marks, one workflow on every marked deployment (a group run)",
            where="workflows pane (or enter on a workflow); with marks, everywhere",
            mutating=True,
            pane="workflows",
        ),
        Key(
            "S",
            "force_start",
            "Force start",
            "main.force_start",
            "Start even while another execution runs, after a confirmation",
            where="workflows pane",
            mutating=True,
            pane="workflows",
        ),
        Key(
            "c",
            "cancel_execution",
            "Cancel",
            "main.cancel",
            "Cancel the selected execution: cancel, force-cancel or kill",
            where="executions pane",
            mutating=True,
            pane="executions",
        ),
        Key(
            "u",
            "resume_execution",
            "Resume execution",
            "main.resume_execution",
            "Resume the selected failed or cancelled execution (or force-resume it)",
            where="executions pane",
            mutating=True,
            pane="executions",
        ),
        Key(
            "enter",
            "open",
            "Open",
            "main.open",
            "Deployment: go to its executions; execution: open its event tail",
            where="deployments: go to executions; executions: open the event tail",
        ),
        Key(
            "m",
            "pin",
            "Pin",
            "main.pin",
            "Watch the selected execution until it ends",
            where="executions pane",
            explained=True,
            pane="executions",
        ),
        Key(
            "y",
            "raw",
            "Raw",
            "main.raw",
            "The selected object as the manager sent it",
            where="every pane",
            explained=True,
        ),
        Key(
            "Y",
            "copy_id",
            "Copy id",
            "main.copy_id",
            "Copy the selected object's id to the clipboard",
            show=False,
            where="every pane",
            explained=True,
        ),
        Key(
            "space",
            "mark",
            "Mark",
            "main.mark",
            "Mark the deployment under the cursor for a group run (again: unmark)",
            show=False,  # the pane's title counts the marks and names the keys
            explained=True,
        ),
        Key(
            "asterisk",
            "mark_matching",
            "Mark all matching",
            "main.mark_matching",
            "Mark every deployment the filter matches, on every page (the manager says which)",
            show=False,
        ),
        Key(
            "minus",
            "clear_marks",
            "Clear marks",
            "main.clear_marks",
            "Unmark every deployment",
            show=False,
            explained=True,
        ),
        Key(
            "b",
            "group_runs",
            "Group runs",
            "main.group_runs",
            "Recent group runs (execution groups): progress, members, cancel, resume",
            show=False,
        ),
        Key(
            "d",
            "details",
            "Details",
            "main.details",
            "The deployment: labels, inputs, outputs, node instances",
            explained=True,
        ),
        Key(
            "n",
            "instances",
            "Instances",
            "main.instances",
            "The deployment's node instances, live",
            explained=True,
            show=False,  # d shows them counted, and says n lists them
        ),
        Key(
            "x",
            "running_everywhere",
            "Running now",
            "main.running",
            "Every unfinished execution, across deployments",
            show=False,  # the footer is full at 80 columns; help and palette have it
        ),
        Key(
            "X",
            "history",
            "History",
            "main.history",
            "Every execution, newest first (status:failed since:24h ...)",
            show=False,
        ),
        Key(
            "o",
            "sort_next",
            "Sort",
            "main.sort",
            "Sort deployments by the next column (the manager sorts)",
            show=False,
        ),
        Key(
            "O",
            "sort_reverse",
            "Reverse sort",
            "main.sort_reverse",
            "Reverse the deployments' order",
            show=False,
        ),
        Key(
            "slash",
            "filter",
            "Filter",
            "main.filter",
            "Filter deployments: env=prod status:failed blueprint:web, words of the id",
        ),
        Key(
            "escape",
            "clear_filter",
            "Clear filter",
            "main.clear_filter",
            "Show every deployment again",
            show=False,
        ),
        Key("r", "refresh", "Refresh", "main.refresh", "Ask the manager now"),
        Key("p", "pause", "Pause", "main.pause", "Stop live updates", where="while live"),
        Key("p", "resume", "Resume", "main.resume", "Resume live updates", where="while paused"),
        Key("question_mark", "help", "Help", "main.help", "Every key and what it does"),
        Key(
            "comma",
            "app.show_settings",
            "Settings",
            "main.settings",
            "Each effective setting and where it came from",
            show=False,
            palette=False,
        ),
        Key("q", "app.quit", "Quit", "main.quit", "Leave cfy-tui", palette=False),
    ]
)
# Sortable columns of the deployments pane -> the manager's `_sort` field, in the
# order `o` goes through them (`created` is no column: newest deployments first
# is `o` to it, then `O`).
SORTS = {
    "id": "id",
    "name": "display_name",
    "blueprint": "blueprint_id",
    "latest": "latest_execution_status",
    "status": "deployment_status",
    "install": "installation_status",
    "created": "created_at",
}
SORT_WORDS = {
    "id": "id",
    "name": "name",
    "blueprint": "blueprint",
    "latest": "latest status",
    "status": "status",
    "install": "installed",
    "created": "creation",
}
# What a key asks of the focus, when it is not there.
PANE_NEEDED = {
    "workflows": "Choose a workflow in the Workflows pane first (tab to it).",
    "executions": "Select an execution in the Executions pane first (tab to it).",
}


class MainScreen(Screen[None]):
    BINDINGS = KEYS.bindings()

    def __init__(self) -> None:
        super().__init__(id="main")
        self.snapshot = Snapshot()
        self._workflows: dict[str, Workflow] = {}
        self._executions: dict[str, Execution] = {}
        # Which deployment the workflows and executions panes show (None: nothing).
        self._workflows_for: str | None = None
        self._executions_for: str | None = None
        # A page turn in flight: where the cursor goes when it arrives, and the offset
        # asked for (further turns count from there, so no key press is lost).
        self._cursor_after_page: str | None = None
        self._page_target: int | None = None
        self._page_offset_seen = 0
        self._key_states: tuple[bool, ...] = ()
        # The order last asked for (column, descending), None until a sort key.
        self._sort_asked: tuple[str, bool] | None = None
        # Why the filter as typed is not applied ("" when it is).
        self._filter_problem = ""
        # A deployment to put the cursor on once a list holds it (a palette jump).
        self._select_when_listed: str | None = None
        # Deployments marked for a group run, by id, until cleared or the tenant changes.
        self.marks = Marks()
        # What the deployment rows were last built from: a snapshot that changes only
        # the selection (a cursor move) or the clock does not build 200 rows again.
        self._rows_from: tuple[object, ...] | None = None

    @property
    def tui(self) -> Host:
        return cast("Host", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="panes"):
            with Horizontal(id="top"):
                with Vertical(id="deployments-pane", classes="pane -wide"):
                    yield Input(
                        placeholder="env=prod status:failed blueprint:web, or id (esc clears)",
                        id="filter",
                        classes="filter-bar",
                    )
                    yield DeploymentsTable(id="deployments")
                with Vertical(id="workflows-pane", classes="pane -narrow"):
                    yield WorkflowsTable(id="workflows")
            with Vertical(id="executions-pane", classes="pane"):
                yield ExecutionsTable(id="executions")
        yield WatchBar(id="watch-bar", classes="bar", markup=False)
        yield ErrorLine(id="error-line", classes="bar", markup=False)
        yield StatusLine(id="status-line", classes="bar", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#deployments-pane").border_title = "Deployments"
        self.query_one("#workflows-pane").border_title = "Workflows"
        self.query_one("#executions-pane").border_title = "Executions"
        self.query_one("#filter", Input).display = False
        self.query_one(WatchBar).display = False
        self.query_one(ErrorLine).display = False
        self.query_one("#deployments", DeploymentsTable).focus()
        self.set_interval(1.0, self._tick_clock, name="clock")
        self.apply_snapshot(self.tui.poller.snapshot)

    def reset(self) -> None:
        """Forget everything shown (another tenant or profile is coming)."""
        field = self.query_one("#filter", Input)
        field.value = ""
        field.display = False
        self._cursor_after_page = None
        self._page_target = None
        self._page_offset_seen = 0
        self._sort_asked = None
        self._filter_problem = ""
        field.remove_class("-invalid")
        self.marks.clear()
        self.apply_snapshot(Snapshot())
        self.query_one("#deployments", DeploymentsTable).focus()

    # -- data ---------------------------------------------------------------------------
    @on(SnapshotReady)
    def _on_snapshot(self, message: SnapshotReady) -> None:
        self.apply_snapshot(message.snapshot)

    @on(ExecutionStarted)
    def _on_started(self, message: ExecutionStarted) -> None:
        """The cursor goes to an execution started here, once its row is drawn."""
        self.call_after_refresh(self.select_execution, message.execution.id)

    def _tick_clock(self) -> None:
        self.apply_snapshot(self.snapshot)

    def _set_title(self, selector: str, title: str, *, bottom: bool = False) -> None:
        """A pane's border title (`bottom`: its subtitle, on the lower border), as plain
        text: it holds server and user strings, and a `str` is parsed as markup (`[/]`
        typed in the filter raised MarkupError). Set only when it changed: each
        assignment repaints the whole pane, table included, and this runs every second
        (tests/benchmarks/bench_tui_polling.py)."""
        pane = self.query_one(selector)
        content = Content(title)
        shown = pane.border_subtitle if bottom else pane.border_title
        if shown != content.markup:
            if bottom:
                pane.border_subtitle = content
            else:
                pane.border_title = content

    def _data_time(self, snapshot: Snapshot) -> datetime:
        """The "now" that durations are counted to: the time of the data while it is
        stale (nobody knows whether a running execution still runs), the clock else."""
        app = self.tui
        if snapshot.stale and snapshot.updated_at is not None:
            return datetime.fromtimestamp(snapshot.updated_at, tz=UTC)
        return app.now()

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        app = self.tui
        ascii_only = app.ascii_only
        deployments = self.query_one("#deployments", DeploymentsTable)
        self._show_deployment_rows(snapshot, deployments)
        self._after_page(snapshot, deployments)
        if self._select_when_listed is not None and deployments.select_key(
            self._select_when_listed
        ):
            self._select_when_listed = None
        column, descending = self._sorted()
        sorted_mark = glyph("sort_down" if descending else "sort_up", ascii_only)
        deployments.mark_sorted(column if column != "id" or descending else None, sorted_mark)
        self._show_deployments_title(snapshot, deployments)
        self._show_target(snapshot, deployments.selected_key)
        self.query_one("#panes").set_class(snapshot.stale, "-stale")
        self.query_one(StatusLine).show_status(
            snapshot, app.shown_identity, app.manager_version, app.clock(), ascii_only
        )
        self._show_error_line()
        self._sync_selection()

    def _show_deployment_rows(self, snapshot: Snapshot, deployments: DeploymentsTable) -> None:
        """The deployment rows, built again only when what they show changed: the page,
        the running executions, the marks, the missing fields or the look. A cursor
        move publishes a snapshot that changes none of them (and the clock applies the
        same snapshot each second): 200 rows built and compared cost about 10 ms."""
        app = self.tui
        palette, ascii_only, marks = app.palette, app.ascii_only, self.marks
        unknown = any(
            (resource, name) == ("deployments", "latest_execution_status")
            or (resource, name) == ("deployments", "latest_execution")
            for resource, name, _ in snapshot.missing_fields
        )
        source = (
            snapshot.deployments,
            snapshot.active,
            marks.version,
            unknown,
            palette,
            ascii_only,
        )
        if source == self._rows_from:
            return
        self._rows_from = source
        deployments.apply_rows(
            [
                (
                    d.id,
                    deployment_cells(
                        d,
                        snapshot.active_for(d.id),
                        palette,
                        ascii_only,
                        unknown,
                        marked=d.id in marks,
                    ),
                )
                for d in snapshot.deployments
            ]
        )

    def _show_error_line(self) -> None:
        """The last failed request's error, else why the filter as typed is not applied
        (the whole width: a pane's title is too narrow for the reason)."""
        app = self.tui
        line = error_line_text(self.snapshot, app.clock(), app.ascii_only)
        if line is None and self._filter_problem:
            line = Text(f"{glyph('problem', app.ascii_only)} filter not applied: ", style="bold")
            line.append_text(safe(self._filter_problem, limit=400, ascii_only=app.ascii_only))
        self.query_one(ErrorLine).show_error(line)

    def _after_page(self, snapshot: Snapshot, deployments: DeploymentsTable) -> None:
        first = snapshot.deployments_offset
        deployments.more_before = first > 0
        deployments.more_after = first + len(snapshot.deployments) < snapshot.deployments_total
        if self._cursor_after_page is not None and first != self._page_offset_seen:
            rows = deployments.keys
            if rows:
                deployments.select_key(rows[0] if self._cursor_after_page == "first" else rows[-1])
            if self._page_target is None or first == self._page_target:
                self._cursor_after_page = None
                self._page_target = None
        self._page_offset_seen = first

    def _show_deployments_title(self, snapshot: Snapshot, deployments: DeploymentsTable) -> None:
        ascii_only = self.tui.ascii_only
        total = snapshot.deployments_total
        shown = len(snapshot.deployments)
        first = snapshot.deployments_offset
        title = "Deployments"
        if snapshot.search:
            opening, closing = glyph("open_quote", ascii_only), glyph("close_quote", ascii_only)
            title += f" matching {opening}{clean(snapshot.search, limit=40)}{closing}"
            if not shown and snapshot.updated_at is not None:
                title += ": none"
        column, descending = self._sorted()
        if (column, descending) != ("id", False):
            arrow = glyph("sort_down" if descending else "sort_up", ascii_only)
            title += f", by {SORT_WORDS[column]} {arrow}"
        if total > shown:
            dash = glyph("range", ascii_only)
            title += f" {first + 1}{dash}{first + shown} of {total}" if shown else f" (of {total})"
        if snapshot.stale:
            title += " (stale)"
        if self._filter_problem:
            title += " (filter not applied)"  # why: on the error line
        self._set_title("#deployments-pane", title)
        # The marks on the lower border: the title is cut at 80 columns, and the count
        # of marks must always show, as must the filter.
        marked = len(self.marks)
        self._set_title(
            "#deployments-pane",
            f"{glyph('marked', ascii_only)} {marked:,} marked (s starts, - clears)"
            if marked
            else "",
            bottom=True,
        )

    def _show_target(self, snapshot: Snapshot, target: str | None) -> None:
        """The workflows and executions of `target` (the deployment under the cursor),
        and nothing else: data the poller holds for another selection is not shown."""
        app = self.tui
        mine = target is not None and snapshot.selected == target
        detail = snapshot.detail if mine and snapshot.detail is not None else None
        if detail is not None and detail.id != target:
            detail = None
        workflows = custom_first(detail.workflows) if detail else []
        self._workflows = {w.name: w for w in workflows}
        self._workflows_for = target if detail is not None else None
        self.query_one("#workflows", WorkflowsTable).apply_rows(
            [(w.name, workflow_cells(w, app.ascii_only)) for w in workflows]
        )
        executions = snapshot.executions if mine else ()
        self._executions = {e.id: e for e in executions}
        self._executions_for = target if mine else None
        now = self._data_time(snapshot)
        self.query_one("#executions", ExecutionsTable).apply_rows(
            [
                (e.id, execution_cells(e, now, app.palette, app.ascii_only, fmt.zone(app.utc)))
                for e in executions
            ]
        )
        if target is None:
            suffix = ": no deployment selected"
            short = ": no deployment"  # the workflows pane is narrow at 80 columns
        else:
            suffix = f": {clean(target, limit=60)}"
            if detail is None:
                suffix += " (loading)"
            short = suffix
        stale = " (stale)" if snapshot.stale else ""
        load = manager_load(snapshot.running_total, snapshot.running_listed, snapshot.waiting_total)
        if load:
            load = f"{sep(app.ascii_only)}manager: {load}"
        self._set_title("#workflows-pane", f"Workflows{short}{stale}")
        self._set_title("#executions-pane", f"Executions{suffix}{stale}{load}")

    def _sync_selection(self) -> None:
        """Tell the poller which deployment the cursor is on (None: the list is empty),
        and refresh the footer when what the keys can do has changed."""
        target = self.query_one("#deployments", DeploymentsTable).selected_key
        if target != self.tui.poller.snapshot.selected:
            self.tui.poller.select(target)
        states = tuple(
            self.check_action(a, ()) is True for a in (*KEYS.refusable, "open", "pause", "resume")
        )
        if states != self._key_states:
            self._key_states = states
            self.refresh_bindings()

    # -- selection ----------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#deployments")
    def _deployment_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The event may be older than the table (a resize rebuilds the rows and the
        # cursor passes row 0 on the way): the cursor itself is read, not the event.
        self._show_target(self.tui.poller.snapshot, self._cursor_deployment())
        self._sync_selection()

    @on(DataTable.RowHighlighted, "#workflows")
    @on(DataTable.RowHighlighted, "#executions")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._sync_selection()

    def _cursor_deployment(self) -> str | None:
        return self.query_one("#deployments", DeploymentsTable).selected_key

    @on(DeploymentsTable.PageRequested)
    def _turn_page(self, event: DeploymentsTable.PageRequested) -> None:
        if event.wheel and self._page_target is not None:
            return  # the wheel's last turn has not arrived yet
        page = self.tui.poller.deployments_page
        total = self.snapshot.deployments_total
        base = self._page_target if self._page_target is not None else self._page_offset_seen
        offset, cursor = page_turn(event.where, base, page, total)
        if offset == base:
            return
        self._page_target = offset
        self._cursor_after_page = cursor
        self.tui.poller.show_deployments_from(offset)

    @on(DataTable.RowSelected, "#deployments")
    def _deployment_chosen(self, event: DataTable.RowSelected) -> None:
        """`enter` on a deployment (DataTable's own binding): go to its executions."""
        self.query_one("#executions", ExecutionsTable).focus()

    @on(DataTable.RowSelected, "#workflows")
    def _workflow_chosen(self, event: DataTable.RowSelected) -> None:
        """`enter` on a workflow: its start form."""
        self.action_start()

    @on(DataTable.RowSelected, "#executions")
    def _execution_chosen(self, event: DataTable.RowSelected) -> None:
        """`enter` on an execution: its screen with the event tail."""
        execution = self.selected_execution
        if execution is not None:
            self.tui.open_execution(execution)

    def on_descendant_focus(self) -> None:
        self._key_states = ()
        self._sync_selection()

    @property
    def selected_workflow(self) -> Workflow | None:
        key = self.query_one("#workflows", WorkflowsTable).selected_key
        return self._workflows.get(key) if key else None

    @property
    def selected_execution(self) -> Execution | None:
        key = self.query_one("#executions", ExecutionsTable).selected_key
        return self._executions.get(key) if key else None

    # -- what a key may do, and why not ---------------------------------------------------
    def refusal(self, action: str) -> str | None:
        """Why `action` cannot run now, in words for the user; None when it can."""
        if action in KEYS.mutating and self.tui.read_only:
            return refusals.read_only(action)
        pane = KEYS.pane_of(action)
        if pane == "workflows":
            return self._start_refusal(action)
        if pane == "executions":
            if not isinstance(self.focused, ExecutionsTable):
                return PANE_NEEDED[pane]
            execution = self.selected_execution
            if execution is None:
                return self._nothing_selected("execution")
            if action == "cancel_execution":
                return refusals.nothing_to_cancel(execution)
            if action == "resume_execution":
                return refusals.not_resumable(execution)
        if action == "clear_marks" and not self.marks:
            return "Nothing is marked (space marks the deployment under the cursor)."
        if action in ("details", "instances", "mark") and self._cursor_deployment() is None:
            return self._nothing_selected("deployment")
        if action in ("raw", "copy_id") and self._focused_object() is None:
            return "Nothing selected in this pane."
        return None

    def _start_refusal(self, action: str) -> str | None:
        if self.marks:
            return None  # a group run on the marked deployments, from any pane
        target = self._cursor_deployment()
        if target is None:
            return self._nothing_selected("deployment")
        if not isinstance(self.focused, WorkflowsTable):
            return PANE_NEEDED["workflows"]
        if self._workflows_for != target:
            return f"The workflows of {clean(target, limit=60)} are still loading."
        workflow = self.selected_workflow
        if workflow is None:
            return "Select a workflow first."
        return unavailable_message(target, workflow) if action == "start" else None

    def _nothing_selected(self, kind: str) -> str:
        if kind == "deployment":
            if self.snapshot.search and not self.snapshot.deployments:
                return "No deployment selected: the filter matches none (esc clears it)."
            return "No deployment selected: the list is empty."
        return f"No {kind} selected."

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refused":
            return True
        if action in KEYS.refusable:
            return self.refusal(action) is None
        if action == "open":
            return isinstance(self.focused, (DeploymentsTable, ExecutionsTable))
        if action == "pause":
            return not self.snapshot.paused
        if action == "resume":
            return self.snapshot.paused
        if action == "clear_filter":
            return bool(self.snapshot.search) or self.query_one("#filter", Input).display
        return True

    def action_refused(self, action: str) -> None:
        """The fallback of a key whose action cannot run: say why, do nothing else."""
        reason = self.refusal(action)
        if reason is not None:
            self.notify(reason, severity="warning")

    def _allowed(self, action: str) -> bool:
        """For actions reached without their key (palette, enter): the same rule."""
        reason = self.refusal(action)
        if reason is not None:
            self.notify(reason, severity="warning")
        return reason is None

    # -- actions ------------------------------------------------------------------------
    def _start(self, action: str, force: bool) -> None:
        from tui.screens import flows, group_flows

        if not self._allowed(action):
            return
        if self.marks:
            chosen = self.selected_workflow if isinstance(self.focused, WorkflowsTable) else None
            self.run_flow(
                group_flows.group_start_flow(
                    self.tui,
                    self.marks.ids,
                    force=force,
                    workflow_id=chosen.name if chosen is not None else None,
                )
            )
            return
        workflow = self.selected_workflow
        target = self._workflows_for
        if workflow is not None and target is not None:
            self.run_flow(flows.start_flow(self.tui, target, workflow, force=force))

    def run_flow(self, flow: Coroutine[Any, Any, None]) -> None:
        """A flow in a worker of this screen: it ends with the screen, and an error in
        it is logged and shown, never fatal to the app."""
        self.run_worker(flow, group="flows", exit_on_error=False)

    def action_start(self) -> None:
        self._start("start", force=False)

    def action_force_start(self) -> None:
        self._start("force_start", force=True)

    def action_cancel_execution(self) -> None:
        from tui.screens import flows

        execution = self.selected_execution
        if self._allowed("cancel_execution") and execution is not None:
            self.run_flow(flows.cancel_flow(self.tui, execution))

    def action_resume_execution(self) -> None:
        from tui.screens import flows

        execution = self.selected_execution
        if self._allowed("resume_execution") and execution is not None:
            self.run_flow(flows.resume_flow(self.tui, execution))

    def action_open(self) -> None:
        if isinstance(self.focused, ExecutionsTable):
            execution = self.selected_execution
            if execution is not None:
                self.tui.open_execution(execution)
            return
        self.query_one("#executions", ExecutionsTable).focus()

    # -- marks ------------------------------------------------------------------------
    def action_mark(self) -> None:
        """Mark or unmark the cursor's deployment, then move down (a run of rows is
        marked by holding space)."""
        target = self._cursor_deployment()
        if not self._allowed("mark") or target is None:
            return
        self.marks.toggle(target)
        self.apply_snapshot(self.snapshot)
        deployments = self.query_one("#deployments", DeploymentsTable)
        if deployments.has_focus and deployments.cursor_row < deployments.row_count - 1:
            deployments.move_cursor(row=deployments.cursor_row + 1)

    def action_mark_matching(self) -> None:
        self.run_flow(self._mark_matching(self.snapshot.search))

    async def _mark_matching(self, search: str) -> None:
        """Every deployment the filter matches, read from the manager (all pages)."""
        what = f"matching {clean(search, limit=60)!r}" if search else "on the manager"
        try:
            ids = await matching_ids(self.tui.client, search)
        except ApiError as error:
            self.notify(
                f"Could not read the deployments {what}: {clean(error.message, limit=300)}",
                severity="error",
            )
            return
        added = self.marks.add(ids)
        self.apply_snapshot(self.snapshot)
        self.notify(
            f"Marked {fmt.plural(added, 'more deployment')} {what}"
            f" ({len(self.marks):,} marked in all)."
        )

    def action_clear_marks(self) -> None:
        if not self._allowed("clear_marks"):
            return
        count = self.marks.clear()
        self.apply_snapshot(self.snapshot)
        self.notify(f"Unmarked {fmt.plural(count, 'deployment')}.")

    def action_group_runs(self) -> None:
        from tui.screens.group_runs import GroupRunsScreen

        self.app.push_screen(GroupRunsScreen())

    def action_details(self) -> None:
        from tui.screens.deployment import DeploymentScreen

        target = self._cursor_deployment()
        if self._allowed("details") and target is not None:
            self.app.push_screen(DeploymentScreen(target))

    def action_instances(self) -> None:
        from tui.screens.instances import NodeInstancesScreen

        target = self._cursor_deployment()
        if self._allowed("instances") and target is not None:
            self.app.push_screen(NodeInstancesScreen(target))

    # -- sorting ------------------------------------------------------------------------
    def _sort_by(self, column: str, descending: bool) -> None:
        """Ask the manager for the deployments in this order (the cursor's deployment
        kept on screen); the header and title follow when the sorted page arrives."""
        self._sort_asked = (column, descending)
        field = SORTS[column]
        keys = (f"-{field}" if descending else field,)
        if field != "id":
            keys += ("id",)  # ties in a stable order, so pages do not overlap
        self.tui.poller.set_sort(keys, self._cursor_deployment())

    def _sorted(self) -> tuple[str, bool]:
        """(column, descending) of the list shown now."""
        first = self.snapshot.sort[0] if self.snapshot.sort else "id"
        field = first.lstrip("-")
        column = next((c for c, f in SORTS.items() if f == field), "id")
        return column, first.startswith("-")

    def _sort_base(self) -> tuple[str, bool]:
        """The order the next `o`/`O` starts from: the last one asked for (a page on its
        way does not make fast presses repeat one column), else the one shown."""
        return self._sort_asked or self._sorted()

    def action_sort_next(self) -> None:
        column, _ = self._sort_base()
        order = list(SORTS)
        self._sort_by(order[(order.index(column) + 1) % len(order)], descending=False)

    def action_sort_reverse(self) -> None:
        column, descending = self._sort_base()
        self._sort_by(column, not descending)

    @on(DataTable.HeaderSelected, "#deployments")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        """A click on a column's header sorts by it; a second click reverses."""
        column = str(event.column_key.value)
        if column not in SORTS:
            return
        current, descending = self._sort_base()
        self._sort_by(column, not descending if column == current else False)

    def action_running_everywhere(self) -> None:
        from tui.screens.fleet import FleetScreen

        self.app.push_screen(FleetScreen("running"))

    def action_history(self) -> None:
        from tui.screens.fleet import FleetScreen

        self.app.push_screen(FleetScreen("history"))

    def action_pin(self) -> None:
        execution = self.selected_execution
        if self._allowed("pin") and execution is not None:
            self.tui.toggle_pin(execution)

    def _focused_object(self) -> tuple[str, str, Any] | None:
        """(kind, id, raw JSON) of the selected row of the focused pane."""
        if isinstance(self.focused, ExecutionsTable):
            execution = self.selected_execution
            if execution is not None:
                return ("Execution", execution.id, execution.raw)
        if isinstance(self.focused, DeploymentsTable):
            return self._focused_deployment()
        if isinstance(self.focused, WorkflowsTable):
            return self._focused_workflow()
        return None

    def _focused_deployment(self) -> tuple[str, str, Any] | None:
        key = self._cursor_deployment()
        if key is None:
            return None
        detail = self.snapshot.detail
        if detail is not None and detail.id == key:
            return ("Deployment", key, detail.raw)
        for deployment in self.snapshot.deployments:
            if deployment.id == key:
                return ("Deployment", key, deployment.raw)
        return None

    def _focused_workflow(self) -> tuple[str, str, Any] | None:
        workflow = self.selected_workflow
        detail = self.snapshot.detail
        if workflow is None or detail is None or detail.id != self._workflows_for:
            return None
        declared = detail.raw.get("workflows") if isinstance(detail.raw, dict) else None
        for raw in declared if isinstance(declared, list) else ():
            if isinstance(raw, dict) and raw.get("name") == workflow.name:
                return ("Workflow", workflow.name, raw)
        return None

    def action_raw(self) -> None:
        from tui.screens import flows

        found = self._focused_object()
        if self._allowed("raw") and found is not None:
            kind, key, raw = found
            if kind == "Deployment":
                self.run_flow(flows.show_raw_deployment(self.tui, key, raw))
            else:
                flows.show_raw(self.tui, f"{kind} {key}", raw)

    def action_copy_id(self) -> None:
        from tui.screens import flows

        found = self._focused_object()
        if self._allowed("copy_id") and found is not None:
            flows.copy_id(self.tui, found[1])

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        """A filter that reads goes to the manager; one that does not (half typed, or
        asking what the manager cannot do) leaves the list as it is and says why."""
        text = event.value.strip()
        try:
            deployment_filter.parse(text)
        except deployment_filter.FilterError as error:
            self._filter_problem = str(error)
        else:
            self._filter_problem = ""
            self.tui.poller.set_search(text, self._cursor_deployment())
        event.input.set_class(bool(self._filter_problem), "-invalid")
        self._show_deployments_title(
            self.snapshot, self.query_one("#deployments", DeploymentsTable)
        )
        self._show_error_line()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#deployments", DeploymentsTable).focus()

    def apply_filter(self, text: str) -> None:
        """A filter chosen in the palette (a saved one): typed into the filter bar, so
        it is seen, checked and cleared like any other."""
        field = self.query_one("#filter", Input)
        field.display = True
        field.value = text  # Input.Changed applies it
        self.query_one("#deployments", DeploymentsTable).focus()

    def show_deployment(self, deployment_id: str) -> None:
        """The palette's jump: the list filtered to `deployment_id` (the filter bar says
        so; esc clears it) and the cursor on it once it arrives."""
        field = self.query_one("#filter", Input)
        self._select_when_listed = deployment_id
        self.tui.poller.set_search(deployment_id, deployment_id)
        field.value = deployment_id
        field.display = True
        deployments = self.query_one("#deployments", DeploymentsTable)
        deployments.focus()
        deployments.select_key(deployment_id)

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        self._filter_problem = ""
        field.remove_class("-invalid")
        self._show_error_line()
        field.value = ""
        field.display = False
        self.tui.poller.set_search("", self._cursor_deployment())
        self.query_one("#deployments", DeploymentsTable).focus()

    def action_refresh(self) -> None:
        self.tui.refresh_now()

    def action_pause(self) -> None:
        self.tui.poller.pause()
        self.notify("Live updates paused: press p to resume.")

    def action_resume(self) -> None:
        self.tui.poller.resume()
        self.notify("Live updates resumed.")

    def action_help(self) -> None:
        self.tui.action_show_help()

    def select_execution(self, execution_id: str) -> None:
        table = self.query_one("#executions", ExecutionsTable)
        if table.select_key(execution_id):
            table.focus()

    def help_rows(self) -> list[tuple[str, str, str]]:
        ascii_only = self.tui.ascii_only
        rows = [
            ("tab / shift+tab", "Next / previous pane", "everywhere"),
            (f"{glyph('up_down', ascii_only)}  j k", "Move inside a pane", "everywhere"),
            ("g / G  home / end", "First / last row (of the whole list)", "every table"),
        ]
        return rows + KEYS.help_rows(
            read_only=self.tui.read_only,
            display=self.tui.get_key_display,
            default_where="everywhere",
        )

    def command_actions(self) -> list[tuple[str, str, Any]]:
        """(name, help, callback) for the command palette: each action once, mutating
        ones left out in read-only mode, pause or resume as the state is."""
        return KEYS.palette_entries(
            self,
            read_only=self.tui.read_only,
            runnable=lambda a: a not in ("pause", "resume") or bool(self.check_action(a, ())),
        )
