"""The preflight of a group run: every marked deployment with what would happen to it
(runs now, later as others end, queued behind a named execution, refused with the
reason), counted, before anything is sent. Refused ones are left out of the group
(one of them would make the manager refuse the whole run); `space` leaves out, or
takes back, any other. The last line is the question, with the numbers.

It answers "start" (with what was left out), "back" to the form, or None.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Static

from tui.actions import preflight
from tui.actions.preflight import Members, Plan, Row, Verdict
from tui.screens.group_start import GroupRequest
from tui.widgets.fmt import plural
from tui.widgets.groups import PreflightTable, preflight_cells, verdict_counts
from tui.widgets.safe import safe

# What needs a decision first: refused and dropped, then queued, later, now.
ORDER = (Verdict.REFUSED, Verdict.DROPPED, Verdict.QUEUE, Verdict.LATER, Verdict.NOW)


def decisions_first(rows: tuple[Row, ...]) -> list[Row]:
    """The rows by verdict (`ORDER`), in the marked order within one."""
    rank = {verdict: index for index, verdict in enumerate(ORDER)}
    return sorted(rows, key=lambda r: rank[r.verdict])


@dataclass(frozen=True)
class GroupNote:
    """The deployment group a start writes: `existing` members now (None: it is new,
    or could not be read, with `error`)."""

    name: str
    existing: int | None
    error: str = ""

    def said(self, members: int) -> str:
        if self.error:
            return f"Deployment group {self.name}: could not be read ({self.error[:120]})."
        if self.existing is None:
            return f"Deployment group {self.name}: new" + (
                f", with these {members}." if members else "."
            )
        return (
            f"Deployment group {self.name} exists with {plural(self.existing, 'member')}:"
            f" they will be replaced by these {members}."
        )


@dataclass(frozen=True)
class PreflightAnswer:
    choice: str  # "start" or "back"
    dropped: frozenset[str]
    plan: Plan


def make_plan(
    members: Members, order: tuple[str, ...], request: GroupRequest, dropped: frozenset[str]
) -> Plan:
    return preflight.plan(
        members,
        order,
        request.workflow_id,
        request.parameters,
        concurrency=request.concurrency,
        force=request.force,
        dropped=dropped,
    )


class PreflightScreen(ModalScreen[PreflightAnswer | None]):
    BINDINGS = [
        Binding("escape", "back", "Back to the form", id="preflight.back", priority=True),
        Binding("space", "drop", "Leave out / take back", id="preflight.drop"),
        Binding("ctrl+s", "start", "Start", id="preflight.start", priority=True),
    ]

    def __init__(
        self,
        members: Members,
        order: tuple[str, ...],
        request: GroupRequest,
        *,
        group_note: GroupNote,
        dropped: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.members = members
        self.order = order
        self.request = request
        self.group_note = group_note
        self.dropped = dropped
        self.plan = make_plan(members, order, request, dropped)

    def compose(self) -> ComposeResult:
        ascii_only = getattr(self.app, "ascii_only", False)
        title = Text("Preflight: ", style="bold")
        title.append_text(safe(self.request.workflow_id, "bold", limit=60, ascii_only=ascii_only))
        title.append(f" on {plural(len(self.order), 'marked deployment')}", style="bold")
        if self.request.force:
            title.append(" (force)", style="bold")
        with Vertical(id="preflight-dialog", classes="dialog -form"):
            yield Static(title, id="preflight-title", classes="dialog-title", markup=False)
            yield Static("", id="preflight-counts", markup=False)
            yield PreflightTable(id="preflight-table", classes="preflight-table")
            yield Static("", id="preflight-row", classes="preflight-row", markup=False)
            yield Static("", id="preflight-group", markup=False)
            yield Static("", id="preflight-question", classes="preflight-question", markup=False)
            with Horizontal(id="dialog-buttons", classes="dialog-buttons"):
                yield Button("Back", id="preflight-back", compact=True)
                yield Button("Start", id="preflight-go", variant="warning", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self._show()
        self.query_one(PreflightTable).focus()

    def _show(self) -> None:
        ascii_only = getattr(self.app, "ascii_only", False)
        plan = self.plan
        self.query_one(PreflightTable).apply_rows(
            [
                (
                    row.deployment_id,
                    preflight_cells(row.deployment_id, row.verdict, row.reason, ascii_only),
                )
                for row in decisions_first(plan.rows)
            ]
        )
        self.query_one("#preflight-counts", Static).update(verdict_counts(plan.counts, ascii_only))
        note = self.group_note.said(len(plan.members))
        self.query_one("#preflight-group", Static).update(
            safe(note, "dim", limit=300, ascii_only=ascii_only)
        )
        question = safe(plan.summary[:1].upper() + plan.summary[1:], "bold", ascii_only=ascii_only)
        if plan.members:
            question.append("?")
        self.query_one("#preflight-question", Static).update(question)
        button = self.query_one("#preflight-go", Button)
        button.disabled = not plan.members
        button.label = f"Start on {len(plan.members)}" if plan.members else "Start"
        self._show_row()

    def _show_row(self) -> None:
        """The row under the cursor whole: a reason too long for its column (a list of
        parameter problems) is read here."""
        ascii_only = getattr(self.app, "ascii_only", False)
        key = self.query_one(PreflightTable).selected_key
        row = next((r for r in self.plan.rows if r.deployment_id == key), None)
        text = Text()
        if row is not None and row.reason:
            text.append_text(safe(row.deployment_id, "bold", limit=100, ascii_only=ascii_only))
            text.append(": ")
            text.append_text(safe(row.reason, limit=600, single_line=False, ascii_only=ascii_only))
        self.query_one("#preflight-row", Static).update(text)

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_row()

    def action_drop(self) -> None:
        """Leave the row out of the group, or take it back; refused rows stay out."""
        table = self.query_one(PreflightTable)
        key = table.selected_key
        if key is None:
            return
        row = next(r for r in self.plan.rows if r.deployment_id == key)
        if row.verdict == Verdict.REFUSED:
            self.notify("A refused deployment is always left out: " + row.reason[:200])
            return
        self.dropped = self.dropped ^ {key}
        self.plan = make_plan(self.members, self.order, self.request, self.dropped)
        self._show()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "preflight-go":
            self.action_start()
        else:
            self.action_back()

    def action_start(self) -> None:
        if not self.plan.members:
            self.notify("Nothing to start: every deployment is left out.", severity="warning")
            return
        self.dismiss(PreflightAnswer("start", self.dropped, self.plan))

    def action_back(self) -> None:
        self.dismiss(PreflightAnswer("back", self.dropped, self.plan))
