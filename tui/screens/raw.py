"""`y`: the raw JSON of an object as the manager sent it, sanitised and scrollable."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.widgets.safe import safe

RAW_LIMIT = 500_000


def raw_text(data: Mapping[str, Any], *, ascii_only: bool = False) -> Text:
    """Pretty JSON; every character of server data passes through `safe`."""
    try:
        dumped = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        dumped = repr(data)
    return safe(dumped, limit=RAW_LIMIT, single_line=False, ascii_only=ascii_only)


class RawScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,y", "close", "Close", id="raw.close")]

    def __init__(self, title: str, data: Mapping[str, Any]) -> None:
        super().__init__(classes="dialog-screen")
        self._title = title
        self._data = data

    def compose(self) -> ComposeResult:
        with Vertical(id="raw-dialog", classes="dialog -viewer"):
            ascii_only = getattr(self.app, "ascii_only", False)
            yield Static(safe(self._title, "bold", ascii_only=ascii_only), markup=False)
            with VerticalScroll(id="raw-scroll"):
                body = raw_text(self._data, ascii_only=ascii_only)
                yield Static(body, markup=False, id="raw-body")

    def on_mount(self) -> None:
        self.query_one("#raw-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
