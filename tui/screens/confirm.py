"""A confirmation dialog that names what it acts on and focuses the safe choice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    variant: str = "default"  # default, primary, warning, error


class ConfirmScreen(ModalScreen[str | None]):
    """Returns the id of the chosen button, or None for escape. The first choice is
    the safe one and has the focus."""

    BINDINGS = [Binding("escape", "dismiss_none", "Back", id="confirm.back")]

    def __init__(
        self,
        title: str,
        body: Sequence[Text],
        choices: Sequence[Choice],
        *,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name, classes="dialog-screen")
        self._title = title
        self._body = list(body)
        self._choices = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(
                Text(self._title, style="bold"),
                id="dialog-title",
                classes="dialog-title",
                markup=False,
            )
            for line in self._body:
                yield Static(line, classes="dialog-line", markup=False)
            with Horizontal(id="dialog-buttons", classes="dialog-buttons"):
                for choice in self._choices:
                    yield Button(choice.label, id=f"choice-{choice.id}", variant=choice.variant)

    def on_mount(self) -> None:
        self.query_one(f"#choice-{self._choices[0].id}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button_id = event.button.id or ""
        self.dismiss(button_id.removeprefix("choice-"))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
