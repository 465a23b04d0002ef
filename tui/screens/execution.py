"""The execution screen: header, parameters, and a live tail of events and logs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, RichLog, Static

from tui.api.models import MISSING, Execution, Workflow
from tui.live.tail import ExecutionFollower, TailState
from tui.live.trail import Trail, trails
from tui.messages import CredentialsChanged, TailUpdated
from tui.screens import flows
from tui.screens.host import Host
from tui.screens.instances import NodeInstancesScreen
from tui.screens.keyed import KeyedScreen
from tui.screens.keys import Key, KeyTable
from tui.widgets import fmt, refusals
from tui.widgets.event_lines import (
    LEVELS,
    at_level,
    event_line,
    has_text,
    is_failure,
    nothing_shown,
    traceback_lines,
)
from tui.widgets.fmt import short_id
from tui.widgets.glyphs import glyph, overflow, sep
from tui.widgets.ops_bar import OpsBar
from tui.widgets.safe import safe
from tui.widgets.status import status_text
from tui.widgets.watch_bar import WatchBar

KEYS = KeyTable(
    [
        Key("escape", "back", "Back", "execution.back"),
        Key("c", "cancel_execution", "Cancel", "execution.cancel", mutating=True),
        Key("R", "rerun", "Run again", "execution.rerun", mutating=True),
        Key("u", "resume_execution", "Resume", "execution.resume", mutating=True),
        Key("f", "toggle_follow", "Follow", "execution.follow"),
        Key("l", "cycle_level", "Level", "execution.level"),
        Key("slash", "filter", "Filter", "execution.filter"),
        Key("e", "first_failure", "First failure", "execution.first_failure"),
        Key(
            "n",
            "instances",
            "Instances",
            "execution.instances",
            "The node instances this run touched, failed first",
            show=False,  # the footer keeps Raw and Help; help and palette list it
        ),
        # Not in the footer: the status line says "N older (o)" when there are some.
        Key("o", "load_older", "Older events", "execution.older", show=False),
        Key("t", "toggle_tracebacks", "Tracebacks", "execution.tracebacks"),
        Key("m", "pin", "Pin", "execution.pin"),
        Key("z", "toggle_utc", "UTC / local time", "execution.utc", show=False),
        Key("y", "raw", "Raw", "execution.raw"),
        Key("Y", "copy_id", "Copy id", "execution.copy_id", show=False),
        Key("question_mark", "app.show_help", "Help", "execution.help", palette=False),
    ]
)


def header_text(execution: Execution, app: Host, stale_since: float | None = None) -> Text:
    """The execution's header. `stale_since`: the time of the last answer while the
    manager does not answer; the elapsed time stops there and the header says so."""
    now = app.now() if stale_since is None else datetime.fromtimestamp(stale_since, tz=UTC)
    ascii_only = getattr(app, "ascii_only", False)
    tz = fmt.zone(getattr(app, "utc", False))
    between = sep(ascii_only)
    text = status_text(
        execution.status,
        palette=app.palette,
        ascii_only=ascii_only,
        dry_run=execution.is_dry_run,
    )
    text.overflow = overflow(ascii_only)
    text.append("  ")
    text.append_text(safe(execution.workflow_id, "bold", limit=100, ascii_only=ascii_only))
    text.append(" on ")
    text.append_text(safe(execution.deployment_id, "bold", limit=100, ascii_only=ascii_only))
    text.append("  ")
    text.append_text(safe(execution.id, "dim", limit=60, ascii_only=ascii_only))
    text.append("\nstarted by ")
    text.append_text(safe(execution.created_by or "?", limit=60, ascii_only=ascii_only))
    for label, stamp in (
        ("created", execution.created_at),
        ("started", execution.started_at),
        ("ended", execution.ended_at),
    ):
        shown = fmt.clock_time(stamp, now, tz)
        if shown:
            text.append(f"{between}{label} {shown}")
    elapsed = fmt.elapsed(execution.started_at, execution.ended_at, now)
    if elapsed:
        text.append(f"{between}elapsed {elapsed}")
    if execution.is_dry_run:
        text.append(between)
        text.append("DRY RUN", style="bold")
    if stale_since is not None:
        text.append(between)
        as_of = now.astimezone(tz).strftime("%H:%M:%S")
        text.append(f"as of {as_of} (stale: the manager does not answer)", style="bold")
    if execution.error_summary:
        text.append("\n")
        text.append_text(safe(execution.error_summary, "bold", limit=600, ascii_only=ascii_only))
    return text


def parameters_text(
    execution: Execution, workflow: Workflow | None, *, ascii_only: bool = False
) -> Text:
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
        text.append_text(safe(name, "bold", limit=100, ascii_only=ascii_only))
        text.append(": ")
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        text.append_text(safe(shown, limit=300, ascii_only=ascii_only))
    if any_differs:
        text.append("\n* differs from the workflow's declared default", style="dim")
    return text


class ExecutionScreen(KeyedScreen):
    KEYS = KEYS
    BINDINGS = KEYS.bindings()
    WHERE = "execution screen"

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
        self._any_at_level = False  # an event passed the level (the text may hide it)
        self._note: Text | None = None  # the log's one line while filters hide all
        self._redrawing = False  # the log is being drawn again: its scrolling is ours
        self._follower: ExecutionFollower | None = None
        self._trails: dict[str, Trail] = {}
        self._trails_mark: tuple[int, Any] = (-1, None)

    def compose(self) -> ComposeResult:
        with Vertical(id="exec-top", classes="pane -summary"):
            yield Static(id="exec-header", markup=False)
            yield OpsBar(id="exec-progress")
            with Horizontal(id="exec-middle", classes="parameters"):
                yield Static(id="exec-params", markup=False)
        yield Input(
            placeholder="filter events (esc clears)", id="event-filter", classes="filter-bar"
        )
        yield RichLog(
            id="events",
            classes="log",
            markup=False,
            highlight=False,
            wrap=False,
            auto_scroll=True,
            max_lines=100_000,
        )
        yield Static(id="tail-status", classes="bar", markup=False)
        yield WatchBar(id="watch-bar", classes="bar", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        if self.gone:
            return  # replaced by another execution's screen before it was shown
        self.query_one("#event-filter", Input).display = False
        self.query_one("#exec-top").border_title = "Execution"
        self.query_one("#events").border_title = "Events and logs"
        self.query_one("#events", RichLog).focus()
        self._show_header()
        self._show_params()
        self._show_status()
        self.query_one(WatchBar).display = False
        self.tui.watch_changed()
        self.set_interval(1.0, self._tick, name="clock")
        self.watch(self.query_one("#events", RichLog), "scroll_y", self._scrolled, init=False)
        self._follow()
        self.run_worker(self._load_workflow(), group="lookups", exit_on_error=False)

    def _follow(self) -> None:
        """The tail of this execution, in a worker of this screen: it stops when the
        screen goes. A new one replaces any before it (new credentials)."""
        self.workers.cancel_group(self, "tail")
        self._follower = ExecutionFollower(
            self.tui.client,
            self.execution.id,
            on_update=lambda state: self.post_message(TailUpdated(state)),
            interval=self.tui.fast_interval,
            clock=self.tui.clock,
        )
        self.run_worker(
            self._follower.run(),
            name=f"tail-{self.execution.id}",
            group="tail",
            exit_on_error=False,
        )

    @on(CredentialsChanged)
    def _credentials_changed(self) -> None:
        self._follow()

    async def _load_workflow(self) -> None:
        """The declared workflow, to mark parameters that differ from its defaults."""
        execution = self.execution
        self.workflow = await flows.load_workflow(
            self.tui, execution.deployment_id, execution.workflow_id
        )
        self._show_params()

    # -- data ---------------------------------------------------------------------------
    @on(TailUpdated)
    def _on_tail(self, message: TailUpdated) -> None:
        state = message.state
        before = self.state.events
        self.state = state
        if state.execution is not None:
            self.execution = state.execution
        if before and state.events and state.events[0].key != before[0].key:
            self._prepended()
        else:
            self._append_events()
        self._show_header()
        self._show_status()

    def _tick(self) -> None:
        if not self.execution.is_ended:
            self._show_header()

    def _styles(self) -> dict[str, str]:
        palette = self.tui.palette
        return {"error": palette["failed"], "warning": palette["cancelled"], "debug": "dim"}

    def _write(self, event: Any) -> None:
        log = self.query_one("#events", RichLog)
        if self._note is not None:  # the first event shown replaces "nothing at ..."
            log.clear()
            self._note = None
        if self._failure_line is None and is_failure(event):
            self._failure_line = self._lines
        ascii_only = self.tui.ascii_only
        line = event_line(
            event,
            self._styles(),
            now=self.tui.now(),
            tz=fmt.zone(self.tui.utc),
            ascii_only=ascii_only,
        )
        log.write(line, scroll_end=self.follow)
        self._lines += 1
        if self.tracebacks and event.error_causes:
            for line in traceback_lines(event, ascii_only=ascii_only):
                log.write(line, scroll_end=self.follow)
                self._lines += 1

    def _append_events(self) -> None:
        for event in self.state.events[self._written :]:
            if at_level(event, self.level):
                self._any_at_level = True
                if has_text(event, self.needle):
                    self._write(event)
        self._written = len(self.state.events)
        self._show_note()

    def _prepended(self) -> None:
        """Older events were put in front: draw again, keeping the lines that were on
        screen where they were (the new ones appear above them)."""
        log = self.query_one("#events", RichLog)
        lines, top = self._lines, log.scroll_y
        self._rerender()
        log.scroll_to(y=top + (self._lines - lines), animate=False)

    def _redrawn(self) -> None:
        self._redrawing = False

    def _scrolled(self, y: float) -> None:
        """At the top of the events with older ones on the manager: read them."""
        log = self.query_one("#events", RichLog)
        if y <= 0 and log.max_scroll_y > 0 and not self._redrawing:
            self._load_older()

    def _load_older(self) -> None:
        if self.state.older and not self.state.loading_older and self._follower is not None:
            self._follower.load_older()

    def _show_note(self) -> None:
        """With events received and none shown, one dim line says the filters hide them
        (a blank pane would read as "nothing happened yet")."""
        if self._lines or not self.state.events:
            return
        note = nothing_shown(self._any_at_level)
        if self._note is not None and self._note.plain == note.plain:
            return
        log = self.query_one("#events", RichLog)
        log.clear()
        log.write(note)
        self._note = note

    def _rerender(self) -> None:
        log = self.query_one("#events", RichLog)
        # Clearing scrolls to the top: that is not the user asking for older events.
        self._redrawing = True
        self.call_after_refresh(self._redrawn)
        log.clear()
        self._lines = 0
        self._failure_line = None
        self._written = 0
        self._any_at_level = False
        self._note = None
        self._append_events()
        self._show_status()

    def _show_header(self) -> None:
        execution = self.execution
        state = self.state
        stale_since = state.updated_at if state.error and not state.gone else None
        self.query_one("#exec-header", Static).update(header_text(execution, self.tui, stale_since))
        bar = self.query_one("#exec-progress", OpsBar)
        total = execution.total_operations
        bar.update(finished=execution.finished_operations, total=total or None)
        bar.display = bool(total) or not execution.is_ended

    def _show_params(self) -> None:
        self.query_one("#exec-params", Static).update(
            parameters_text(self.execution, self.workflow, ascii_only=self.tui.ascii_only)
        )

    def _show_status(self) -> None:
        state = self.state
        ascii_only = self.tui.ascii_only
        between = sep(ascii_only)
        line = Text(no_wrap=True, overflow=overflow(ascii_only))
        if state.gone:
            line.append(f"{glyph('problem', ascii_only)} this execution no longer exists", "bold")
        elif state.error:
            line.append(f"{glyph('problem', ascii_only)} ", style="bold")
            line.append_text(safe(state.error, limit=200, ascii_only=ascii_only))
            if state.retry_at is not None:
                line.append(f"{between}retrying")
        elif state.finished:
            line.append(f"{glyph('ended', ascii_only)} ended: tail complete")
        elif self.follow:
            line.append(f"{glyph('following', ascii_only)} following")
        else:
            line.append(f"{glyph('not_following', ascii_only)} not following")
        line.append(f"{between}{fmt.plural(len(state.events), 'event')}")
        if state.loading_older:
            line.append(f"{between}loading older")
        elif state.older:
            line.append(f"{between}{state.older:,} older (o)")
        line.append(f"{between}level {glyph('at_least', ascii_only)} {self.level}")
        if self.needle:
            line.append(f"{between}filter ")
            line.append_text(safe(self.needle, limit=60, ascii_only=ascii_only))
        if self.tracebacks:
            line.append(f"{between}tracebacks shown")
        if self.execution.id in self.tui.watch_list.pinned:
            line.append(f"{between}pinned")
        line.append(between + fmt.zone_label(self.tui.now(), self.tui.utc))
        self.show_line("#tail-status", line)

    # -- actions --------------------------------------------------------------------------
    def why_not(self, action: str) -> str | None:
        if action == "cancel_execution":
            return refusals.nothing_to_cancel(self.execution)
        if action == "resume_execution":
            return refusals.not_resumable(self.execution)
        return None

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
        self.run_flow(flows.cancel_flow(self.tui, self.execution))

    def action_resume_execution(self) -> None:
        self.run_flow(flows.resume_flow(self.tui, self.execution))

    def action_rerun(self) -> None:
        self.run_flow(flows.rerun_flow(self.tui, self.execution))

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
            self.notify("No failure in the events shown.")
            return
        self.follow = False
        log = self.query_one("#events", RichLog)
        log.auto_scroll = False
        log.scroll_to(y=self._failure_line, animate=False)
        self._show_status()

    def action_load_older(self) -> None:
        if not self.state.older:
            what = "No older events." if self.state.opened else "The events are loading."
            self.notify(what)
            return
        self.follow = False
        self.query_one("#events", RichLog).auto_scroll = False
        self._load_older()
        self._show_status()

    def action_toggle_utc(self) -> None:
        """Times in UTC or in the local zone, for the whole app (an attribute of the
        app, so every screen reads the same choice)."""
        self.tui.utc = not self.tui.utc
        self._show_header()
        self._rerender()

    def action_toggle_tracebacks(self) -> None:
        self.tracebacks = not self.tracebacks
        self._rerender()

    def show_events_of(self, instance_id: str) -> None:
        """Back from its node instances: the tail filtered to one instance's events
        (the filter bar shows it; esc clears it)."""
        field = self.query_one("#event-filter", Input)
        field.display = True
        field.value = instance_id  # Input.Changed filters
        self.query_one("#events", RichLog).focus()

    def instance_trails(self) -> tuple[dict[str, Trail], bool]:
        """What this run did to each node instance, from the events read so far (worked
        out again only when more arrived), and whether older ones are not loaded."""
        events = self.state.events
        mark = (len(events), events[0].key if events else None)
        if mark != self._trails_mark:
            self._trails_mark, self._trails = mark, trails(events)
        return self._trails, self.state.older > 0

    def action_instances(self) -> None:
        execution = self.execution
        screen = NodeInstancesScreen(
            execution.deployment_id,
            execution=execution,
            trails=self.instance_trails,
            on_events=self.show_events_of,
        )
        self.app.push_screen(screen)

    def action_pin(self) -> None:
        self.tui.toggle_pin(self.execution)
        self._show_status()

    def action_raw(self) -> None:
        flows.show_raw(self.tui, f"Execution {short_id(self.execution.id)}", self.execution.raw)

    def action_copy_id(self) -> None:
        flows.copy_id(self.tui, self.execution.id)
