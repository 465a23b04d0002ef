"""The main screen: deployments, the selected deployment's workflows, its executions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input

from tui.api.models import Execution, Workflow
from tui.live.snapshot import Snapshot
from tui.messages import SnapshotReady
from tui.screens.help import binding_rows
from tui.widgets.panes import (
    DeploymentsTable,
    ExecutionsTable,
    WorkflowsTable,
    deployment_cells,
    execution_cells,
    workflow_cells,
)
from tui.widgets.safe import clean
from tui.widgets.status_line import StatusLine, status_line_text
from tui.widgets.watch_bar import WatchBar

if TYPE_CHECKING:
    from tui.app import CfyTuiApp

MUTATING = {"start", "force_start", "cancel_execution"}


class MainScreen(Screen[None]):
    BINDINGS = [
        Binding("s", "start", "Start", id="main.start", tooltip="Start the selected workflow"),
        Binding("S", "force_start", "Force start", id="main.force_start"),
        Binding("c", "cancel_execution", "Cancel", id="main.cancel"),
        Binding("enter", "open", "Open", id="main.open"),
        Binding("m", "pin", "Pin", id="main.pin"),
        Binding("y", "raw", "Raw", id="main.raw"),
        Binding("Y", "copy_id", "Copy id", id="main.copy_id", show=False),
        Binding("slash", "filter", "Filter", id="main.filter"),
        Binding("escape", "clear_filter", "Clear filter", id="main.clear_filter", show=False),
        Binding("r", "refresh", "Refresh", id="main.refresh"),
        Binding("p", "toggle_pause", "Pause", id="main.pause"),
        Binding("question_mark", "help", "Help", id="main.help"),
        Binding("comma", "app.show_settings", "Settings", id="main.settings", show=False),
        Binding("q", "app.quit", "Quit", id="main.quit"),
    ]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.snapshot = Snapshot()
        self._workflows: dict[str, Workflow] = {}
        self._cursor_after_page: str | None = None  # "first" / "last" row after a page turn
        self._page_offset_seen = 0
        self._executions: dict[str, Execution] = {}

    @property
    def tui(self) -> CfyTuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="panes"):
            with Horizontal(id="top"):
                with Vertical(id="deployments-pane", classes="pane"):
                    yield Input(placeholder="filter deployments (esc clears)", id="filter")
                    yield DeploymentsTable(id="deployments")
                with Vertical(id="workflows-pane", classes="pane"):
                    yield WorkflowsTable(id="workflows")
            with Vertical(id="executions-pane", classes="pane"):
                yield ExecutionsTable(id="executions")
        yield WatchBar(id="watch-bar", markup=False)
        yield StatusLine(id="status-line", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#deployments-pane").border_title = "Deployments"
        self.query_one("#workflows-pane").border_title = "Workflows"
        self.query_one("#executions-pane").border_title = "Executions"
        self.query_one("#filter", Input).display = False
        self.query_one(WatchBar).display = False
        self.query_one("#deployments", DeploymentsTable).focus()
        self.set_interval(1.0, self._tick_clock, name="clock")
        self.apply_snapshot(self.tui.poller_snapshot)

    def reset(self) -> None:
        """Forget everything shown (another tenant or profile is coming)."""
        field = self.query_one("#filter", Input)
        field.value = ""
        field.display = False
        self.apply_snapshot(Snapshot())
        self.query_one("#deployments", DeploymentsTable).focus()

    # -- data ---------------------------------------------------------------------------
    @on(SnapshotReady)
    def _on_snapshot(self, message: SnapshotReady) -> None:
        self.apply_snapshot(message.snapshot)

    def _tick_clock(self) -> None:
        self.apply_snapshot(self.snapshot)

    def _set_title(self, selector: str, title: str) -> None:
        """A pane's border title, as plain text: it holds server and user strings, and a
        `str` is parsed as markup (`[/]` typed in the filter raised MarkupError). Set
        only when it changed: each assignment repaints the whole pane, table included,
        and this runs every second (tests/benchmarks/bench_tui_polling.py)."""
        pane = self.query_one(selector)
        content = Content(title)
        if pane.border_title != content.markup:
            pane.border_title = content

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        app = self.tui
        palette, ascii_only, now = app.palette, app.ascii_only, app.now()
        deployments = self.query_one("#deployments", DeploymentsTable)
        deployments.apply_rows(
            [
                (d.id, deployment_cells(d, snapshot.active_for(d.id), palette, ascii_only))
                for d in snapshot.deployments
            ]
        )
        selected = snapshot.selected
        detail = snapshot.detail if snapshot.detail and snapshot.detail.id == selected else None
        workflows = detail.workflows if detail else ()
        self._workflows = {w.name: w for w in workflows}
        self.query_one("#workflows", WorkflowsTable).apply_rows(
            [(w.name, workflow_cells(w)) for w in workflows]
        )
        self._executions = {e.id: e for e in snapshot.executions}
        self.query_one("#executions", ExecutionsTable).apply_rows(
            [(e.id, execution_cells(e, now, palette, ascii_only)) for e in snapshot.executions]
        )
        name = clean(selected, limit=60) if selected else ""
        self._set_title("#workflows-pane", f"Workflows: {name}" if name else "Workflows")
        self._set_title("#executions-pane", f"Executions: {name}" if name else "Executions")
        total = snapshot.deployments_total
        shown = len(snapshot.deployments)
        first = snapshot.deployments_offset
        title = "Deployments"
        if snapshot.search:
            title += f" matching “{clean(snapshot.search, limit=40)}”"
        if total > shown:
            title += f" {first + 1}–{first + shown} of {total}" if shown else f" (of {total})"
        self._set_title("#deployments-pane", title)
        deployments.more_before = first > 0
        deployments.more_after = first + shown < total
        if self._cursor_after_page is not None and first != self._page_offset_seen:
            rows = deployments.keys
            if rows:
                deployments.select_key(rows[0] if self._cursor_after_page == "first" else rows[-1])
            self._cursor_after_page = None
        self._page_offset_seen = first
        self.query_one(StatusLine).show(
            status_line_text(snapshot, app.identity, app.manager_version, app.clock())
        )
        if selected is None and deployments.selected_key is not None:
            app.select_deployment(deployments.selected_key)

    # -- selection ----------------------------------------------------------------------
    @on(DataTable.RowHighlighted, "#deployments")
    def _deployment_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # An empty table highlights "no row" (row_key None) on up/down.
        key = event.row_key.value if event.row_key is not None else None
        if key is not None and key != self.snapshot.selected:
            self.tui.select_deployment(str(key))

    @on(DeploymentsTable.PageRequested)
    def _turn_page(self, event: DeploymentsTable.PageRequested) -> None:
        page = self.tui.poller.deployments_page
        offset = self.snapshot.deployments_offset + (page if event.forward else -page)
        self._cursor_after_page = "first" if event.forward else "last"
        self.tui.poller.show_deployments_from(max(0, offset))

    @on(DataTable.RowSelected, "#deployments")
    def _deployment_chosen(self, event: DataTable.RowSelected) -> None:
        """`enter` on a deployment (DataTable's own binding): go to its executions."""
        self.query_one("#executions", ExecutionsTable).focus()

    @on(DataTable.RowSelected, "#executions")
    def _execution_chosen(self, event: DataTable.RowSelected) -> None:
        """`enter` on an execution: its screen with the event tail."""
        if event.row_key is None:
            return
        execution = self._executions.get(str(event.row_key.value))
        if execution is not None:
            self.tui.open_execution(execution)

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    @property
    def selected_workflow(self) -> Workflow | None:
        key = self.query_one("#workflows", WorkflowsTable).selected_key
        return self._workflows.get(key) if key else None

    @property
    def selected_execution(self) -> Execution | None:
        key = self.query_one("#executions", ExecutionsTable).selected_key
        return self._executions.get(key) if key else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MUTATING and self.tui.read_only:
            return False
        focused = self.focused
        if action in ("start", "force_start"):
            return isinstance(focused, WorkflowsTable)
        if action == "cancel_execution":
            return isinstance(focused, ExecutionsTable)
        if action == "open":
            return isinstance(focused, (DeploymentsTable, ExecutionsTable))
        if action == "pin":
            return isinstance(focused, ExecutionsTable)
        if action in ("raw", "copy_id"):
            return isinstance(focused, (DeploymentsTable, ExecutionsTable))
        if action == "clear_filter":
            return bool(self.snapshot.search) or self.query_one("#filter", Input).display
        return True

    # -- actions ------------------------------------------------------------------------
    def _start(self, force: bool) -> None:
        workflow = self.selected_workflow
        deployment = self.snapshot.selected
        if workflow is None or deployment is None:
            self.notify("Select a workflow first.", severity="warning")
            return
        self.tui.open_start(deployment, workflow, force=force)

    def action_start(self) -> None:
        self._start(force=False)

    def action_force_start(self) -> None:
        self._start(force=True)

    def action_cancel_execution(self) -> None:
        execution = self.selected_execution
        if execution is None:
            self.notify("Select an execution first.", severity="warning")
            return
        self.tui.open_cancel(execution)

    def action_open(self) -> None:
        if isinstance(self.focused, ExecutionsTable):
            execution = self.selected_execution
            if execution is not None:
                self.tui.open_execution(execution)
            return
        self.query_one("#executions", ExecutionsTable).focus()

    def action_pin(self) -> None:
        execution = self.selected_execution
        if execution is not None:
            self.tui.toggle_pin(execution)

    def _focused_object(self) -> tuple[str, str, Any] | None:
        """(kind, id, raw JSON) of the selected row of the focused pane."""
        if isinstance(self.focused, ExecutionsTable):
            execution = self.selected_execution
            if execution is not None:
                return ("Execution", execution.id, execution.raw)
        if isinstance(self.focused, DeploymentsTable):
            key = self.query_one("#deployments", DeploymentsTable).selected_key
            detail = self.snapshot.detail
            if key is not None:
                if detail is not None and detail.id == key:
                    return ("Deployment", key, detail.raw)
                for deployment in self.snapshot.deployments:
                    if deployment.id == key:
                        return ("Deployment", key, deployment.raw)
        return None

    def action_raw(self) -> None:
        found = self._focused_object()
        if found is not None:
            kind, key, raw = found
            self.tui.show_raw(f"{kind} {key}", raw)

    def action_copy_id(self) -> None:
        found = self._focused_object()
        if found is not None:
            self.tui.copy_id(found[1])

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.tui.set_search(event.value.strip())

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#deployments", DeploymentsTable).focus()

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.value = ""
        field.display = False
        self.tui.set_search("")
        self.query_one("#deployments", DeploymentsTable).focus()

    def action_refresh(self) -> None:
        self.tui.refresh_now()

    def action_toggle_pause(self) -> None:
        self.tui.toggle_pause()

    def action_help(self) -> None:
        self.tui.action_show_help()

    def select_execution(self, execution_id: str) -> None:
        table = self.query_one("#executions", ExecutionsTable)
        if table.select_key(execution_id):
            table.focus()

    def help_rows(self) -> list[tuple[str, str, str]]:
        where = {
            "start": "workflows pane",
            "force_start": "workflows pane",
            "cancel_execution": "executions pane",
            "open": "deployments: go to executions; executions: open the event tail",
            "pin": "executions pane",
            "raw": "deployments, executions",
            "copy_id": "deployments, executions",
        }
        rows = [
            ("tab / shift+tab", "Next / previous pane", "everywhere"),
            ("↑ ↓  j k", "Move inside a pane", "everywhere"),
        ]
        return rows + binding_rows(
            self.BINDINGS, hidden=MUTATING if self.tui.read_only else (), where=where
        )

    def command_actions(self) -> list[tuple[str, str, Any]]:
        """(name, help, callback) for the command palette, mutating ones left out in
        read-only mode."""
        commands = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.action in MUTATING and self.tui.read_only:
                continue
            if binding.action.startswith("app."):
                continue
            method = getattr(self, f"action_{binding.action}")
            commands.append((binding.description, binding.tooltip or binding.description, method))
        return commands
