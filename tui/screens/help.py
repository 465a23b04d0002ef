"""`?`: every binding and what it does."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def binding_rows(
    bindings: Sequence[object],
    *,
    hidden: Collection[str] = (),
    where: Mapping[str, str] | None = None,
    default_where: str = "everywhere",
    display: Callable[[Binding], str] | None = None,
) -> list[tuple[str, str, str]]:
    """(key, description, where) for each binding whose action (its name, without
    arguments) is not `hidden`; `display` names keys as the footer does (`/`, `esc`)."""
    rows = []
    for binding in bindings:
        assert isinstance(binding, Binding)
        if binding.action.split("(", 1)[0] in hidden:
            continue
        rows.append(
            (
                display(binding) if display else (binding.key_display or binding.key),
                binding.description,
                (where or {}).get(binding.action, default_where),
            )
        )
    return rows


def refusal_fallbacks(bindings: Sequence[Binding], actions: Collection[str]) -> list[Binding]:
    """For each binding of `actions`, a hidden binding on the same key whose action is
    `refused('<action>')`. Textual tries the bindings of a key in order and skips one
    whose `check_action` is falsy, so when the action cannot run, the fallback runs
    and the screen says why: a key never does nothing silently."""
    return [
        Binding(b.key, f"refused('{b.action}')", show=False, id=f"{b.id}.refused")
        for b in bindings
        if b.action in actions
    ]


def help_table(rows: Sequence[tuple[str, str, str]]) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("Key", no_wrap=True)
    table.add_column("Action")
    table.add_column("Where", style="dim")
    for key, description, where in rows:
        table.add_row(Text(key), Text(description), Text(where))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, rows: Sequence[tuple[str, str, str]], note: str = "") -> None:
        super().__init__(classes="dialog")
        self._rows = list(rows)
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(Text("Keys", style="bold"), markup=False)
            with VerticalScroll():
                yield Static(help_table(self._rows), markup=False, classes="help-table")
            if self._note:
                yield Static(Text(self._note, style="dim"), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
