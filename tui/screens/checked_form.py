"""A form that checks what was typed before it answers: the problems found are listed
in the form (each one, at once), what was typed stays, and nothing is answered until
they are fixed. `esc` or Back answers None. The start form and the group start form."""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.api.params import ParameterProblems
from tui.widgets.glyphs import glyph
from tui.widgets.safe import safe

T = TypeVar("T")


def problems_text(problems: tuple[str, ...], ascii_only: bool) -> Text:
    """One line per problem, each behind the problem glyph."""
    text = Text()
    for index, problem in enumerate(problems):
        if index:
            text.append("\n")
        text.append(f"{glyph('problem', ascii_only)} ", style="bold")
        text.append_text(safe(problem, limit=500, ascii_only=ascii_only))
    return text


class CheckedForm(ModalScreen[T | None], Generic[T]):
    PROBLEMS: ClassVar[str]  # the id of the Static that lists the problems
    GO: ClassVar[str]  # the id of the button that submits

    def checked(self) -> T:
        """What the form answers; ParameterProblems with everything wrong."""
        raise NotImplementedError

    def show_problems(self, problems: tuple[str, ...]) -> None:
        ascii_only = getattr(self.app, "ascii_only", False)
        self.query_one(f"#{self.PROBLEMS}", Static).update(problems_text(problems, ascii_only))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == self.GO:
            self.action_submit()
        else:
            self.action_cancel()

    def action_submit(self) -> None:
        try:
            answer = self.checked()
        except ParameterProblems as exc:
            self.show_problems(exc.problems)
            return
        self.dismiss(answer)

    def action_cancel(self) -> None:
        self.dismiss(None)
