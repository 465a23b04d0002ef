"""The start form: declared parameters as editable YAML, prefilled with defaults,
each parameter's type and description shown; force, dry run and queue options; the
equivalent `cfy` command. Problems are reported in the form before anything is sent,
and the form keeps what was typed."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Footer, Static, TextArea

from tui.actions.start import StartRequest
from tui.api.models import Workflow
from tui.api.params import (
    ParameterProblems,
    changed_parameters,
    defaults_document,
    equivalent_command,
    evaluated_by_manager,
    parse_document,
    validate,
)
from tui.screens.checked_form import CheckedForm
from tui.widgets.controls import StateCheckbox
from tui.widgets.safe import clean, safe


def parameter_help(workflow: Workflow, *, ascii_only: bool = False) -> Text:
    """One line per declared parameter: name, type, mandatory, description."""
    text = Text()
    if not workflow.parameters:
        text.append("This workflow declares no parameters.", style="dim")
        return text
    for index, spec in enumerate(workflow.parameters):
        if index:
            text.append("\n")
        text.append_text(safe(spec.name, "bold", limit=80, ascii_only=ascii_only))
        kind = spec.type or "any"
        if spec.item_type:
            kind += f" of {spec.item_type}"
        text.append(" (")
        text.append_text(safe(kind, limit=60, ascii_only=ascii_only))
        text.append(", mandatory)" if spec.mandatory else ")")
        if spec.description:
            text.append(" ")
            text.append_text(safe(spec.description, "dim", limit=300, ascii_only=ascii_only))
    return text


NOTES_SHOWN = 4


def evaluated_notes(
    workflow: Workflow, values: dict[str, Any], *, ascii_only: bool = False
) -> Text:
    """One dim line per parameter whose value the manager evaluates before checking it
    (`{get_secret: ...}` and the like), each ending in a newline; empty if none."""
    text = Text()
    evaluated = list(evaluated_by_manager(workflow, values).items())
    for name, functions in evaluated[:NOTES_SHOWN]:
        text.append_text(safe(name, "dim", limit=80, ascii_only=ascii_only))
        note = f": evaluated by the manager ({', '.join(functions)})"
        text.append_text(safe(note, "dim", limit=300, ascii_only=ascii_only))
        text.append("\n")
    if len(evaluated) > NOTES_SHOWN:
        more = f"and {len(evaluated) - NOTES_SHOWN} more evaluated by the manager"
        text.append_text(safe(more, "dim", ascii_only=ascii_only))
        text.append("\n")
    return text


class StartScreen(CheckedForm[StartRequest]):
    PROBLEMS = "start-problems"
    GO = "start-go"
    BINDINGS = [
        Binding("escape", "cancel", "Back", id="start.back", priority=True),
        Binding("ctrl+s", "submit", "Start", id="start.submit", priority=True),
        # The same key, named as the button is while `force` is ticked.
        Binding("ctrl+s", "submit_forced", "Force start", id="start.submit", priority=True),
    ]

    def __init__(
        self,
        deployment_id: str,
        workflow: Workflow,
        *,
        force: bool = False,
        tenant: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.deployment_id = deployment_id
        self.workflow = workflow
        self._force = force
        self._tenant = tenant
        self._document = defaults_document(workflow, values)

    def compose(self) -> ComposeResult:
        ascii_only = getattr(self.app, "ascii_only", False)
        title = Text("Force-start " if self._force else "Start ", style="bold")
        title.append_text(safe(self.workflow.name, "bold", limit=100, ascii_only=ascii_only))
        title.append(" on ")
        title.append_text(safe(self.deployment_id, "bold", limit=100, ascii_only=ascii_only))
        with Vertical(id="start-dialog", classes="dialog -form"):
            yield Static(title, id="start-title", classes="dialog-title", markup=False)
            with VerticalScroll(id="start-help", classes="start-help"):
                yield Static(parameter_help(self.workflow, ascii_only=ascii_only), markup=False)
            yield TextArea(
                self._document,
                language=None,
                id="start-params",
                classes="start-params",
                show_line_numbers=True,
                soft_wrap=False,
                tab_behavior="focus",
            )
            with Horizontal(id="start-options", classes="start-options"):
                yield StateCheckbox("force", value=self._force, id="opt-force")
                yield StateCheckbox("dry run", id="opt-dry-run")
                yield StateCheckbox("queue if busy", id="opt-queue")
                yield StateCheckbox("allow custom parameters", id="opt-custom")
            yield Static("", id="start-problems", classes="start-problems", markup=False)
            yield Static("", id="start-command", classes="start-command", markup=False)
            with Horizontal(id="dialog-buttons", classes="dialog-buttons"):
                yield Button("Back", id="start-back")
                yield Button(
                    "Force start" if self._force else "Start",
                    id="start-go",
                    variant="warning" if self._force else "primary",
                )
        # The form's own keys (ctrl+s, esc), not the main screen's underneath.
        yield Footer()

    def on_mount(self) -> None:
        area = self.query_one("#start-params", TextArea)
        # A blinking cursor makes headless screenshots (tests) differ from run to run.
        area.cursor_blink = not self.app.is_headless
        area.focus()
        self._refresh_command()

    # -- reading the form -------------------------------------------------------------
    def _flag(self, name: str) -> bool:
        return self.query_one(f"#opt-{name}", Checkbox).value

    def checked(self) -> StartRequest:
        """Parse and validate; raises ParameterProblems with every problem found."""
        values = parse_document(self.query_one("#start-params", TextArea).text)
        problems: list[str] = []
        if self._flag("queue") and (self._flag("force") or self._flag("dry-run")):
            problems.append("Queue cannot be combined with force or dry run.")
        if not self.workflow.is_available and not self._flag("force"):
            problems.append(
                f"{clean(self.workflow.name, limit=100)} is not available on "
                f"{clean(self.deployment_id, limit=100)}: "
                f"{clean(self.workflow.unavailable_reason, limit=200)}. "
                "Tick force to run it anyway."
            )
        try:
            parameters = validate(self.workflow, values, allow_custom=self._flag("custom"))
        except ParameterProblems as exc:
            problems.extend(exc.problems)
            parameters = values
        if problems:
            raise ParameterProblems(tuple(problems))
        return StartRequest(
            deployment_id=self.deployment_id,
            workflow_id=self.workflow.name,
            parameters=parameters,
            force=self._flag("force"),
            dry_run=self._flag("dry-run"),
            queue=self._flag("queue"),
            allow_custom=self._flag("custom"),
        )

    def _refresh_command(self) -> None:
        command = self.query_one("#start-command", Static)
        try:
            values = parse_document(self.query_one("#start-params", TextArea).text)
        except ParameterProblems:
            values = None
        if values is None:
            command.update(Text("(fix the YAML to see the equivalent command)", style="dim"))
            return
        line = equivalent_command(
            self.deployment_id,
            self.workflow.name,
            changed_parameters(self.workflow, values),
            force=self._flag("force"),
            dry_run=self._flag("dry-run"),
            queue=self._flag("queue"),
            allow_custom=self._flag("custom"),
            tenant=self._tenant,
        )
        ascii_only = getattr(self.app, "ascii_only", False)
        text = evaluated_notes(self.workflow, values, ascii_only=ascii_only)
        shown = Text("$ ", style="dim")
        shown.append_text(safe(line, limit=4000, single_line=False, ascii_only=ascii_only))
        text.append_text(shown)
        command.update(text)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._refresh_command()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._refresh_command()
        if event.checkbox.id == "opt-force":
            button = self.query_one("#start-go", Button)
            button.label = "Force start" if event.value else "Start"
            button.variant = "warning" if event.value else "primary"
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`ctrl+s` is named "Start" or "Force start" in the footer, as the button is."""
        if action in ("submit", "submit_forced"):
            return self._flag("force") == (action == "submit_forced")
        return True

    def action_submit_forced(self) -> None:
        self.action_submit()
