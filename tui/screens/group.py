"""One group run (an execution group), live: its members counted by status with a
progress bar and an estimate from the durations observed so far; the members
(deployment, status, started, duration, error), failed first on `f`; `enter` opens a
member's execution; `c` cancels the whole group (cancel, force-cancel or kill) and `u`
resumes it (resume or force-resume), each confirmed with the group and the counts it
acts on; `e` shows the group's own events instead of the members.

A read is one request per 1,000 members (`GET /executions?_group_id=`, few fields),
and the group's events only while they are shown (`tui/live/group_watch.py`); every
fast tick while a member has not ended, else every `IDLE_READ` seconds. The app is
told each read (`group_ends.note`), so the end is said once, by a toast, whether this
screen is open then or not.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Input, Static

from tui.api.errors import ApiError
from tui.api.models import Event, Execution
from tui.live.group_watch import GroupFollower, GroupProgress, name_members
from tui.screens import group_flows
from tui.screens.flows import copy_id, show_raw
from tui.screens.keys import Key, KeyTable
from tui.screens.table_screen import IDLE_READ, TableScreen
from tui.widgets import fmt
from tui.widgets.event_lines import event_line
from tui.widgets.glyphs import glyph, sep
from tui.widgets.groups import MembersTable, counts_text, member_cells, progress_text
from tui.widgets.keyed_table import Cells
from tui.widgets.safe import safe
from tui.widgets.status import status_text

KEYS = KeyTable(
    [
        Key("escape", "back", "Back", "group.back"),
        Key("enter", "open", "Open", "group.open", "The member's execution", explained=True),
        Key("f", "failed_first", "Failed first", "group.failed_first", "Failed members first"),
        Key(
            "c",
            "cancel_group",
            "Cancel group",
            "group.cancel",
            "Cancel, force-cancel or kill every member that has not ended",
            mutating=True,
        ),
        Key(
            "u",
            "resume_group",
            "Resume group",
            "group.resume",
            "Run the failed and cancelled members again (resume or force-resume)",
            mutating=True,
        ),
        Key("e", "events", "Events", "group.events", "The group's events / its members"),
        Key("slash", "filter", "Filter", "group.filter", "Members by deployment or status"),
        Key("r", "refresh", "Refresh", "group.refresh", "Read the group now"),
        Key("y", "raw", "Raw", "group.raw", "The group as the manager sent it", explained=True),
        Key("Y", "copy_id", "Copy id", "group.copy_id", "Copy the group's id", show=False),
        Key("question_mark", "app.show_help", "Help", "group.help", palette=False),
    ]
)
# The group's events shown at most (newest first from the manager, drawn oldest first).
EVENTS_SHOWN = 200


def shown_status(progress: GroupProgress) -> str:
    """The group's status as the manager computes it, except that a group whose members
    all ended, none failed and some were cancelled reads `cancelled`: the manager says
    `terminated` (completed) for it."""
    counts = progress.counts
    if progress.is_over and counts["cancelled"] and not counts["failed"]:
        return "cancelled"
    return progress.status


class GroupScreen(TableScreen):
    KEYS = KEYS
    BINDINGS = KEYS.bindings()
    WHERE = "group run"
    TABLE = "group-members"
    FILTER = "group-filter"

    def __init__(self, group_id: str) -> None:
        super().__init__(classes="group-screen")
        self.group_id = group_id
        self.progress: GroupProgress | None = None
        self.error = ""
        self.failed_first = False
        self.showing_events = False
        self.events: tuple[Event, ...] = ()
        self._by_id: dict[str, Execution] = {}
        self._follower: GroupFollower | None = None
        # member id -> (the member as last shown, its cells)
        self._built: dict[str, tuple[Execution, Cells]] = {}

    @property
    def follower(self) -> GroupFollower:
        if self._follower is None:
            self._follower = GroupFollower(self.tui.client, self.group_id)
        return self._follower

    def compose(self) -> ComposeResult:
        yield Static(id="group-title", classes="bar", markup=False)
        yield Static(id="group-counts", classes="bar", markup=False)
        yield Static(id="group-progress", classes="bar", markup=False)
        yield Input(
            placeholder="deployment or status words (esc clears)",
            id="group-filter",
            classes="filter-bar",
        )
        yield MembersTable(id="group-members", classes="instances-table")
        with VerticalScroll(id="group-events", classes="group-events"):
            yield Static(id="group-events-text", markup=False)
        yield Static(id="group-status", classes="bar", markup=False)
        yield Footer()

    # -- reading ------------------------------------------------------------------------
    def read_interval(self) -> float:
        over = self.progress is not None and self.progress.is_over
        return IDLE_READ if over else self.tui.fast_interval

    async def read_once(self) -> tuple[GroupProgress | None, tuple[Event, ...] | None, str]:
        try:
            progress = await self.follower.read()
            events = None
            if self.showing_events:
                page = await self.follower.events(newest_first=True, size=EVENTS_SHOWN)
                events = tuple(reversed(page.items))
        except ApiError as error:
            return None, None, error.message
        return progress, events, ""

    def show_read(self, result: tuple[GroupProgress | None, tuple[Event, ...] | None, str]) -> None:
        progress, events, error = result
        self.error = error
        if progress is not None:
            self.progress = progress
            self._by_id = {m.id: m for m in progress.members}
            self.tui.group_ends.note(progress)
        if events is not None:
            self.events = events
        self._show()

    def on_clock(self) -> None:
        """The durations of running members, and nothing else: a group of a thousand
        members is not built again each second."""
        progress = self.progress
        if progress is None or progress.is_over or self.showing_events:
            return
        now = self.tui.now()
        self.table.update_cells(
            {
                m.id: {"duration": Text(fmt.elapsed(m.started_at, m.ended_at, now), no_wrap=True)}
                for m in progress.members
                if m.started_at and not m.is_ended
            }
        )

    # -- showing ------------------------------------------------------------------------
    def _rows(self) -> list[Execution]:
        if self.progress is None:
            return []
        needle = self.filter_bar.value.strip().lower()
        members = self.progress.ordered(self.failed_first)
        if not needle:
            return list(members)
        words = needle.split()
        return [
            m
            for m in members
            if all(w in m.deployment_id.lower() or w in m.status.lower() for w in words)
        ]

    def _show(self) -> None:
        self._show_title()
        self._show_counts()
        self._show_members()
        self._show_events()
        self._show_status()
        self.sync_keys()

    def _show_members(self) -> None:
        """The members' rows; a member that did not change since the last read keeps
        the cells built then, unless it runs (its duration): a read of a thousand
        members builds a few dozen rows, not a thousand (less garbage, fewer pauses)."""
        app = self.tui
        now = app.now()
        tz = fmt.zone(app.utc)
        built = self._built
        rows = []
        for member in self._rows():
            known = built.get(member.id)
            ticking = member.started_at is not None and not member.is_ended  # its duration
            if known is None or known[0] != member or ticking:
                known = (member, member_cells(member, now, app.palette, app.ascii_only, tz))
                built[member.id] = known
            rows.append((member.id, known[1]))
        self.table.apply_rows(rows)

    def _show_title(self) -> None:
        """`Group run 1a2b3c4d ⟳ started · upgrade · concurrency 20 · on <group>`: what
        says most first (the end is cut at 80 columns)."""
        ascii_only = self.tui.ascii_only
        between = sep(ascii_only)
        title = Text("Group run ", style="bold")
        title.append(fmt.short_id(self.group_id), style="bold")
        progress = self.progress
        if progress is not None:
            group = progress.group
            title.append(" ")
            if progress.status:
                palette = self.tui.palette
                title.append_text(
                    status_text(shown_status(progress), palette=palette, ascii_only=ascii_only)
                )
            else:
                title.append("no members")
            title.append(between)
            title.append_text(safe(group.workflow_id, "bold", limit=60, ascii_only=ascii_only))
            title.append(f"{between}concurrency {group.concurrency}{between}on ")
            title.append_text(safe(group.deployment_group_id, limit=80, ascii_only=ascii_only))
        self.show_line("#group-title", title)

    def _show_counts(self) -> None:
        app = self.tui
        progress = self.progress
        if progress is None:
            self.show_line("#group-counts", Text(f"reading{glyph('more', app.ascii_only)}"))
            self.show_line("#group-progress", Text(""))
            return
        counts = counts_text(progress.counts, app.palette, app.ascii_only)
        if not progress.total:
            counts = Text("No member: no marked deployment declared the workflow.", style="dim")
        self.show_line("#group-counts", counts)
        width = self.size.width or 80
        bar = progress_text(
            progress.ended,
            progress.total,
            progress.eta_seconds,
            width,
            app.ascii_only,
            done_style=app.palette.get("done", ""),
        )
        self.show_line("#group-progress", bar)

    def _show_events(self) -> None:
        box = self.query_one("#group-events")
        box.display = self.showing_events
        self.table.display = not self.showing_events
        if not self.showing_events:
            return
        app = self.tui
        names = {m.id: m.deployment_id for m in self.progress.members} if self.progress else {}
        text = Text()
        styles = {"error": "bold", "warning": ""}
        now = app.now()
        for index, event in enumerate(self.events):
            if index:
                text.append("\n")
            shown = Event(
                storage_id=event.storage_id,
                type=event.type,
                timestamp=event.timestamp,
                message=name_members(event.message, names),
                event_type=event.event_type,
                level=event.level,
            )
            text.append_text(
                event_line(shown, styles, now=now, tz=fmt.zone(app.utc), ascii_only=app.ascii_only)
            )
        if not self.events:
            text = Text("No event of this group yet.", style="dim")
        self.query_one("#group-events-text", Static).update(text)

    def _show_status(self) -> None:
        ascii_only = self.tui.ascii_only
        between = sep(ascii_only)
        line = Text()
        progress = self.progress
        if progress is not None:
            shown = len(self._rows())
            line.append(f"{fmt.plural(progress.total, 'member')}")
            if shown != progress.total and not self.showing_events:
                line.append(f", {shown} shown")
            if self.failed_first:
                line.append(", failed first")
        if self.error:
            if line:
                line.append(between)
            line.append_text(safe(f"stale: {self.error}", "bold", limit=200, ascii_only=ascii_only))
        elif progress is not None:
            pace = "every 10s" if progress.is_over else "every tick"
            line.append(f"{between}read {pace}")
        self.show_line("#group-status", line)

    # -- keys ---------------------------------------------------------------------------
    @property
    def selected(self) -> Execution | None:
        key = self.table.selected_key
        return self._by_id.get(key) if key else None

    def why_not(self, action: str) -> str | None:
        if action == "open" and (self.showing_events or self.selected is None):
            return "No member selected." if not self.showing_events else "e shows the members."
        if action == "raw" and self.progress is None:
            return "The group is still being read."
        if action in ("cancel_group", "resume_group") and self.progress is None:
            return "The group is still being read."
        return None

    @on(Input.Changed, "#group-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._show()

    @on(DataTable.RowSelected, "#group-members")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        member = self.selected
        if member is not None and not self.showing_events:
            self.tui.open_execution(member)

    def action_failed_first(self) -> None:
        self.failed_first = not self.failed_first
        self._show()
        if self.failed_first and self.table.keys:
            self.table.select_key(self.table.keys[0])

    def action_events(self) -> None:
        self.showing_events = not self.showing_events
        if self.showing_events:
            self.action_refresh()  # the events are read with the next read, now
        else:
            self.table.focus()
        self._show()

    def action_cancel_group(self) -> None:
        if self.progress is not None and self.refusal("cancel_group") is None:
            self.run_flow(group_flows.cancel_group_flow(self.tui, self.progress, self._acted))

    def action_resume_group(self) -> None:
        if self.progress is not None and self.refusal("resume_group") is None:
            self.run_flow(group_flows.resume_group_flow(self.tui, self.progress, self._acted))

    def _acted(self) -> None:
        """After an action: the group and its members are read again now."""
        self.follower.reread_group()
        self._read_at = None

    def action_raw(self) -> None:
        if self.progress is not None:
            show_raw(self.tui, f"Execution group {self.group_id}", self.progress.group.raw)

    def action_copy_id(self) -> None:
        copy_id(self.tui, self.group_id)
