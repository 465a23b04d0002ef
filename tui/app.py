"""The Textual application: the wiring. It owns the connection (client and poller),
hands snapshots to the main screen, keeps the watch list and reports ends, and
connects again on request. What a key does lives in the screens and their flows
(`tui/screens/flows.py`), what is sent in `tui/actions`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding

from tui import switching
from tui.api.client import ManagerClient
from tui.api.errors import ApiError
from tui.api.models import Execution
from tui.collector import IdleCollector
from tui.config import DEFAULTS
from tui.connections import Connection, Connections
from tui.identity import Identity
from tui.live.poller import Poller
from tui.live.snapshot import Snapshot
from tui.live.watch import WatchList
from tui.messages import SnapshotReady
from tui.palette import ActionsProvider, DeploymentsProvider
from tui.screens import toasts
from tui.screens.group_ends import GroupEnds
from tui.screens.main import MainScreen
from tui.widgets.chrome import GlyphChrome
from tui.widgets.key_words import KeyWords
from tui.widgets.safe import clean
from tui.widgets.status import Palette, status_palette
from tui.widgets.watch_bar import WatchBar, watch_text

READ_ONLY_NOTE = "Read-only mode: starting, cancelling and resuming are disabled."


def styles_dir() -> Path:
    """`styles/` at the top of a checkout, or `tui/styles` inside an installed wheel."""
    packaged = Path(__file__).parent / "styles"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "styles"


class CfyTuiApp(GlyphChrome, KeyWords, App[None]):
    TITLE = "cfy-tui"
    CSS_PATH = [str(styles_dir() / "app.tcss")]
    COMMANDS = App.COMMANDS | {ActionsProvider, DeploymentsProvider}  # actions, deployments
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", show=False, id="app.quit", priority=True),
    ]

    def __init__(
        self,
        client: ManagerClient,
        identity: Identity,
        *,
        read_only: bool = DEFAULTS.read_only,
        ascii_only: bool = DEFAULTS.ascii,
        clock: Callable[[], float] = time.time,
        fast_interval: float = DEFAULTS.fast_interval,
        slow_interval: float = DEFAULTS.slow_interval,
        open_after_start: bool = DEFAULTS.open_execution,
        bell: bool = DEFAULTS.bell,
        settings_rows: list[tuple[str, str, str]] | None = None,
        warnings: list[str] | None = None,
        connections: Connections | None = None,
    ) -> None:
        super().__init__()
        # How to connect again to another tenant or profile (None: no switching).
        self.connections = connections
        # (setting, shown value with secrets masked, where it came from): tui/config/
        self.settings_rows: list[tuple[str, str, str]] = list(settings_rows or [])
        self.warnings: list[str] = list(warnings or [])
        self.open_after_start = open_after_start
        self.bell_on_end = bell
        self.fast_interval = fast_interval
        self.slow_interval = slow_interval
        self.watch_list = WatchList()
        # Executions started here or found after an ambiguous start: never taken for
        # the outcome of a later ambiguous start (tui/actions/start.py).
        self.claimed: set[str] = set()
        self.client = client
        self.identity = identity
        # The cluster host that answered last (the client moves on when one is down).
        self.host_seen = client.url
        self._refusal_handled = ""  # the refusal ("credentials", "tenant") already asked about
        self.read_only = read_only
        self.ascii_only = ascii_only
        self.utc = False  # times in UTC (`z` on the execution screen) or the local zone
        self.clock = clock
        self.manager_version: str | None = None
        self.palette: Palette = {}  # read from the stylesheet once running
        self.poller = self._new_poller()
        self.group_ends = GroupEnds(self)
        self.collector = IdleCollector()  # full collections in pauses: tui/collector.py

    # The main screen is the first mode: mounted like any screen, before the app's mount.
    MODES = {"main": MainScreen}
    DEFAULT_MODE = "main"

    @property
    def main_screen(self) -> MainScreen:
        main = self._main()
        assert main is not None, "the main screen exists while the app runs"
        return main

    def _main(self) -> MainScreen | None:
        screens = self.screen_stack
        return screens[0] if screens and isinstance(screens[0], MainScreen) else None

    # -- lifecycle ---------------------------------------------------------------------
    def on_load(self) -> None:
        """The first requests leave before the styles are read and the screen built."""
        self._start_polling()

    def on_mount(self) -> None:
        self.palette = status_palette(self)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.set_interval(1.0, self.collector.tick)
        for warning in self.warnings:
            self.notify(warning, title="Warning", severity="warning", timeout=15)

    def _new_poller(self) -> Poller:
        return Poller(
            self.client,
            on_snapshot=self._on_snapshot,
            fast_interval=self.fast_interval,
            slow_interval=self.slow_interval,
            clock=self.clock,
        )

    def _start_polling(self) -> None:
        """The poller's loop and the manager's version, for the current client."""
        self.run_worker(
            self.poller.run(), name="poller", group="poll", exclusive=True, exit_on_error=False
        )
        self.run_worker(self._load_version(), name="version", exit_on_error=False)

    def _theme_changed(self, theme: Any) -> None:
        """On Textual's signal, sent once the stylesheet holds the new theme's values."""
        self.palette = status_palette(self)
        if (main := self._main()) is not None:
            main.apply_snapshot(self.poller.snapshot)

    async def _load_version(self) -> None:
        try:
            self.manager_version = (await self.client.version()).version
        except ApiError:
            self.manager_version = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):  # the collector waits for a pause
            self.collector.input_seen()
        await super().on_event(event)

    async def on_unmount(self) -> None:
        self.collector.stop()
        await self.client.aclose()

    # -- what the poller says ---------------------------------------------------------------
    def _on_snapshot(self, snapshot: Snapshot) -> None:
        main = self._main()
        if main is None:  # shutting down: the screens are gone
            return
        main.post_message(SnapshotReady(snapshot))
        if snapshot.deployments and not self.collector.started:  # once those rows are drawn
            main.call_after_refresh(self.collector.start)
        self._report_ends(snapshot.watched)
        self.refresh_watch_bar()
        refused = snapshot.connection.refused
        if refused and refused != self._refusal_handled:
            self.call_later(switching.refused, self, refused, snapshot.connection.error)
        self._refusal_handled = refused
        switching.report_host_change(self)

    @property
    def shown_identity(self) -> Identity:
        """The identity with the cluster host in use, for the status line."""
        hosts = self.client.hosts
        if not hosts.is_cluster:
            return self.identity
        return replace(self.identity, hosts=hosts.urls, in_use=hosts.index)

    # -- the watch list ---------------------------------------------------------------------
    def _report_ends(self, watched: tuple[Execution, ...]) -> None:
        """A toast (and the bell, if asked for) when a watched execution ends."""
        finished = self.watch_list.update(watched)
        for execution in finished:
            toasts.say(self, toasts.execution_ended(execution))
            if self.bell_on_end:
                self.bell()
        if finished:
            self.poller.watch(self.watch_list.ids())

    def refresh_watch_bar(self) -> None:
        executions = self.watch_list.executions(self.poller.snapshot.watched)
        pinned = set(self.watch_list.pinned)
        text = watch_text(executions, pinned, self.palette, self.ascii_only) if executions else None
        for screen in self.screen_stack:
            for bar in screen.query(WatchBar):
                bar.show(text)

    def watch_changed(self) -> None:
        """The watch list changed: the poller follows it, the bars show it."""
        self.poller.watch(self.watch_list.ids())
        self.refresh_watch_bar()

    def toggle_pin(self, execution: Execution) -> None:
        toasts.say(self, toasts.pinned(execution, self.watch_list.toggle_pin(execution)))
        self.watch_changed()

    # -- screens ----------------------------------------------------------------------------
    def open_execution(self, execution: Execution) -> None:
        """One execution screen at a time: a new one replaces the one open (and any
        dialog above it), so `esc` always goes back to the main screen."""
        from tui.screens.execution import ExecutionScreen

        if any(isinstance(s, ExecutionScreen) for s in self.screen_stack):
            while len(self.screen_stack) > 1:
                self.pop_screen()
        self.push_screen(ExecutionScreen(execution))

    def action_show_settings(self) -> None:
        from tui.screens.settings import SettingsScreen, settings_view

        hosts = self.client.hosts
        rows = settings_view(self.settings_rows, hosts.urls, hosts.index, self.poller.snapshot)
        self.push_screen(SettingsScreen(rows, self.warnings))

    def action_show_help(self) -> None:
        """Every key of the screen in front (the main one, or an execution's)."""
        from tui.screens.help import HelpScreen

        screen = self.screen if hasattr(self.screen, "help_rows") else self.main_screen
        rows = screen.help_rows()
        rows.append(("ctrl+p", "Command palette: every action by name", "everywhere"))
        self.push_screen(HelpScreen(rows, READ_ONLY_NOTE if self.read_only else ""))

    def action_switch_tenant(self) -> None:
        switching.switch_tenant(self)

    # -- connecting again -------------------------------------------------------------------
    def reconnect(self, connection: Connection) -> None:
        """Another tenant or profile: the old data is cleared, never mixed with the new."""
        old = self.client
        self.workers.cancel_group(self, "poll")
        while len(self.screen_stack) > 1:  # back to the main screen
            self.pop_screen()
        self.client = connection.client
        self.identity = connection.identity
        self.host_seen = self.client.url
        self.read_only = connection.identity.read_only or self.read_only
        self.settings_rows = connection.resolved.rows()
        self.watch_list.clear()
        self.group_ends.clear()
        self.manager_version = None
        self.poller = self._new_poller()
        self.main_screen.reset()
        self.refresh_watch_bar()
        self._start_polling()
        self.run_worker(old.aclose(), exit_on_error=False)
        self.notify(
            f"Connected to tenant {connection.identity.tenant} at {connection.identity.url}."
        )

    def refresh_now(self) -> None:
        """`r`: ask now; with refused credentials, ask for new ones, never resend these."""
        if self.poller.refused == "credentials":
            switching.ask_credentials(self)
        elif self.poller.refused == "tenant" and self.connections is not None:
            switching.switch_tenant(self)
        else:
            self.poller.refresh_now()

    # -- how things are shown -------------------------------------------------------------
    def set_keymap(self, keymap: dict[str, str]) -> None:  # type: ignore[override]
        """A remapped key keeps its "why not" fallback (`<id>.refused`) on the same key."""
        merged = dict(keymap)
        for binding_id, keys in keymap.items():
            merged.setdefault(f"{binding_id}.refused", keys)
        super().set_keymap(merged)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast is plain text through the sanitiser, whatever `markup` asks
        (screens pass Textual's default, True): messages carry ids, statuses and
        errors from the server, and a toast passes ESC and C1 bytes to the terminal."""
        super().notify(
            clean(message, limit=4000, single_line=False),
            title=clean(title, limit=200),
            severity=severity,
            timeout=timeout,
            markup=False,
        )
