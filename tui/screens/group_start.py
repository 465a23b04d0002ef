"""The group start form: one workflow for every marked deployment.

The workflow is chosen among those the marked deployments declare, each with how many
declare it; its parameters are YAML prefilled with the defaults of the first marked
deployment that declares it (each deployment's own declaration is checked in the
preflight, which comes next); the concurrency and the deployment group's name (a
group of that name is reused, its members replaced) and force. Nothing is sent from
here: the preflight shows what would happen to each deployment first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Footer, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui.actions.preflight import Members, WorkflowChoice
from tui.api.models import Workflow
from tui.api.params import ParameterProblems, defaults_document, parse_document
from tui.screens.checked_form import CheckedForm
from tui.screens.start import parameter_help
from tui.widgets.controls import StateCheckbox
from tui.widgets.fmt import plural
from tui.widgets.safe import safe

# The manager's own default when a group start names none.
DEFAULT_CONCURRENCY = 5
# A deployment group id as the manager takes it in a URL path, kept to what reads
# well in the `cfy` CLI too.
GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")


@dataclass(frozen=True)
class GroupRequest:
    workflow_id: str
    parameters: dict[str, Any]
    concurrency: int
    force: bool
    name: str
    # The parameters as typed (comments and all): the form shows them again on return.
    document: str = field(default="", compare=False)


def first_declaration(members: Members, order: tuple[str, ...], name: str) -> Workflow | None:
    """The workflow as the first marked deployment that declares it declares it."""
    for dep_id in order:
        deployment = members.deployments.get(dep_id)
        workflow = deployment.workflow(name) if deployment is not None else None
        if workflow is not None:
            return workflow
    return None


def blueprints_declaring(members: Members, name: str) -> int:
    return len({d.blueprint_id for d in members.deployments.values() if d.workflow(name)})


class GroupStartScreen(CheckedForm[GroupRequest]):
    PROBLEMS = "group-problems"
    GO = "group-go"
    BINDINGS = [
        Binding("escape", "cancel", "Back", id="group_start.back", priority=True),
        Binding("ctrl+s", "submit", "Preflight", id="group_start.submit", priority=True),
    ]

    def __init__(
        self,
        members: Members,
        order: tuple[str, ...],
        choices: list[WorkflowChoice],
        *,
        force: bool,
        name_for: Callable[[str], str],
        workflow_id: str | None = None,
        previous: GroupRequest | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.members = members
        self.order = order
        self.choices = choices
        self._force = previous.force if previous else force
        self._concurrency = previous.concurrency if previous else DEFAULT_CONCURRENCY
        wanted = previous.workflow_id if previous else workflow_id
        names = [c.name for c in choices]
        self._workflow = wanted if wanted in names else names[0]
        # The group's name follows the workflow until it is typed over.
        self._name_for = name_for
        self._name = previous.name if previous else name_for(self._workflow)
        # What was typed for each workflow, kept while another one is looked at.
        self._typed: dict[str, str] = {}
        if previous is not None:
            self._typed[previous.workflow_id] = previous.document or self._document_of(
                previous.workflow_id, previous.parameters
            )

    def _document_of(self, name: str, values: dict[str, Any] | None = None) -> str:
        workflow = first_declaration(self.members, self.order, name)
        return defaults_document(workflow, values) if workflow is not None else "{}\n"

    def compose(self) -> ComposeResult:
        ascii_only = getattr(self.app, "ascii_only", False)
        count = len(self.order)
        verb = "Force-start" if self._force else "Start"
        title = Text(f"{verb} one workflow on {plural(count, 'marked deployment')}", style="bold")
        with Vertical(id="group-dialog", classes="dialog -form"):
            yield Static(title, id="group-title", classes="dialog-title", markup=False)
            with Horizontal(id="group-top"):
                yield OptionList(
                    *[self._option(c, ascii_only) for c in self.choices],
                    id="group-workflows",
                    classes="group-workflows",
                )
                with VerticalScroll(id="group-help", classes="group-help"):
                    yield Static("", id="group-help-text", markup=False)
            yield TextArea(
                self._typed.get(self._workflow) or self._document_of(self._workflow),
                language=None,
                id="group-params",
                classes="start-params",
                show_line_numbers=True,
                soft_wrap=False,
                tab_behavior="focus",
            )
            with Horizontal(id="group-options", classes="group-options"):
                yield Static("concurrency", classes="group-label")
                yield Input(
                    str(self._concurrency),
                    id="group-concurrency",
                    classes="group-concurrency",
                    restrict=r"[0-9]*",
                    max_length=4,
                    compact=True,
                )
                yield Static("group", classes="group-label")
                yield Input(
                    self._name, id="group-name", classes="group-name", max_length=200, compact=True
                )
                yield StateCheckbox("force", value=self._force, id="opt-force")
            yield Static(
                Text(
                    "Groups have no dry run; nothing is sent before you confirm the preflight.",
                    style="dim",
                ),
                id="group-note",
                markup=False,
            )
            yield Static("", id="group-problems", classes="start-problems", markup=False)
            with Horizontal(id="dialog-buttons", classes="dialog-buttons"):
                yield Button("Back", id="group-back", compact=True)
                yield Button("Preflight", id="group-go", variant="primary", compact=True)
        yield Footer()

    def _option(self, choice: WorkflowChoice, ascii_only: bool) -> Option:
        label = safe(choice.name, limit=40, ascii_only=ascii_only)
        label.append(f"  {choice.count}/{choice.total}", style="dim")
        return Option(label, id=choice.name)

    def on_mount(self) -> None:
        area = self.query_one("#group-params", TextArea)
        area.cursor_blink = not self.app.is_headless
        options = self.query_one("#group-workflows", OptionList)
        options.highlighted = [c.name for c in self.choices].index(self._workflow)
        self._show_help()
        options.focus()

    # -- the workflow ---------------------------------------------------------------------
    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        name = event.option.id
        if name is None or name == self._workflow:
            return
        area = self.query_one("#group-params", TextArea)
        self._typed[self._workflow] = area.text
        field = self.query_one("#group-name", Input)
        if field.value == self._name_for(self._workflow):
            field.value = self._name_for(name)
        self._workflow = name
        area.load_text(self._typed.get(name) or self._document_of(name))
        self._show_help()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#group-params", TextArea).focus()

    def _show_help(self) -> None:
        ascii_only = getattr(self.app, "ascii_only", False)
        choice = next(c for c in self.choices if c.name == self._workflow)
        text = Text()
        text.append_text(safe(choice.name, "bold", limit=60, ascii_only=ascii_only))
        text.append(f": declared by {choice.count} of {choice.total}")
        blueprints = blueprints_declaring(self.members, choice.name)
        if blueprints > 1:
            text.append(f", in {blueprints} blueprints (each one's parameters are checked)")
        text.append("\n")
        workflow = first_declaration(self.members, self.order, choice.name)
        if workflow is not None:
            text.append_text(parameter_help(workflow, ascii_only=ascii_only))
        self.query_one("#group-help-text", Static).update(text)

    # -- reading the form -------------------------------------------------------------------
    def checked(self) -> GroupRequest:
        problems: list[str] = []
        document = self.query_one("#group-params", TextArea).text
        try:
            parameters = parse_document(document)
        except ParameterProblems as exc:
            problems.extend(exc.problems)
            parameters = {}
        typed = self.query_one("#group-concurrency", Input).value.strip()
        concurrency = int(typed) if typed.isdigit() else -1
        if concurrency < 0:
            problems.append("Concurrency must be a whole number, 0 or more (0 holds every run).")
        name = self.query_one("#group-name", Input).value.strip()
        if not GROUP_NAME.match(name):
            problems.append(
                "The group name must start with a letter or digit and hold only letters, "
                "digits, '_', '.' and '-'."
            )
        if problems:
            raise ParameterProblems(tuple(problems))
        return GroupRequest(
            workflow_id=self._workflow,
            parameters=parameters,
            concurrency=concurrency,
            force=self.query_one("#opt-force", StateCheckbox).value,
            name=name,
            document=document,
        )
