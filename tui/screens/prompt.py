"""A one-line question: a tenant name, a password for a profile."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.widgets.controls import MaskedInput


class PromptScreen(ModalScreen[str | None]):
    """Returns the text entered (stripped), or None on escape or an empty answer."""

    BINDINGS = [Binding("escape", "cancel", "Back", id="prompt.back")]

    def __init__(self, question: str, *, placeholder: str = "", password: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self._question = question
        self._placeholder = placeholder
        self._password = password

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(
                Text(self._question, style="bold"),
                id="dialog-title",
                classes="dialog-title",
                markup=False,
            )
            yield MaskedInput(placeholder=self._placeholder, password=self._password, id="prompt")

    def on_mount(self) -> None:
        self.query_one("#prompt", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
