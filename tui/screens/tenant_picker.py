"""Choosing a tenant: the tenants the manager lists for this user, or a typed name.

The list comes from `GET /tenants` (fetched by the app before this screen opens:
screens make no requests). A manager that does not list tenants for this user still
lets the operator type one; the screen then says why there is no list.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.widgets.controls import MaskedInput
from tui.widgets.safe import clean, safe


class TenantPickerScreen(ModalScreen[str | None]):
    """Returns the chosen tenant's name, or None on escape or an empty answer."""

    BINDINGS = [Binding("escape", "cancel", "Back", id="tenant_picker.back")]

    def __init__(self, tenants: list[str], current: str, *, why_no_list: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self._tenants = tenants
        self._current = current
        self._why_no_list = why_no_list

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Static(
                Text("Switch to tenant", style="bold"),
                id="dialog-title",
                classes="dialog-title",
                markup=False,
            )
            if self._tenants:
                options = [
                    Option(
                        safe(f"{name}  (current)" if name == self._current else name),
                        id=name,
                    )
                    for name in self._tenants
                ]
                yield OptionList(*options, id="tenant-list")
                yield Static("or type another name:", classes="dialog-line", markup=False)
            elif self._why_no_list:
                yield Static(
                    safe(f"The manager did not list tenants ({self._why_no_list}).", "italic"),
                    classes="dialog-line",
                )
            yield MaskedInput(placeholder=clean(self._current), id="prompt")

    def on_mount(self) -> None:
        if self._tenants:
            options = self.query_one("#tenant-list", OptionList)
            if self._current in self._tenants:
                options.highlighted = self._tenants.index(self._current)
            options.focus()
        else:
            self.query_one("#prompt", Input).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
