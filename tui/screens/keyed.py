"""A screen whose keys are one `KeyTable` (`tui/screens/keys.py`): what a key may do,
why it may not, its help rows and the worker its flow runs in, written once.

A subclass declares `KEYS`, `BINDINGS = KEYS.bindings()` and `WHERE` (the help's
place name), and says in `why_not` why an action cannot run now; read-only mode is
checked here for every mutating key.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, ClassVar, cast

from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

from tui.screens.host import Host
from tui.screens.keys import KeyTable
from tui.widgets import refusals


class KeyedScreen(Screen[None]):
    KEYS: ClassVar[KeyTable]
    WHERE: ClassVar[str] = ""
    # What each refusable key could do when the footer was last drawn.
    _key_states: tuple[bool, ...] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bar_texts: dict[str, tuple[Text, Any]] = {}  # what each bar shows (show_line)

    @property
    def tui(self) -> Host:
        return cast("Host", self.app)

    @property
    def gone(self) -> bool:
        """Off the stack before it mounted (replaced by another), or pushed as the app
        quits (Textual then mounts none of its children): its `on_mount` has nothing
        to set up."""
        return self not in self.app.screen_stack or not self.children

    def why_not(self, action: str) -> str | None:
        """Why `action` cannot run now, in words; None when it can."""
        return None

    def refusal(self, action: str) -> str | None:
        if action in self.KEYS.mutating and self.tui.read_only:
            return refusals.read_only(action)
        return self.why_not(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refused":
            return True
        if action in self.KEYS.refusable:
            return self.refusal(action) is None
        return True

    def action_refused(self, action: str) -> None:
        """The fallback of a key whose action cannot run: say why, do nothing else."""
        reason = self.refusal(action)
        if reason is not None:
            self.notify(reason, severity="warning")

    def help_rows(self) -> list[tuple[str, str, str]]:
        return self.KEYS.help_rows(
            read_only=self.tui.read_only,
            display=self.tui.get_key_display,
            default_where=self.WHERE,
        )

    def sync_keys(self) -> None:
        """Redraw the footer when what the keys can do has changed (a row selected, the
        list emptied), and only then: every redraw is written to the terminal."""
        states = tuple(self.refusal(action) is None for action in self.KEYS.refusable)
        if states != self._key_states:
            self._key_states = states
            self.refresh_bindings()

    def show_line(self, selector: str, text: Text) -> None:
        """A one-line bar's text, written only when it changed (a redraw goes to the
        terminal; these are set again on every tick), without a layout pass."""
        bar = self.query_one(selector, Static)
        if self._bar_texts.get(selector) == (text, text.style):
            return
        self._bar_texts[selector] = (text, text.style)
        bar.update(text, layout=False)

    def run_flow(self, flow: Coroutine[Any, Any, None]) -> None:
        """A flow in a worker of this screen: it ends with the screen, and an error in
        it is logged and shown, never fatal to the app."""
        self.run_worker(flow, group="flows", exit_on_error=False)
