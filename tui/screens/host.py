"""What a screen may use of the app that hosts it, as a protocol.

Screens never import the app module (no `screens -> app` cycle): they read the app
through this narrow view, and run their own flows (`tui/screens/flows.py`) with it.
The app class satisfies it; a test checks that it does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from textual.binding import Binding
from textual.screen import Screen

from tui.api.models import Execution
from tui.identity import Identity
from tui.live.poller import Poller
from tui.live.watch import WatchList
from tui.widgets.status import Palette

if TYPE_CHECKING:  # screens hand the client to tui/actions; they never call it
    from tui.api.client import ManagerClient
    from tui.screens.group_ends import GroupEnds


class Host(Protocol):
    # the connection: its client (for tui/actions), poller, and who is connected
    client: ManagerClient
    poller: Poller
    identity: Identity
    manager_version: str | None
    # the watch list, and executions already accounted for after a start
    watch_list: WatchList
    # group runs: their screens and the toast at their end
    group_ends: GroupEnds
    claimed: set[str]
    # preferences of the session
    read_only: bool
    ascii_only: bool
    utc: bool
    palette: Palette
    open_after_start: bool
    bell_on_end: bool
    fast_interval: float
    slow_interval: float
    clock: Callable[[], float]

    @property
    def shown_identity(self) -> Identity: ...

    @property
    def screen_stack(self) -> Sequence[Screen[Any]]: ...

    def now(self) -> datetime: ...

    def get_key_display(self, binding: Binding) -> str: ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None: ...

    def push_screen(self, screen: Any, callback: Any = None) -> Any: ...

    async def push_screen_wait(self, screen: Any) -> Any: ...

    def copy_to_clipboard(self, text: str) -> None: ...

    # what the app does for every screen
    def open_execution(self, execution: Execution) -> None: ...

    def toggle_pin(self, execution: Execution) -> None: ...

    def pop_screen(self) -> Any: ...

    def run_worker(self, work: Any, **kw: Any) -> Any: ...

    def bell(self) -> None: ...

    def watch_changed(self) -> None: ...

    def refresh_now(self) -> None: ...

    def action_show_help(self) -> None: ...
