"""The execution screen: header, parameters, and a live tail of events and logs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, ProgressBar, RichLog, Static

from tui.api.models import MISSING, Execution, Workflow
from tui.live.tail import TailState
from tui.messages import TailUpdated, WorkflowLoaded
from tui.screens.help import binding_rows
from tui.widgets import fmt
from tui.widgets.event_lines import LEVELS, event_line, is_failure, matches, traceback_lines
from tui.widgets.panes import short_id
from tui.widgets.safe import safe
from tui.widgets.status import status_text
from tui.widgets.watch_bar import WatchBar

if TYPE_CHECKING:
    from tui.app import CfyTuiApp

MUTATING = {"cancel_execution", "rerun"}


def header_text(execution: Execution, app: CfyTuiApp) -> Text:
    now = app.now()
    text = status_text(
        execution.status,
        palette=app.palette,
        ascii_only=app.ascii_only,
        dry_run=execution.is_dry_run,
    )
    text.append("  ")
    text.append_text(safe(execution.workflow_id, "bold", limit=100))
    text.append(" on ")
    text.append_text(safe(execution.deployment_id, "bold", limit=100))
    text.append("  ")
    text.append_text(safe(execution.id, "dim", limit=60))
    text.append("\nstarted by ")
    text.append_text(safe(execution.created_by or "?", limit=60))
    for label, stamp in (
        ("created", execution.created_at),
        ("started", execution.started_at),
        ("ended", execution.ended_at),
    ):
        shown = fmt.clock_time(stamp, now)
        if shown:
            text.append(f" · {label} {shown}")
    elapsed = fmt.elapsed(execution.started_at, execution.ended_at, now)
    if elapsed:
        text.append(f" · elapsed {elapsed}")
    if execution.is_dry_run:
        text.append(" · DRY RUN", style="bold")
    if execution.error_summary:
        text.append("\n")
        text.append_text(safe(execution.error_summary, "bold", limit=600))
    return text


def parameters_text(execution: Execution, workflow: Workflow | None) -> Text:
    """One line per parameter; `*` marks values that differ from the declared default."""
    text = Text()
    params = execution.parameters
    if not params:
        return Text("no parameters", style="dim")
    defaults = {s.name: s.default for s in workflow.parameters} if workflow else {}
    any_differs = False
    for index, (name, value) in enumerate(params.items()):
        if index:
            text.append("\n")
        default = defaults.get(name, MISSING)
        differs = workflow is not None and (default is MISSING or default != value)
        any_differs = any_differs or differs
        text.append("* " if differs else "  ", style="bold")
        text.append_text(safe(name, "bold", limit=100))
        text.append(": ")
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        text.append_text(safe(shown, limit=300))
    if any_differs:
        text.append("\n* differs from the workflow's declared default", style="dim")
    return text


class ExecutionScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="execution.back"),
        Binding("c", "cancel_execution", "Cancel", id="execution.cancel"),
        Binding("R", "rerun", "Run again", id="execution.rerun"),
        Binding("f", "toggle_follow", "Follow", id="execution.follow"),
        Binding("l", "cycle_level", "Level", id="execution.level"),
        Binding("slash", "filter", "Filter", id="execution.filter"),
        Binding("e", "first_failure", "First failure", id="execution.first_failure"),
        Binding("t", "toggle_tracebacks", "Tracebacks", id="execution.tracebacks"),
        Binding("m", "pin", "Pin", id="execution.pin"),
        Binding("y", "raw", "Raw", id="execution.raw"),
        Binding("Y", "copy_id", "Copy id", id="execution.copy_id", show=False),
        Binding("question_mark", "app.show_help", "Help", id="execution.help"),
    ]

    def __init__(self, execution: Execution) -> None:
        super().__init__(classes="execution-screen")
        self.execution = execution
        self.state = TailState(execution=execution)
        self.workflow: Workflow | None = None
        self.follow = True
        self.level = "info"
        self.needle = ""
        self.tracebacks = False
        self._written = 0  # events of `state.events` already considered for the log
        self._failure_line: int | None = None
        self._lines = 0

    @property
    def tui(self) -> CfyTuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="exec-top"):
            yield Static(id="exec-header", markup=False)
            yield ProgressBar(id="exec-progress", show_eta=False)
            with Horizontal(id="exec-middle"):
                yield Static(id="exec-params", markup=False)
        yield Input(placeholder="filter events (esc clears)", id="event-filter")
        yield RichLog(
            id="events",
            markup=False,
            highlight=False,
            wrap=False,
            auto_scroll=True,
            max_lines=100_000,
        )
        yield Static(id="tail-status", markup=False)
        yield WatchBar(id="watch-bar", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#event-filter", Input).display = False
        self.query_one("#exec-top").border_title = "Execution"
        self.query_one("#events").border_title = "Events and logs"
        self.query_one("#events", RichLog).focus()
        self._show_header()
        self._show_params()
        self._show_status()
        self.query_one(WatchBar).display = False
        self.tui.refresh_watch_bar()
        self.set_interval(1.0, self._tick, name="clock")
        self.tui.follow_execution(self.execution.id, self)
        self.tui.request_workflow(self.execution.deployment_id, self.execution.workflow_id, self)

    def on_unmount(self) -> None:
        self.tui.stop_following(self.execution.id)

    # -- data ---------------------------------------------------------------------------
    @on(TailUpdated)
    def _on_tail(self, message: TailUpdated) -> None:
        state = message.state
        assert isinstance(state, TailState)
        self.state = state
        if state.execution is not None:
            self.execution = state.execution
        self._append_events()
        self._show_header()
        self._show_status()

    @on(WorkflowLoaded)
    def _on_workflow(self, message: WorkflowLoaded) -> None:
        self.workflow = message.workflow if isinstance(message.workflow, Workflow) else None
        self._show_params()

    def _tick(self) -> None:
        if not self.execution.is_ended:
            self._show_header()

    def _styles(self) -> dict[str, str]:
        palette = self.tui.palette
        return {"error": palette["failed"], "warning": palette["cancelled"], "debug": "dim"}

    def _write(self, event: Any) -> None:
        log = self.query_one("#events", RichLog)
        if self._failure_line is None and is_failure(event):
            self._failure_line = self._lines
        log.write(event_line(event, self._styles()), scroll_end=self.follow)
        self._lines += 1
        if self.tracebacks and event.error_causes:
            for line in traceback_lines(event):
                log.write(line, scroll_end=self.follow)
                self._lines += 1

    def _append_events(self) -> None:
        for event in self.state.events[self._written :]:
            if matches(event, self.level, self.needle):
                self._write(event)
        self._written = len(self.state.events)

    def _rerender(self) -> None:
        log = self.query_one("#events", RichLog)
        log.clear()
        self._lines = 0
        self._failure_line = None
        self._written = 0
        self._append_events()
        self._show_status()

    def _show_header(self) -> None:
        execution = self.execution
        self.query_one("#exec-header", Static).update(header_text(execution, self.tui))
        bar = self.query_one("#exec-progress", ProgressBar)
        total = execution.total_operations
        bar.update(total=total or None, progress=execution.finished_operations)
        bar.display = bool(total) or not execution.is_ended

    def _show_params(self) -> None:
        self.query_one("#exec-params", Static).update(
            parameters_text(self.execution, self.workflow)
        )

    def _show_status(self) -> None:
        state = self.state
        line = Text(no_wrap=True, overflow="ellipsis")
        if state.gone:
            line.append("✗ this execution no longer exists", style="bold")
        elif state.error:
            line.append("✗ ", style="bold")
            line.append_text(safe(state.error, limit=200))
            if state.retry_at is not None:
                line.append(" · retrying")
        elif state.finished:
            line.append("■ ended: tail complete")
        else:
            line.append("● following" if self.follow else "○ not following")
        line.append(f" · {len(state.events)} events · level ≥ {self.level}")
        if self.needle:
            line.append(" · filter ")
            line.append_text(safe(self.needle, limit=60))
        if self.tracebacks:
            line.append(" · tracebacks shown")
        if self.execution.id in self.tui.pinned:
            line.append(" · pinned")
        self.query_one("#tail-status", Static).update(line)

    def help_rows(self) -> list[tuple[str, str, str]]:
        return binding_rows(
            self.BINDINGS,
            hidden=MUTATING if self.tui.read_only else (),
            default_where="execution screen",
        )

    # -- actions --------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MUTATING and self.tui.read_only:
            return False
        if action == "cancel_execution":
            return not self.execution.is_ended
        return True

    def action_back(self) -> None:
        field = self.query_one("#event-filter", Input)
        if field.display:
            field.value = ""
            field.display = False
            self.needle = ""
            self._rerender()
            self.query_one("#events", RichLog).focus()
            return
        self.dismiss()

    def action_cancel_execution(self) -> None:
        self.tui.open_cancel(self.execution)

    def action_rerun(self) -> None:
        self.tui.rerun(self.execution)

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow
        log = self.query_one("#events", RichLog)
        log.auto_scroll = self.follow
        if self.follow:
            log.scroll_end(animate=False)
        self._show_status()

    def action_cycle_level(self) -> None:
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
        self._rerender()

    def action_filter(self) -> None:
        field = self.query_one("#event-filter", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#event-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.needle = event.value.strip()
        self._rerender()

    @on(Input.Submitted, "#event-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.query_one("#events", RichLog).focus()

    def action_first_failure(self) -> None:
        if self._failure_line is None:
            self.notify("No failure in the events shown.", markup=False)
            return
        self.follow = False
        log = self.query_one("#events", RichLog)
        log.auto_scroll = False
        log.scroll_to(y=self._failure_line, animate=False)
        self._show_status()

    def action_toggle_tracebacks(self) -> None:
        self.tracebacks = not self.tracebacks
        self._rerender()

    def action_pin(self) -> None:
        self.tui.toggle_pin(self.execution)
        self._show_status()

    def action_raw(self) -> None:
        self.tui.show_raw(f"Execution {short_id(self.execution.id)}", self.execution.raw)

    def action_copy_id(self) -> None:
        self.tui.copy_id(self.execution.id)
