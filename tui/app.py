"""The Textual application: owns the client and the poller, and carries out what
screens ask for (start, cancel) in workers that never crash the app."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.command import Hit, Hits, Provider

from tui.api.client import ManagerClient
from tui.api.errors import (
    ApiError,
    ManagerError,
    NotFound,
    RunningExecutionConflict,
    TransportError,
)
from tui.api.models import END_STATES, STOPPING_STATES, Execution, Workflow
from tui.config import ConfigError
from tui.connections import Connection, Connections, NeedsPassword
from tui.live.poller import Poller
from tui.live.snapshot import Snapshot
from tui.live.tail import ExecutionFollower, TailState
from tui.messages import SnapshotReady, TailUpdated, WorkflowLoaded
from tui.screens.confirm import Choice, ConfirmScreen
from tui.screens.execution import ExecutionScreen
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.screens.prompt import PromptScreen
from tui.screens.raw import RawScreen
from tui.screens.settings import SettingsScreen, with_hosts
from tui.screens.start import StartRequest, StartScreen
from tui.screens.tenant_picker import TenantPickerScreen
from tui.widgets import refusals
from tui.widgets.chrome import GlyphChrome
from tui.widgets.glyphs import glyph
from tui.widgets.panes import short_id, unavailable_message
from tui.widgets.safe import clean, safe
from tui.widgets.status import Palette, look, palette_from_theme
from tui.widgets.status_line import Identity
from tui.widgets.watch_bar import WatchBar, watch_text


def styles_dir() -> Path:
    """`styles/` at the top of a checkout, or `tui/styles` inside an installed wheel."""
    packaged = Path(__file__).parent / "styles"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "styles"


class ActionsProvider(Provider):
    """Every action of the main screen as a command (mutating ones hidden when
    read-only)."""

    async def search(self, query: str) -> Hits:
        app = self.app
        assert isinstance(app, CfyTuiApp)
        main = app.main_screen
        if main is None:
            return
        matcher = self.matcher(query)
        for name, help_text, callback in [*main.command_actions(), *app.app_commands()]:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class CfyTuiApp(GlyphChrome, App[None]):
    TITLE = "cfy-tui"
    CSS_PATH = [str(styles_dir() / "app.tcss")]
    COMMANDS = App.COMMANDS | {ActionsProvider}
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", show=False, id="app.quit", priority=True),
    ]

    def __init__(
        self,
        client: ManagerClient,
        identity: Identity,
        *,
        read_only: bool = False,
        ascii_only: bool = False,
        clock: Callable[[], float] = time.time,
        fast_interval: float = 1.0,
        slow_interval: float = 5.0,
        open_after_start: bool = True,
        bell: bool = False,
        settings_rows: list[tuple[str, str, str]] | None = None,
        warnings: list[str] | None = None,
        connections: Connections | None = None,
    ) -> None:
        super().__init__()
        # How to connect again to another tenant or profile (None: no switching).
        self.connections = connections
        # (setting, shown value with secrets masked, where it came from): tui/config.py
        self.settings_rows: list[tuple[str, str, str]] = list(settings_rows or [])
        self.warnings: list[str] = list(warnings or [])
        self.open_after_start = open_after_start
        self.bell_on_end = bell
        self.fast_interval = fast_interval
        # The watch list: executions pinned with `m`, and those the user started
        # (watched until they end). A toast reports each end.
        self.pinned: dict[str, Execution] = {}
        self.started_here: dict[str, Execution] = {}
        self._last_status: dict[str, str] = {}
        self._followers: dict[str, Any] = {}
        self._refusal_handled = ""  # the refusal ("credentials", "tenant") already asked about
        # Executions this app started or found after an ambiguous start: never taken
        # for the outcome of a later ambiguous start.
        self._claimed: set[str] = set()
        self.client = client
        self.identity = identity
        # The cluster host that answered last (the client moves on when one is down).
        self._host_seen = client.url
        self.read_only = read_only
        self.ascii_only = ascii_only
        # Times in UTC (`z` on the execution screen) or in the local zone.
        self.utc = False
        self.clock = clock
        self.manager_version: str | None = None
        self.palette: Palette = palette_from_theme(None)
        self.slow_interval = slow_interval
        self.poller = self._new_poller()
        self.main_screen: MainScreen | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def on_mount(self) -> None:
        self.palette = palette_from_theme(self.current_theme)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.main_screen = MainScreen()
        self.push_screen(self.main_screen)
        self._start_polling()
        for warning in self.warnings:
            self.notify(warning, title="Warning", severity="warning", markup=False, timeout=15)

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
        self.palette = palette_from_theme(theme)
        if self.main_screen is not None:
            self.main_screen.apply_snapshot(self.poller_snapshot)

    async def _load_version(self) -> None:
        try:
            self.manager_version = (await self.client.version()).version
        except ApiError:
            self.manager_version = None

    async def on_unmount(self) -> None:
        await self.client.aclose()

    # -- the poller ----------------------------------------------------------------------
    @property
    def poller_snapshot(self) -> Snapshot:
        return self.poller.snapshot

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        if self.main_screen is not None:
            self.main_screen.post_message(SnapshotReady(snapshot))
        self._report_ends(snapshot.watched)
        self.refresh_watch_bar()
        refused = snapshot.connection.refused
        if refused and refused != self._refusal_handled:
            self.call_later(self._on_refused, refused, snapshot.connection.error)
        self._refusal_handled = refused
        self._report_host_change()

    @property
    def shown_identity(self) -> Identity:
        """The identity with the cluster host in use, for the status line."""
        hosts = self.client.hosts
        if not hosts.is_cluster:
            return self.identity
        return replace(self.identity, hosts=hosts.urls, in_use=hosts.index)

    def _report_host_change(self) -> None:
        """A toast when another host of the cluster answers: the one in use was down."""
        now = self.client.url
        if now == self._host_seen:
            return
        before, self._host_seen = self._host_seen, now
        self.notify(
            f"{clean(before, limit=80)} could not be reached: now using {clean(now, limit=80)}.",
            title="Cluster",
            severity="warning",
            markup=False,
        )

    # -- refused credentials or tenant ------------------------------------------------------
    def _on_refused(self, kind: str, error: str) -> None:
        """Polling has stopped (nothing is retried: a real manager locks accounts after
        a few refused logins). Say so, and ask for what would work."""
        who = self.identity.user or "the token"
        if kind == "tenant":
            self.notify(
                f"The manager refused tenant {self.identity.tenant} for {who} ({error}). "
                "Updates stopped; nothing is retried.",
                title="Tenant refused",
                severity="error",
                markup=False,
                timeout=20,
            )
            if self.connections is not None:
                self.action_switch_tenant()
            return
        self.notify(
            f"The manager refused the credentials of {who} ({error}). Updates stopped; "
            "nothing is retried until you give the current ones (r asks again).",
            title="Credentials refused",
            severity="error",
            markup=False,
            timeout=20,
        )
        self.ask_credentials()

    def ask_credentials(self) -> None:
        """A dialog for the current password (or token); the data comes back without a
        restart, and open execution screens follow again with the new credentials."""
        token = not self.identity.user
        question = (
            "New API token"
            if token
            else f"Current password of {clean(self.identity.user, limit=60)} at "
            f"{clean(self.identity.url, limit=80)}"
        )

        def entered(value: str | None) -> None:
            if not value:
                return
            if token:
                self.client.set_credentials(token=value)
            else:
                self.client.set_credentials(password=value)
            self.poller.credentials_changed()
            for screen in self.screen_stack:
                if isinstance(screen, ExecutionScreen):
                    self.stop_following(screen.execution.id)
                    self.follow_execution(screen.execution.id, screen)

        if not any(isinstance(s, PromptScreen) for s in self.screen_stack):
            self.push_screen(PromptScreen(question, password=True), entered)

    # -- the watch list ---------------------------------------------------------------------
    def _watch_ids(self) -> list[str]:
        return list(dict.fromkeys([*self.pinned, *self.started_here]))

    def _report_ends(self, watched: tuple[Execution, ...]) -> None:
        """A toast (and the bell, if asked for) when a watched execution ends."""
        finished = []
        for execution in watched:
            before = self._last_status.get(execution.id)
            self._last_status[execution.id] = execution.status
            if execution.id in self.pinned:
                self.pinned[execution.id] = execution
            if execution.id in self.started_here:
                self.started_here[execution.id] = execution
            if execution.status in END_STATES and before is not None and before not in END_STATES:
                finished.append(execution)
        for execution in finished:
            outcome = {"terminated": "completed", "failed": "failed", "cancelled": "was cancelled"}[
                execution.status
            ]
            severity = {"terminated": "information", "failed": "error", "cancelled": "warning"}[
                execution.status
            ]
            self.notify(
                f"{execution.workflow_id} on {execution.deployment_id} {outcome} "
                f"({short_id(execution.id)}).",
                title="Execution ended",
                severity=severity,
                markup=False,
                timeout=8,
            )
            if self.bell_on_end:
                self.bell()
            self.started_here.pop(execution.id, None)
        if finished:
            self.poller.watch(self._watch_ids())

    def watched_executions(self) -> list[Execution]:
        known = {e.id: e for e in self.poller.snapshot.watched}
        return [
            known.get(i) or self.pinned.get(i) or self.started_here[i] for i in self._watch_ids()
        ]

    def refresh_watch_bar(self) -> None:
        executions = self.watched_executions()
        text = (
            watch_text(executions, set(self.pinned), self.palette, self.ascii_only)
            if executions
            else None
        )
        for screen in self.screen_stack:
            for bar in screen.query(WatchBar):
                bar.show(text)

    def toggle_pin(self, execution: Execution) -> None:
        if execution.id in self.pinned:
            del self.pinned[execution.id]
            self.notify(f"Unpinned {short_id(execution.id)}.", markup=False)
        else:
            self.pinned[execution.id] = execution
            self._last_status.setdefault(execution.id, execution.status)
            if execution.is_ended:
                said = f"it already ended ({look(execution.status).word})."
            else:
                said = "you will be told when it ends."
            self.notify(f"Pinned {short_id(execution.id)}: {said}", markup=False)
        self.poller.watch(self._watch_ids())
        self.refresh_watch_bar()

    # -- settings, tenants and profiles ---------------------------------------------------
    def app_commands(self) -> list[tuple[str, str, Any]]:
        commands: list[tuple[str, str, Any]] = [
            (
                "Settings",
                "Each effective setting and where it came from",
                self.action_show_settings,
            ),
        ]
        if self.connections is not None:
            commands.append(
                (
                    f"Switch tenant{glyph('more', self.ascii_only)}",
                    "Connect to another tenant of this manager",
                    self.action_switch_tenant,
                )
            )
            for profile in self.connections.profiles():
                commands.append(
                    (
                        f"Switch to profile {profile.name}",
                        f"{profile.kind} profile: {clean(profile.manager or '?', limit=80)}",
                        lambda name=profile.name: self.switch_profile(name),
                    )
                )
        return commands

    def action_show_settings(self) -> None:
        """The effective settings, then what this manager does not give (a column
        shows a dash for it) and why."""
        missing = [
            (f"{resource}.{name}", "not given", why)
            for resource, name, why in self.poller.snapshot.missing_fields
        ]
        hosts = self.client.hosts
        rows = with_hosts(self.settings_rows, hosts.urls, hosts.index)
        self.push_screen(SettingsScreen([*rows, *missing], self.warnings))

    def action_switch_tenant(self) -> None:
        """Offer the tenants the manager lists for this user (asked first, off the UI
        thread), or a typed name when it lists none."""
        if self.connections is None:
            return
        if any(isinstance(s, TenantPickerScreen) for s in self.screen_stack):
            return
        self.run_worker(self._pick_tenant(), group="tenant-picker", exclusive=True)

    async def _pick_tenant(self) -> None:
        connections = self.connections
        if connections is None:
            return
        why: str | None = None
        try:
            tenants = await self.client.list_tenants()
        except ApiError as exc:
            tenants, why = [], clean(exc, limit=120)

        def chosen(tenant: str | None) -> None:
            if tenant and tenant != self.identity.tenant:
                self.reconnect(connections.for_tenant(tenant))

        self.push_screen(TenantPickerScreen(tenants, self.identity.tenant, why_no_list=why), chosen)

    def switch_profile(self, name: str, password: str | None = None) -> None:
        connections = self.connections
        if connections is None:
            return
        try:
            connection = connections.for_profile(name, password)
        except NeedsPassword as need:

            def entered(value: str | None) -> None:
                if value:
                    self.switch_profile(name, value)

            self.push_screen(
                PromptScreen(
                    f"Password of {clean(need.username, limit=60)} for profile "
                    f"{clean(name, limit=60)}",
                    password=True,
                ),
                entered,
            )
            return
        except ConfigError as error:
            self.notify(
                clean(str(error), limit=600),
                title="Cannot switch profile",
                severity="error",
                markup=False,
                timeout=12,
            )
            return
        self.reconnect(connection)

    def reconnect(self, connection: Connection) -> None:
        """Another tenant or profile: the old data is cleared, never mixed with the new."""
        old = self.client
        self.workers.cancel_group(self, "poll")
        self.workers.cancel_group(self, "tail")
        self._followers.clear()
        while len(self.screen_stack) > 2:  # the default screen, then the main screen
            self.pop_screen()
        self.client = connection.client
        self.identity = connection.identity
        self._host_seen = self.client.url
        self.read_only = connection.identity.read_only or self.read_only
        self.settings_rows = connection.resolved.rows()
        self.pinned.clear()
        self.started_here.clear()
        self._last_status.clear()
        self.manager_version = None
        self.poller = self._new_poller()
        if self.main_screen is not None:
            self.main_screen.reset()
        self.refresh_watch_bar()
        self._start_polling()
        self.run_worker(old.aclose(), exit_on_error=False)
        self.notify(
            f"Connected to tenant {connection.identity.tenant} at {connection.identity.url}.",
            markup=False,
        )

    # -- small things ---------------------------------------------------------------------
    def show_raw(self, title: str, data: Any) -> None:
        self.push_screen(RawScreen(title, dict(data) if data else {}))

    def show_raw_deployment(self, deployment_id: str, fallback: Any) -> None:
        """`y` on a deployment: the whole object, read now (the poller reads only the
        fields the panes show); what the poller has when the manager does not answer."""

        async def load() -> None:
            try:
                data: Any = (await self.client.get_deployment(deployment_id)).raw
            except ApiError:
                data = fallback
            self.show_raw(f"Deployment {deployment_id}", data)

        self.run_worker(load(), group="lookups", exit_on_error=False)

    def copy_id(self, value: str) -> None:
        """OSC 52: works over SSH in terminals that allow it."""
        self.copy_to_clipboard(value)
        self.notify(f"Copied {clean(value, limit=80)} to the clipboard.", markup=False)

    # -- the execution screen ---------------------------------------------------------------
    def open_execution(self, execution: Execution) -> None:
        """One execution screen at a time: a new one replaces the one open (and any
        dialog above it), so `esc` always goes back to the main screen."""
        if any(isinstance(s, ExecutionScreen) for s in self.screen_stack):
            while not isinstance(self.screen, MainScreen) and len(self.screen_stack) > 2:
                self.pop_screen()
        self.push_screen(ExecutionScreen(execution))

    def follow_execution(self, execution_id: str, screen: Any) -> None:
        def update(state: TailState) -> None:
            screen.post_message(TailUpdated(state))

        follower = ExecutionFollower(
            self.client,
            execution_id,
            on_update=update,
            interval=self.fast_interval,
            clock=self.clock,
        )
        worker = self.run_worker(
            follower.run(), name=f"tail-{execution_id}", group="tail", exit_on_error=False
        )
        self._followers[execution_id] = (worker, follower)

    def stop_following(self, execution_id: str) -> None:
        found = self._followers.pop(execution_id, None)
        if found is not None:
            found[0].cancel()

    def load_older_events(self, execution_id: str) -> None:
        """The execution screen scrolled to its top: the page of events before it."""
        found = self._followers.get(execution_id)
        if found is not None:
            found[1].load_older()

    def request_workflow(self, deployment_id: str, workflow_id: str, screen: Any) -> None:
        async def load() -> None:
            workflow = await self._workflow(deployment_id, workflow_id)
            screen.post_message(WorkflowLoaded(workflow))

        self.run_worker(load(), group="lookups", exit_on_error=False)

    async def _workflow(self, deployment_id: str, workflow_id: str) -> Workflow | None:
        detail = self.poller.snapshot.detail
        if detail is None or detail.id != deployment_id:
            try:
                detail = await self.client.get_deployment(deployment_id)
            except ApiError:
                return None
        return next((w for w in detail.workflows if w.name == workflow_id), None)

    def rerun(self, execution: Execution) -> None:
        """`R`: the start form for the same workflow, prefilled with the same values."""
        if self.read_only:
            self.notify(refusals.read_only("start"), severity="warning")
            return

        async def load() -> None:
            workflow = await self._workflow(execution.deployment_id, execution.workflow_id)
            if workflow is None:
                self.notify(
                    f"{execution.workflow_id} is no longer declared by {execution.deployment_id}.",
                    severity="warning",
                    markup=False,
                )
                return
            self.open_start(
                execution.deployment_id, workflow, force=False, values=dict(execution.parameters)
            )

        self.run_worker(load(), group="lookups", exit_on_error=False)

    def get_key_display(self, binding: Binding) -> str:
        """Keys as people type them, in words where Textual draws a symbol (`enter`,
        not a return glyph; `ctrl+s`, not `^s`): the same in footer, help and palette,
        and plain ASCII for `--ascii`."""
        shown = super().get_key_display(binding)
        if binding.key_display:
            return shown
        return shown.replace("⏎", "enter").replace("^", "ctrl+")

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
        markup: bool = True,
    ) -> None:
        """Every toast goes through the sanitiser: messages carry ids, statuses and
        errors from the server, and a toast passes ESC and C1 bytes to the terminal."""
        super().notify(
            clean(message, limit=4000, single_line=False),
            title=clean(title, limit=200),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    def select_deployment(self, deployment_id: str | None) -> None:
        self.poller.select(deployment_id)

    def set_search(self, text: str, keep: str | None = None) -> None:
        self.poller.set_search(text, keep)

    def refresh_now(self) -> None:
        """`r`: ask now; with refused credentials, ask the user for them instead of
        sending the refused ones again."""
        if self.poller.refused == "credentials":
            self.ask_credentials()
        elif self.poller.refused == "tenant" and self.connections is not None:
            self.action_switch_tenant()
        else:
            self.poller.refresh_now()

    def toggle_pause(self) -> None:
        if self.poller.snapshot.paused:
            self.poller.resume()
            self.notify("Live updates resumed.")
        else:
            self.poller.pause()
            self.notify("Live updates paused: press p to resume.")

    def action_show_help(self) -> None:
        """Every binding of the screen in front (the main one, or an execution's)."""
        screen = self.screen if hasattr(self.screen, "help_rows") else self.main_screen
        rows = screen.help_rows() if screen is not None else []
        rows.append(("ctrl+p", "Command palette: every action by name", "everywhere"))
        note = "Read-only mode: starting and cancelling are disabled." if self.read_only else ""
        self.push_screen(HelpScreen(rows, note))

    # -- starting --------------------------------------------------------------------------
    def open_start(
        self,
        deployment_id: str,
        workflow: Workflow,
        *,
        force: bool,
        values: dict[str, Any] | None = None,
    ) -> None:
        if self.read_only:
            self.notify(refusals.read_only("start"), severity="warning")
            return
        unavailable = None if force else unavailable_message(deployment_id, workflow)
        if unavailable is not None:
            self.notify(unavailable, title="Not available", severity="warning", markup=False)
            return

        def submitted(request: StartRequest | None) -> None:
            if request is not None:
                self._confirm_and_start(request)

        self.push_screen(
            StartScreen(
                deployment_id, workflow, force=force, tenant=self.identity.tenant, values=values
            ),
            submitted,
        )

    def _running_beside(self, deployment_id: str) -> list[Execution]:
        return [e for e in self.poller.snapshot.active if e.deployment_id == deployment_id]

    def _confirm_and_start(self, request: StartRequest) -> None:
        """Destructive built-ins confirm first, then a force-start names what it runs
        beside; only then is the request sent."""
        if request.workflow_id not in DESTRUCTIVE or request.dry_run:
            self._confirm_force_and_start(request)
            return
        body = [
            safe(
                f"{request.workflow_id} on {request.deployment_id}: "
                f"{DESTRUCTIVE[request.workflow_id]}",
                single_line=False,
            ),
            Text("This cannot be undone from here.", style="bold"),
        ]

        def chosen(choice: str | None) -> None:
            if choice == "go":
                self._confirm_force_and_start(request)

        self.push_screen(
            ConfirmScreen(
                f"Run {clean(request.workflow_id, limit=60)}?",
                body,
                [
                    Choice("back", "Back"),
                    Choice("go", clean(request.workflow_id, limit=40), "error"),
                ],
            ),
            chosen,
        )

    def _confirm_force_and_start(self, request: StartRequest) -> None:
        running = self._running_beside(request.deployment_id) if request.force else []
        if not running:
            self.run_worker(self._start(request), group="actions", exit_on_error=False)
            return
        body = [
            safe(
                f"Force-start {request.workflow_id} on {request.deployment_id}? It will run "
                "beside:",
                single_line=False,
            )
        ]
        body += [self._execution_line(e) for e in running]

        def chosen(choice: str | None) -> None:
            if choice == "force":
                self.run_worker(self._start(request), group="actions", exit_on_error=False)

        self.push_screen(
            ConfirmScreen(
                "Force start",
                body,
                [Choice("back", "Back"), Choice("force", "Force start", "warning")],
            ),
            chosen,
        )

    def _execution_line(self, execution: Execution) -> Text:
        line = Text("  ")
        line.append_text(safe(short_id(execution.id), "bold"))
        line.append(" ")
        line.append_text(safe(execution.workflow_id))
        line.append(" (")
        line.append_text(safe(execution.status))
        line.append(")")
        return line

    async def _recent_ids(self, request: StartRequest) -> tuple[str, ...] | None:
        """The newest executions of this workflow on this deployment, newest first, as
        the manager lists them: what a lost start's answer is compared with (None: the
        manager could not be asked)."""
        try:
            page = await self.client.list_executions(
                deployment_id=request.deployment_id,
                workflow_id=request.workflow_id,
                size=RECONCILE_WINDOW,
                include=("id",),
            )
        except ApiError:
            return None
        return tuple(e.id for e in page.items)

    async def _start(self, request: StartRequest) -> None:
        before = await self._recent_ids(request)
        try:
            execution = await self.client.start_execution(
                request.deployment_id,
                request.workflow_id,
                request.parameters,
                force=request.force,
                dry_run=request.dry_run,
                queue=request.queue,
                allow_custom_parameters=request.allow_custom,
            )
        except RunningExecutionConflict as conflict:
            self._show_conflict(request, conflict)
            return
        except ManagerError as error:
            self._refused("Start refused", error)
            return
        except TransportError as error:
            await self._after_ambiguous_start(request, error, before)
            return
        self._started(request, execution)

    def _refused(self, title: str, error: ManagerError) -> None:
        """The manager said no: its message, sanitised, as an error toast."""
        self.notify(
            clean(error.message, limit=600),
            title=title,
            severity="error",
            markup=False,
            timeout=10,
        )

    def _started(self, request: StartRequest, execution: Execution) -> None:
        self._claimed.add(execution.id)
        self.poller.note_started(execution)
        self.started_here[execution.id] = execution
        self._last_status[execution.id] = execution.status
        self.poller.watch(self._watch_ids())
        self.refresh_watch_bar()
        if self.open_after_start:
            self.open_execution(execution)
        what = f"{request.workflow_id} on {request.deployment_id} ({short_id(execution.id)})"
        if execution.status == "queued":
            self.notify(f"Queued: {what} {self._queued_because()}", title="Queued", markup=False)
        else:
            self.notify(f"Started {what}.", title="Started", markup=False)
        if self.main_screen is not None:
            self.call_after_refresh(self.main_screen.select_execution, execution.id)

    def _queued_because(self) -> str:
        """What a queued start waits for: a running system workflow, named, when there
        is one (the manager queues every start behind it), else the deployment's run."""
        system = self.poller.snapshot.system_active
        if not system:
            return "starts when the running execution ends."
        first = system[0]
        return (
            f"starts after the system workflow {clean(first.workflow_id, limit=60)} "
            f"({short_id(first.id)}, {first.status}) ends: while it runs the manager "
            "queues every start."
        )

    def _show_conflict(self, request: StartRequest, conflict: RunningExecutionConflict) -> None:
        known = {e.id: e for e in self.poller.snapshot.active}
        body = [safe(f"{request.deployment_id} is busy. Running now:")]
        for exec_id in conflict.blocking_ids or []:
            execution = known.get(exec_id)
            if execution is not None:
                body.append(self._execution_line(execution))
            else:
                body.append(Text("  ").append_text(safe(exec_id)))
        if not conflict.blocking_ids:
            body.append(safe(conflict.message, limit=400, single_line=False))

        def chosen(choice: str | None) -> None:
            if choice == "force":
                retry = StartRequest(**{**request.__dict__, "force": True, "queue": False})
            elif choice == "queue":
                retry = StartRequest(
                    **{**request.__dict__, "queue": True, "force": False, "dry_run": False}
                )
            else:
                return
            self.run_worker(self._start(retry), group="actions", exit_on_error=False)

        self.push_screen(
            ConfirmScreen(
                "Another execution is running",
                body,
                [
                    Choice("back", "Back"),
                    Choice("queue", "Queue it"),
                    Choice("force", "Force start", "warning"),
                ],
            ),
            chosen,
        )

    async def _after_ambiguous_start(
        self, request: StartRequest, error: TransportError, before: tuple[str, ...] | None
    ) -> None:
        """The start may or may not have happened: look, never retry blindly.

        `before`: the ids the manager listed for this deployment and workflow just
        before the request. An id listed now and not then is the request's outcome; no
        clock is compared, so a client clock ahead of or behind the manager's changes
        nothing. Without `before` nothing can be told apart, and the app says so."""
        message = f"No answer to the start of {request.workflow_id} on {request.deployment_id} "
        message += f"({clean(error.message, limit=200)}). "
        after = await self._recent_ids(request) if before is not None else None
        if after is None:
            self.notify(
                message + "Could not check whether it started: look before retrying.",
                title="Start outcome unknown",
                severity="error",
                markup=False,
                timeout=15,
            )
            return
        assert before is not None
        known = {*before, *self._claimed}
        new = [i for i in after if i not in known]  # newest first
        if new:
            try:
                found = await self.client.get_execution(new[0])
            except ApiError:
                found = Execution(new[0], deployment_id=request.deployment_id)
            self._claimed.add(found.id)
            message += f"It did start: execution {short_id(found.id)}"
            message += f" is {found.status}." if found.status else "."
            if len(new) > 1:
                message += (
                    f" {len(new) - 1} more new {request.workflow_id} execution(s) appeared "
                    "meanwhile: started by someone else."
                )
            self.notify(
                message,
                title="Start outcome checked",
                markup=False,
                timeout=15,
            )
            self.poller.note_started(found)
        else:
            self.notify(
                message + "No new execution was found: it did not start. Start it "
                "again if you still want it.",
                title="Start outcome checked",
                severity="warning",
                markup=False,
                timeout=15,
            )

    # -- cancelling -----------------------------------------------------------------------
    def open_cancel(self, execution: Execution) -> None:
        if self.read_only:
            self.notify(refusals.read_only("cancel_execution"), severity="warning")
            return
        target = execution  # captured now: the dialog acts on this id, whatever moves
        what = Text()
        what.append_text(safe(short_id(target.id), "bold"))
        what.append(" (")
        what.append_text(safe(target.workflow_id))
        what.append(" on ")
        what.append_text(safe(target.deployment_id))
        what.append(f", {clean(target.status, limit=30)})")
        ended = refusals.nothing_to_cancel(target)
        if ended is not None:
            self.notify(ended, markup=False)
            return
        if target.status in ("force_cancelling", "kill_cancelling"):
            choices = [
                Choice("back", "Back"),
                Choice("kill", f"Kill{glyph('more', self.ascii_only)}", "error"),
            ]
            title = "Execution is already being force-cancelled"
        elif target.status == "cancelling":
            choices = [
                Choice("back", "Back"),
                Choice("force-cancel", "Force-cancel", "warning"),
                Choice("kill", f"Kill{glyph('more', self.ascii_only)}", "error"),
            ]
            title = "Execution is already cancelling"
        else:
            choices = [
                Choice("back", "Back"),
                Choice("cancel", "Cancel execution", "warning"),
                Choice("kill", f"Kill{glyph('more', self.ascii_only)}", "error"),
            ]
            title = "Cancel execution?"
        body = [Text("Execution ").append_text(what)]

        def chosen(choice: str | None) -> None:
            if choice in ("cancel", "force-cancel"):
                self.run_worker(self._cancel(target, choice), group="actions", exit_on_error=False)
            elif choice == "kill":
                self._confirm_kill(target, what)

        self.push_screen(ConfirmScreen(title, body, choices), chosen)

    def _confirm_kill(self, target: Execution, what: Text) -> None:
        body = [
            Text("Kill execution ").append_text(what.copy()).append("?"),
            Text(
                "Running operations are abandoned, not cleaned up: resources may be left "
                "half-created or half-deleted.",
                style="bold",
            ),
        ]

        def chosen(choice: str | None) -> None:
            if choice == "kill":
                self.run_worker(self._cancel(target, "kill"), group="actions", exit_on_error=False)

        self.push_screen(
            ConfirmScreen(
                "Kill execution", body, [Choice("back", "Back"), Choice("kill", "Kill", "error")]
            ),
            chosen,
        )

    async def _cancel(self, target: Execution, action: str) -> None:
        label = short_id(target.id)
        try:
            current = await self.client.get_execution(target.id)
        except NotFound:
            self.notify(
                f"Execution {label} no longer exists; nothing was sent.",
                severity="warning",
                markup=False,
            )
            return
        except ApiError as error:
            self.notify(
                f"Could not check execution {label}: {clean(error.message, limit=300)}",
                severity="error",
                markup=False,
            )
            return
        if current.is_ended:
            self.notify(
                f"Execution {label} ended ({current.status}) meanwhile; nothing was sent.",
                severity="warning",
                markup=False,
            )
            return
        if action == "cancel" and current.status in STOPPING_STATES:
            # A manager refuses a second cancel (400 illegal_action_error): a repeat
            # after a lost answer finds the first one at work, which is what it wanted.
            self.notify(
                f"Execution {label} is already {current.status}; nothing was sent. "
                "Force-cancel or kill stop it sooner.",
                markup=False,
            )
            return
        try:
            answer = await self.client.cancel_execution(target.id, action)
        except ManagerError as error:
            self._refused("Cancel refused", error)
            return
        except TransportError as error:
            self.notify(
                f"No answer to the {action} of {label} ({clean(error.message, limit=200)})"
                ". Cancelling is safe to repeat.",
                title="Cancel outcome unknown",
                severity="warning",
                markup=False,
                timeout=10,
            )
            return
        verb = {"cancel": "Cancel", "force-cancel": "Force-cancel", "kill": "Kill"}[action]
        self.notify(f"{verb} requested: {label} is {answer.status}.", markup=False)
        self.poller.refresh_now()


# Built-in workflows that destroy what a deployment has: they confirm once more.
DESTRUCTIVE = {
    "uninstall": "every node instance is stopped and deleted.",
    "delete_deployment_environment": "the deployment itself is deleted.",
}


# How many of the newest executions of a deployment's workflow a lost start's answer
# is looked for among (listed before and after the request).
RECONCILE_WINDOW = 50
